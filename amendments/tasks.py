"""Celery tasks: thin wrappers that take primary keys and call services. Safe to run twice."""

from celery import shared_task

from amendments import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_impact_preview(preview_id):
    """Re-evaluates the trial's screenings under a draft, for the review before publishing."""
    services.impact_preview_run(preview_id=preview_id)
