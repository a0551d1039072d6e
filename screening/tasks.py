"""Celery tasks: thin wrappers that take primary keys and call services. Safe to run twice."""

from celery import shared_task
from django.conf import settings

from screening import reports


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def generate_report(self, report_id):
    """Render a queued report. A worker killed mid-task leaves the message unacknowledged, so it is redone."""
    try:
        reports.report_generate(report_id=report_id)
    except reports.TransientReportError as error:
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 60)) from error


@shared_task
def requeue_stuck_reports():
    """Periodic: reports queued or running for too long are queued again (the database status is the truth)."""
    return reports.reports_requeue_stuck(older_than_seconds=settings.REPORT_STUCK_AFTER_SECONDS)
