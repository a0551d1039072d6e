"""One rule for what of a candidate each role sees, on every page, export, PDF, history and error.

The candidate page is the rule (patients/visibility.py): everyone who may view candidates sees the initials and the
date of birth; only a role with patients.view_identifiers (coordinators, administrators) sees the medical record
number; a user without a role sees nothing of anyone. The crawl below visits every URL of the site (the authorization
matrix has a row for each, and fails when a new one has none), each as every persona, on a signed screening with a
real PDF and on an open one, and reads HTML, CSV, XLSX and PDF alike: a new view that shows a restricted field
fails here."""

import csv
import io
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from amendments.services import impact_preview_request, impact_preview_run
from config.tests.test_authorization_matrix import EXPECTED, PERSONAS, url_for
from patients.models import Candidate
from patients.visibility import RESTRICTED_FIELDS
from prescreen.tests.conftest import run_of
from referrals.services import referral_create
from review.services import query_raise
from screening.models import Report
from screening.reports import report_generate
from screening.tests.forms_data import eligible_payload, sign_as
from trials.services import criteria_version_create_amendment

MRN, OLDER_MRN = "MRN-PLANTED-7731", "MRN-EARLIER-5521"
INITIALS = "QXZ"
BIRTH_DATE = date(1958, 2, 27)
BIRTH_DATE_SHOWN = ("1958-02-27", "Feb. 27, 1958", "February 27, 1958", "02/27/1958", "27/02/1958", "27.02.1958")

IDENTITY = {"mrn": (MRN, OLDER_MRN), "initials": (INITIALS,), "birth_date": BIRTH_DATE_SHOWN}
MAY_SEE = {
    "anonymous": set(),
    "outsider": set(),
    "investigator": {"initials", "birth_date"},
    "coordinator": {"initials", "birth_date", "mrn"},
    "administrator": {"initials", "birth_date", "mrn"},
}


def test_the_rule_here_is_the_rule_of_the_app(db, request):
    """The personas' rights above follow the permissions, not this test's say-so."""
    for persona in ("investigator", "coordinator", "administrator"):
        user = request.getfixturevalue(persona)
        for field, permission in RESTRICTED_FIELDS.items():
            assert (field in MAY_SEE[persona]) == user.has_perm(permission), (persona, field)


@pytest.fixture
def planted(client_for, coordinator, investigator, screening_for, settings, tmp_path):
    """Two screenings of one candidate whose identity is easy to spot: the first evaluated, signed, with a real
    PDF; the second open. The record number was changed once, so its history holds an earlier one too."""
    settings.MEDIA_ROOT = tmp_path
    first = screening_for(mrn=OLDER_MRN, initials=INITIALS, birth_date=BIRTH_DATE)
    candidate = Candidate.objects.get(pk=first.candidate_id)
    candidate.mrn = MRN
    candidate.save()
    client = client_for(coordinator)
    response = client.post(reverse("screening:edit", args=[first.pk]), eligible_payload(first) | {"action": "evaluate"})
    assert response.status_code == 302
    sign_as(investigator, first)
    report = Report.objects.create(screening=first, requested_by=coordinator)
    report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    first.report = report
    rescreen = {"cohort": "phase1", "screening_date": date.today().isoformat(), "copy_entries": "on"}
    assert client.post(reverse("patients:rescreen", args=[candidate.pk]), rescreen).status_code == 302
    second = candidate.screenings.exclude(pk=first.pk).get()
    second.report = report
    # An amendment whose impact preview re-evaluated the planted screenings, for the administrators' pages.
    first.draft = criteria_version_create_amendment(source=first.criteria_version)
    first.preview = impact_preview_request(version=first.draft, user=coordinator)
    impact_preview_run(preview_id=first.preview.pk)
    second.draft, second.preview = first.draft, first.preview
    # A query and a referral, for the review and pre-screening pages.
    first.open_query = second.open_query = query_raise(
        screening=second, user=investigator, target="field-weight_kg", text="Which scale?"
    )
    first.open_referral = second.open_referral = referral_create(
        candidate=candidate,
        trial=first.trial,
        user=coordinator,
        source="clinic",
        source_detail="",
        referred_on=date.today(),
    )
    # A pre-screen run whose one patient is the planted person, as an EHR export names them.
    first.prescreen_run = second.prescreen_run = run_of(
        trial=first.trial,
        user=investigator,
        folder=tmp_path / "export",
        patients=[
            {
                "resourceType": "Patient",
                "id": "planted",
                "name": [{"use": "official", "given": [INITIALS], "family": "Planted"}],
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": MRN}],
                "birthDate": BIRTH_DATE.isoformat(),
                "gender": "female",
            }
        ],
    )
    return first, second


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def readable(response):
    """The text a person gets from the response, whatever its format."""
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    if "spreadsheetml" in content_type:
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join(str(value) for value in row if value is not None)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if content_type.startswith("text/csv"):
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(body.decode())))
    # A CSRF token is random letters: one may hold the planted initials by chance, and is no one's data.
    return CSRF_TOKEN.sub('name="csrfmiddlewaretoken"', body.decode())


