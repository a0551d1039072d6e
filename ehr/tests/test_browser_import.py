"""In a real browser: a coordinator uploads a real Synthea bundle on the entry form, reads where each prefilled value
came from beside its field, corrects one value, confirms each section the import filled, and evaluates. The browser
(Debian's Chromium) and its `page` fixture come from screening/tests/test_browser.py."""

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from screening.models import Screening
from screening.tests import test_browser

pytestmark = test_browser.pytestmark
page = test_browser.page
watched_page = test_browser.watched_page

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "synthea_tom_goodwin.json"


def test_coordinator_imports_a_bundle_reviews_fixes_confirms_and_evaluates(
    watched_page, coordinator, active_version, screening_for
):
    page = watched_page
    test_browser.log_in(page, coordinator)
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
