"""Celery tasks: thin wrappers that take primary keys and call services. Safe to run twice."""

from celery import shared_task

from prescreen import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def evaluate_chunk(chunk_id):
    """A few hundred patients of a run. A worker killed mid-chunk leaves the message unacknowledged, so the chunk is
    redone; a chunk done (or cancelled) meanwhile is left alone."""
    return services.chunk_evaluate(chunk_id=chunk_id)


@shared_task
def sweep_prescreen_runs():
    """Periodic: deletes the runs past the retention period, and sends again the chunks of a stalled run."""
    return services.prescreen_sweep()
