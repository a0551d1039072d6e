"""In a real browser, with a real Celery worker: a coordinator asks for the PDF report of an evaluated screening, the
result page polls (htmx) until the link appears, and the file downloaded is the one the database describes.

The browser (Debian's Chromium) and its `page` fixture come from test_browser.py; the worker from celery_worker.py."""

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.models import Report
from screening.tests import celery_worker as worker
from screening.tests import test_browser, test_report_worker

pytestmark = test_browser.pytestmark
page = test_browser.page
celery_worker = worker.celery_worker
evaluated_screening = test_report_worker.evaluated_screening

# The first report of a fresh worker takes a second or two, and the page asks every 2 s.
REPORT_TIMEOUT_MS = 30_000


@pytest.fixture
def coordinator_page(page, coordinator, celery_worker):
    """The browser, logged in as the coordinator; fails the test on any console error (CSP violations among them)."""
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(coordinator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    assert not console_errors, f"Errors in the browser console: {console_errors}"


def test_coordinator_generates_the_pdf_report_and_downloads_it(
    coordinator_page, celery_worker, evaluated_screening, tmp_path
):
    page = coordinator_page
    screening = evaluated_screening()
    page.goto(f"/screenings/{screening.pk}/")
    expect(page.locator(".verdict strong")).to_have_text("Eligible")
    reports = page.locator("#reports")
    expect(reports.locator(".report-row")).to_have_count(0)

    reports.get_by_role("button", name="Generate PDF").click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/#reports$"))
    expect(page.get_by_role("alert")).to_contain_text("The PDF report is queued")
    report = Report.objects.get(screening=screening)
    row = reports.locator(f"#report-{report.pk}")
    expect(row).to_be_visible()
    # The page was drawn before the worker finished (or it raced it): either way the link comes by polling.
    download_link = row.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=REPORT_TIMEOUT_MS)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    expect(row).to_contain_text(report.sha256[:17])

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == Path(report.file.name).name
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert len(celery_worker.sent) == 1


@pytest.fixture
def administrator_page(page, administrator, celery_worker):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(administrator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    assert not console_errors, f"Errors in the browser console: {console_errors}"


def test_an_administrator_sends_a_failed_report_again_and_it_is_made(
    administrator_page, celery_worker, evaluated_screening, coordinator
):
    page = administrator_page
    screening = evaluated_screening()
    failed = Report.objects.create(
        screening=screening,
        requested_by=coordinator,
        status=Report.Status.FAILED,
        attempts=6,
        error="The report could not be generated after 6 tries. The database was unavailable.",
    )
    page.get_by_role("link", name="Stuck reports").click()
    row = page.locator(f"#attention-{failed.pk}")
    expect(row).to_contain_text(screening.number)
    expect(row).to_contain_text("The database was unavailable.")
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Report {failed.pk} of {screening.number} is queued again.")
    expect(page.locator(f"#attention-{failed.pk}")).to_have_count(0)

    page.goto(f"/screenings/{screening.pk}/")
    expect(page.locator(f"#report-{failed.pk}").get_by_role("link", name="Download PDF")).to_be_visible(
        timeout=REPORT_TIMEOUT_MS
    )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == (Report.Status.DONE, 1, "")
