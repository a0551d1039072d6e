"""PDF reports without a worker: the renderer, the services, the task in-process, downloads."""

import hashlib
import io
import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from config.celery import app as celery_app
from screening import reports
from screening.models import Report
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.tests.forms_data import eligible_payload, sign_as


@pytest.fixture(autouse=True)
def in_process_tasks(settings, tmp_path):
    """Tasks run in this process, files go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def signed(client_for, coordinator, investigator, screening_for):
    screening = screening_for()
    client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]),
        eligible_payload(screening, labs={"anc": ("1.2", "10^3/uL", "")}) | {"action": "evaluate"},
    )
    sign_as(investigator, screening)
    return screening_with_outcomes(pk=screening.pk)


def pdf_text(data):
    """The PDF's text with line breaks (from wrapping in table cells) as plain spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_pdf_holds_the_verdict_every_criterion_and_the_signature(signed, coordinator):
    name, content_type, data = render_report(signed, generated_by=coordinator, generated_at=timezone.now())
    text = pdf_text(data)
    assert content_type == "application/pdf"
    assert name.startswith(f"eligibility-{signed.candidate.screening_number}-")
    assert "Verdict: Ineligible" in text
    for outcome in signed.outcomes.all():
        assert outcome.code in text
    assert "is below the minimum of 1,500/mm3" in text
    assert "Investigator Tester" in text
    assert "I confirm the candidate is not eligible" in text
    assert signed.signature.content_hash[:40] in text.replace(" ", "")
    assert "Page 1 of" in text
    assert "CONFIDENTIAL" in text
    assert "Generated" in text
    assert "Coordinator Tester" in text


def test_the_pdf_shows_no_identifier_but_the_number_and_initials(signed, coordinator):
    signed.candidate.mrn = "MRN-SECRET-1"
    signed.candidate.save()
    text = pdf_text(render_report(signed, generated_by=coordinator, generated_at=timezone.now())[2])
    assert "MRN-SECRET-1" not in text
    assert str(signed.candidate.birth_date.year) not in text
    assert signed.candidate.initials in text


