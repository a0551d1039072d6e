"""The engine's tests run on plain data: the shipped fixtures read as JSON, no database."""

from datetime import date

import pytest

from screening.rules import BloodPressure, CandidateFacts, LabResult, Lesion, Medication, PriorTherapy, RuleSet
from screening.rules.shipped import load_criteria, load_vocabulary

SCREENING_DATE = date(2026, 11, 27)


VOCABULARY = load_vocabulary()
RULESET = RuleSet(load_criteria(), VOCABULARY)


@pytest.fixture
def ruleset():
    return RULESET


@pytest.fixture
def vocabulary():
    return VOCABULARY


def days_ago(n):
    return date.fromordinal(SCREENING_DATE.toordinal() - n)


ATTESTATIONS_PASSING = {
    "allergy_similar_compounds": False,
    "bleeding_diathesis": False,
    "cannot_swallow_pills": False,
    "uncontrolled_illness": False,
    "surgery_affecting_absorption": False,
    "recovered_from_chemotherapy": True,
    "recovered_from_radiotherapy": True,
    "investigational_agents": False,
    "other_anticancer_therapy": False,
    "grapefruit": False,
}


def eligible_facts(**changes):
    """A 55-year-old woman, not of childbearing potential, who meets every criterion; tests change one thing."""
    facts = CandidateFacts(
        birth_date=date(1971, 3, 15),
        sex="female",
        weight_kg=68.0,
        labs={
            "wbc": LabResult(5.2, "10^3/uL", collected_on=days_ago(2)),
            "anc": LabResult(3.1, "10^3/uL", collected_on=days_ago(2)),
            "platelets": LabResult(210, "10^3/uL", collected_on=days_ago(2)),
            "cholesterol": LabResult(190, "mg/dL", collected_on=days_ago(2)),
            "triglycerides": LabResult(150, "mg/dL", collected_on=days_ago(2)),
            "bilirubin": LabResult(0.8, "mg/dL", uln=1.2, collected_on=days_ago(2)),
            "creatinine": LabResult(0.9, "mg/dL", uln=1.1, collected_on=days_ago(2)),
            "ast": LabResult(30, "U/L", uln=40, collected_on=days_ago(2)),
            "alt": LabResult(28, "U/L", uln=45, collected_on=days_ago(2)),
            "inr": LabResult(1.0, "ratio", uln=1.1, collected_on=days_ago(2)),
        },
        grades={"ecog": 1, "peripheral_neuropathy": 0},
        answers={
            "histology_confirmed": True,
            "melanoma_stage": "stage_4",
            "primary_site": "cutaneous",
            "tumor_accessible_to_biopsy": True,
            "pregnant": False,
            "nursing": False,
            "childbearing_potential": False,
            "reproductive_potential": False,
            "hiv_positive": False,
            "target_lesions_in_regional_field": False,
            "brain_metastases": False,
            **ATTESTATIONS_PASSING,
        },
        events={"major_surgery": (days_ago(60),), "radiotherapy": (), "traumatic_injury": (), "tumor_sample": ()},
        prior_therapies=(PriorTherapy("immunotherapy", "metastatic", ("ipilimumab",), days_ago(200), days_ago(120)),),
        medications=(Medication("Lisinopril 10 mg daily"), Medication("acetaminophen 500 mg PRN")),
        blood_pressures=(BloodPressure(days_ago(1), 128, 80), BloodPressure(days_ago(4), 132, 84)),
        lesions=(Lesion(24, "conventional"),),
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def with_lab(facts, code, lab):
    facts.labs = {**facts.labs, code: lab}
    return facts


def with_answers(facts, **answers):
    facts.answers = {**facts.answers, **answers}
    return facts
