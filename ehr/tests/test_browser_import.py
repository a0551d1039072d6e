"""In a real browser: a coordinator uploads a real Synthea bundle on the entry form, reads where each prefilled value
came from beside its field, corrects one value, confirms each section the import filled, and evaluates. The browser
(Debian's Chromium) and its `page` fixture come from screening/tests/test_browser.py."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.models import Screening
from screening.tests import test_browser

pytestmark = test_browser.pytestmark
page = test_browser.page

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "synthea_tom_goodwin.json"


@pytest.fixture
def coordinator_page(page, coordinator, active_version, django_db_serialized_rollback):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(coordinator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    assert not console_errors, f"Errors in the browser console: {console_errors}"


def test_coordinator_imports_a_bundle_reviews_fixes_confirms_and_evaluates(coordinator_page, screening_for):
    page = coordinator_page
    screening = screening_for(initials="TG", birth_date=date(1968, 4, 30), sex="male", screening_date=date(2020, 6, 9))
    page.goto(f"/screenings/{screening.pk}/edit/")
    page.locator("#ehr-import-form input[type=file]").set_input_files(BUNDLE)
    page.get_by_role("button", name="Import and prefill").click()
    expect(page.locator(".alert-success")).to_contain_text("prefilled")

    # Each prefilled value shows its source beside the field.
    expect(page.locator("#lab-platelets .ehr-note")).to_contain_text("Observation")
    expect(page.locator("#lab-platelets input").first).to_have_value(re.compile(r"^295\.306"))
    expect(page.locator("#field-weight_kg .ehr-note")).to_contain_text("From the EHR")

    # The coordinator corrects the weight (the clinic scale said otherwise) and tries to evaluate: saved, not evaluated.
    page.locator("#id_weight_kg").fill("84.5")
    page.get_by_role("button", name="Save and evaluate").first.click()
    expect(page.locator(".alert-danger, .alert-error").first).to_contain_text("confirm the values prefilled")
    assert str(Screening.objects.get(pk=screening.pk).weight_kg) == "84.5"

    # Confirm every section the import filled, then evaluate.
    confirm = page.get_by_role("button", name=re.compile(r"^I checked these: confirm"))
    while confirm.count():
        confirm.first.click()
        expect(page.locator(".alert-success")).to_contain_text("confirmed")
    page.get_by_role("button", name="Save and evaluate").first.click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/(#ehr-[a-z_]+)?$"))
    expect(page.locator(".verdict")).to_be_visible()
    assert Screening.objects.get(pk=screening.pk).status == "evaluated"
