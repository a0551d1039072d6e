"""In a real browser: a result page left open while its PDF report is still queued polls the server every 2 s, and
still logs out once the user has been idle for the session's age; logging in again brings them back to the page.

The browser and its fixtures come from test_browser.py; no worker runs, so the report stays queued."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.models import Report
from screening.tests import test_browser, test_report_worker

pytestmark = test_browser.pytestmark
page = test_browser.page
coordinator_page = test_browser.coordinator_page
evaluated_screening = test_report_worker.evaluated_screening

IDLE_SECONDS = 6


@pytest.fixture
def short_sessions(settings):
    """Sessions that end after a few idle seconds, and every request by the user pushes the end back."""
    settings.SESSION_COOKIE_AGE = IDLE_SECONDS
    settings.SESSION_REFRESH_EVERY_SECONDS = 0


def test_an_open_tab_that_polls_still_logs_out_when_idle(
    short_sessions, coordinator_page, coordinator, evaluated_screening
):
    page = coordinator_page
    screening = evaluated_screening()
    report = Report.objects.create(screening=screening, requested_by=coordinator, status=Report.Status.QUEUED)
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/status/" in request.url else None)

    page.goto(f"/screenings/{screening.pk}/")
    expect(page.locator(f"#report-{report.pk}")).to_contain_text("Queued")

    # Polls go on every 2 s; none of them counts as the user's activity.
    page.wait_for_url(re.compile(r"/accounts/login/\?next="), timeout=(IDLE_SECONDS + 10) * 1000)
    assert len(polls) >= 2, polls
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    page.locator("#id_username").fill(coordinator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/$"))
    expect(page.locator(f"#report-{report.pk}")).to_contain_text("Queued")