def visits(screening):
    """Every GET of the site, plus the queries that choose what a page lists."""
    for name in sorted(EXPECTED):
        yield name, url_for(name, screening), None
    search = reverse("screening:home")
    for query in (INITIALS, MRN, screening.number, screening.candidate.screening_number):
        yield f"search for {query}", f"{search}?q={query}", query
    for name in ("review:log_export_csv", "review:log_export_xlsx"):
        for data_set in ("limited", "identified"):
            yield f"{name} {data_set}", f"{reverse(name)}?{data_set}=1", None
    yield "log filtered", f"{reverse('review:log')}?q={screening.number}", None
    yield "missing screening", reverse("screening:detail", args=[999999]), None


def assert_nothing_forbidden(persona, label, text):
    for field, shown_as in IDENTITY.items():
        if field in MAY_SEE[persona]:
            continue
        for value in shown_as:
            assert value not in text, f"{persona} sees {field} ({value}) at {label}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_export_pdf_or_history_shows_a_field_the_role_may_not_see(request, planted, persona):
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    visited = 0
    for screening in planted:
        for label, url, typed in visits(screening):
            response = client.get(url)
            assert response.status_code < 500, f"{persona} GET {label}: {response.status_code}"
            if response.status_code == 200:
                visited += 1
            text = readable(response)
            if typed:  # the search box and heading show back what the user typed: not the app telling them
                text = text.replace(f'value="{typed}"', "").replace(f"matching “{typed}”", "")
            assert_nothing_forbidden(persona, label, text)
    assert visited >= {"anonymous": 2, "outsider": 4}.get(persona, 20)


def test_the_crawl_reads_what_it_looks_for(client_for, coordinator, investigator, planted):
    """The crawl above would see each field where it is shown: the test cannot pass by reading nothing."""
    first, _ = planted
    coordinator_page = client_for(coordinator).get(reverse("patients:detail", args=[first.candidate_id]))
    assert MRN in readable(coordinator_page)
    investigator_client = client_for(investigator)
    candidate_page = readable(investigator_client.get(reverse("patients:detail", args=[first.candidate_id])))
    assert INITIALS in candidate_page
    assert "Feb. 27, 1958" in candidate_page
    report = readable(investigator_client.get(reverse("screening:report_download", args=[first.report.pk])))
    assert INITIALS in report
    audit_pdf = readable(investigator_client.get(reverse("screening:audit_pdf", args=[first.pk])))
    assert INITIALS in audit_pdf
    admin_audit = readable(client_for(coordinator).get(reverse("screening:detail", args=[first.pk])))
    assert INITIALS in admin_audit
    prescreened = readable(client_for(coordinator).get(reverse("prescreen:results", args=[first.prescreen_run.pk])))
    assert MRN in prescreened
    exported = readable(client_for(coordinator).get(reverse("prescreen:export", args=[first.prescreen_run.pk])))
    assert MRN in exported


@pytest.mark.parametrize("persona", ["investigator", "outsider"])
def test_errors_show_no_field_the_role_may_not_see(request, planted, persona, client_for):
    """Refusals and form errors: the sign form sent with a wrong password, a stale or forbidden edit."""
    first, second = planted
    client = client_for(request.getfixturevalue(persona))
    responses = {
        "sign with a wrong password": client.post(
            reverse("screening:sign", args=[second.pk]),
            {"password": "wrong", "meaning": "confirm_eligible", "reviewed": "0" * 64},
        ),
        "edit": client.post(reverse("screening:edit", args=[second.pk]), eligible_payload(second)),
        "enrollment": client.post(reverse("screening:enrollment", args=[first.pk]), {"outcome": "enrolled"}),
        "correction": client.post(reverse("screening:correct", args=[first.pk])),
        "rescreen": client.post(reverse("patients:rescreen", args=[first.candidate_id]), {"cohort": "phase1"}),
    }
    for label, response in responses.items():
        assert response.status_code < 500, label
        assert_nothing_forbidden(persona, label, readable(response))


def test_a_csrf_token_that_happens_to_hold_the_initials_is_not_read_as_them():
    class Page:
        streaming = False
        content = f'<input type="hidden" name="csrfmiddlewaretoken" value="ab{INITIALS}cd"><p>SCR-0001</p>'.encode()

        def get(self, name, default=""):
            return "text/html; charset=utf-8"

    assert INITIALS not in readable(Page())
    assert "SCR-0001" in readable(Page())
