"""In a real browser: an investigator filters the screen-fail log by a failed criterion, opens a screening, signs it,
and downloads the de-identified CSV of what the filter shows. The screenings are entered beforehand through the
screening form, as the coordinator would post it, so the log shows the engine's real outcomes.

The browser (Debian's Chromium) and its `page` fixture come from test_browser.py."""

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from screening.models import Signature
from screening.tests import test_browser
from screening.tests.forms_data import eligible_payload

pytestmark = test_browser.pytestmark
page = test_browser.page

LOW_ANC = {"anc": ("0.9", "10^3/uL", "")}
DILANTIN = [
    {"name": "Lisinopril", "dose": "10 mg daily", "active": True},
    {"name": "Dilantin", "dose": "100 mg three times daily", "active": True},
]

# Who each candidate is; none of it may leave in a de-identified export.
CANDIDATES = {
    "anc_only": {"initials": "QJW", "birth_date": date(1958, 7, 23), "mrn": "MRN-55501"},
    "dilantin_only": {"initials": "QJX", "birth_date": date(1964, 11, 2), "mrn": "MRN-55502"},
    "anc_and_dilantin": {"initials": "QJY", "birth_date": date(1969, 1, 30), "mrn": "MRN-55503"},
    "eligible": {"initials": "QJZ", "birth_date": date(1971, 3, 15), "mrn": "MRN-55504"},
}


@pytest.fixture
def evaluated(client_for, coordinator, screening_for):
    """Four screenings entered and evaluated through the form: low ANC (IN16), Dilantin (EX11), both, neither."""
    client = client_for(coordinator)
    changes = {
        "anc_only": {"labs": LOW_ANC},
        "dilantin_only": {"medications": DILANTIN},
        "anc_and_dilantin": {"labs": LOW_ANC, "medications": DILANTIN},
        "eligible": {},
    }
    screenings = {}
    for name, change in changes.items():
        screening = screening_for(**CANDIDATES[name])
        response = client.post(
            reverse("screening:edit", args=[screening.pk]),
            eligible_payload(screening, **change) | {"action": "evaluate"},
        )
        assert response.status_code == 302, f"{name}: the form was not saved"
        screening.refresh_from_db()
        screenings[name] = screening
    failed = {
        name: set(s.outcomes.filter(status="not_met").values_list("code", flat=True)) for name, s in screenings.items()
    }
    assert failed == {
        "anc_only": {"IN16"},
        "dilantin_only": {"EX11"},
        "anc_and_dilantin": {"IN16", "EX11"},
        "eligible": set(),
    }
    return screenings