def test_a_report_is_sent_to_the_worker_only_after_commit(signed, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = reports.report_request(screening=signed, user=coordinator)
        assert report.status == "queued"
    assert len(callbacks) == 1


def test_generating_stores_the_file_and_its_hash(signed, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_request(screening=signed, user=coordinator)
    report.refresh_from_db()
    assert report.status == "done"
    assert report.attempts == 1
    data = report.file.read()
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert data.startswith(b"%PDF")


def test_running_twice_for_the_same_content_reuses_the_file(signed, coordinator):
    first = reports.report_generate(report_id=Report.objects.create(screening=signed, requested_by=coordinator).pk)
    again = reports.report_generate(report_id=first.pk)
    assert again.file.name == first.file.name
    second = reports.report_generate(report_id=Report.objects.create(screening=signed, requested_by=coordinator).pk)
    assert second.file.name == first.file.name
    assert second.sha256 == first.sha256


def test_a_permanent_error_marks_the_report_failed_with_a_readable_message(signed, coordinator, monkeypatch):
    monkeypatch.setattr(reports, "render_report", lambda *a, **k: (_ for _ in ()).throw(ValueError("bad template")))
    report = reports.report_generate(report_id=Report.objects.create(screening=signed, requested_by=coordinator).pk)
    assert report.status == "failed"
    assert report.error == "The report could not be generated: bad template"


def test_a_transient_error_is_retried_and_shown_as_retrying(signed, coordinator, monkeypatch, client_for):
    monkeypatch.setattr(reports, "render_report", lambda *a, **k: (_ for _ in ()).throw(OSError("disk busy")))
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    with pytest.raises(reports.TransientReportError) as raised:
        reports.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.claim) == ("retrying", 1, raised.value.claim)
    assert report.error == "The report's file could not be written."
    fragment = client_for(coordinator).get(reverse("screening:report_status", args=[report.pk])).content.decode()
    assert "Retrying (attempt 1): The report&#x27;s file could not be written." in fragment
    assert 'hx-trigger="every 2s"' in fragment  # still polled


def test_the_sweeper_sends_what_was_never_sent_lost_or_abandoned(signed, coordinator, monkeypatch, capsys):
    sent = []
    monkeypatch.setattr(reports, "report_send", lambda *, report_id: sent.append(report_id) or True)
    long_ago = timezone.now() - timedelta(hours=1)
    unsent = Report.objects.create(screening=signed, requested_by=coordinator)
    lost = Report.objects.create(screening=signed, requested_by=coordinator, sent_at=long_ago)
    abandoned = Report.objects.create(screening=signed, requested_by=coordinator, status="running", sent_at=long_ago)
    retry_lost = Report.objects.create(screening=signed, requested_by=coordinator, status="retrying", sent_at=long_ago)
    just_sent = Report.objects.create(screening=signed, requested_by=coordinator, sent_at=timezone.now())
    just_requested = Report.objects.create(screening=signed, requested_by=coordinator)
    running = Report.objects.create(
        screening=signed, requested_by=coordinator, status="running", sent_at=long_ago, started_at=timezone.now()
    )
    retry_due_later = Report.objects.create(
        screening=signed, requested_by=coordinator, status="retrying", sent_at=timezone.now() + timedelta(seconds=8)
    )
    Report.objects.filter(pk__in=[unsent.pk, lost.pk]).update(created_at=long_ago)
    Report.objects.filter(pk=abandoned.pk).update(started_at=long_ago)
    call_command("sweep_reports")
    assert sorted(sent) == sorted([unsent.pk, lost.pk, abandoned.pk, retry_lost.pk])
    assert "Sent 4 reports; removed 0 orphaned files." in capsys.readouterr().out
    for untouched in (just_sent, just_requested, running, retry_due_later):
        assert untouched.pk not in sent


def test_generate_pdf_from_the_result_page_and_download_it(
    client_for, coordinator, signed, django_capture_on_commit_callbacks
):
    client = client_for(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:report_create", args=[signed.pk]))
    assert response.status_code == 302
    report = Report.objects.get()
    page = client.get(reverse("screening:detail", args=[signed.pk])).content.decode()
    assert reverse("screening:report_download", args=[report.pk]) in page
    download = client.get(reverse("screening:report_download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_pending_report_polls_until_ready(client_for, coordinator, signed):
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    fragment = client_for(coordinator).get(reverse("screening:report_status", args=[report.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    reports.report_generate(report_id=report.pk)
    fragment = client_for(coordinator).get(reverse("screening:report_status", args=[report.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert "Download PDF" in fragment


def test_an_unfinished_report_cannot_be_downloaded(client_for, coordinator, signed):
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    assert client_for(coordinator).get(reverse("screening:report_download", args=[report.pk])).status_code == 404


def test_a_second_delivery_finds_the_report_claimed_and_changes_nothing(signed, coordinator, monkeypatch):
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    renders = []
    real_render = reports.render_report

    def render_while_a_second_delivery_arrives(*args, **kwargs):
        renders.append(1)
        if len(renders) == 1:
            duplicate = reports.report_generate(report_id=report.pk)  # the same message, delivered again
            assert (duplicate.status, duplicate.attempts) == ("running", 1)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(reports, "render_report", render_while_a_second_delivery_arrives)
    done = reports.report_generate(report_id=report.pk)
    assert (done.status, done.attempts, len(renders)) == ("done", 1, 1)
    assert reports.report_generate(report_id=report.pk).attempts == 1  # and once done, nothing more


def test_a_run_that_lost_its_claim_removes_its_file(signed, coordinator, monkeypatch, settings, tmp_path):
    """A run slower than REPORT_RUNNING_TIMEOUT_SECONDS is taken over; when it ends, its file goes and the report
    keeps the file of the run that holds it."""
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    real_render = reports.render_report
    slow = []

    def slow_render(*args, **kwargs):
        result = real_render(*args, **kwargs)
        if not slow:
            slow.append(1)
            long_ago = timezone.now() - timedelta(seconds=settings.REPORT_RUNNING_TIMEOUT_SECONDS + 1)
            Report.objects.filter(pk=report.pk).update(started_at=long_ago)
            taken_over = reports.report_generate(report_id=report.pk)
            assert (taken_over.status, taken_over.attempts) == ("done", 2)
        return result

    monkeypatch.setattr(reports, "render_report", slow_render)
    reports.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "done"
    files = sorted(path for path in tmp_path.rglob("*.pdf"))
    assert files == [tmp_path / report.file.name]


def test_a_retry_records_the_file_its_first_try_wrote(signed, coordinator, monkeypatch, tmp_path):
    """The database failed after the PDF was written: the retry of the same run records that file, renders nothing
    and leaves no second file."""
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    real_update = type(Report.objects.all()).update
    failed = []

    def update_that_fails_once_when_finishing(queryset, **fields):
        if fields.get("status") == Report.Status.DONE and not failed:
            failed.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **fields)

    monkeypatch.setattr(type(Report.objects.all()), "update", update_that_fails_once_when_finishing)
    with pytest.raises(reports.TransientReportError) as raised:
        reports.report_generate(report_id=report.pk)
    assert raised.value.written["name"]
    report.refresh_from_db()
    assert (report.status, report.error) == ("retrying", "The database was unavailable.")

    monkeypatch.setattr(reports, "render_report", lambda *a, **k: pytest.fail("rendered again"))
    done = reports.report_generate(report_id=report.pk, claim=raised.value.claim, written=raised.value.written)
    assert (done.status, done.file.name, done.attempts) == ("done", raised.value.written["name"], 2)
    assert sorted(tmp_path.rglob("*.pdf")) == [tmp_path / done.file.name]


def test_too_many_transient_failures_end_as_failed_with_a_plain_reason(signed, coordinator, monkeypatch):
    monkeypatch.setattr(reports, "render_report", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    claim = ""
    for _ in range(reports.MAX_ATTEMPTS):
        with pytest.raises(reports.TransientReportError) as raised:
            reports.report_generate(report_id=report.pk, claim=claim)
        claim = raised.value.claim
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("failed", reports.MAX_ATTEMPTS)
    assert report.error == (
        f"The report could not be generated after {reports.MAX_ATTEMPTS} tries. The report's file could not be written."
    )


def test_the_sweeper_removes_files_no_report_refers_to(signed, coordinator, tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "report_send", lambda *, report_id: True)
    done = reports.report_generate(report_id=Report.objects.create(screening=signed, requested_by=coordinator).pk)
    folder = (tmp_path / done.file.name).parent
    orphan, young, referenced = folder / "orphan.pdf", folder / "being-written.pdf", tmp_path / done.file.name
    orphan.write_bytes(b"%PDF-1.7 orphan")
    young.write_bytes(b"%PDF-1.7 young")
    two_minutes_ago = time.time() - 120
    for path in (orphan, referenced):
        os.utime(path, (two_minutes_ago, two_minutes_ago))
    sweep = reports.reports_sweep()
    assert sweep.orphans_removed == 1
    assert not orphan.exists()
    assert young.exists()  # maybe a run's, about to be recorded
    assert referenced.exists()


# --- Reports needing attention (administrators) ------------------------------------------------------------------


@pytest.fixture
def troubled(signed, coordinator, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_STUCK_AFTER_SECONDS + 60)
    failed = Report.objects.create(
        screening=signed, requested_by=coordinator, status="failed", error="The report could not be generated: boom"
    )
    stuck = Report.objects.create(screening=signed, requested_by=coordinator, status="retrying", attempts=3)
    waiting = Report.objects.create(screening=signed, requested_by=coordinator)
    done = Report.objects.create(screening=signed, requested_by=coordinator, status="done")
    Report.objects.filter(pk__in=[stuck.pk, done.pk]).update(updated_at=long_ago)
    return {"failed": failed, "stuck": stuck, "waiting": waiting, "done": done}


def test_administrators_see_failed_and_stuck_reports_with_the_reason(client_for, administrator, troubled, signed):
    page = client_for(administrator).get(reverse("screening:reports_attention")).content.decode()
    assert f'id="attention-{troubled["failed"].pk}"' in page
    assert "The report could not be generated: boom" in page
    assert f'id="attention-{troubled["stuck"].pk}"' in page
    assert f'id="attention-{troubled["waiting"].pk}"' not in page  # asked for just now: the sweeper has it
    assert f'id="attention-{troubled["done"].pk}"' not in page
    assert signed.number in page
    assert reverse("screening:reports_attention") in client_for(administrator).get(reverse("home")).content.decode()


def test_retry_queues_the_report_again_and_sends_it(
    client_for, administrator, troubled, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(reports, "report_send", lambda *, report_id: sent.append(report_id) or True)
    client = client_for(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:report_retry", args=[troubled["failed"].pk]))
    assert response.status_code == 302
    report = Report.objects.get(pk=troubled["failed"].pk)
    assert (report.status, report.error, report.attempts, report.claim) == ("queued", "", 0, "")
    assert sent == [report.pk]
    assert "is queued again" in client.get(response.url).content.decode()


def test_a_done_report_is_not_retried(client_for, administrator, troubled, monkeypatch):
    monkeypatch.setattr(reports, "report_send", lambda *, report_id: pytest.fail("sent"))
    client_for(administrator).post(reverse("screening:report_retry", args=[troubled["done"].pk]))
    assert Report.objects.get(pk=troubled["done"].pk).status == "done"


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "outsider"])
def test_only_administrators_retry_reports(request, client_for, persona, troubled):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("screening:reports_attention")).status_code == 403
    assert client.post(reverse("screening:report_retry", args=[troubled["failed"].pk])).status_code == 403
    assert Report.objects.get(pk=troubled["failed"].pk).status == "failed"


def test_asking_for_a_report_with_the_broker_away_still_queues_it(
    client_for, coordinator, signed, monkeypatch, django_capture_on_commit_callbacks
):
    from screening.tasks import generate_report

    def broker_away(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(generate_report, "apply_async", broker_away)
    client = client_for(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:report_create", args=[signed.pk]))
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.status, report.sent_at) == ("queued", None)
