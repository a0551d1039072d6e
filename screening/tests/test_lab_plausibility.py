"""A value that only makes sense in another unit never decides a criterion: outside an analyte's physiological
limits it is refused with the unit it was probably meant in; unusual, it counts only once the coordinator confirms
value and unit. Units as labs print them are taken; the ANC is worked out from the differential when the lab
reports only that."""

import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import services
from screening.models import LabValue, Screening
from screening.rules import MET, NOT_MET, UNKNOWN, LabResult, Medication
from screening.rules.vocabulary import IMPOSSIBLE, UNUSUAL
from screening.selectors import screening_with_outcomes
from screening.tests.conftest import RULESET, SCREENING_DATE, days_ago, eligible_facts, with_lab
from screening.tests.forms_data import eligible_payload

ANALYTE_CRITERIA = {
    "wbc": "IN15",
    "anc": "IN16",
    "platelets": "IN17",
    "cholesterol": "IN18",
    "triglycerides": "IN19",
    "bilirubin": "IN04",
    "creatinine": "IN05",
    "ast": "IN20",
    "alt": "IN20",
    "inr": "IN13",
}


def outcome(code, facts):
    return RULESET.evaluate(facts, SCREENING_DATE, "phase1").by_code(code)


def limits():
    """(analyte, which limit, its value in the canonical unit) for every physiological limit the vocabulary sets."""
    for code, analyte in RULESET.vocabulary.analytes.items():
        for name, value in zip(("minimum", "maximum"), analyte.possible, strict=True):
            if value is not None and value > 0:
                yield code, name, value


@pytest.mark.parametrize(("code", "which", "limit"), list(limits()))
def test_each_physiological_limit_just_inside_and_just_outside(code, which, limit):
    analyte = RULESET.vocabulary.analytes[code]
    outside = limit * (0.999 if which == "minimum" else 1.001)
    assert analyte.judge(limit) == UNUSUAL
    assert analyte.judge(outside) == IMPOSSIBLE


def test_every_analyte_the_criteria_read_has_physiological_limits_around_its_usual_range():
    for code in ANALYTE_CRITERIA:
        analyte = RULESET.vocabulary.analytes[code]
        (low, high), (usual_low, usual_high) = analyte.possible, analyte.plausible
        assert low is not None, code
        assert high is not None, code
        assert low <= usual_low < usual_high <= high, code


@pytest.mark.parametrize(("analyte", "code", "value"), [("platelets", "IN17", 150), ("wbc", "IN15", 4.1)])
def test_an_impossible_value_is_unknown_never_a_screen_fail(analyte, code, value):
    """150 /mm3 platelets or 4.1 /mm3 WBC were meant in 10^3/uL: not a screen failure, even if confirmed."""
    result = outcome(code, with_lab(eligible_facts(), analyte, LabResult(value, "/mm3", confirmed=True)))
    assert result.status == UNKNOWN
    assert "check the value and unit" in result.reason


def test_an_unusual_value_counts_only_once_confirmed():
    low_anc = LabResult(
        1.5, "/mm3", collected_on=days_ago(2)
    )  # 1.5 /mm3: meant 1.5 x10^3/uL, or a real agranulocytosis
    unconfirmed = outcome("IN16", with_lab(eligible_facts(), "anc", low_anc))
    assert unconfirmed.status == UNKNOWN
    assert unconfirmed.reason == "ANC 1.5/mm3 is unusual: confirm the value and unit"
    assert unconfirmed.missing[0].field == "lab:anc"
    confirmed = LabResult(1.5, "/mm3", collected_on=days_ago(2), confirmed=True)
    result = outcome("IN16", with_lab(eligible_facts(), "anc", confirmed))
    assert result.status == NOT_MET
    assert "confirmed by the coordinator" in result.evidence[0]


def test_an_unusual_uln_needs_the_confirmation_too():
    # 21 is a bilirubin ULN in umol/L: typed against mg/dL it would let a bilirubin of 12 mg/dL pass.
    lab = LabResult(0.8, "mg/dL", uln=21, collected_on=days_ago(2))
    assert outcome("IN04", with_lab(eligible_facts(), "bilirubin", lab)).status == UNKNOWN


