"""Celery tasks: thin wrappers that take primary keys and call services. Safe to run twice."""

from celery import shared_task

from screening import reports


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=reports.MAX_ATTEMPTS)
def generate_report(self, report_id, claim="", written=None):
    """Render a queued report. A worker killed mid-task leaves the message unacknowledged, so it is redone; a second
    delivery finds the report claimed and does nothing; a database or disk fault is retried by the same run."""
    try:
        reports.report_generate(report_id=report_id, claim=claim, written=written)
    except reports.TransientReportError as error:
        raise self.retry(
            exc=error,
            args=(report_id,),
            kwargs={"claim": error.claim, "written": error.written},
            countdown=reports.retry_delay(self.request.retries),
        ) from error


@shared_task
def sweep_reports():
    """Periodic, every few seconds: sends what was never sent or was lost, and removes files no report refers to."""
    sweep = reports.reports_sweep()
    return {"sent": sweep.sent, "orphans_removed": sweep.orphans_removed}
