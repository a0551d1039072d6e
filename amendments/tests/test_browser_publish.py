"""In a real browser, with a real Celery worker: an administrator amends the criteria, lowers the platelet limit in the
rule editor, reads the diff, runs the impact preview (progress, then the counts), signs and publishes; an open
screening on the retired version then shows the banner and moves. Debian's Chromium, as in
screening/tests/test_browser.py; the worker comes from screening/tests/celery_worker.py."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.tests import celery_worker as worker
from screening.tests import test_browser
from trials.models import CriteriaVersion
from trials.tests.test_browser_rule_editor import admin_page

page = test_browser.page
celery_worker = worker.celery_worker
pytestmark = pytest.mark.skipif(
    not Path(test_browser.CHROMIUM).exists(), reason=f"{test_browser.CHROMIUM} is missing: run `make test`"
)
__all__ = ["admin_page"]


def test_administrator_changes_a_threshold_sees_the_diff_and_impact_signs_and_publishes(
    celery_worker, admin_page, evaluate_entered, active_version, administrator, coordinator
):
    low = evaluate_entered({"platelets": ("80", "10^3/uL", "")}, initials="LP")
    evaluate_entered(initials="OK")
    assert low.verdict == "ineligible"
    page = admin_page

    page.goto("/admin/trials/criteriaversion/")
    page.locator(f"input[name='_selected_action'][value='{active_version.pk}']").check()
    page.locator("select[name='action']").select_option("create_amendment")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Amendment 1 created as a draft")
    draft = CriteriaVersion.objects.get(label="Amendment 1")

    page.goto(f"/admin/trials/criterion/{draft.criteria.get(code='IN17').pk}/change/")
    page.locator("input[name='rule-value']").fill("75,000")
    page.locator("input[name='summary']").fill("Platelets at least 75,000/mm3")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.get_by_text("The summary agrees with the rule.")).to_be_visible()

    page.goto(f"/admin/trials/criteriaversion/{draft.pk}/change/")
    page.get_by_role("link", name="Review the changes, preview their impact, and publish").click()
    change = page.locator("#change-IN17")
    expect(change).to_contain_text("Platelets ≥ 100,000/mm3")
    expect(change).to_contain_text("Platelets ≥ 75,000/mm3")
    expect(page.locator("#problems")).to_contain_text("every summary agrees with its rule")
    expect(page.get_by_role("button", name="Sign and publish")).to_have_count(0)

    page.get_by_role("button", name="Run the impact preview").click()
    expect(page.locator("#impact-criteria")).to_contain_text(
        "IN17 would be met for 1 screening where it is not met now (1 of them fail only on it); 1 verdict change.",
        timeout=60_000,
    )
    expect(page.locator("#impact-summary")).to_contain_text("2 evaluated screenings re-evaluated")
    page.reload()  # the form to publish appears once the preview of the draft as it is now is done

    today = timezone.localdate().isoformat()
    page.locator("#id_irb_approved_on").fill(today)
    page.locator("#id_effective_date").fill(today)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign and publish").click()
    expect(page.locator(".messagelist")).to_contain_text("Amendment 1 is published and in effect")
    expect(page.locator(".readonly").filter(has_text="Approved for use (signature verified)")).to_have_count(1)
    draft.refresh_from_db()
    assert (draft.status, draft.published_by, draft.impact_preview.status) == ("active", administrator, "done")

    # The coordinator who entered the screening moves it (an administrator sees the banner without the button).
    page.goto(f"/screenings/{low.pk}/")
    expect(page.locator("#retired-version")).to_contain_text("Amendment 1 is in effect since")
    expect(page.get_by_role("button", name="Move to Amendment 1 and evaluate again")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(coordinator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/screenings/{low.pk}/")
    page.get_by_role("button", name="Move to Amendment 1 and evaluate again").click()
    expect(page.locator("[role=alert].alert-success")).to_contain_text("is now on Amendment 1 and evaluated again")
    expect(page.locator("#retired-version")).to_have_count(0)
    low.refresh_from_db()
    assert low.verdict == "eligible"
