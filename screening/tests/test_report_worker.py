"""PDF reports made by a real Celery worker (a subprocess) from real Redis and the PostgreSQL test database: the
app's own path from the request to the file, enqueueing only on commit, a worker killed mid-task, the reconciler for
stuck reports, and reuse of a finished file. The worker comes from `celery_worker.py`."""

import hashlib
import io
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from screening import reports
from screening.models import Report
from screening.tests import celery_worker as worker
from screening.tests.forms_data import eligible_payload, sign_as

celery_worker = worker.celery_worker

LOW_ANC = {"anc": ("0.9", "10^3/uL", "")}
DONE_TIMEOUT = 60  # a report takes about a second; the first in a fresh worker a few
# A killed worker's message comes back once the visibility timeout has passed and a worker sweeps the unacknowledged
# messages; kombu sweeps at start-up and then every unacked_restore_interval x unacked_restore_throttle seconds.
REDELIVERY_TIMEOUT = 150
REDELIVERY_SLACK = 15


@pytest.fixture
def evaluated_screening(client_for, coordinator, screening_for):
    """A function: a screening entered in full through the form, as the coordinator posts it, and evaluated."""

    def enter(**changes):
        screening = screening_for()
        response = client_for(coordinator).post(
            reverse("screening:edit", args=[screening.pk]),
            eligible_payload(screening, **changes) | {"action": "evaluate"},
        )
        assert response.status_code == 302, "the screening form was not saved"
        screening.refresh_from_db()
        assert screening.status == "evaluated"
        return screening

    return enter


def sign(screening, investigator):
    return sign_as(investigator, screening, comment="Checked against chart.")


def request_report(screening, user):
    """As the view does it: the request commits, and only then is the task sent."""
    return reports.report_request(screening=screening, user=user)


def status_of(report):
    return Report.objects.filter(pk=report.pk).values_list("status", flat=True).first()


def wait_until_finished(workers, report, timeout=DONE_TIMEOUT):
    workers.wait_for(
        f"report {report.pk} to be done or failed",
        lambda: status_of(report) in (Report.Status.DONE, Report.Status.FAILED),
        timeout=timeout,
    )
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, f"report {report.pk}: {report.error}\n{workers.output()}"
    return report


def files_in(media_root):
    return sorted(path for path in media_root.rglob("*") if path.is_file())


