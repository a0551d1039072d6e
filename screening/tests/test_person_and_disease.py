"""Age, performance status, neuropathy, pregnancy, disease, measurable lesions, blood pressure, prior therapy."""

from datetime import date

import pytest

from screening.rules import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, BloodPressure, Lesion, PriorTherapy
from screening.tests.conftest import SCREENING_DATE, days_ago, eligible_facts, with_answers


def outcome(ruleset, code, facts, cohort="phase1"):
    return ruleset.evaluate(facts, SCREENING_DATE, cohort).by_code(code)


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [(date(2008, 11, 28), NOT_MET), (date(2008, 11, 27), MET), (date(2008, 11, 26), MET)],
)
def test_age_18_on_the_screening_date(ruleset, birth_date, expected):
    assert outcome(ruleset, "IN00", eligible_facts(birth_date=birth_date)).status == expected


@pytest.mark.parametrize(("grade", "expected"), [(0, MET), (1, MET), (2, NOT_MET)])
def test_ecog_0_to_1(ruleset, grade, expected):
    assert (
        outcome(ruleset, "IN03", eligible_facts(grades={"ecog": grade, "peripheral_neuropathy": 0})).status == expected
    )


@pytest.mark.parametrize(("grade", "expected"), [(1, MET), (2, MET), (3, NOT_MET)])
def test_neuropathy_no_worse_than_grade_2(ruleset, grade, expected):
    assert (
        outcome(ruleset, "EX19", eligible_facts(grades={"ecog": 0, "peripheral_neuropathy": grade})).status == expected
    )


def test_grades_not_entered_are_unknown(ruleset):
    facts = eligible_facts(grades={})
    assert outcome(ruleset, "IN03", facts).status == UNKNOWN
    assert outcome(ruleset, "EX19", facts).status == UNKNOWN


def test_pregnancy_criteria_do_not_apply_to_men(ruleset):
    facts = eligible_facts(sex="male")
    facts.answers = {k: v for k, v in facts.answers.items() if k not in {"pregnant", "nursing"}}
    assert outcome(ruleset, "EX01", facts).status == NOT_APPLICABLE


def test_pregnant_or_nursing_excludes(ruleset):
    assert outcome(ruleset, "EX01", with_answers(eligible_facts(), pregnant=True)).status == NOT_MET
    assert outcome(ruleset, "EX01", with_answers(eligible_facts(), nursing=True)).status == NOT_MET
    assert outcome(ruleset, "EX01", with_answers(eligible_facts(), nursing=None)).status == UNKNOWN


def test_pregnancy_test_applies_to_childbearing_potential_only(ruleset):
    assert outcome(ruleset, "IN06", eligible_facts()).status == NOT_APPLICABLE
    fertile = with_answers(eligible_facts(), childbearing_potential=True)
    assert outcome(ruleset, "IN06", fertile).status == UNKNOWN
    assert outcome(ruleset, "IN06", with_answers(fertile, pregnancy_test="negative")).status == MET
    assert outcome(ruleset, "IN06", with_answers(fertile, pregnancy_test="positive")).status == NOT_MET


def test_childbearing_potential_unknown_without_a_test_is_unknown(ruleset):
    result = outcome(ruleset, "IN06", with_answers(eligible_facts(), childbearing_potential=None))
    assert result.status == UNKNOWN
    assert "answer:childbearing_potential" in {m.field for m in result.missing}


def test_contraception_applies_to_fertile_people_of_any_sex(ruleset):
    fertile_man = with_answers(eligible_facts(sex="male"), reproductive_potential=True)
    assert outcome(ruleset, "IN07", with_answers(fertile_man, uses_contraception=False)).status == NOT_MET
    assert outcome(ruleset, "IN07", with_answers(fertile_man, uses_contraception=True)).status == MET
    assert outcome(ruleset, "IN07", eligible_facts()).status == NOT_APPLICABLE


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, MET),
        ({"melanoma_stage": "stage_3_resectable"}, NOT_MET),
        ({"melanoma_stage": "stage_3_unresectable"}, MET),
        ({"primary_site": "choroidal"}, NOT_MET),
        ({"histology_confirmed": False}, NOT_MET),
        ({"histology_confirmed": None}, UNKNOWN),
    ],
)
def test_disease_must_be_confirmed_advanced_non_choroidal_melanoma(ruleset, answers, expected):
    assert outcome(ruleset, "IN01", with_answers(eligible_facts(), **answers)).status == expected


@pytest.mark.parametrize(
    ("size", "method", "expected"),
    [
        (19, "conventional", NOT_MET),
        (20, "conventional", MET),
        (21, "conventional", MET),
        (9, "spiral_ct", NOT_MET),
        (10, "spiral_ct", MET),
        (11, "spiral_ct", MET),
        (9.5, "cutaneous", NOT_MET),
        (10, "cutaneous", MET),
    ],
)
def test_measurable_disease_by_method(ruleset, size, method, expected):
    assert outcome(ruleset, "IN14", eligible_facts(lesions=(Lesion(size, method),))).status == expected


def test_any_one_measurable_lesion_is_enough(ruleset):
    lesions = (Lesion(12, "conventional"), Lesion(11, "spiral_ct"))
    assert outcome(ruleset, "IN14", eligible_facts(lesions=lesions)).status == MET


def test_lesions_not_entered_are_unknown(ruleset):
    assert outcome(ruleset, "IN14", eligible_facts(lesions=None)).status == UNKNOWN