ULNS = {"bilirubin": 1.2, "creatinine": 1.1, "ast": 40, "alt": 45, "inr": 1.1}


@settings(max_examples=300)
@given(st.sampled_from(sorted(ANALYTE_CRITERIA)), st.floats(min_value=0, max_value=1e7, allow_nan=False), st.booleans())
def test_an_impossible_or_unconfirmed_unusual_value_is_never_met_or_not_met(code, value, confirmed):
    analyte = RULESET.vocabulary.analytes[code]
    facts = with_lab(eligible_facts(), code, LabResult(value, analyte.canonical_unit, ULNS.get(code), None, confirmed))
    if code == "inr":  # IN13 reads the INR only for prophylactic anticoagulation
        facts.medications = (*facts.medications, Medication("enoxaparin 40 mg SC daily", "prophylactic"))
    judged = analyte.judge(value)
    if judged == IMPOSSIBLE or (judged == UNUSUAL and not confirmed):
        assert outcome(ANALYTE_CRITERIA[code], facts).status == UNKNOWN


# Units as labs print them


@pytest.mark.parametrize(
    ("analyte", "written", "meant"),
    [
        ("platelets", "10*3/uL", "10^3/uL"),
        ("platelets", "K/cumm", "10^3/mm3"),
        ("platelets", "thou/mm3", "10^3/mm3"),
        ("platelets", "x10E9/L", "10^9/L"),
        ("wbc", "10³/µL", "10^3/uL"),
        ("anc", "cells/mm3", "/mm3"),
        ("bilirubin", "µmol/L", "umol/L"),
        ("creatinine", "micromol/L", "umol/L"),
        ("ast", "µkat/L", "ukat/L"),
        ("inr", "{INR}", "ratio"),
        ("creatinine_clearance", "ml/min", "mL/min"),
    ],
)
def test_unit_spellings_of_lab_reports_and_ucum(vocabulary, analyte, written, meant):
    assert vocabulary.analytes[analyte].unit_of(written) == meant


def test_a_unit_is_never_guessed_from_another_analyte(vocabulary):
    assert vocabulary.analytes["platelets"].unit_of("mmol/L") is None
    assert vocabulary.analytes["cholesterol"].unit_of("K/uL") is None
    result = outcome("IN17", with_lab(eligible_facts(), "platelets", LabResult(210, "mmol/L")))
    assert result.status == UNKNOWN


def test_a_count_in_ucum_units_is_compared_like_any_other():
    assert outcome("IN17", with_lab(eligible_facts(), "platelets", LabResult(99, "10*9/L"))).status == NOT_MET
    assert outcome("IN17", with_lab(eligible_facts(), "platelets", LabResult(100, "K/cumm"))).status == MET


# ANC from WBC x neutrophil %


def differential(wbc, percent, *, wbc_day=2, percent_day=2):
    facts = eligible_facts()
    facts.labs = {k: v for k, v in facts.labs.items() if k not in ("anc", "wbc")}
    facts.labs["wbc"] = LabResult(wbc, "10^3/uL", collected_on=days_ago(wbc_day))
    facts.labs["neutrophils_pct"] = LabResult(percent, "%", collected_on=days_ago(percent_day))
    return facts


@pytest.mark.parametrize(("percent", "expected"), [(49.9, NOT_MET), (50, MET), (50.1, MET)])
def test_the_anc_is_computed_from_the_differential_when_not_reported(percent, expected):
    result = outcome("IN16", differential(3.0, percent))  # 3,000/mm3 x 50% = 1,500/mm3
    assert result.status == expected
    assert "computed from WBC 3 10^3/uL x neutrophils" in result.reason


def test_the_computed_anc_shows_its_provenance():
    result = outcome("IN16", differential(4.1, 70))
    assert result.status == MET
    assert result.reason.startswith("ANC 2,870/mm3 (computed from WBC 4.1 10^3/uL x neutrophils 70%")


