"""In a real browser: an administrator edits a draft criterion's rule in the rule editor (a threshold, a rule added to
a group, a rule's type changed, the JSON view), saves, and reads the rule in words. The page must raise no JavaScript
error and the Content-Security-Policy must refuse nothing (a refusal is a console error). Debian's Chromium, as in
screening/tests/test_browser.py; no browser is ever downloaded."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.tests import test_browser
from trials.ruleset import rule_check
from trials.services import criteria_version_create_amendment

CHROMIUM = test_browser.CHROMIUM
page = test_browser.page  # the browser fixture: a fresh Chromium page that fails the test on a JavaScript error
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: run `make test`")


@pytest.fixture
def admin_page(page, administrator, active_version, django_db_serialized_rollback):
    """The browser logged in as an administrator; fails the test on any console error (CSP refusals among them) and
    any failed request (the admin links no icon, so the browser's own /favicon.ico request is the one let go)."""
    console_errors, failed = [], []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(administrator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    failed = [url for url in failed if not url.endswith("/favicon.ico")]
    assert failed == [], f"requests that failed: {failed}"
    console_errors = [text for text in console_errors if "Failed to load resource" not in text]  # named just above
    assert console_errors == [], f"console errors (a CSP refusal shows here): {console_errors}"


@pytest.fixture
def draft(active_version):
    return criteria_version_create_amendment(source=active_version)


def open_criterion(page, criterion):
    page.goto(f"/admin/trials/criterion/{criterion.pk}/change/")
    expect(page.locator("[data-rule-editor]")).to_be_visible()


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")


def test_administrator_changes_a_threshold_adds_a_rule_to_the_group_and_reads_it_in_words(admin_page, draft):
    page = admin_page
    liver = draft.criteria.get(code="IN20")  # all of: AST <= 2.5 x ULN, ALT <= 2.5 x ULN
    open_criterion(page, liver)
    expect(page.locator("select[name='rule-type']")).to_have_value("all_of")

    page.locator("input[name='rule-rules-0-multiple']").fill("3")

    page.get_by_role("button", name="Add a rule to this group").click()
    added = page.locator("[data-rule-node][data-prefix='rule-rules-2']")
    expect(added).to_be_visible()
    added.locator("select[name='rule-rules-2-type']").select_option(label="Lab value against a limit")
    expect(page.locator("input[name='rule-rules-2-value']")).to_be_visible()  # the form of the chosen type
    page.locator("select[name='rule-rules-2-analyte']").select_option("platelets")
    expect(page.locator("select[name='rule-rules-2-unit']")).to_have_value("/mm3")  # the units of that test
    page.locator("select[name='rule-rules-2-op']").select_option(">=")
    page.locator("input[name='rule-rules-2-value']").fill("75,000")

    # The JSON view says the same (converted by the server), and switching back keeps the form as it was.
    expected = {
        "type": "all_of",
        "rules": [
            {"type": "lab_uln", "analyte": "ast", "op": "<=", "multiple": 3},
            {"type": "lab_uln", "analyte": "alt", "op": "<=", "multiple": 2.5},
            {"type": "lab_absolute", "analyte": "platelets", "op": ">=", "value": 75000, "unit": "/mm3"},
        ],
    }
    page.get_by_label("JSON (advanced)").check()
    textarea = page.locator("textarea[name='rule']")
    expect(textarea).to_be_visible()
    expect(textarea).to_have_value(json.dumps(expected, indent=2))
    page.get_by_label("the form").check()
    expect(page.locator("input[name='rule-rules-2-value']")).to_have_value("75000")

    save_and_continue(page)
    liver.refresh_from_db()
    assert liver.rule == expected
    words = rule_check(expected).describe()
    expect(page.locator(".field-rule_in_words .readonly")).to_have_text(words)
    assert "Platelets ≥ 75,000/mm3" in words
    assert "AST ≤ 3 x ULN" in words


def test_errors_show_at_their_fields_and_a_rule_can_be_wrapped_in_a_group(admin_page, draft):
    page = admin_page
    platelets = draft.criteria.get(code="IN17")
    open_criterion(page, platelets)

    # Changing a single rule to "Any of these" makes it the group's first rule, with what was typed in it.
    page.locator("input[name='rule-value']").fill("75000")
    page.locator("select[name='rule-type']").select_option("any_of")
    expect(page.locator("input[name='rule-rules-0-value']")).to_have_value("75000")
    page.get_by_role("button", name="Add a rule to this group").click()
    page.locator("select[name='rule-rules-1-type']").select_option("lab_uln")
    page.locator("select[name='rule-rules-1-analyte']").select_option("ast")
    page.locator("input[name='rule-rules-1-multiple']").fill("-1")
    page.get_by_role("button", name="Add a rule to this group").click()  # left without a type

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".errornote")).to_be_visible()
    second = page.locator("[data-rule-node][data-prefix='rule-rules-1']")
    expect(second.locator("[data-rule-row='multiple'] .errorlist")).to_have_text("Must be at least 0.")
    expect(second.locator("[data-rule-row='op'] .errorlist")).to_have_text("This field is required.")
    third = page.locator("[data-rule-node][data-prefix='rule-rules-2']")
    expect(third.locator(".errorlist").first).to_have_text("Choose a rule type.")
    platelets.refresh_from_db()
    assert platelets.rule["value"] == 100000  # nothing saved

    # Remove the untyped rule, fix the other, save.
    third.get_by_role("button", name="Remove").click()
    expect(third).to_have_count(0)
    page.locator("input[name='rule-rules-1-multiple']").fill("2.5")
    page.locator("select[name='rule-rules-1-op']").select_option("<=")
    save_and_continue(page)
    platelets.refresh_from_db()
    assert platelets.rule == {
        "type": "any_of",
        "rules": [
            {"type": "lab_absolute", "analyte": "platelets", "op": ">=", "value": 75000, "unit": "/mm3"},
            {"type": "lab_uln", "analyte": "ast", "op": "<=", "multiple": 2.5},
        ],
    }
    expect(page.locator(".field-rule_in_words .readonly")).to_contain_text("AST ≤ 2.5 x ULN")
