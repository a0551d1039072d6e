"""The form takes what a chart writes when it does not document something, instead of making the coordinator guess:
a medication's purpose "as needed" or "supplement", and brain metastases described by their treatment and the date
imaging last showed them stable (stable for 3 months is computed, not asked)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.models import Medication, Screening
from screening.tests.forms_data import eligible_payload

TODAY = timezone.localdate()


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def evaluate(client, screening, data):
    response = client.post(reverse("screening:edit", args=[screening.pk]), data | {"action": "evaluate"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Screening.objects.get(pk=screening.pk)


@pytest.mark.parametrize("purpose", ["as_needed", "supplement"])
def test_a_medication_can_be_as_needed_or_a_supplement(coordinator_client, screening_for, purpose):
    screening = screening_for()
    medications = [{"name": "Ibuprofen", "dose": "400 mg", "purpose": purpose, "active": True}]
    screening = evaluate(coordinator_client, screening, eligible_payload(screening, medications=medications))
    assert Medication.objects.get(screening=screening).purpose == purpose
    assert screening.verdict == "eligible"


def brain_metastases(screening, *, treated_days_ago, imaged_days_ago, treatment="radiosurgery"):
    answers = {
        "brain_metastases": "yes",
        "brain_metastases_treatment_type": treatment,
        "brain_metastases_stable": "yes",
        "brain_metastases_symptomatic": "no",
        "brain_metastases_on_steroids": "no",
    }
    return eligible_payload(screening, answers=answers) | {
        "brain_metastases_treatment": "yes",
        "brain_metastases_treatment_date": TODAY - timedelta(days=treated_days_ago),
        "brain_metastases_imaging": "yes",
        "brain_metastases_imaging_date": TODAY - timedelta(days=imaged_days_ago),
    }


def test_stability_is_computed_from_the_treatment_and_the_latest_imaging(coordinator_client, screening_for):
    screening = screening_for()
    stable = evaluate(
        coordinator_client, screening, brain_metastases(screening, treated_days_ago=200, imaged_days_ago=10)
    )
    assert stable.outcomes.get(code="EX18").status == "met"
    assert stable.verdict == "eligible"
    too_soon = evaluate(
        coordinator_client, screening, brain_metastases(screening, treated_days_ago=70, imaged_days_ago=5)
    )
    result = too_soon.outcomes.get(code="EX18")
    assert result.status == "not_met"
    assert "less than 3 months" in result.reason


def test_the_form_asks_for_the_treatment_and_the_imaging_date(coordinator_client, screening_for):
    page = coordinator_client.get(reverse("screening:edit", args=[screening_for().pk])).content.decode()
    assert 'id="answer-brain_metastases_treatment_type"' in page
    assert 'id="field-brain_metastases_imaging"' in page
    assert "Stereotactic radiosurgery" in page
    assert "date imaging last showed them stable" in page.lower()


def test_an_imaging_date_in_the_future_is_refused(coordinator_client, screening_for):
    screening = screening_for()
    data = brain_metastases(screening, treated_days_ago=200, imaged_days_ago=-3)
    response = coordinator_client.post(reverse("screening:edit", args=[screening.pk]), data | {"action": "save"})
    assert response.status_code == 200
    assert "This date is in the future." in response.content.decode()
