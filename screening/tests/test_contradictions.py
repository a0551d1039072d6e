"""Answers that contradict the medication list: shown at the field, and the criteria they affect are unknown until the
coordinator resolves them, unless they come out the same however it is resolved; a contradiction never makes anything
met."""

from datetime import date

import pytest
from django.urls import reverse

from screening.models import Screening
from screening.rules import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, LabResult, Medication
from screening.tests.conftest import RULESET, SCREENING_DATE, eligible_facts, with_answers, with_lab
from screening.tests.forms_data import eligible_payload, set_rows
from screening.tests.test_time_windows import with_brain_metastases


def outcome(code, facts):
    return RULESET.evaluate(facts, SCREENING_DATE, "phase1").by_code(code)


def treated_brain_metastases(*medications, **answers):
    """Brain metastases treated and stable, with the medications listed beside lisinopril."""
    facts = with_brain_metastases(date(2026, 3, 1), date(2026, 10, 1), **answers)
    facts.medications = (Medication("Lisinopril 10 mg daily"), *medications)
    return facts


def test_a_listed_steroid_contradicts_no_steroids_for_brain_metastases():
    assert outcome("EX18", treated_brain_metastases()).status == MET
    result = outcome("EX18", treated_brain_metastases(Medication("Decadron 4 mg PO BID")))
    assert result.status == UNKNOWN
    assert "'Decadron 4 mg PO BID' is a systemic corticosteroid on the medication list" in result.reason
    assert result.missing[0].field == "answer:brain_metastases_on_steroids"


@pytest.mark.parametrize(
    ("medication", "answers", "expected"),
    [
        (Medication("dexamethasone 4 mg", active=False), {}, MET),  # stopped: no contradiction
        (Medication("dexamethasone 4 mg"), {"corticosteroid_for_other_reason": True}, MET),  # resolved
        (Medication("dexamethasone 4 mg"), {"brain_metastases_on_steroids": True}, NOT_MET),  # answer changed
        (Medication("Medrol dose pack"), {}, UNKNOWN),
        (Medication("steroids"), {}, UNKNOWN),  # the class word
        (Medication("hydrocortisone cream 1% BID"), {}, MET),  # used on the skin: not a systemic corticosteroid
        (Medication("dexamethasone eye drops"), {}, MET),
    ],
)
def test_resolving_the_steroid_contradiction(medication, answers, expected):
    assert outcome("EX18", treated_brain_metastases(medication, **answers)).status == expected


def hiv_positive(*medications, **answers):
    facts = eligible_facts(medications=(Medication("Lisinopril 10 mg daily"), *medications))
    return with_answers(facts, hiv_positive=True, **answers)


@pytest.mark.parametrize(
    ("medications", "answer", "expected"),
    [
        ((), None, UNKNOWN),  # nothing listed: the antiretroviral question must be answered
        ((), False, MET),
        ((), True, UNKNOWN),  # said yes, but nothing listed: add it
        ((Medication("Biktarvy 1 tab daily"),), False, UNKNOWN),  # listed, but said no
        ((Medication("Biktarvy 1 tab daily"),), True, NOT_MET),
        ((Medication("Biktarvy 1 tab daily"),), None, NOT_MET),
    ],
)
def test_the_antiretroviral_question_is_asked_explicitly_for_hiv_positive_candidates(medications, answer, expected):
    result = outcome("EX17", hiv_positive(*medications, on_antiretroviral_therapy=answer))
    assert result.status == expected


def test_the_antiretroviral_question_does_not_matter_for_hiv_negative_candidates():
    facts = with_answers(eligible_facts(), hiv_positive=False, on_antiretroviral_therapy=True)
    assert outcome("EX17", facts).status == NOT_APPLICABLE


def anticoagulated(*medications, answer):
    facts = eligible_facts(medications=(Medication("Lisinopril 10 mg daily"), *medications))
    return with_answers(facts, anticoagulation=answer)


