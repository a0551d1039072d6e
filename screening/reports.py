"""Writes for PDF reports: request, send, generate, sweep, retry.

The report row is the truth and the outbox. Requesting never depends on the broker: the row is saved as queued and
its message is sent after commit if the broker answers; the sweeper (a periodic task every few seconds) sends what
was never sent, what waited too long, and what a dead worker left. A run claims a report atomically (queued or
retrying -> running, with a token of its own); a second delivery of the same message finds it claimed and stops, and
only the run that holds the claim may finish it, so each report ends with exactly one file. Files that no report
refers to (a run that lost its claim, a write whose database update never came) are removed by the sweeper.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from screening.models import Report
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.signing import record_hash
from screening.templatetags.screening_tags import site_and_utc

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A message the on-commit send may still be handing over is left to it for this long before the sweeper sends it.
SEND_GRACE = timedelta(seconds=2)
# Files younger than this may be a run's, written just before the update that records it; an orphan is older.
ORPHAN_AGE = timedelta(seconds=60)
# Orphans appear within seconds of being written: the sweeper looks at the files of the last day.
ORPHAN_WINDOW = timedelta(days=1)
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError)


class TransientReportError(Exception):
    """Worth retrying: the database or the disk was briefly unavailable. Carries the run's claim, so that the retry
    takes the report back at once, and the file it wrote, if any."""

    def __init__(self, message, *, claim, written=None):
        super().__init__(message)
        self.claim, self.written = claim, written


@transaction.atomic
def report_request(*, screening, user):
    """A queued report; its message is sent once this transaction has committed (or later, by the sweeper)."""
    report = Report.objects.create(screening=screening, requested_by=user)
    transaction.on_commit(lambda: report_send(report_id=report.pk))
    return report


def report_send(*, report_id):
    """Hands the report's message to the broker; True if it took it. Never raises: if the broker is away the report
    stays queued and unsent, and the sweeper sends it when the broker is back."""
    from screening.tasks import generate_report

    try:
        generate_report.apply_async((report_id,), retry=False)
    except Exception:  # any failure to publish leaves the outbox row for the sweeper
        logger.warning("Report %s could not be sent to the broker; the sweeper will send it", report_id, exc_info=True)
        return False
    try:
        Report.objects.filter(pk=report_id).update(sent_at=timezone.now())
    except DatabaseError:
        # The message is out; at worst the sweeper sends it once more, and the claim keeps that harmless.
        logger.warning("Report %s was sent but its sending time could not be recorded", report_id, exc_info=True)
    return True


@transaction.atomic
def report_regenerate(*, report):
    """Queue a finished report again whose file is gone; the same report gets a new file."""
    updated = Report.objects.filter(pk=report.pk, status=Report.Status.DONE).update(
        status=Report.Status.QUEUED,
        file="",
        sha256="",
        content_hash="",
        claim="",
        sent_at=None,
        updated_at=timezone.now(),
    )
    if updated:
        transaction.on_commit(lambda: report_send(report_id=report.pk))


@transaction.atomic
def report_retry(*, report):
    """An administrator sends a failed or stuck report again, with a fresh count of attempts."""
    updated = (
        Report.objects.filter(pk=report.pk)
        .exclude(status=Report.Status.DONE)
        .update(status=Report.Status.QUEUED, claim="", error="", attempts=0, sent_at=None, updated_at=timezone.now())
    )
    if updated:
        transaction.on_commit(lambda: report_send(report_id=report.pk))
    return bool(updated)


def _claim(report_id, token, *, resuming):
    """Takes the report for this run, or says no: it is done, failed, or another live run holds it. One UPDATE, so
    two deliveries cannot both win. A run that has been "running" too long is dead and may be taken over."""
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.REPORT_RUNNING_TIMEOUT_SECONDS)
    claimable = Q(status__in=[Report.Status.QUEUED, Report.Status.RETRYING]) | Q(
        status=Report.Status.RUNNING, started_at__lt=abandoned
    )
    if resuming:
        claimable |= Q(status__in=[Report.Status.RUNNING, Report.Status.RETRYING], claim=token)
    return (
        Report.objects.filter(claimable, pk=report_id).update(
            status=Report.Status.RUNNING, claim=token, attempts=F("attempts") + 1, started_at=now, updated_at=now
        )
        == 1
    )


def report_generate(*, report_id, claim="", written=None):
    """Generate a report's PDF, or reuse the file of a finished report of the same content; returns the report as
    stored. A delivery that cannot claim the report changes nothing. A retry of the same run brings its claim and
    the file it wrote but could not record (`written`: name, sha256, content_hash), which it records rather than
    render again, so a database fault leaves no second file."""
    token = claim or uuid.uuid4().hex
    try:
        if not _claim(report_id, token, resuming=bool(claim)):
            logger.info("Report %s is done, failed or being generated by another run: nothing to do", report_id)
            return Report.objects.filter(pk=report_id).first()
        report = Report.objects.get(pk=report_id)
        screening = screening_with_outcomes(pk=report.screening_id)
        content_hash = shown_content_hash(screening)
        written = _still_usable(written, content_hash, report.file.storage)
        result = written or _finished_file_of_same_content(screening, content_hash)
        if result is None:
            filename, _, pdf = render_report(screening, generated_by=report.requested_by, generated_at=timezone.now())
            report.file.save(filename, ContentFile(pdf), save=False)
            result = written = {
                "name": report.file.name,
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "content_hash": content_hash,
            }
        finished = Report.objects.filter(pk=report_id, claim=token, status=Report.Status.RUNNING).update(
            status=Report.Status.DONE,
            file=result["name"],
            sha256=result["sha256"],
            content_hash=content_hash,
            error="",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not finished and written:
            # Another run took the report over (this one was too slow): its file stands, this one goes.
            logger.warning("Report %s was taken over by another run; this run's file is removed", report_id)
            report.file.storage.delete(written["name"])
    except TRANSIENT_ERRORS as error:
        _forget_broken_connection()
        _mark_retrying(report_id, token, error)
        raise TransientReportError(str(error), claim=token, written=written) from error
    # Anything else will fail the same way again: say so on the report rather than retry in a loop.
    except Exception as error:
        Report.objects.filter(pk=report_id, claim=token).update(
            status=Report.Status.FAILED,
            error=f"The report could not be generated: {error}",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return Report.objects.filter(pk=report_id).first()


def _finished_file_of_same_content(screening, content_hash):
    same = (
        Report.objects.filter(screening=screening, status=Report.Status.DONE, content_hash=content_hash)
        .exclude(file="")
        .first()
    )
    return same and {"name": same.file.name, "sha256": same.sha256, "content_hash": content_hash}


def _still_usable(written, content_hash, storage):
    """The file an earlier try wrote, if it is still there and shows what the report must show; else it goes."""
    if not written:
        return None
    if written["content_hash"] == content_hash and storage.exists(written["name"]):
        return written
    if not Report.objects.filter(file=written["name"]).exists():
        storage.delete(written["name"])
    return None


def retry_delay(retries):
    """Seconds before the next try: 1, 2, 4, 8, then 10, well inside the broker's visibility timeout."""
    return min(2**retries, 10)


