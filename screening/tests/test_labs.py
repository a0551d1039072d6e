"""Lab criteria at their boundaries (just below, at, just above), in more than one unit."""

from datetime import date

import pytest

from screening.rules import MET, NOT_MET, UNKNOWN, LabResult
from screening.rules.rules import cockcroft_gault
from screening.tests.conftest import SCREENING_DATE, eligible_facts, with_lab


def status(ruleset, code, facts, cohort="phase1"):
    return ruleset.evaluate(facts, SCREENING_DATE, cohort).by_code(code)


ABSOLUTE_BOUNDARIES = [
    # criterion, analyte, unit, below, at, above (lower bounds: below fails; upper bounds: above fails)
    ("IN15", "wbc", "10^3/uL", 2.999, 3.0, 3.001),
    ("IN15", "wbc", "/uL", 2999, 3000, 3001),
    ("IN15", "wbc", "10^9/L", 2.99, 3.0, 3.01),
    ("IN16", "anc", "10^3/uL", 1.499, 1.5, 1.501),
    ("IN16", "anc", "/mm3", 1499, 1500, 1501),
    ("IN16", "anc", "x10³/µL", 1.49, 1.5, 1.51),
    ("IN17", "platelets", "K/uL", 99.9, 100, 100.1),
    ("IN17", "platelets", "/uL", 99999, 100000, 100001),
    ("IN18", "cholesterol", "mg/dL", 349, 350, 351),
    ("IN18", "cholesterol", "mmol/L", 9.04, 350 / 38.67, 9.06),
    ("IN19", "triglycerides", "mg/dL", 399, 400, 401),
    ("IN19", "triglycerides", "mmol/L", 4.51, 400 / 88.57, 4.52),
]


@pytest.mark.parametrize(("code", "analyte", "unit", "below", "at", "above"), ABSOLUTE_BOUNDARIES)
def test_absolute_thresholds(ruleset, code, analyte, unit, below, at, above):
    lower_bound = code in {"IN15", "IN16", "IN17"}

    def outcome(value):
        return status(ruleset, code, with_lab(eligible_facts(), analyte, LabResult(value, unit))).status

    assert outcome(below) == (NOT_MET if lower_bound else MET)
    assert outcome(at) == MET
    assert outcome(above) == (MET if lower_bound else NOT_MET)


RELATIVE_BOUNDARIES = [
    # criterion, analyte, unit, uln, below, at, above: at most the limit passes
    ("IN04", "bilirubin", "mg/dL", 1.2, 1.19, 1.2, 1.21),
    ("IN04", "bilirubin", "umol/L", 20.5, 20.4, 20.5, 20.6),
    ("IN20", "ast", "U/L", 40, 99, 100, 101),
    ("IN20", "ast", "ukat/L", 0.5, 1.24, 1.25, 1.26),
    ("IN20", "alt", "U/L", 45, 112, 112.5, 113),
]


@pytest.mark.parametrize(("code", "analyte", "unit", "uln", "below", "at", "above"), RELATIVE_BOUNDARIES)
def test_thresholds_relative_to_the_reported_uln(ruleset, code, analyte, unit, uln, below, at, above):
    def outcome(value):
        return status(ruleset, code, with_lab(eligible_facts(), analyte, LabResult(value, unit, uln=uln))).status

    assert outcome(below) == MET
    assert outcome(at) == MET
    assert outcome(above) == NOT_MET


def test_uln_reason_names_the_multiple(ruleset):
    facts = with_lab(eligible_facts(), "ast", LabResult(120, "U/L", uln=40))
    assert status(ruleset, "IN20", facts).reason == "AST 120 U/L is 3.00 x ULN (40 U/L); outside the limit ≤ 2.5 x ULN"


def test_the_uln_of_the_lab_that_reported_the_result_is_used(ruleset):
    # 100 U/L passes with one lab's ULN of 40 (2.5 x) and fails with another's of 35 (2.86 x).
    assert status(ruleset, "IN20", with_lab(eligible_facts(), "ast", LabResult(100, "U/L", uln=40))).status == MET
    assert status(ruleset, "IN20", with_lab(eligible_facts(), "ast", LabResult(100, "U/L", uln=35))).status == NOT_MET


@pytest.mark.parametrize("code", ["IN15", "IN16", "IN17", "IN18", "IN19", "IN04", "IN20"])
def test_a_missing_lab_is_unknown_and_says_which(ruleset, code):
    analyte = {"IN15": "wbc", "IN16": "anc", "IN17": "platelets", "IN18": "cholesterol"}.get(code)
    analyte = analyte or {"IN19": "triglycerides", "IN04": "bilirubin", "IN20": "alt"}[code]
    facts = eligible_facts()
    facts.labs = {k: v for k, v in facts.labs.items() if k != analyte}
    outcome = status(ruleset, code, facts)
    assert outcome.status == UNKNOWN
    assert f"lab:{analyte}" in {m.field for m in outcome.missing}


