"""Concomitant medications by class, as charts write them: brand names, doses, mixed case."""

import pytest

from screening.rules import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, LabResult, Medication
from screening.tests.conftest import SCREENING_DATE, eligible_facts, with_answers, with_lab


def outcome(ruleset, code, facts):
    return ruleset.evaluate(facts, SCREENING_DATE, "phase1").by_code(code)


def taking(*medications, **changes):
    return eligible_facts(medications=(Medication("Lisinopril 10 mg daily"), *medications), **changes)


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("DILANTIN 100 mg PO TID", "phenytoin"),
        ("dilantin", "phenytoin"),
        ("Tegretol XR 200mg BID", "carbamazepine"),
        ("Phenobarbital 30 mg", "phenobarbital"),
        ("Rifadin 600 mg daily", "rifampin"),
        ("rifampicin", "rifampin"),
        ("st. john's wort", "st john's wort"),
        ("St John's Wort 300 mg", "st john's wort"),
        ("St Johns wort", "st john's wort"),
        ("Hypericum perforatum extract", "st john's wort"),
    ],
)
def test_enzyme_inducers_by_generic_or_brand_name(ruleset, text, generic):
    result = outcome(ruleset, "EX11", taking(Medication(text)))
    assert result.status == NOT_MET
    assert generic in result.reason
    assert text in result.reason


def test_a_non_inducing_antiepileptic_is_fine(ruleset):
    assert outcome(ruleset, "EX11", taking(Medication("Keppra 500 mg BID"))).status == MET


def test_a_stopped_medication_does_not_count(ruleset):
    assert outcome(ruleset, "EX11", taking(Medication("Dilantin 100 mg", active=False))).status == MET


def test_an_unrecognised_medication_needs_review_and_is_never_met(ruleset):
    result = outcome(ruleset, "EX11", taking(Medication("Zorbatrex 10 mg daily")))
    assert result.status == UNKNOWN
    assert "'Zorbatrex 10 mg daily' matched no known drug and needs review" in result.reason
    assert result.missing[0].field == "medications"
    for code in ("EX12", "EX14", "EX15", "IN13"):
        assert outcome(ruleset, code, taking(Medication("Zorbatrex 10 mg daily"))).status == UNKNOWN


def test_a_recognised_inducer_fails_even_beside_an_unrecognised_name(ruleset):
    facts = taking(Medication("Zorbatrex"), Medication("Dilantin"))
    assert outcome(ruleset, "EX11", facts).status == NOT_MET


def test_medication_list_not_entered_is_unknown(ruleset):
    result = outcome(ruleset, "EX11", eligible_facts(medications=None))
    assert result.status == UNKNOWN
    assert result.missing[0].field == "medications"


def test_an_empty_medication_list_is_met(ruleset):
    assert outcome(ruleset, "EX11", eligible_facts(medications=())).status == MET


@pytest.mark.parametrize(
    "text", ["Coumadin 5 mg PO daily", "warfarin 7.5 mg", "Lovenox 1 mg/kg SC q12h", "heparin drip IV"]
)
def test_full_dose_anticoagulation_excludes(ruleset, text):
    result = outcome(ruleset, "EX15", taking(Medication(text, purpose="therapeutic")))
    assert result.status == NOT_MET


def test_prophylactic_anticoagulation_is_left_to_its_own_criterion(ruleset):
    facts = taking(Medication("warfarin 1 mg", purpose="prophylactic"))
    assert outcome(ruleset, "EX15", facts).status == MET
    assert outcome(ruleset, "IN13", facts).status == MET


@pytest.mark.parametrize(("inr", "expected"), [(1.2, MET), (1.21, NOT_MET), (1.3, NOT_MET)])
def test_prophylactic_anticoagulation_allowed_only_while_inr_is_below_1_1_uln(ruleset, inr, expected):
    facts = with_lab(
        taking(Medication("warfarin 1 mg", purpose="prophylactic")), "inr", LabResult(inr, "ratio", uln=1.1)
    )
    result = outcome(ruleset, "IN13", facts)
    assert result.status == expected
    assert "INR" in result.reason


def test_prophylactic_anticoagulation_without_an_inr_is_unknown(ruleset):
    facts = taking(Medication("Lovenox 40 mg SC daily", purpose="prophylactic"))
    facts.labs = {k: v for k, v in facts.labs.items() if k != "inr"}
    result = outcome(ruleset, "IN13", facts)
    assert result.status == UNKNOWN
    assert "lab:inr" in {m.field for m in result.missing}


def test_no_anticoagulant_means_the_inr_is_not_needed(ruleset):
    facts = eligible_facts()
    facts.labs = {k: v for k, v in facts.labs.items() if k != "inr"}
    assert outcome(ruleset, "IN13", facts).status == MET


def test_anticoagulant_of_unstated_purpose_is_unknown_for_both_criteria(ruleset):
    facts = taking(Medication("Coumadin 2 mg"))
    assert outcome(ruleset, "EX15", facts).status == UNKNOWN
    assert outcome(ruleset, "IN13", facts).status == UNKNOWN
    assert "prophylactic or therapeutic not stated" in outcome(ruleset, "EX15", facts).reason


@pytest.mark.parametrize(("purpose", "expected"), [("prophylactic", NOT_MET), ("therapeutic", MET), (None, UNKNOWN)])
def test_colony_stimulating_factors_only_when_prophylactic(ruleset, purpose, expected):
    assert outcome(ruleset, "EX12", taking(Medication("Neupogen 480 mcg SC", purpose=purpose))).status == expected


def test_other_anticancer_agents_exclude(ruleset):
    assert outcome(ruleset, "EX14", taking(Medication("Keytruda 200 mg IV q3w"))).status == NOT_MET
    assert outcome(ruleset, "EX14", taking(Medication("Zelboraf 960 mg BID"))).status == NOT_MET


def test_grapefruit_on_the_list_or_by_attestation(ruleset):
    assert outcome(ruleset, "EX16", taking(Medication("grapefruit juice daily"))).status == NOT_MET
    assert outcome(ruleset, "EX16", with_answers(eligible_facts(), grapefruit=True)).status == NOT_MET
    assert outcome(ruleset, "EX16", with_answers(eligible_facts(), grapefruit=None)).status == UNKNOWN


def test_antiretrovirals_exclude_hiv_positive_candidates_only(ruleset):
    on_art = taking(Medication("Biktarvy 1 tab daily"))
    assert outcome(ruleset, "EX17", with_answers(on_art, hiv_positive=True)).status == NOT_MET
    assert outcome(ruleset, "EX17", with_answers(on_art, hiv_positive=False)).status == NOT_APPLICABLE
    unknown_status = outcome(ruleset, "EX17", with_answers(on_art, hiv_positive=None))
    assert unknown_status.status == UNKNOWN
    assert "answer:hiv_positive" in {m.field for m in unknown_status.missing}


def test_without_antiretrovirals_hiv_status_does_not_matter(ruleset):
    assert outcome(ruleset, "EX17", with_answers(eligible_facts(), hiv_positive=None)).status == MET


def test_matcher_prefers_the_longest_name(vocabulary):
    (match,) = vocabulary.matcher.match("Truvada 1 tab daily")
    assert "antiretroviral" in match.drug.classes
    names = [m.drug.generic_name for m in vocabulary.matcher.match("warfarin and aspirin")]
    assert names == ["warfarin", "aspirin"]
