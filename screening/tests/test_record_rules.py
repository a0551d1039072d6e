"""Who may do what to a record, and clean refusals: no signing one's own entries, corrections of signed screenings
only, enrollment changes with a reason, and bad requests answered without a 500."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conftest import PASSWORD
from screening.models import Medication, Report, Screening, Signature
from screening.tests.forms_data import eligible_payload, reviewed_on_sign_page, set_rows, sign_as
from trials import roles


@pytest.fixture
def evaluated(client_for, coordinator, screening_for):
    screening = screening_for()
    client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
    )
    return Screening.objects.get(pk=screening.pk)


def test_nobody_signs_a_screening_they_entered(client_for, coordinator, evaluated):
    """A coordinator who is also an investigator may sign others' screenings, not their own."""
    coordinator.groups.add(Group.objects.get(name=roles.INVESTIGATOR))
    client = client_for(coordinator)
    assert "Sign off" not in client.get(reverse("screening:detail", args=[evaluated.pk])).content.decode()
    response = client.post(
        reverse("screening:sign", args=[evaluated.pk]),
        {"meaning": "confirm_eligible", "password": PASSWORD, "reviewed": reviewed_on_sign_page(client, evaluated)},
    )
    assert "You entered this screening: another investigator must sign it." in response.content.decode()
    assert not Signature.objects.exists()


def test_only_a_signed_screening_is_corrected(client_for, coordinator, investigator, evaluated):
    client = client_for(coordinator)
    response = client.post(reverse("screening:correct", args=[evaluated.pk]), follow=True)
    assert "Only a signed screening is corrected; this one can still be edited." in response.content.decode()
    assert Screening.objects.count() == 1
    sign_as(investigator, evaluated)
    response = client_for(coordinator).post(reverse("screening:correct", args=[evaluated.pk]))
    assert Screening.objects.count() == 2
    assert Screening.objects.get(corrects=evaluated).number.endswith("-2")


def test_a_recorded_enrollment_outcome_changes_only_with_a_reason_that_is_audited(client_for, investigator, evaluated):
    sign_as(investigator, evaluated)
    client = client_for(investigator)
    url = reverse("screening:enrollment", args=[evaluated.pk])
    client.post(url, {"outcome": "enrolled"})
    assert Screening.objects.get(pk=evaluated.pk).enrollment == "enrolled"
    page = client.post(url, {"outcome": "declined"}, follow=True).content.decode()
    assert "Why it changes" in page
    assert Screening.objects.get(pk=evaluated.pk).enrollment == "enrolled"  # not overwritten
    client.post(url, {"outcome": "declined", "change_reason": "Withdrew consent before the first dose"})
    assert Screening.objects.get(pk=evaluated.pk).enrollment == "declined"
    latest = Screening.history.filter(id=evaluated.pk).order_by("-history_date").first()
    assert latest.history_change_reason == "Enrollment outcome changed: Withdrew consent before the first dose"


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "screening:home", {"q": "\x00"}),
        ("get", "review:log", {"q": "SCR\x00"}),
        ("post", "screening:new", {"initials": "AB\x00", "birth_date": "1970-01-01", "sex": "male"}),
    ],
)
def test_a_nul_byte_anywhere_is_a_bad_request_not_a_500(client_for, investigator, coordinator, method, url, data):
    client = client_for(investigator if url == "review:log" else coordinator)
    response = getattr(client, method)(reverse(url), data)
    assert response.status_code == 400
    assert "a NUL byte" in response.content.decode()


def test_a_missing_report_file_is_a_404_and_is_made_again(client_for, coordinator, evaluated, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = Report.objects.create(
        screening=evaluated, requested_by=coordinator, status=Report.Status.DONE, file="reports/gone.pdf"
    )
    response = client_for(coordinator).get(reverse("screening:report_download", args=[report.pk]))
    assert response.status_code == 404
    assert "The file of this report is missing; it is being generated again." in response.content.decode()
    report.refresh_from_db()
    assert report.status in (Report.Status.QUEUED, Report.Status.RUNNING, Report.Status.DONE)
    assert report.file.name != "reports/gone.pdf"


def test_a_post_claiming_thousands_of_rows_is_refused_and_saves_nothing(client_for, coordinator, evaluated):
    data = eligible_payload(evaluated) | {"action": "save"}
    set_rows(data, "medication", [{"name": f"Drug {n}", "dose": "", "active": True} for n in range(5)])
    data["medication-TOTAL_FORMS"] = 2000
    response = client_for(coordinator).post(reverse("screening:edit", args=[evaluated.pk]), data)
    assert response.status_code == 200
    assert "Please submit at most 80 forms." in response.content.decode()
    assert not Medication.objects.filter(screening=evaluated, name__startswith="Drug").exists()


def test_the_admin_keeps_a_signed_candidates_identity_and_never_reverts_history(
    client_for, administrator, investigator, evaluated
):
    sign_as(investigator, evaluated)
    client = client_for(administrator)
    candidate = evaluated.candidate
    page = client.get(reverse("admin:patients_candidate_change", args=[candidate.pk])).content.decode()
    assert 'name="initials"' not in page  # shown, not editable
    assert 'name="mrn"' in page
    first = candidate.history.earliest("history_date")  # as registered, before its number was given
    url = reverse("admin:patients_candidate_simple_history", args=[candidate.pk, first.history_id])
    assert client.get(url).status_code == 200  # to read
    assert client.post(url, {"mrn": "", "_save": "Save"}).status_code == 403  # never to put back
    candidate.refresh_from_db()
    assert candidate.screening_number.startswith("SCR-")
