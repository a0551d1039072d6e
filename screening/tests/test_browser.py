"""In a real browser: a coordinator screens a candidate, reads why they are ineligible, corrects the chart, and
re-evaluates. Playwright drives Debian's Chromium (/usr/bin/chromium, which `make test` installs when it is
missing); no browser is ever downloaded."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from conftest import PASSWORD
from screening.tests.forms_data import ELIGIBLE_ANSWERS, ELIGIBLE_LABS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: run `make test`")

# On a busy 2-core CI machine a save that redraws the whole form can take longer than Playwright's 5 s: assertions
# wait as long as actions do.
BROWSER_TIMEOUT_MS = 10_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


@pytest.fixture
def page(monkeypatch, live_server):
    """A fresh Chromium page; fails the test if the page raises a JavaScript error."""
    # Playwright's sync API runs an event loop in this thread, so Django would refuse the ORM calls that
    # fixtures and assertions make here. The live server answers the browser from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    errors = []
    with sync_playwright() as playwright:
        # Inside Playwright's event loop Django keeps connections of their own: one left from an earlier browser test
        # may have died since (the fault tests restart PostgreSQL), so this test starts with fresh ones.
        connections.close_all()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(BROWSER_TIMEOUT_MS)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(error))
            yield page
        finally:
            browser.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def watched_page(page, django_db_serialized_rollback):
    """The browser page, failing the test on any console error (CSP violations among them)."""
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    yield page
    assert not console_errors, f"Errors in the browser console: {console_errors}"


@pytest.fixture
def coordinator_page(page, coordinator, active_version, django_db_serialized_rollback):
    """The browser, logged in as the coordinator, with the shipped trial and criteria loaded.

    The live server needs a transactional database, which is emptied after each such test; the serialized
    rollback first puts back what migrations created (the role groups and their permissions)."""
    log_in(page, coordinator)
    return page


def register_candidate(page, today):
    page.goto("/screenings/new/")
    page.locator("#id_initials").fill("JMS")
    page.locator("#id_birth_date").fill("1971-03-15")
    page.locator("#id_sex").select_option(label="Female")
    page.locator("#id_cohort").select_option(label="Phase I")
    expect(page.locator("#id_screening_date")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Register and start screening").click()
    page.wait_for_url(re.compile(r"/screenings/\d+/edit/$"))
    expect(page.locator(".alert-success")).to_contain_text("registered")


def fill_chart(page, today, *, anc):
    """Everything an eligible candidate's chart says, except the ANC given, and no medications yet."""
    page.locator("#id_weight_kg").fill("68")
    page.locator("#id_ecog").fill("1")
    page.locator("#id_peripheral_neuropathy").fill("0")
    for field in (
        "major_surgery",
        "radiotherapy",
        "traumatic_injury",
        "tumor_sample",
        "brain_metastases_treatment",
        "prior_therapy",
    ):
        page.locator(f"#id_{field}").select_option(label="None")
    for code, value in ELIGIBLE_ANSWERS.items():
        page.locator(f"select[name='answer-{code}']").select_option(value)

    collected = (today - timedelta(days=2)).isoformat()
    for code, (value, unit, uln) in {**ELIGIBLE_LABS, "anc": anc}.items():
        page.locator(f"input[name='lab-{code}-value']").fill(value)
        page.locator(f"input[name='lab-{code}-unit']").fill(unit)
        if uln:
            page.locator(f"input[name='lab-{code}-uln']").fill(uln)
        page.locator(f"input[name='lab-{code}-collected_on']").fill(collected)

    readings = [(1, "128", "80"), (4, "132", "84")]
    for index, (days_ago, systolic, diastolic) in enumerate(readings):
        if index:
            page.locator("[data-add-row=bp]").click()
        page.locator(f"input[name='bp-{index}-taken_on']").fill((today - timedelta(days=days_ago)).isoformat())
        page.locator(f"input[name='bp-{index}-systolic']").fill(systolic)
        page.locator(f"input[name='bp-{index}-diastolic']").fill(diastolic)

    page.locator("input[name='lesion-0-site']").fill("liver")
    page.locator("input[name='lesion-0-size_mm']").fill("24")
    page.locator("select[name='lesion-0-method']").select_option("conventional")


