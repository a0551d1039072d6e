"""Every URL of the site, for every role: the status each one gets. A new URL without a row here fails the test."""

import pytest
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse

from amendments.services import impact_preview_request
from config.tests.test_access import URLS
from prescreen.tests.conftest import run_of
from referrals.services import referral_create
from review.services import query_raise
from screening import services
from screening.models import Report
from trials.services import criteria_version_create_amendment

PERSONAS = ("anonymous", "coordinator", "investigator", "administrator", "outsider")

# url name -> status for (anonymous, coordinator, investigator, administrator, outsider), on GET
EXPECTED = {
    "healthz": (200, 200, 200, 200, 200),
    "favicon": (301, 301, 301, 301, 301),
    "login": (200, 302, 302, 302, 302),
    "logout": (302, 405, 405, 405, 405),
    "home": (302, 200, 200, 200, 200),
    "password_change": (302, 200, 200, 200, 200),
    "trials:detail": (302, 200, 200, 200, 403),
    "screening:home": (302, 200, 200, 200, 403),
    "screening:new": (302, 200, 403, 403, 403),
    "screening:keepalive": (302, 204, 204, 204, 204),
    "screening:detail": (302, 200, 200, 200, 403),
    "screening:edit": (302, 200, 403, 403, 403),
    "screening:medication_match": (302, 200, 403, 403, 403),
    "screening:sign": (302, 403, 200, 403, 403),
    "screening:enrollment": (302, 405, 405, 403, 403),
    "screening:correct": (302, 405, 403, 403, 403),
    "screening:audit": (302, 403, 200, 200, 403),
    "screening:audit_csv": (302, 403, 200, 200, 403),
    "screening:audit_pdf": (302, 403, 200, 200, 403),
    "review:identified_exports": (302, 403, 403, 200, 403),
    "review:log": (302, 403, 200, 200, 403),
    "review:log_export_csv": (302, 403, 200, 200, 403),
    "review:log_export_xlsx": (302, 403, 200, 200, 403),
    "review:log_legend_csv": (302, 403, 200, 200, 403),
    "screening:report_create": (302, 405, 405, 405, 403),
    "screening:report_status": (302, 200, 200, 200, 403),
    "screening:report_download": (302, 200, 200, 200, 403),
    "screening:reports_attention": (302, 403, 403, 200, 403),
    "screening:report_retry": (302, 403, 403, 405, 403),
    "patients:detail": (302, 200, 200, 200, 403),
    "patients:rescreen": (302, 405, 403, 403, 403),
    "screening:move_version": (302, 405, 403, 403, 403),
    "amendments:review": (302, 403, 403, 200, 403),
    "amendments:impact_start": (302, 403, 403, 405, 403),
    "amendments:impact_status": (302, 403, 403, 200, 403),
    "referrals:list": (302, 200, 200, 200, 403),
    "referrals:new": (302, 200, 403, 403, 403),
    "referrals:detail": (302, 200, 200, 200, 403),
    "review:query_raise": (302, 403, 405, 403, 403),
    "review:query_answer": (302, 405, 403, 403, 403),
    "review:query_ask_again": (302, 403, 405, 403, 403),
    "review:query_close": (302, 403, 405, 403, 403),
    "ehr:import": (302, 405, 403, 403, 403),
    "ehr:confirm": (302, 405, 403, 403, 403),
    "prescreen:list": (302, 200, 200, 200, 403),
    "prescreen:new": (302, 403, 200, 200, 403),
    "prescreen:detail": (302, 200, 200, 200, 403),
    "prescreen:progress": (302, 200, 200, 200, 403),
    "prescreen:cancel": (302, 403, 405, 405, 403),
    "prescreen:results": (302, 200, 403, 200, 403),
    "prescreen:export": (302, 200, 403, 200, 403),
    "prescreen:screen": (302, 405, 403, 405, 403),
}

