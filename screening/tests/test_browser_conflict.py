"""In a real browser: two coordinators have one screening open; the first saves a medication; the second's save is
refused, shows what the first changed, keeps what the second typed, and goes through on the second try.

The browser (Debian's Chromium), its `page` fixture and the login come from test_browser.py."""

from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from screening.models import Medication
from screening.tests import test_browser
from trials import roles

pytestmark = test_browser.pytestmark
page = test_browser.page
coordinator_page = test_browser.coordinator_page


def test_a_second_coordinators_stale_save_is_refused_and_nothing_is_lost(
    coordinator_page, live_server, django_user_model, screening_for
):
    mine = coordinator_page
    other = make_user(django_user_model, "second-coordinator", roles.COORDINATOR)
    context = mine.context.browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(test_browser.BROWSER_TIMEOUT_MS)
    theirs = context.new_page()
    theirs.goto("/accounts/login/")
    theirs.locator("#id_username").fill(other.username)
    theirs.locator("#id_password").fill(PASSWORD)
    theirs.get_by_role("button", name="Log in").click()
    screening = screening_for(screening_date=timezone.localdate())
    for page in (mine, theirs):
        page.goto(f"/screenings/{screening.pk}/edit/")
        page.locator("#id_medications_taken").select_option(label="Yes")

    theirs.locator("input[name='medication-0-name']").fill("Metformin")
    theirs.get_by_role("button", name="Save draft").first.click()
    expect(theirs.locator(".alert-success")).to_contain_text("Draft saved.")

    mine.locator("input[name='medication-0-name']").fill("Aspirin")
    mine.get_by_role("button", name="Save draft").first.click()
    stale = mine.locator("#stale-edit")
    expect(stale).to_contain_text("Nothing was saved: someone else saved this screening after you opened it.")
    expect(stale).to_contain_text("Second-Coordinator Tester")
    expect(stale).to_contain_text("Metformin")
    expect(mine.locator("input[name='medication-0-name']")).to_have_value("Aspirin")  # what I typed, kept
    assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Metformin"]

    mine.get_by_role("button", name="Save draft").first.click()  # having seen their change, I save mine
    expect(mine.locator(".alert-success")).to_contain_text("Draft saved.")
    assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Aspirin"]
    context.close()