def readings(*days_and_values):
    return tuple(BloodPressure(days_ago(d), s, di) for d, s, di in days_and_values)


def test_high_systolic_on_two_separate_days_is_uncontrolled(ruleset):
    result = outcome(ruleset, "EX03", eligible_facts(blood_pressures=readings((1, 150, 80), (3, 145, 85))))
    assert result.status == NOT_MET
    assert "Systolic above 140 mm Hg on 2 separate days" in result.reason


def test_high_diastolic_on_two_separate_days_is_uncontrolled(ruleset):
    assert (
        outcome(ruleset, "EX03", eligible_facts(blood_pressures=readings((1, 130, 95), (2, 128, 92)))).status == NOT_MET
    )


def test_two_high_readings_on_the_same_day_are_one_day(ruleset):
    facts = eligible_facts(blood_pressures=readings((1, 150, 80), (1, 155, 82), (3, 128, 80)))
    assert outcome(ruleset, "EX03", facts).status == MET


def test_the_limits_themselves_are_not_high(ruleset):
    assert outcome(ruleset, "EX03", eligible_facts(blood_pressures=readings((1, 140, 90), (2, 140, 90)))).status == MET


def test_a_reading_six_days_before_counts_and_eight_days_before_does_not(ruleset):
    six = eligible_facts(blood_pressures=readings((1, 150, 80), (6, 150, 80)))
    assert outcome(ruleset, "EX03", six).status == NOT_MET
    eight = eligible_facts(blood_pressures=readings((1, 150, 80), (8, 150, 80), (3, 125, 80)))
    assert outcome(ruleset, "EX03", eight).status == MET


def test_one_high_day_alone_needs_a_second_day(ruleset):
    result = outcome(ruleset, "EX03", eligible_facts(blood_pressures=readings((1, 150, 80))))
    assert result.status == UNKNOWN


def test_no_recent_blood_pressure_is_unknown(ruleset):
    assert outcome(ruleset, "EX03", eligible_facts(blood_pressures=readings((9, 120, 80)))).status == UNKNOWN
    assert outcome(ruleset, "EX03", eligible_facts(blood_pressures=None)).status == UNKNOWN


def regimen(agent, modality="systemic_chemotherapy", setting="metastatic"):
    return PriorTherapy(modality, setting, (agent,), days_ago(300), days_ago(200))


def test_phase_2_allows_one_prior_systemic_regimen_for_metastatic_disease(ruleset):
    one = eligible_facts(prior_therapies=(regimen("dacarbazine"),))
    two = eligible_facts(prior_therapies=(regimen("dacarbazine"), regimen("temozolomide")))
    adjuvant = eligible_facts(prior_therapies=(regimen("dacarbazine"), regimen("cisplatin", setting="adjuvant")))
    assert outcome(ruleset, "EX08", one, "phase2").status == MET
    assert outcome(ruleset, "EX08", two, "phase2").status == NOT_MET
    assert outcome(ruleset, "EX08", adjuvant, "phase2").status == MET
    assert outcome(ruleset, "EX08", two, "phase1").status == NOT_APPLICABLE


@pytest.mark.parametrize("agent", ["Nexavar", "sorafenib", "BAY 43-9006", "vemurafenib", "Avastin", "everolimus"])
def test_phase_2_excludes_prior_raf_vegf_or_mtor_agents(ruleset, agent):
    facts = eligible_facts(prior_therapies=(regimen(agent, modality="targeted_therapy"),))
    assert outcome(ruleset, "EX09", facts, "phase2").status == NOT_MET
    assert outcome(ruleset, "EX09", facts, "phase1").status == NOT_APPLICABLE


def test_prior_agent_not_recognised_needs_review(ruleset):
    facts = eligible_facts(prior_therapies=(regimen("XYZ-4471", modality="targeted_therapy"),))
    assert outcome(ruleset, "EX09", facts, "phase2").status == UNKNOWN


def test_one_regional_regimen_allowed_when_lesions_are_in_its_field(ruleset):
    one = eligible_facts(prior_therapies=(regimen("melphalan", "regional_chemotherapy"),))
    two = eligible_facts(prior_therapies=(regimen("melphalan", "regional_chemotherapy"),) * 2)
    in_field = {"target_lesions_in_regional_field": True}
    assert outcome(ruleset, "IN12", with_answers(one, **in_field)).status == MET
    assert outcome(ruleset, "IN12", with_answers(two, **in_field)).status == NOT_MET
    assert outcome(ruleset, "IN12", with_answers(two, target_lesions_in_regional_field=False)).status == MET


@pytest.mark.parametrize(
    ("code", "question"),
    [
        ("EX02", "allergy_similar_compounds"),
        ("EX04", "bleeding_diathesis"),
        ("EX05", "cannot_swallow_pills"),
        ("EX06", "uncontrolled_illness"),
        ("EX10", "surgery_affecting_absorption"),
        ("EX13", "investigational_agents"),
    ],
)
def test_attestations_are_unknown_until_answered(ruleset, code, question):
    assert outcome(ruleset, code, with_answers(eligible_facts(), **{question: None})).status == UNKNOWN
    assert outcome(ruleset, code, with_answers(eligible_facts(), **{question: True})).status == NOT_MET
    assert outcome(ruleset, code, with_answers(eligible_facts(), **{question: False})).status == MET