def test_missing_uln_is_unknown(ruleset):
    outcome = status(ruleset, "IN04", with_lab(eligible_facts(), "bilirubin", LabResult(0.5, "mg/dL")))
    assert outcome.status == UNKNOWN
    assert outcome.missing[0].field == "lab:bilirubin:uln"


def test_a_unit_the_analyte_does_not_accept_is_never_guessed(ruleset):
    outcome = status(ruleset, "IN16", with_lab(eligible_facts(), "anc", LabResult(1500, "cells/L")))
    assert outcome.status == UNKNOWN
    assert "'cells/L' is not an accepted unit" in outcome.reason


# Creatinine: normal, or clearance >= 60 mL/min (measured, else Cockcroft-Gault)


def test_cockcroft_gault_worked_example():
    # (140 - 60) x 72 kg / (72 x 1.0 mg/dL) = 80 mL/min; x 0.85 for a woman = 68 mL/min
    assert cockcroft_gault(60, 72, "male", 1.0) == pytest.approx(80.0)
    assert cockcroft_gault(60, 72, "female", 1.0) == pytest.approx(68.0)


def high_creatinine(**changes):
    return with_lab(eligible_facts(**changes), "creatinine", LabResult(1.5, "mg/dL", uln=1.1))


@pytest.mark.parametrize(("clearance", "expected"), [(59, NOT_MET), (60, MET), (61, MET)])
def test_measured_clearance_boundary_in_ml_per_min(ruleset, clearance, expected):
    facts = with_lab(high_creatinine(), "creatinine_clearance", LabResult(clearance, "mL/min"))
    assert status(ruleset, "IN05", facts).status == expected


@pytest.mark.parametrize(("clearance", "expected"), [(0.99, NOT_MET), (1.0, MET), (1.01, MET)])
def test_measured_clearance_boundary_in_ml_per_second(ruleset, clearance, expected):
    facts = with_lab(high_creatinine(), "creatinine_clearance", LabResult(clearance, "mL/s"))
    assert status(ruleset, "IN05", facts).status == expected


def test_measured_clearance_wins_over_the_estimate(ruleset):
    facts = with_lab(high_creatinine(weight_kg=120.0), "creatinine_clearance", LabResult(50, "mL/min"))
    outcome = status(ruleset, "IN05", facts)
    assert outcome.status == NOT_MET
    assert "Measured creatinine clearance 50 mL/min" in outcome.reason


@pytest.mark.parametrize(("weight", "expected"), [(59.0, NOT_MET), (60.0, MET), (61.0, MET)])
def test_estimated_clearance_boundary(ruleset, weight, expected):
    # A man aged 32 with creatinine 1.5 mg/dL: (140 - 32) x w / (72 x 1.5) = w mL/min.
    facts = high_creatinine(sex="male", weight_kg=weight, birth_date=date(1994, 11, 27))
    outcome = status(ruleset, "IN05", facts)
    assert outcome.status == expected
    assert "Cockcroft-Gault: age 32" in outcome.reason


def test_creatinine_in_micromoles_is_converted_for_the_estimate(ruleset):
    facts = high_creatinine(sex="male", weight_kg=72.0, birth_date=date(1966, 11, 27))  # 60 on the screening date
    facts = with_lab(facts, "creatinine", LabResult(88.4, "umol/L", uln=80))
    outcome = status(ruleset, "IN05", facts)
    assert outcome.status == MET
    assert "Estimated creatinine clearance" in outcome.reason
    assert "80 mL/min" in outcome.reason


def test_estimate_without_weight_is_unknown_and_asks_for_it(ruleset):
    outcome = status(ruleset, "IN05", high_creatinine(weight_kg=None))
    assert outcome.status == UNKNOWN
    assert "weight_kg" in {m.field for m in outcome.missing}


def test_normal_creatinine_needs_no_clearance(ruleset):
    facts = with_lab(eligible_facts(weight_kg=None), "creatinine", LabResult(1.1, "mg/dL", uln=1.1))
    assert status(ruleset, "IN05", facts).status == MET


def test_a_lab_dated_after_the_screening_date_is_not_trusted(ruleset):
    later = with_lab(eligible_facts(), "anc", LabResult(3.0, "10^3/uL", collected_on=date(2026, 11, 28)))
    outcome = status(ruleset, "IN16", later)
    assert outcome.status == UNKNOWN
    assert "after the screening date" in outcome.reason