@pytest.fixture
def investigator_page(page, investigator, evaluated, django_db_serialized_rollback):
    """The browser, logged in as the investigator; fails the test on any console error (CSP violations among them).

    The live server needs a transactional database, emptied after each such test; the serialized rollback first
    puts back what migrations created (the role groups and their permissions)."""
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(investigator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    assert not console_errors, f"Errors in the browser console: {console_errors}"


def number(screening):
    return screening.number


def attrition(page, code):
    """The "failed" and "failed on it alone" cells of one criterion's row in the log's attrition table."""
    row = page.locator(f"#attrition-{code}")
    return row.locator("td").nth(1), row.locator("td").nth(2)


def test_investigator_filters_the_log_signs_a_screen_failure_and_exports_the_csv(investigator_page, evaluated):
    page = investigator_page
    table_rows = page.locator("#log-table tbody tr")

    page.get_by_role("link", name="Screen-fail log").click()
    page.wait_for_url(re.compile(r"/log/?$"))
    expect(page.locator("h1")).to_have_text("Screen-fail log")
    expect(table_rows).to_have_count(4)
    expect(page.locator("#count-excluded")).to_have_text("3")
    expect(page.locator("#count-eligible")).to_have_text("1")
    failed, alone = attrition(page, "IN16")
    expect(failed).to_have_text("2")
    expect(alone).to_have_text("1")

    failed_filter = page.locator("#id_failed")
    expect(failed_filter.locator("option[value='IN16']")).to_have_text(re.compile(r"^IN16: "))
    failed_filter.select_option("IN16")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]failed=IN16(&|$)"))
    filtered_url = page.url

    # Only the two screenings that failed IN16, and the counts for those two alone.
    expect(table_rows).to_have_count(2)
    expect(page.locator("#log-table")).to_contain_text(number(evaluated["anc_only"]))
    expect(page.locator("#log-table")).to_contain_text(number(evaluated["anc_and_dilantin"]))
    expect(page.locator("#log-table")).not_to_contain_text(number(evaluated["dilantin_only"]))
    expect(page.locator("#log-table")).not_to_contain_text(number(evaluated["eligible"]))
    expect(page.locator("#count-assessed")).to_have_text("2")
    expect(page.locator("#count-excluded")).to_have_text("2")
    expect(page.locator("#count-eligible")).to_have_text("0")
    expect(page.locator("#count-signed")).to_have_text("0")
    failed, alone = attrition(page, "IN16")
    expect(failed).to_have_text("2")
    expect(alone).to_have_text("1")
    failed, alone = attrition(page, "EX11")
    expect(failed).to_have_text("1")
    expect(alone).to_have_text("0")

    anc_only = evaluated["anc_only"]
    page.locator("#log-table").get_by_role("link", name=number(anc_only), exact=True).click()
    page.wait_for_url(re.compile(rf"/screenings/{anc_only.pk}/$"))
    expect(page.locator(".verdict strong")).to_have_text("Ineligible")
    expect(page.locator("#criterion-IN16 td").nth(2)).to_have_text("Not met")

    page.get_by_role("link", name="Sign off").click()
    page.wait_for_url(re.compile(rf"/screenings/{anc_only.pk}/sign/$"))
    page.get_by_label("I confirm the candidate is not eligible").check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(re.compile(rf"/screenings/{anc_only.pk}/$"))

    signature_card = page.locator("#signature")
    expect(signature_card.locator("h2")).to_have_text("Signed")
    expect(signature_card).to_contain_text("Investigator Tester")
    expect(signature_card).to_contain_text("I confirm the candidate is not eligible")
    expect(signature_card).to_contain_text(re.compile(r"HMAC-SHA256 [0-9a-f]{64}"))
    expect(signature_card).to_contain_text("Signature verified")
    expect(page.get_by_role("link", name="Sign off")).to_have_count(0)
    signature = Signature.objects.get()
    assert (signature.screening_id, signature.signer.username) == (anc_only.pk, "investigator")
    expect(signature_card).to_contain_text(signature.content_hash)

    # Back to the log as it was filtered: the signature shows there and in the counts.
    page.goto(filtered_url)
    expect(table_rows).to_have_count(2)
    expect(page.locator("#count-signed")).to_have_text("1")
    expect(table_rows.filter(has_text=number(anc_only))).to_contain_text("Signed")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Export CSV (de-identified)").click()
    download = downloading.value
    assert re.fullmatch(r"screen-fail-log-deidentified-\d{8}-\d{4}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].split(",")[0] == "screening_number"
    by_number = {row["screening_number"]: row for row in rows}
    assert set(by_number) == {number(anc_only), number(evaluated["anc_and_dilantin"])}
    signed_row = by_number[number(anc_only)]
    assert (signed_row["verdict"], signed_row["failed_criteria"]) == ("ineligible", "IN16")
    assert (signed_row["signed"], signed_row["signature_meaning"]) == ("yes", "confirm_not_eligible")
    other_row = by_number[number(evaluated["anc_and_dilantin"])]
    # Failed criteria in record order, where EX11 comes before IN16.
    assert (other_row["failed_criteria"], other_row["signed"]) == ("EX11 IN16", "no")
    for column in ("initials", "mrn", "birth_date", "screening_date", "signed_at"):
        assert column not in rows[0]
    for candidate in CANDIDATES.values():
        for identifier in (candidate["initials"], candidate["mrn"], candidate["birth_date"].isoformat()):
            assert identifier not in text
    assert anc_only.screening_date.isoformat() not in text