@pytest.mark.parametrize(
    ("medications", "answer", "ex15", "in13"),
    [
        # Listed at full dose, but "none": EX15 depends on which is right; IN13 (low dose only) does not.
        ((Medication("Eliquis 5 mg BID", "therapeutic"),), "none", UNKNOWN, MET),
        ((Medication("Lovenox 40 mg SC", "therapeutic"),), "prophylactic", UNKNOWN, MET),
        # Low dose stated but not listed: with this INR (1.0, ULN 1.1) both criteria pass whichever is right.
        ((), "prophylactic", MET, MET),
        ((Medication("Lovenox 1 mg/kg SC BID", "therapeutic"),), "therapeutic", NOT_MET, MET),
        ((Medication("Lovenox 40 mg SC", "prophylactic"),), "prophylactic", MET, MET),
        ((Medication("Eliquis 5 mg BID", "therapeutic"),), None, NOT_MET, MET),  # not answered: nothing to check
        ((), "none", MET, MET),
    ],
)
def test_the_anticoagulation_answer_against_the_list(medications, answer, ex15, in13):
    facts = anticoagulated(*medications, answer=answer)
    assert (outcome("EX15", facts).status, outcome("IN13", facts).status) == (ex15, in13)


def test_a_contradiction_that_decides_the_inr_rule_leaves_it_unknown():
    facts = with_lab(anticoagulated(answer="prophylactic"), "inr", LabResult(1.3, "ratio", uln=1.1))
    assert outcome("IN13", facts).status == UNKNOWN
    assert outcome("IN13", with_answers(facts, anticoagulation="none")).status == MET


def test_a_criterion_failed_whichever_way_it_is_resolved_stays_failed():
    symptomatic = treated_brain_metastases(Medication("dexamethasone 4 mg PO BID"), brain_metastases_symptomatic=True)
    assert outcome("EX18", symptomatic).status == NOT_MET
    both = anticoagulated(
        Medication("Coumadin 5 mg", "therapeutic"), Medication("Lovenox 40 mg SC", "prophylactic"), answer="therapeutic"
    )
    assert outcome("EX15", both).status == NOT_MET  # Coumadin at full dose excludes, whatever Lovenox's dose


def test_a_contradiction_overrides_a_failure_of_the_criterion_it_affects_but_nothing_else():
    facts = anticoagulated(Medication("Coumadin 5 mg", "therapeutic"), answer="none")
    result = RULESET.evaluate(facts, SCREENING_DATE, "phase1")
    assert result.by_code("EX15").status == UNKNOWN
    assert result.by_code("EX11").status == MET
    assert result.verdict == "incomplete"


# The form


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def answer_block(page, code):
    """The part of the page that shows one answer's field, up to the next field or section."""
    start = page.index(f'id="answer-{code}"')
    ends = [page.find(marker, start + 1) for marker in ('id="answer-', "<section", "<h3")]
    return page[start : min(end for end in ends if end > 0)]


def test_the_form_shows_the_contradiction_at_its_field(coordinator_client, screening_for):
    screening = screening_for()
    data = eligible_payload(
        screening,
        answers={"hiv_positive": "yes", "anticoagulation": "none"},
        medications=[{"name": "Eliquis", "dose": "5 mg BID", "purpose": "therapeutic", "active": True}],
    ) | {"action": "evaluate"}
    assert coordinator_client.post(reverse("screening:edit", args=[screening.pk]), data).status_code == 302
    screening = Screening.objects.get(pk=screening.pk)
    assert screening.verdict == "incomplete"
    assert screening.outcomes.get(code="EX15").status == "unknown"
    assert screening.outcomes.get(code="EX17").status == "unknown"
    page = coordinator_client.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    at_field = answer_block(page, "anticoagulation")
    assert "Check against the medication list" in at_field
    assert "&#x27;Eliquis 5 mg BID&#x27; is an anticoagulant on the medication list" in at_field
    at_field = answer_block(page, "on_antiretroviral_therapy")
    assert "is the candidate receiving combination antiretroviral therapy?" in at_field
    detail = coordinator_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "#answer-anticoagulation" in detail  # "Still missing" links back to the field


def test_resolving_on_the_form_clears_the_contradiction(coordinator_client, screening_for):
    screening = screening_for()
    data = eligible_payload(screening, answers={"hiv_positive": "yes", "on_antiretroviral_therapy": "no"})
    set_rows(data, "medication", [{"name": "Lisinopril", "dose": "10 mg daily", "active": True}])
    coordinator_client.post(reverse("screening:edit", args=[screening.pk]), data | {"action": "evaluate"})
    screening = Screening.objects.get(pk=screening.pk)
    assert screening.verdict == "eligible"
    page = coordinator_client.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    assert "Check against the medication list" not in page