def pdf_text(data):
    """The PDF's text with every run of whitespace made one space (table cells wrap lines anywhere)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def assert_report_file(report, media_root):
    """The file exists under MEDIA_ROOT, is a PDF and its SHA-256 is the one stored; returns its bytes."""
    path = media_root / report.file.name
    assert path.is_file(), f"{report.file.name} is not under {media_root}: {files_in(media_root)}"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == report.sha256
    return data


def assert_shows_signature(text, signature):
    assert signature.signer_name in text
    assert signature.get_meaning_display() in text
    # The hash breaks anywhere across lines (word-break: break-all); compare without any whitespace.
    assert signature.content_hash in re.sub(r"\s", "", text)


def test_a_requested_report_is_made_by_the_worker_with_verdict_reasons_and_signature(
    celery_worker, evaluated_screening, coordinator, investigator
):
    screening = evaluated_screening(labs=LOW_ANC)
    assert screening.verdict == "ineligible"
    signature = sign(screening, investigator)

    began = time.monotonic()
    report = request_report(screening, coordinator)
    assert len(celery_worker.sent) == 1
    wait_until_finished(celery_worker, report)
    print(f"first report in a fresh worker: {time.monotonic() - began:.2f} s from request to done")

    assert report.attempts == 1
    assert report.started_at <= report.finished_at
    assert files_in(celery_worker.media_root) == [celery_worker.media_root / report.file.name]
    text = pdf_text(assert_report_file(report, celery_worker.media_root))
    assert "Verdict: Ineligible" in text
    assert screening.candidate.screening_number in text
    outcomes = list(screening.outcomes.all())
    assert len(outcomes) > 30
    for outcome in outcomes:
        assert re.search(rf"\b{outcome.code}\b", text), f"{outcome.code} is not in the PDF"
    anc = next(outcome for outcome in outcomes if outcome.code == "IN16")
    assert anc.status == "not_met"
    # Lines break at spaces and after slashes ("U/ L"): compare without whitespace.
    squeezed = re.sub(r"\s", "", text)
    assert re.sub(r"\s", "", anc.reason) in squeezed
    missing = [o.code for o in outcomes if re.sub(r"\s", "", o.reason) not in squeezed]
    assert not missing, f"reasons missing from the PDF for {missing}"
    assert_shows_signature(text, signature)


def test_the_view_queues_a_report_that_the_worker_makes(celery_worker, evaluated_screening, client_for, coordinator):
    screening = evaluated_screening()
    response = client_for(coordinator).post(reverse("screening:report_create", args=[screening.pk]))
    assert response.status_code == 302
    report = Report.objects.get(screening=screening)
    assert report.requested_by == coordinator
    wait_until_finished(celery_worker, report)
    text = pdf_text(assert_report_file(report, celery_worker.media_root))
    assert "Verdict: Eligible" in text
    assert "Not signed." in text


def test_a_report_requested_in_a_rolled_back_transaction_is_never_sent(celery_worker, evaluated_screening, coordinator):
    screening = evaluated_screening()

    class Abandoned(Exception):
        pass

    def request_then_fail():
        with transaction.atomic():
            request_report(screening, coordinator)
            raise Abandoned

    with pytest.raises(Abandoned):
        request_then_fail()

    assert not Report.objects.exists()
    assert celery_worker.sent == []
    assert celery_worker.queue_length() == 0
    # The worker is listening: a committed request after it is received and made, and it is the only one received.
    report = request_report(screening, coordinator)
    wait_until_finished(celery_worker, report)
    assert celery_worker.received() == 1
    assert [args for args, _ in celery_worker.sent] == [(report.pk,)]


def test_a_worker_killed_mid_task_leaves_a_report_that_is_still_made_once(
    celery_worker, evaluated_screening, coordinator, investigator
):
    screening = evaluated_screening()
    signature = sign(screening, investigator)
    first = celery_worker.current
    report = request_report(screening, coordinator)
    # The first task of a fresh worker compiles the criteria and loads WeasyPrint's fonts: a second or more running.
    celery_worker.wait_for("the report to be running", lambda: status_of(report) == "running", interval=0.005)
    first.kill()
    killed_at = time.monotonic()
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING, "the report finished before the worker could be killed"
    assert report.attempts == 1
    assert files_in(celery_worker.media_root) == []

    second = celery_worker.start()
    wait_until_finished(celery_worker, report, timeout=REDELIVERY_TIMEOUT)
    redone_after = time.monotonic() - killed_at
    print(f"killed worker's task redone and done {redone_after:.1f} s after the SIGKILL")

    assert report.attempts >= 2
    task_id = celery_worker.sent[0][1]
    assert f"[{task_id}] received" in first.output()
    # The worker logs the success once the task has returned: a moment after the report's row says done.
    celery_worker.wait_for("the worker to log the task's success", lambda: f"[{task_id}] succeeded" in second.output())
    assert second.output().count(f"[{task_id}] succeeded") == 1, second.output()
    assert files_in(celery_worker.media_root) == [celery_worker.media_root / report.file.name]
    assert Report.objects.filter(screening=screening).count() == 1
    assert_shows_signature(pdf_text(assert_report_file(report, celery_worker.media_root)), signature)
    # Once is once: nothing more comes back after another visibility timeout.
    attempts = report.attempts
    time.sleep(worker.VISIBILITY_TIMEOUT + 1)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (Report.Status.DONE, attempts)
    assert second.output().count(f"[{task_id}] received") == 1
    # "Goes back to the queue after the visibility timeout" (config/settings/base.py), give or take a few seconds.
    assert redone_after < worker.VISIBILITY_TIMEOUT + REDELIVERY_SLACK, (
        f"redelivered {redone_after:.0f} s after the kill, with a visibility timeout of {worker.VISIBILITY_TIMEOUT} s: "
        "kombu's Redis transport looks for unacknowledged messages every unacked_restore_interval (10 s) x "
        "unacked_restore_throttle (10) seconds unless CELERY_BROKER_TRANSPORT_OPTIONS sets them"
    )


def test_the_sweeper_sends_reports_left_running_or_never_sent_and_the_worker_makes_them(
    celery_worker, evaluated_screening, coordinator
):
    screening = evaluated_screening()
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_RUNNING_TIMEOUT_SECONDS + 60)
    # As a worker that died and a broker that was away leave them: no message in any queue.
    running = Report.objects.create(
        screening=screening, requested_by=coordinator, status="running", attempts=1, claim="dead", sent_at=long_ago
    )
    queued = Report.objects.create(screening=screening, requested_by=coordinator)
    fresh = Report.objects.create(
        screening=screening, requested_by=coordinator, status="running", attempts=1, claim="alive", sent_at=long_ago
    )
    Report.objects.filter(pk__in=[running.pk, queued.pk]).update(created_at=long_ago, started_at=long_ago)
    Report.objects.filter(pk=fresh.pk).update(started_at=timezone.now())
    assert celery_worker.queue_length() == 0

    out = io.StringIO()
    call_command("sweep_reports", stdout=out)
    assert out.getvalue().strip() == "Sent 2 reports; removed 0 orphaned files."
    assert sorted(args for args, _ in celery_worker.sent) == sorted([(running.pk,), (queued.pk,)])
    for report in (running, queued):
        wait_until_finished(celery_worker, report)
        assert_report_file(report, celery_worker.media_root)
    assert running.attempts == 2
    assert queued.attempts == 1
    # A report running for less than the limit is left to its worker.
    fresh.refresh_from_db()
    assert (fresh.status, fresh.claim) == (Report.Status.RUNNING, "alive")


def test_a_second_report_of_the_same_content_reuses_the_file(celery_worker, evaluated_screening, coordinator):
    screening = evaluated_screening()
    first = wait_until_finished(celery_worker, request_report(screening, coordinator))
    second = wait_until_finished(celery_worker, request_report(screening, coordinator))
    assert (second.file.name, second.sha256, second.content_hash) == (first.file.name, first.sha256, first.content_hash)
    assert files_in(celery_worker.media_root) == [celery_worker.media_root / first.file.name]

    # And report_generate run again on a finished report changes nothing.
    again = reports.report_generate(report_id=second.pk)
    assert (again.file.name, again.sha256, again.attempts) == (second.file.name, second.sha256, second.attempts)
    assert files_in(celery_worker.media_root) == [celery_worker.media_root / first.file.name]


def test_a_report_made_after_sign_off_shows_the_signature_even_when_one_was_made_before(
    celery_worker, evaluated_screening, coordinator, investigator
):
    screening = evaluated_screening()
    before = wait_until_finished(celery_worker, request_report(screening, coordinator))
    assert "Not signed." in pdf_text(assert_report_file(before, celery_worker.media_root))

    signature = sign(screening, investigator)
    after = wait_until_finished(celery_worker, request_report(screening, investigator))
    assert_shows_signature(pdf_text(assert_report_file(after, celery_worker.media_root)), signature)
