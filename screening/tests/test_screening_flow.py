"""A coordinator screens a candidate: register, enter the chart, save a draft, evaluate, read the result."""

import re

import pytest
from django.urls import reverse

from screening import services
from screening.models import CriterionOutcome, Screening
from screening.tests.forms_data import blank_payload, eligible_payload


@pytest.fixture
def client_as_coordinator(client_for, coordinator):
    return client_for(coordinator)


def test_registering_a_candidate_assigns_a_screening_number_and_starts_a_draft(client_as_coordinator, active_version):
    response = client_as_coordinator.post(
        reverse("screening:new"),
        {
            "initials": "jms",
            "birth_date": "1971-03-15",
            "sex": "female",
            "mrn": "MRN123",
            "cohort": "phase1",
            "screening_date": "2026-11-20",
        },
    )
    screening = Screening.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("screening:edit", args=[screening.pk])
    assert re.fullmatch(r"SCR-\d{4}", screening.candidate.screening_number)
    assert screening.candidate.initials == "JMS"
    assert screening.criteria_version == active_version
    assert screening.status == "draft"


def test_the_form_shows_every_section_and_traces_questions_to_criteria(client_as_coordinator, screening_for):
    screening = screening_for()
    page = client_as_coordinator.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    for section in (
        "Disease",
        "Labs",
        "Blood pressure",
        "Prior therapy",
        "Concomitant medications",
        "Pregnancy and contraception",
        "Clinician attestations",
    ):
        assert section in page
    assert 'id="lab-anc"' in page
    assert "Used by EX04" in page
    assert "IN16" in page


def test_a_draft_saves_with_everything_missing(client_as_coordinator, screening_for):
    screening = screening_for()
    response = client_as_coordinator.post(
        reverse("screening:edit", args=[screening.pk]), blank_payload(screening) | {"action": "save"}
    )
    assert response.status_code == 302
    screening.refresh_from_db()
    assert screening.status == "draft"


def test_save_and_evaluate_shows_the_verdict_at_once(client_as_coordinator, screening_for):
    screening = screening_for()
    data = eligible_payload(screening) | {"action": "evaluate"}
    response = client_as_coordinator.post(reverse("screening:edit", args=[screening.pk]), data, follow=True)
    page = response.content.decode()
    screening.refresh_from_db()
    assert screening.verdict == "eligible", [
        (o.code, o.reason) for o in screening.outcomes.exclude(status__in=["met", "not_applicable"])
    ]
    assert "Eligible" in page
    assert "Every criterion that applies is met" in page
    assert CriterionOutcome.objects.filter(screening=screening).count() == 41
    assert "Original protocol" in page


def test_result_lists_what_is_missing_with_links_back(client_as_coordinator, screening_for):
    screening = screening_for()
    data = eligible_payload(screening) | {"action": "evaluate", "lab-anc-value": "", "lab-anc-collected_on": ""}
    page = client_as_coordinator.post(
        reverse("screening:edit", args=[screening.pk]), data, follow=True
    ).content.decode()
    assert "Incomplete" in page
    assert f"{reverse('screening:edit', args=[screening.pk])}#lab-anc" in page
    assert "Absolute neutrophil count result" in page


def test_low_anc_and_dilantin_give_both_reasons(client_as_coordinator, screening_for):
    screening = screening_for()
    data = eligible_payload(
        screening,
        labs={"anc": ("1.2", "10^3/uL", "")},
        medications=[{"name": "Dilantin", "dose": "100 mg TID", "active": True}],
    ) | {"action": "evaluate"}
    page = client_as_coordinator.post(
        reverse("screening:edit", args=[screening.pk]), data, follow=True
    ).content.decode()
    assert "Ineligible" in page
    assert "ANC 1.2 10^3/uL (1,200/mm3) is below the minimum of 1,500/mm3" in page
    assert "Takes &#x27;Dilantin 100 mg TID&#x27; (phenytoin" in page


def test_editing_after_evaluation_returns_the_screening_to_draft(client_as_coordinator, screening_for):
    screening = screening_for()
    url = reverse("screening:edit", args=[screening.pk])
    client_as_coordinator.post(url, eligible_payload(screening) | {"action": "evaluate"})
    client_as_coordinator.post(url, eligible_payload(screening) | {"action": "save"})
    screening.refresh_from_db()
    assert (screening.status, screening.verdict) == ("draft", "")
    assert not screening.outcomes.exists()


def test_saved_entries_come_back_on_the_form(client_as_coordinator, screening_for):
    screening = screening_for()
    url = reverse("screening:edit", args=[screening.pk])
    client_as_coordinator.post(url, eligible_payload(screening) | {"action": "save"})
    data = blank_payload(screening)
    assert data["lab-anc-value"] == "3.1"
    assert data["medication-0-name"] == "Lisinopril"
    assert data["answer-bleeding_diathesis"] == "no"
    # posting the form back untouched keeps everything
    client_as_coordinator.post(url, data | {"action": "evaluate"})
    screening.refresh_from_db()
    assert screening.verdict == "eligible"


