"""In a real browser, a query's round trip: the investigator asks about the weight from the sign page; the coordinator
finds it in their worklist, sees it at the weight field, corrects the weight and answers; the investigator finds the
answer in their worklist and signs. The browser (Debian's Chromium) and its `page` fixture come from test_browser.py."""

import re

from playwright.sync_api import expect

from conftest import PASSWORD
from review.models import Query
from screening.models import Screening, Signature
from screening.tests import test_browser

pytestmark = test_browser.pytestmark
page = test_browser.page
watched_page = test_browser.watched_page
log_in = test_browser.log_in


def test_investigator_asks_coordinator_answers_at_the_field_investigator_signs(
    watched_page, evaluated, investigator, coordinator
):
    page = watched_page
    screening = evaluated()

    # The investigator returns the screening with a question on the weight.
    log_in(page, investigator)
    expect(page.locator("#awaiting-signoff")).to_contain_text(screening.number)
    page.locator("#awaiting-signoff").get_by_role("link", name=screening.number).click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/sign/$"))
    page.locator("#id_target").select_option(label="Weight (kg)")
    page.locator("#id_text").fill("70 kg on the form, 77 kg in the clinic note: which is right?")
    page.get_by_role("button", name="Send the query").click()
    expect(page.locator("#sign-refused")).to_contain_text("waits for the coordinator")
    expect(page.get_by_role("button", name="Sign")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    # The coordinator finds it in the worklist, sees it at the field, corrects the weight and answers.
    log_in(page, coordinator)
    page.locator("#queries-to-answer").get_by_role("link", name=screening.number).click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/edit/#query-\d+$"))
    callout = page.locator("#field-weight_kg .query-callout")
    expect(callout).to_contain_text("which is right?")
    page.locator("#id_weight_kg").fill("77")
    page.get_by_role("button", name="Save and evaluate").first.click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/(#query-\d+)?$"))
    answer = page.locator(".query-answer-form textarea")
    answer.fill("The clinic note is right: 77 kg, corrected.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".query .query-status")).to_have_text("Answered")
    page.get_by_role("button", name="Log out").click()

    # The answer is back with the investigator, who signs.
    log_in(page, investigator)
    expect(page.locator("#answered-queries")).to_contain_text("Weight (kg)")
    page.locator("#answered-queries").get_by_role("link", name=screening.number).click()
    expect(page.locator("#queries")).to_contain_text("The clinic note is right: 77 kg, corrected.")
    page.get_by_label("I confirm the candidate is eligible", exact=True).check()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign").click()
    page.wait_for_url(re.compile(rf"/screenings/{screening.pk}/(#query-\d+)?$"))
    expect(page.locator("#signature")).to_contain_text("Signed")
    assert Signature.objects.filter(screening=screening).exists()
    assert str(Screening.objects.get(pk=screening.pk).weight_kg) == "77.0"
    assert Query.objects.get().status == "closed"
