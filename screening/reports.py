"""Writes for PDF reports: request, generate, requeue. Generation can run twice and ends with one file."""

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone

from screening.models import Report
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.signing import record_hash


class TransientReportError(Exception):
    """Worth retrying: the database or the disk was briefly unavailable."""


@transaction.atomic
def report_request(*, screening, user):
    """A queued report; the task is sent only once this transaction has committed."""
    from screening.tasks import generate_report

    report = Report.objects.create(screening=screening, requested_by=user)
    transaction.on_commit(lambda: generate_report.delay(report.pk))
    return report


@transaction.atomic
def report_regenerate(*, report):
    """Queue a finished report again whose file is gone; the same report gets a new file."""
    from screening.tasks import generate_report

    updated = Report.objects.filter(pk=report.pk, status=Report.Status.DONE).update(
        status=Report.Status.QUEUED, file="", sha256="", content_hash="", updated_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: generate_report.delay(report.pk))


def report_generate(*, report_id):
    """Generate a report's PDF, or reuse the file of a finished report of the same screening content."""
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.status == Report.Status.DONE:
                return report
            report.status = Report.Status.RUNNING
            report.attempts += 1
            report.started_at = timezone.now()
            report.save(update_fields=["status", "attempts", "started_at", "updated_at"])
        screening = screening_with_outcomes(pk=report.screening_id)
        report.content_hash = shown_content_hash(screening)
        same = (
            Report.objects.filter(screening=screening, status=Report.Status.DONE, content_hash=report.content_hash)
            .exclude(file="")
            .first()
        )
        if same is not None:
            report.file, report.sha256 = same.file.name, same.sha256
        else:
            filename, _, pdf = render_report(screening, generated_by=report.requested_by, generated_at=timezone.now())
            report.file.save(filename, ContentFile(pdf), save=False)
            report.sha256 = hashlib.sha256(pdf).hexdigest()
    except (OperationalError, OSError) as error:
        _mark_failed_if_exhausted(report_id, error)
        raise TransientReportError(str(error)) from error
    except Report.DoesNotExist:
        return None
    # Anything else will fail the same way again: say so on the report rather than retry in a loop.
    except Exception as error:
        Report.objects.filter(pk=report_id).update(
            status=Report.Status.FAILED, error=f"The report could not be generated: {error}", finished_at=timezone.now()
        )
        return Report.objects.get(pk=report_id)
    report.status = Report.Status.DONE
    report.error = ""
    report.finished_at = timezone.now()
    report.save(update_fields=["status", "error", "finished_at", "file", "sha256", "content_hash", "updated_at"])
    return report


MAX_ATTEMPTS = 6


def shown_content_hash(screening):
    """Identifies what a report shows: the screening's content and its signature, so signing makes a new PDF."""
    signature = getattr(screening, "signature", None)
    signed = "unsigned"
    if signature is not None:
        signed = "|".join(
            [
                signature.signer_name,
                signature.meaning,
                signature.signed_at.isoformat(),
                signature.comment,
                signature.content_hash,
            ]
        )
    return hashlib.sha256(f"{record_hash(screening)}|{signed}".encode()).hexdigest()


def _mark_failed_if_exhausted(report_id, error):
    Report.objects.filter(pk=report_id, attempts__gte=MAX_ATTEMPTS).update(
        status=Report.Status.FAILED, error=f"The report could not be generated after {MAX_ATTEMPTS} tries: {error}"
    )


def reports_requeue_stuck(*, older_than_seconds):
    """Queue again every report left queued or running longer than a worker could take; returns how many."""
    from screening.tasks import generate_report

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = list(
        Report.objects.filter(
            status__in=[Report.Status.QUEUED, Report.Status.RUNNING], updated_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for report_id in stuck:
        with transaction.atomic():
            Report.objects.filter(pk=report_id).update(status=Report.Status.QUEUED, updated_at=timezone.now())
            transaction.on_commit(lambda report_id=report_id: generate_report.delay(report_id))
    return len(stuck)