def test_a_candidate_can_be_screened_again_and_the_first_screening_stays(client_as_coordinator, screening_for):
    first = screening_for()
    client_as_coordinator.post(
        reverse("screening:edit", args=[first.pk]), eligible_payload(first) | {"action": "evaluate"}
    )
    response = client_as_coordinator.post(
        reverse("patients:rescreen", args=[first.candidate.pk]), {"cohort": "phase2", "screening_date": "2026-11-01"}
    )
    second = Screening.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("screening:edit", args=[second.pk])
    first.refresh_from_db()
    assert first.verdict == "eligible"
    assert first.outcomes.count() == 41
    assert second.candidate == first.candidate


def test_medication_matches_show_while_typing(client_as_coordinator, screening_for):
    screening = screening_for()
    url = reverse("screening:medication_match", args=[screening.pk])
    page = client_as_coordinator.get(url, {"medication-0-name": "COUMADIN 5 mg"}).content.decode()
    assert "warfarin" in page
    assert "Anticoagulant" in page
    unknown = client_as_coordinator.get(url, {"medication-0-name": "Zorbatrex"}).content.decode()
    assert "Not recognised: will need review" in unknown


def test_form_post_and_result_pages_use_a_bounded_number_of_queries(
    client_as_coordinator, screening_for, django_assert_max_num_queries
):
    screening = screening_for()
    url, payload = reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
    client_as_coordinator.post(url, payload)
    payload["revision"] = Screening.objects.get(pk=screening.pk).revision  # the form as reopened after that save
    with django_assert_max_num_queries(18):  # saving again what is stored, and evaluating it, reads and writes little
        assert client_as_coordinator.post(url, payload).status_code == 302
    with django_assert_max_num_queries(25):
        client_as_coordinator.get(reverse("screening:edit", args=[screening.pk]))
    with django_assert_max_num_queries(18):
        client_as_coordinator.get(reverse("screening:detail", args=[screening.pk]))


def test_every_recorded_fact_has_a_place_on_the_form():
    from screening.forms import FACT_SECTIONS
    from screening.rules.facts import FACTS

    placed = [code for codes in FACT_SECTIONS.values() for code in codes]
    assert sorted(placed) == sorted(FACTS)


def test_typing_on_the_form_keeps_the_session_alive(client_as_coordinator):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = client_as_coordinator.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=2))
    assert client_as_coordinator.get(reverse("screening:keepalive")).status_code == 204
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=29)


def test_screening_again_copies_only_the_history_that_stays_true(client_as_coordinator, screening_for):
    """Weight, ECOG, neuropathy, lesions and medications feed IN03, Cockcroft-Gault, IN14 and the medication
    criteria; from an earlier screening they are stale, so only dated history comes across."""
    first = screening_for()
    data = eligible_payload(first) | {
        "prior_therapy": "yes",
        "major_surgery": "yes",
        "major_surgery_date": "2026-02-01",
        "traumatic_injury": "none",
        "action": "evaluate",
    }
    from screening.tests.forms_data import set_rows

    set_rows(
        data,
        "therapy",
        [
            {
                "modality": "immunotherapy",
                "setting": "metastatic",
                "agents": "nivolumab",
                "started_on": "2026-01-01",
                "ended_on": "2026-03-01",
            }
        ],
    )
    client_as_coordinator.post(reverse("screening:edit", args=[first.pk]), data)
    response = client_as_coordinator.post(
        reverse("patients:rescreen", args=[first.candidate.pk]),
        {"cohort": "phase1", "screening_date": "2026-11-01", "copy_entries": "on"},
        follow=True,
    )
    second = Screening.objects.exclude(pk=first.pk).get()
    assert f"Copied from {first.number} of" in response.content.decode()
    assert second.therapies.get().agents == "nivolumab"
    assert (second.major_surgery, str(second.major_surgery_date)) == ("yes", "2026-02-01")
    assert second.answers["histology_confirmed"] is True
    assert second.answers["primary_site"] == "cutaneous"
    # What describes the candidate on the earlier date is asked again.
    assert second.weight_kg is None
    assert second.ecog is None
    assert second.peripheral_neuropathy is None
    assert not second.lesions.exists()
    assert not second.medications.exists()
    assert second.medications_taken == ""
    assert second.traumatic_injury == ""  # "none" covered only the time up to the earlier screening
    for current in ("melanoma_stage", "tumor_accessible_to_biopsy", "childbearing_potential", "brain_metastases"):
        assert current not in second.answers  # "no" to brain metastases then is not "no" now
    assert "bleeding_diathesis" not in second.answers  # attestations are asked again
    assert not second.labs.exists()
    assert not second.blood_pressures.exists()
    assert first.therapies.count() == 1
    second, result = services.screening_evaluate(screening=second)
    for code in ("IN03", "IN14", "EX19", "EX11"):
        assert result.by_code(code).status == "unknown", code