def test_a_differential_from_another_day_is_not_combined():
    result = outcome("IN16", differential(4.1, 70, wbc_day=2, percent_day=9))
    assert result.status == UNKNOWN
    assert "different dates" in result.reason


def test_a_reported_anc_wins_over_the_differential():
    facts = with_lab(differential(4.1, 70), "anc", LabResult(1.2, "10^3/uL", collected_on=days_ago(2)))
    assert outcome("IN16", facts).status == NOT_MET


def test_without_anc_or_differential_the_anc_is_asked_for():
    facts = eligible_facts()
    facts.labs = {k: v for k, v in facts.labs.items() if k != "anc"}
    result = outcome("IN16", facts)
    assert result.status == UNKNOWN
    assert result.missing[0].label == "Absolute neutrophil count result (or the WBC and neutrophil %)"


# The form


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def post(client, screening, *, labs, action="evaluate", extra=None):
    data = eligible_payload(screening, labs=labs) | {"action": action} | (extra or {})
    return client.post(reverse("screening:edit", args=[screening.pk]), data)


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "message"),
    [
        ("platelets", "150", "/mm3", "150 /mm3 is not a possible platelet count: did you mean 10^3/uL?"),
        ("wbc", "4.1", "/mm3", "4.1 /mm3 is not a possible white blood cell count: did you mean 10^3/uL?"),
        ("platelets", "999", "/uL", "999 /uL is not a possible platelet count; check the value and unit."),
        ("creatinine", "88", "mg/dL", "88 mg/dL is not a possible serum creatinine: did you mean umol/L?"),
    ],
)
def test_the_form_refuses_a_value_outside_the_physiological_limits(
    coordinator_client, screening_for, analyte, value, unit, message
):
    screening = screening_for()
    response = post(
        coordinator_client, screening, labs={analyte: (value, unit, "1.1" if analyte == "creatinine" else "")}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LabValue.objects.filter(screening=screening).exists()


def test_just_inside_the_limit_the_value_is_saved_but_asks_for_a_confirmation(coordinator_client, screening_for):
    screening = screening_for()
    response = post(coordinator_client, screening, labs={"platelets": ("1000", "/uL", "")})
    assert response.status_code == 302
    screening = Screening.objects.get(pk=screening.pk)
    assert screening.verdict == "incomplete"
    result = screening.outcomes.get(code="IN17")
    assert (result.status, result.reason) == ("unknown", "Platelets 1,000/uL is unusual: confirm the value and unit")
    assert any("Platelets 1000 /uL is unusual" in warning for warning in screening.warnings)
    page = coordinator_client.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    assert 'id="lab-platelets-confirm"' in page
    assert 'name="lab-platelets-confirmed_for" value="1000||/uL"' in page


def test_a_confirmation_counts_for_the_value_it_was_given_for(coordinator_client, screening_for):
    screening = screening_for()
    post(coordinator_client, screening, labs={"platelets": ("1000", "/uL", "")})
    ticked = {"lab-platelets-confirmed": "on", "lab-platelets-confirmed_for": "1000||/uL"}
    post(coordinator_client, screening, labs={"platelets": ("1000", "/uL", "")}, extra=ticked)
    lab = LabValue.objects.get(screening=screening, analyte__code="platelets")
    assert lab.confirmed
    assert Screening.objects.get(pk=screening.pk).outcomes.get(code="IN17").status == "not_met"
    detail = coordinator_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "unusual; value and unit confirmed" in detail
    # Changed after the box was ticked, the new value is not confirmed by it.
    post(coordinator_client, screening, labs={"platelets": ("2000", "/uL", "")}, extra=ticked)
    assert not LabValue.objects.get(screening=screening, analyte__code="platelets").confirmed
    assert Screening.objects.get(pk=screening.pk).outcomes.get(code="IN17").status == "unknown"


def test_a_usual_value_is_never_stored_as_confirmed(coordinator_client, screening_for):
    screening = screening_for()
    ticked = {"lab-wbc-confirmed": "on", "lab-wbc-confirmed_for": "5.2||10^3/uL"}
    post(coordinator_client, screening, labs={"wbc": ("5.2", "10^3/uL", "")}, extra=ticked)
    assert not LabValue.objects.get(screening=screening, analyte__code="wbc").confirmed


def test_the_form_takes_units_as_the_lab_printed_them(coordinator_client, screening_for):
    screening = screening_for()
    labs = {"platelets": ("210", "K/cumm", ""), "wbc": ("5.2", "10*3/uL", ""), "bilirubin": ("14", "µmol/L", "21")}
    response = post(coordinator_client, screening, labs=labs)
    assert response.status_code == 302
    screening = Screening.objects.get(pk=screening.pk)
    assert screening.verdict == "eligible"
    assert LabValue.objects.get(screening=screening, analyte__code="platelets").unit == "K/cumm"


def test_the_form_computes_the_anc_from_the_differential(coordinator_client, screening_for):
    screening = screening_for()
    today = timezone.localdate()
    labs = {"anc": ("", "", ""), "wbc": ("4.1", "10^3/uL", ""), "neutrophils_pct": ("70", "%", "")}
    data = eligible_payload(screening, labs=labs) | {"action": "evaluate", "lab-anc-collected_on": ""}
    data["lab-neutrophils_pct-collected_on"] = data["lab-wbc-collected_on"] = today - timedelta(days=2)
    assert coordinator_client.post(reverse("screening:edit", args=[screening.pk]), data).status_code == 302
    result = Screening.objects.get(pk=screening.pk).outcomes.get(code="IN16")
    assert result.status == "met"
    assert "computed from WBC 4.1 10^3/uL x neutrophils 70%" in result.reason
    edit = coordinator_client.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    assert "2,870/mm3, computed from WBC 4.1 10^3/uL x neutrophils 70%" in edit
    detail = coordinator_client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "computed from WBC 4.1 10^3/uL x neutrophils 70%" in detail


def test_the_pdf_shows_confirmations_and_computed_values(coordinator_client, screening_for, coordinator):
    from screening.pdf import render_report
    from screening.tests.test_reports import pdf_text

    screening = screening_for()
    ticked = {"lab-platelets-confirmed": "on", "lab-platelets-confirmed_for": "1000||/uL"}
    post(coordinator_client, screening, labs={"platelets": ("1000", "/uL", "")})
    post(coordinator_client, screening, labs={"platelets": ("1000", "/uL", "")}, extra=ticked)
    _, _, data = render_report(
        screening_with_outcomes(pk=screening.pk), generated_by=coordinator, generated_at=timezone.now()
    )
    assert "(unusual; value and unit confirmed by the coordinator)" in pdf_text(data)


def test_evaluating_with_the_service_applies_the_same_limits(screening_for):
    """Whatever writes the rows (the form, an import), the engine decides on the same limits."""
    from trials.models import Analyte

    screening = screening_for()
    platelets = Analyte.objects.get(code="platelets")
    services.screening_update(
        screening=screening,
        fields={},
        answers={},
        labs={platelets: {"value": 150, "unit": "/mm3", "uln": None, "collected_on": None, "confirmed": True}},
        blood_pressures=[],
        therapies=[],
        medications=[],
        lesions=[],
        evaluate=True,
    )
    assert screening.outcomes.get(code="IN17").status == "unknown"
    assert math.isclose(float(LabValue.objects.get(screening=screening).value), 150)


def test_an_inr_printed_without_a_unit_is_taken_as_the_ratio(coordinator_client, screening_for):
    screening = screening_for()
    response = post(coordinator_client, screening, labs={"inr": ("1.0", "", "1.1")})
    assert response.status_code == 302
    assert LabValue.objects.get(screening=screening, analyte__code="inr").unit == "ratio"
    refused = post(coordinator_client, screening, labs={"cholesterol": ("190", "", "")})
    assert "Enter the unit the lab reported." in refused.content.decode()
