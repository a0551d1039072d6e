"""In a real browser: a coordinator types an enzyme-inducing antiepileptic misspelt, is offered the drug it probably
is, accepts it with one click, and the candidate comes out ineligible. Nothing is matched until the click.

The browser (Debian's Chromium), its `page` fixture and the form helpers come from test_browser.py."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from screening.tests import test_browser

pytestmark = test_browser.pytestmark
page = test_browser.page
coordinator_page = test_browser.coordinator_page


def test_a_misspelt_antiepileptic_is_suggested_accepted_and_counted(coordinator_page):
    page = coordinator_page
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    today = timezone.localdate()
    test_browser.register_candidate(page, today)
    test_browser.fill_chart(page, today, anc=("3.1", "10^3/uL", ""))
    page.locator("#id_medications_taken").select_option(label="Yes")
    test_browser.add_medication(page, 0, "Lisinopril", "10 mg daily")
    match = test_browser.add_medication(page, 1, "Phenytion", "100 mg three times daily")

    # Not recognised, and not silently matched: a suggestion and a button to accept it.
    expect(match).to_contain_text("Not recognised: will need review")
    expect(match).to_contain_text("Did you mean phenytoin (Dilantin)?")
    name = page.locator("input[name='medication-1-name']")
    expect(name).to_have_value("Phenytion")

    match.get_by_role("button", name="Use phenytoin").click()
    expect(name).to_have_value("phenytoin")
    expect(match).to_contain_text("Enzyme-inducing antiepileptic drugs")
    expect(match).not_to_contain_text("Not recognised")
    test_browser.save_and_evaluate(page)

    expect(page.locator(".verdict strong")).to_have_text("Ineligible")
    status, reason = test_browser.criterion(page, "EX11")
    expect(status).to_have_text("Not met")
    expect(reason).to_contain_text(re.compile(r"Takes 'phenytoin 100 mg three times daily' \(phenytoin: "))
    expect(page.locator("tr.status-not_met")).to_have_count(1)
    assert not console_errors, f"Errors in the browser console: {console_errors}"
