"""PDF reports without a worker: the renderer, the services, the task in-process, downloads."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
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


def test_a_transient_error_is_retried(signed, coordinator, monkeypatch):
    monkeypatch.setattr(reports, "render_report", lambda *a, **k: (_ for _ in ()).throw(OSError("disk busy")))
    report = Report.objects.create(screening=signed, requested_by=coordinator)
    with pytest.raises(reports.TransientReportError):
        reports.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("running", 1)


def test_stuck_reports_are_requeued(signed, coordinator, django_capture_on_commit_callbacks, capsys):
    stuck = Report.objects.create(screening=signed, requested_by=coordinator, status="running")
    fresh = Report.objects.create(screening=signed, requested_by=coordinator, status="queued")
    Report.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_stuck_reports", "--older-than", "600")
    assert "Requeued 1 stuck report." in capsys.readouterr().out
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "done"
    assert fresh.status == "queued"


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
