"""Investigators sign completed screenings: password again, a meaning, a content hash; signed means locked."""

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from screening import services
from screening.models import Screening, Signature
from screening.tests.forms_data import eligible_payload, reviewed_on_sign_page, sign_as


@pytest.fixture
def evaluated(client_for, coordinator, screening_for):
    """An eligible, evaluated screening, entered through the form as a coordinator would."""
    screening = screening_for()
    client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
    )
    screening.refresh_from_db()
    assert screening.verdict == "eligible"
    return screening


def sign(client, screening, **changes):
    reviewed = reviewed_on_sign_page(client, screening) if "reviewed" not in changes else changes.pop("reviewed")
    data = {"meaning": "confirm_eligible", "comment": "Reviewed with the chart.", "password": PASSWORD} | changes
    return client.post(reverse("screening:sign", args=[screening.pk]), data | {"reviewed": reviewed})


def test_an_investigator_signs_and_the_signature_records_who_when_what_and_a_hash(client_for, investigator, evaluated):
    response = sign(client_for(investigator), evaluated)
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.signer == investigator
    assert signature.signer_name == "Investigator Tester"
    assert signature.meaning == "confirm_eligible"
    assert signature.comment == "Reviewed with the chart."
    assert len(signature.content_hash) == 64
    assert signature.key_id == "local"
    page = client_for(investigator).get(reverse("screening:detail", args=[evaluated.pk])).content.decode()
    assert signature.content_hash in page
    assert "Signature verified: the record is unchanged since signing." in page
    assert " UTC" in page


def test_a_wrong_password_signs_nothing(client_for, investigator, evaluated):
    response = sign(client_for(investigator), evaluated, password="not-my-password")
    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_second_signature_is_refused(client_for, investigator, evaluated):
    reviewed = reviewed_on_sign_page(client_for(investigator), evaluated)
    sign(client_for(investigator), evaluated, reviewed=reviewed)
    response = sign(client_for(investigator), evaluated, reviewed=reviewed)
    assert response.status_code == 302
    assert "This screening is already signed." in client_for(investigator).get(response.url).content.decode()
    assert Signature.objects.count() == 1
    with pytest.raises(ValidationError, match="already signed"):
        sign_as(investigator, evaluated)


def test_the_meaning_must_match_the_verdict(client_for, investigator, evaluated):
    response = sign(client_for(investigator), evaluated, meaning="confirm_not_eligible")
    assert "The evaluated verdict is eligible" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_draft_cannot_be_signed(client_for, investigator, screening_for):
    draft = screening_for()
    response = sign(client_for(investigator), draft)
    assert "A draft cannot be signed" in response.content.decode()
    assert not Signature.objects.exists()


def test_an_incomplete_screening_cannot_be_signed(investigator, screening_for):
    screening = screening_for()
    services.screening_evaluate(screening=screening)
    with pytest.raises(ValidationError, match="incomplete screening cannot be signed"):
        sign_as(investigator, screening, meaning="confirm_not_eligible")


def test_the_sign_page_shows_no_sign_form_where_signing_is_refused(
    client_for, coordinator, investigator, screening_for, evaluated
):
    draft = screening_for(initials="DR")
    incomplete = screening_for(initials="IN")
    services.screening_evaluate(screening=incomplete)
    client = client_for(investigator)
    for screening, reason in (
        (draft, "A draft cannot be signed: the coordinator must evaluate it first."),
        (incomplete, "An incomplete screening cannot be signed: some criteria are still unknown."),
    ):
        response = client.get(reverse("screening:sign", args=[screening.pk]))
        page = response.content.decode()
        assert response.status_code == 200
        assert reason in page
        assert 'name="password"' not in page
        assert 'name="reviewed"' not in page
        assert sign(client, screening, reviewed="0" * 64).status_code == 400
    assert 'name="password"' in client.get(reverse("screening:sign", args=[evaluated.pk])).content.decode()
    assert not Signature.objects.exists()


def test_wrong_passwords_at_sign_off_lock_the_account_as_at_login(settings, client_for, investigator, evaluated):
    settings.AXES_ENABLED = True
    client = client_for(investigator)
    for attempt in range(1, 5):
        response = sign(client, evaluated, password="not-the-password")
        assert response.status_code == 400, f"attempt {attempt}"
        assert "The password is not correct" in response.content.decode()
    assert sign(client, evaluated, password="not-the-password").status_code == 429
    too_late = sign(client, evaluated)  # the right password, once locked
    assert too_late.status_code == 429
    assert "Account locked" in too_late.content.decode()
    assert not Signature.objects.exists()
    login = Client().post(reverse("login"), {"username": investigator.username, "password": PASSWORD})
    assert login.status_code == 429


def test_a_coordinator_cannot_sign(client_for, coordinator, evaluated):
    assert sign(client_for(coordinator), evaluated).status_code == 403
    assert not Signature.objects.exists()


def test_a_signed_screening_is_locked(client_for, coordinator, investigator, evaluated):
    sign(client_for(investigator), evaluated)
    client = client_for(coordinator)
    response = client.post(
        reverse("screening:edit", args=[evaluated.pk]), eligible_payload(evaluated) | {"weight_kg": "90"}, follow=True
    )
    assert "This screening is signed and locked" in response.content.decode()
    evaluated.refresh_from_db()
    assert evaluated.weight_kg == 68
    with pytest.raises(ValidationError, match="signed and locked"):
        services.screening_evaluate(screening=evaluated)


def test_a_correction_is_a_new_screening_that_refers_to_the_signed_one(
    client_for, coordinator, investigator, evaluated
):
    sign(client_for(investigator), evaluated)
    response = client_for(coordinator).post(reverse("screening:correct", args=[evaluated.pk]))
    correction = Screening.objects.exclude(pk=evaluated.pk).get()
    assert response.url == reverse("screening:edit", args=[correction.pk])
    assert correction.corrects == evaluated
    assert correction.labs.count() == evaluated.labs.count()
    assert correction.answers == evaluated.answers
    assert not correction.is_signed


def test_tampering_after_signing_is_detected(client_for, investigator, evaluated):
    sign(client_for(investigator), evaluated)
    with pgtrigger.ignore("screening.Screening:signed_screening_is_locked"):  # as someone writing the database would
        Screening.objects.filter(pk=evaluated.pk).update(weight_kg=99)
    page = client_for(investigator).get(reverse("screening:detail", args=[evaluated.pk])).content.decode()
    assert "The record does NOT match its signature" in page


def test_enrollment_is_recorded_after_sign_off(client_for, investigator, evaluated):
    client = client_for(investigator)
    url = reverse("screening:enrollment", args=[evaluated.pk])
    client.post(url, {"outcome": "enrolled"}, follow=True)
    evaluated.refresh_from_db()
    assert evaluated.enrollment == ""
    sign(client, evaluated)
    client.post(url, {"outcome": "not_enrolled", "reason": ""})
    evaluated.refresh_from_db()
    assert evaluated.enrollment == ""
    client.post(url, {"outcome": "enrolled"})
    evaluated.refresh_from_db()
    assert evaluated.enrollment == "enrolled"
    assert evaluated.enrollment_recorded_by == investigator