def _mark_retrying(report_id, token, error):
    """Best effort (the database may be the thing that is down): the page says "retrying" and why, and after too many
    tries "failed"; the retry is due after `retry_delay`, which `sent_at` records for the sweeper."""
    try:
        mine = Report.objects.filter(pk=report_id, claim=token, status=Report.Status.RUNNING)
        attempts = mine.values_list("attempts", flat=True).first()
        if attempts is None:
            return
        now = timezone.now()
        if attempts >= MAX_ATTEMPTS:
            error_text = f"The report could not be generated after {MAX_ATTEMPTS} tries. {_plain(error)}"
            mine.update(status=Report.Status.FAILED, error=error_text, finished_at=now, updated_at=now)
            return
        due = now + timedelta(seconds=retry_delay(attempts - 1))
        mine.update(status=Report.Status.RETRYING, error=_plain(error), sent_at=due, updated_at=now)
    except DatabaseError:
        _forget_broken_connection()
        logger.warning("Report %s: could not record the retry (the database is unavailable)", report_id)


def _plain(error):
    if isinstance(error, (OperationalError, InterfaceError)):
        return "The database was unavailable."
    return "The report's file could not be written."


def _forget_broken_connection():
    """After a database restart the worker's connection is dead: drop it so the next query opens a new one."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


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


def reports_marked(screening, listed):
    """The listed reports of one screening, each with `superseded`: "" while a finished report still shows the
    screening as it is now, else what superseded it ("generated before the sign-off on …", "… a later change", "…
    the correction SCR-…"). Reads the corrections once and works out what the screening shows now once, and only if
    a finished report is listed: not once per report. Expects the screening as `screening_with_outcomes` loads it."""
    listed = list(listed)
    for report in listed:
        report.superseded = ""
    done = [report for report in listed if report.status == Report.Status.DONE]
    if not done:
        return listed
    corrections = list(screening.corrections.order_by("created_at").only("pk", "number", "created_at"))
    current = None if corrections else shown_content_hash(screening)
    signature = getattr(screening, "signature", None)
    for report in done:
        report.superseded = _superseded_because(report, current, signature, corrections)
    return listed


def report_marked(report):
    """One report with `superseded` (see `reports_marked`); the screening is read only for a finished report."""
    if report.status != Report.Status.DONE:
        report.superseded = ""
        return report
    return reports_marked(screening_with_outcomes(pk=report.screening_id), [report])[0]


def _superseded_because(report, current, signature, corrections):
    generated = report.started_at or report.created_at
    if corrections:
        later = next((c for c in corrections if c.created_at > generated), None)
        if later is not None:
            return f"generated before the correction {later.number}"
        return f"the screening was corrected by {corrections[-1].number}"
    if report.content_hash == current:
        return ""
    if signature is not None and generated < signature.signed_at:
        return f"generated before the sign-off on {site_and_utc(signature.signed_at)}"
    # A report from before content hashes were recorded is superseded only when it is known to be (the sign-off).
    return "generated before a later change" if report.content_hash else ""


@dataclass
class Sweep:
    sent: int = 0
    orphans_removed: int = 0


def reports_sweep():
    """Sends what needs sending and removes files no report refers to. Safe to run anywhere, any number of times at
    once: a report sent twice is made once."""
    now = timezone.now()
    resend_before = now - timedelta(seconds=settings.REPORT_RESEND_AFTER_SECONDS)
    abandoned = now - timedelta(seconds=settings.REPORT_RUNNING_TIMEOUT_SECONDS)
    due = (
        # Never sent (the broker was away when it was requested).
        Q(status=Report.Status.QUEUED, sent_at__isnull=True, created_at__lt=now - SEND_GRACE)
        # Sent, or due for a retry, long ago, and still not taken: the message was lost.
        | Q(status__in=[Report.Status.QUEUED, Report.Status.RETRYING], sent_at__lt=resend_before)
        # Being generated for longer than a report takes: its worker died.
        | (
            Q(status=Report.Status.RUNNING, started_at__lt=abandoned)
            & (Q(sent_at__isnull=True) | Q(sent_at__lt=abandoned))
        )
    )
    sweep = Sweep()
    for report_id in Report.objects.filter(due).order_by("created_at").values_list("pk", flat=True)[:500]:
        sweep.sent += report_send(report_id=report_id)
    sweep.orphans_removed = _remove_orphan_files(now)
    return sweep


def _remove_orphan_files(now):
    """Report files older than ORPHAN_AGE that no report refers to. Orphans appear within seconds of being written,
    so only the folders (upload_to is reports/%Y/%m/) of the last ORPHAN_WINDOW are read, not every report ever."""
    newest, oldest = (now - ORPHAN_AGE).timestamp(), (now - ORPHAN_WINDOW).timestamp()
    months = {f"{moment:%Y/%m}" for when in (now - ORPHAN_WINDOW, now) for moment in (when, timezone.localtime(when))}
    candidates = {}
    for month in months:
        folder = Path(settings.MEDIA_ROOT) / "reports" / month
        for path in folder.glob("*") if folder.is_dir() else ():
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if path.is_file() and oldest <= modified <= newest:
                candidates[path.relative_to(settings.MEDIA_ROOT).as_posix()] = path
    referenced = set(Report.objects.filter(file__in=list(candidates)).values_list("file", flat=True))
    removed = 0
    for name, path in candidates.items():
        if name not in referenced:
            path.unlink(missing_ok=True)
            logger.warning("Removed %s: no report refers to it", name)
            removed += 1
    return removed
