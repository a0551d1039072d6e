"""Bad input gets a field-level error and nothing is saved; unusual but possible values get a warning."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.models import Screening
from screening.tests.forms_data import eligible_payload, set_rows

TODAY = timezone.localdate()


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def post(client, screening, data):
    return client.post(reverse("screening:edit", args=[screening.pk]), data | {"action": "save"})


def assert_refused(response, screening, message):
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "Enter the value, or clear this row." not in page or "clear this row" in message
    assert message in page, page[page.find("invalid-feedback") - 300 : page.find("invalid-feedback") + 300]
    screening.refresh_from_db()
    assert not screening.labs.exists()
    assert not screening.medications.exists()
    assert screening.weight_kg is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lab-anc-value": "-1"}, "A lab value cannot be negative."),
        ({"lab-anc-value": "-1", "lab-anc-collected_on": str(TODAY)}, "A lab value cannot be negative."),
        (
            {"lab-anc-value": "900", "lab-anc-unit": "10^3/uL"},
            "900 10^3/uL is not a possible absolute neutrophil count: did you mean /mm3?",
        ),
        ({"lab-anc-unit": "cells/L"}, "&#x27;cells/L&#x27; is not a unit of Absolute neutrophil count; accepted:"),
        ({"lab-ast-uln": "0"}, "The upper limit of normal must be above 0."),
        ({"lab-cholesterol-unit": ""}, "Enter the unit the lab reported."),
        ({"lab-anc-collected_on": str(TODAY + timedelta(days=1))}, "This date is in the future."),
        ({"lab-anc-value": "", "lab-anc-collected_on": str(TODAY)}, "Enter the value, or clear this row."),
        ({"weight_kg": "0"}, "Enter the weight in kilograms, between 1 and 400."),
        ({"weight_kg": "1200"}, "Enter the weight in kilograms, between 1 and 400."),
        ({"ecog": "7"}, "Ensure this value is less than or equal to 5."),
        ({"major_surgery": "yes", "major_surgery_date": str(TODAY + timedelta(days=3))}, "This date is in the future."),
        ({"major_surgery": "yes", "major_surgery_date": "1960-01-01"}, "before the candidate&#x27;s date of birth"),
        (
            {"major_surgery": "none", "major_surgery_date": str(TODAY - timedelta(days=40))},
            "You answered &quot;None&quot;",
        ),
        ({"screening_date": str(TODAY + timedelta(days=1))}, "This date is in the future."),
    ],
)
def test_bad_entries_are_refused_field_by_field(coordinator_client, screening_for, changes, message):
    screening = screening_for()
    response = post(coordinator_client, screening, eligible_payload(screening) | changes)
    assert_refused(response, screening, message)


def test_systolic_below_diastolic_is_refused(coordinator_client, screening_for):
    screening = screening_for()
    data = set_rows(eligible_payload(screening), "bp", [{"taken_on": TODAY, "systolic": 80, "diastolic": 90}])
    assert_refused(post(coordinator_client, screening, data), screening, "Systolic must be higher than diastolic.")


def test_therapy_ending_before_it_started_is_refused(coordinator_client, screening_for):
    screening = screening_for()
    data = eligible_payload(screening) | {"prior_therapy": "yes"}
    set_rows(
        data,
        "therapy",
        [
            {
                "modality": "systemic_chemotherapy",
                "setting": "metastatic",
                "agents": "dacarbazine",
                "started_on": TODAY - timedelta(days=30),
                "ended_on": TODAY - timedelta(days=60),
            }
        ],
    )
    assert_refused(post(coordinator_client, screening, data), screening, "The last dose is before the start.")


def test_medications_listed_under_none_are_refused(coordinator_client, screening_for):
    screening = screening_for()
    data = eligible_payload(screening) | {"medications_taken": "none"}
    assert_refused(
        post(coordinator_client, screening, data), screening, "You answered &quot;None&quot; but listed medications"
    )


def test_a_lesion_of_impossible_size_is_refused(coordinator_client, screening_for):
    screening = screening_for()
    data = set_rows(eligible_payload(screening), "lesion", [{"size_mm": "0", "method": "conventional"}])
    assert_refused(post(coordinator_client, screening, data), screening, "between 0.1 and 500")


@pytest.mark.parametrize(
    ("changes", "warning"),
    [
        ({"lab-anc-value": "45", "lab-anc-unit": "10^3/uL"}, "ANC 45 10^3/uL is unusual"),
        ({"weight_kg": "31"}, "Weight 31 kg is unusual"),
    ],
)
def test_unusual_but_possible_values_are_saved_with_a_warning(coordinator_client, screening_for, changes, warning):
    screening = screening_for()
    response = coordinator_client.post(
        reverse("screening:edit", args=[screening.pk]),
        eligible_payload(screening) | changes | {"action": "save"},
        follow=True,
    )
    assert warning in response.content.decode()
    assert screening.labs.exists()


def test_a_very_high_blood_pressure_is_a_warning(coordinator_client, screening_for):
    screening = screening_for()
    data = set_rows(eligible_payload(screening), "bp", [{"taken_on": TODAY, "systolic": 230, "diastolic": 100}])
    response = coordinator_client.post(
        reverse("screening:edit", args=[screening.pk]), data | {"action": "save"}, follow=True
    )
    assert "Blood pressure 230/100 mm Hg is very high" in response.content.decode()
    assert screening.blood_pressures.count() == 1


NEW = {"initials": "AB", "birth_date": "1970-01-01", "sex": "male", "mrn": "", "cohort": "phase1"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"initials": "A1"}, "Enter 2 to 4 letters."),
        ({"birth_date": str(TODAY + timedelta(days=1))}, "The date of birth is in the future."),
        ({"birth_date": "1890-01-01"}, "more than 120 years ago"),
        ({"screening_date": "1969-12-31"}, "The screening date is before the date of birth."),
        ({"screening_date": str(TODAY + timedelta(days=1))}, "The screening date is in the future."),
        ({"sex": ""}, "This field is required."),
    ],
)
def test_registering_a_candidate_validates_each_field(coordinator_client, active_version, changes, message):
    data = NEW | {"screening_date": str(TODAY)} | changes
    response = coordinator_client.post(reverse("screening:new"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Screening.objects.exists()


def test_a_known_medical_record_number_is_not_registered_twice(coordinator_client, active_version):
    data = NEW | {"screening_date": str(TODAY), "mrn": "MRN-77"}
    assert coordinator_client.post(reverse("screening:new"), data).status_code == 302
    response = coordinator_client.post(reverse("screening:new"), data | {"initials": "XY"})
    assert "This medical record number is SCR-" in response.content.decode()
    assert Screening.objects.count() == 1


def test_a_probable_duplicate_needs_confirmation(coordinator_client, active_version):
    data = NEW | {"screening_date": str(TODAY)}
    assert coordinator_client.post(reverse("screening:new"), data).status_code == 302
    response = coordinator_client.post(reverse("screening:new"), data)
    assert "has the same initials, date of birth and sex" in response.content.decode()
    assert Screening.objects.count() == 1
    assert coordinator_client.post(reverse("screening:new"), data | {"confirm_new_person": "on"}).status_code == 302
    assert Screening.objects.count() == 2


@pytest.mark.parametrize(
    ("modality", "agents"),
    [("immunotherapy", "Temodar"), ("targeted_therapy", "dacarbazine"), ("systemic_chemotherapy", "Zelboraf")],
)
def test_a_regimen_filed_under_the_wrong_type_is_refused(coordinator_client, screening_for, modality, agents):
    screening = screening_for()
    data = eligible_payload(screening) | {"prior_therapy": "yes"}
    set_rows(
        data,
        "therapy",
        [
            {
                "modality": modality,
                "setting": "metastatic",
                "agents": agents,
                "started_on": TODAY - timedelta(days=60),
                "ended_on": TODAY - timedelta(days=17),
            }
        ],
    )
    assert_refused(post(coordinator_client, screening, data), screening, "in the drug list; choose that type")


def test_errors_are_listed_at_the_top_with_links(coordinator_client, screening_for):
    screening = screening_for()
    page = post(coordinator_client, screening, eligible_payload(screening) | {"lab-anc-value": "-1"}).content.decode()
    assert 'id="error-summary"' in page
    assert '<a class="alert-link" href="#lab-anc">Absolute neutrophil count</a>' in page


def test_old_or_undated_labs_are_flagged_on_the_result(coordinator_client, screening_for):
    screening = screening_for()
    data = eligible_payload(screening) | {
        "lab-anc-collected_on": str(TODAY - timedelta(days=300)),
        "lab-wbc-collected_on": "",
        "action": "evaluate",
    }
    page = coordinator_client.post(reverse("screening:edit", args=[screening.pk]), data, follow=True).content.decode()
    assert "ANC was collected 300 days before screening" in page
    assert "WBC has no collection date" in page