def add_medication(page, index, name, dose):
    """Types a medication as the chart writes it; returns the badge that shows what it matched."""
    if index:
        page.locator("[data-add-row=medication]").click()
    name_box = page.locator(f"input[name='medication-{index}-name']")
    name_box.press_sequentially(name)
    page.locator(f"input[name='medication-{index}-dose']").fill(dose)
    return page.locator(f"#medication-rows tr:nth-child({index + 1}) .drug-match")


def save_and_evaluate(page):
    """Submits the form and waits for the result page; fails with the form's errors if nothing was saved."""
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Save and evaluate").first.click()
    if posted.value.status != 302:
        page.wait_for_load_state()
        errors = page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
        pytest.fail(f"The form was not saved ({posted.value.status}): {errors}")
    page.wait_for_url(re.compile(r"/screenings/\d+/$"))


def criterion(page, code):
    """The status badge and the reason of one criterion in the result's checklist."""
    row = page.locator(f"#criterion-{code}")
    return row.locator("td").nth(2), row.locator("td").nth(3)


def test_coordinator_corrects_an_ineligible_screening_until_it_is_eligible(coordinator_page):
    page = coordinator_page
    today = timezone.localdate()
    register_candidate(page, today)

    fill_chart(page, today, anc=("0.9", "10^3/uL", ""))
    page.locator("#id_medications_taken").select_option(label="Yes")
    lisinopril = add_medication(page, 0, "Lisinopril", "10 mg daily")
    dilantin = add_medication(page, 1, "Dilantin", "100 mg three times daily")
    # As the coordinator types, the line shows the drug it matched (htmx), brand name or not.
    expect(dilantin).to_contain_text("phenytoin")
    expect(lisinopril).to_contain_text("lisinopril")
    save_and_evaluate(page)

    verdict = page.locator(".verdict strong")
    expect(verdict).to_have_text("Ineligible")
    status, reason = criterion(page, "IN16")
    expect(status).to_have_text("Not met")
    expect(reason).to_contain_text("ANC 0.9 10^3/uL (900/mm3) is below the minimum of 1,500/mm3")
    status, reason = criterion(page, "EX11")
    expect(status).to_have_text("Not met")
    expect(reason).to_contain_text("Dilantin")
    expect(reason).to_contain_text("phenytoin")
    # Those two, and nothing else, stand in the way.
    expect(page.locator("tr.status-not_met")).to_have_count(2)
    expect(page.locator("tr.status-unknown")).to_have_count(0)

    page.get_by_role("link", name="Edit entries").click()
    page.wait_for_url(re.compile(r"/screenings/\d+/edit/$"))
    # The form comes back as it was saved, the match shown again beside each medication.
    anc_value = page.locator("input[name='lab-anc-value']")
    expect(anc_value).to_have_value(re.compile(r"^0\.90*$"))
    expect(page.locator("input[name='medication-1-name']")).to_have_value("Dilantin")
    expect(page.locator("#medication-rows tr:nth-child(2) .drug-match")).to_contain_text("phenytoin")

    anc_value.fill("3.1")
    page.locator("input[name='medication-1-DELETE']").check()
    save_and_evaluate(page)

    expect(verdict).to_have_text("Eligible")
    status, reason = criterion(page, "IN16")
    expect(status).to_have_text("Met")
    expect(reason).to_contain_text("3,100/mm3")
    status, reason = criterion(page, "EX11")
    expect(status).to_have_text("Met")
    expect(reason).not_to_contain_text("Dilantin")
    expect(page.locator("tr.status-not_met")).to_have_count(0)
    expect(page.locator("tr.status-unknown")).to_have_count(0)