SITE_URLS = sorted(name for name, _ in URLS if not name.startswith("admin"))


def test_every_site_url_has_a_row_in_the_matrix():
    assert sorted(EXPECTED) == SITE_URLS


@pytest.fixture
def objects(screening_for, coordinator, investigator, administrator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    screening = screening_for()
    services.screening_evaluate(screening=screening)
    report = Report(screening=screening, requested_by=coordinator, status="done", sha256="0" * 64)
    report.file.save("report.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    screening.report = report
    screening.draft = criteria_version_create_amendment(source=screening.criteria_version)
    screening.preview = impact_preview_request(version=screening.draft, user=administrator)
    screening.open_query = query_raise(
        screening=screening, user=investigator, target="field-weight_kg", text="Which scale?"
    )
    screening.open_referral = referral_create(
        candidate=screening.candidate,
        trial=screening.trial,
        user=coordinator,
        source="clinic",
        source_detail="",
        referred_on=screening.screening_date,
    )
    screening.prescreen_run = run_of(
        trial=screening.trial,
        user=investigator,
        folder=tmp_path / "export",
        patients=[{"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female"}],
    )
    return screening


def url_for(name, screening):
    if name == "trials:detail":
        return reverse(name, args=[screening.trial.nct_id])
    if name == "patients:detail" or name == "patients:rescreen":
        return reverse(name, args=[screening.candidate.pk])
    if name.startswith("screening:report_") and name != "screening:report_create":
        return reverse(name, args=[screening.report.pk])
    if name in {"amendments:review", "amendments:impact_start"}:
        return reverse(name, args=[screening.draft.pk])
    if name == "ehr:confirm":
        return reverse(name, args=[screening.pk, "labs"])
    if name == "referrals:detail":
        return reverse(name, args=[screening.open_referral.pk])
    if name.startswith("review:query_") and name != "review:query_raise":
        return reverse(name, args=[screening.open_query.pk])
    if name == "prescreen:screen":
        return reverse(name, args=[screening.prescreen_run.results.get().pk])
    if name.startswith("prescreen:") and name not in {"prescreen:list", "prescreen:new"}:
        return reverse(name, args=[screening.prescreen_run.pk])
    if name == "amendments:impact_status":
        return reverse(name, args=[screening.preview.pk])
    try:
        return reverse(name, args=[screening.pk])
    except NoReverseMatch:  # a page without an id
        return reverse(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(request, client, objects, name, persona):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url_for(name, objects))
    assert response.status_code == EXPECTED[name][PERSONAS.index(persona)], f"{persona} GET {name}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_site_is_for_administrators_only(request, db, client, persona):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:index"))
    assert response.status_code == (200 if persona == "administrator" else 302)


@pytest.mark.parametrize(
    "name", ["screening:detail", "screening:edit", "screening:sign", "screening:audit", "screening:medication_match"]
)
def test_an_id_that_does_not_exist_is_not_found_never_an_error(client_for, coordinator, investigator, name):
    client = client_for(investigator if name in {"screening:sign", "screening:audit"} else coordinator)
    response = client.get(reverse(name, args=[999999]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["screening:detail", "screening:audit", "screening:sign", "patients:detail"])
def test_changing_the_id_never_reveals_a_screening_to_a_user_without_a_role(client_for, outsider, screening_for, name):
    client = client_for(outsider)
    for screening in (screening_for(initials="AA"), screening_for(initials="BB")):
        pk = screening.candidate.pk if name == "patients:detail" else screening.pk
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 403
        assert screening.candidate.screening_number not in response.content.decode()


def test_a_coordinator_cannot_reach_the_audit_or_sign_pages_by_id(client_for, coordinator, objects):
    client = client_for(coordinator)
    for name in ("screening:audit", "screening:sign"):
        response = client.get(reverse(name, args=[objects.pk]))
        assert response.status_code == 403
        assert objects.candidate.screening_number not in response.content.decode()
