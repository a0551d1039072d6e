"""Time since surgery, chemotherapy, radiotherapy, injury and brain-metastasis treatment, before screening."""

from datetime import date

import pytest

from screening.rules import MET, NOT_MET, UNKNOWN, PriorTherapy
from screening.rules.rules import Interval
from screening.tests.conftest import SCREENING_DATE, days_ago, eligible_facts, with_answers


def outcome(ruleset, code, facts, cohort="phase1"):
    return ruleset.evaluate(facts, SCREENING_DATE, cohort).by_code(code)


def with_event(event, *dates):
    facts = eligible_facts()
    facts.events = {**facts.events, event: tuple(dates)}
    return facts


@pytest.mark.parametrize(
    ("code", "event", "boundary_days"),
    [("IN08", "major_surgery", 21), ("EX07", "traumatic_injury", 21), ("IN10", "radiotherapy", 28)],
)
def test_minimum_time_since_an_event(ruleset, code, event, boundary_days):
    assert outcome(ruleset, code, with_event(event, days_ago(boundary_days - 1))).status == NOT_MET
    assert outcome(ruleset, code, with_event(event, days_ago(boundary_days))).status == MET
    assert outcome(ruleset, code, with_event(event, days_ago(boundary_days + 1))).status == MET


def test_the_most_recent_event_counts(ruleset):
    result = outcome(ruleset, "IN08", with_event("major_surgery", days_ago(400), days_ago(10)))
    assert result.status == NOT_MET
    assert "10 days before screening: less than 3 weeks" in result.reason


@pytest.mark.parametrize(("code", "event"), [("IN08", "major_surgery"), ("EX07", "traumatic_injury")])
def test_history_not_taken_is_unknown(ruleset, code, event):
    facts = eligible_facts()
    facts.events = {k: v for k, v in facts.events.items() if k != event}
    result = outcome(ruleset, code, facts)
    assert result.status == UNKNOWN
    assert result.missing[0].field == f"history:{event}"


def test_history_taken_with_nothing_in_it_is_met(ruleset):
    assert outcome(ruleset, "EX07", with_event("traumatic_injury")).status == MET


def test_an_event_after_the_screening_date_is_not_trusted(ruleset):
    assert outcome(ruleset, "IN08", with_event("major_surgery", date(2026, 12, 1))).status == UNKNOWN


def test_radiotherapy_also_needs_recovery(ruleset):
    facts = with_answers(with_event("radiotherapy", days_ago(60)), recovered_from_radiotherapy=False)
    assert outcome(ruleset, "IN10", facts).status == NOT_MET
    facts = with_answers(with_event("radiotherapy", days_ago(60)), recovered_from_radiotherapy=None)
    assert outcome(ruleset, "IN10", facts).status == UNKNOWN


def with_chemo(agent, ended_days_ago, setting="metastatic", modality="systemic_chemotherapy"):
    therapy = PriorTherapy(modality, setting, (agent,), days_ago(ended_days_ago + 60), days_ago(ended_days_ago))
    return eligible_facts(prior_therapies=(therapy,))


@pytest.mark.parametrize("agent", ["dacarbazine", "Temodar", "cisplatin"])
def test_four_weeks_after_ordinary_chemotherapy(ruleset, agent):
    assert outcome(ruleset, "IN09", with_chemo(agent, 27)).status == NOT_MET
    assert outcome(ruleset, "IN09", with_chemo(agent, 28)).status == MET
    assert outcome(ruleset, "IN09", with_chemo(agent, 29)).status == MET


@pytest.mark.parametrize("agent", ["carmustine", "BCNU", "lomustine", "fotemustine", "mitomycin C", "Mutamycin"])
def test_six_weeks_after_nitrosoureas_and_mitomycin(ruleset, agent):
    too_soon = outcome(ruleset, "IN09", with_chemo(agent, 41))
    assert too_soon.status == NOT_MET
    assert "6 weeks" in too_soon.reason
    assert outcome(ruleset, "IN09", with_chemo(agent, 42)).status == MET
    assert outcome(ruleset, "IN09", with_chemo(agent, 43)).status == MET


def test_regional_chemotherapy_counts_for_the_washout(ruleset):
    facts = with_chemo("melphalan", 20, modality="regional_chemotherapy")
    assert outcome(ruleset, "IN09", facts).status == NOT_MET


def test_an_unrecognised_agent_between_four_and_six_weeks_needs_review(ruleset):
    assert outcome(ruleset, "IN09", with_chemo("XYZ-4471", 20)).status == NOT_MET
    pending = outcome(ruleset, "IN09", with_chemo("XYZ-4471", 30))
    assert pending.status == UNKNOWN
    assert "not a recognised drug" in pending.reason
    assert outcome(ruleset, "IN09", with_chemo("XYZ-4471", 43)).status == MET


def test_chemotherapy_without_an_end_date_is_unknown(ruleset):
    facts = eligible_facts(prior_therapies=(PriorTherapy("systemic_chemotherapy", "metastatic", ("dacarbazine",)),))
    assert outcome(ruleset, "IN09", facts).status == UNKNOWN


def test_immunotherapy_is_not_chemotherapy(ruleset):
    facts = eligible_facts(
        prior_therapies=(PriorTherapy("immunotherapy", "metastatic", ("nivolumab",), None, days_ago(3)),)
    )
    assert outcome(ruleset, "IN09", facts).status == MET
    assert outcome(ruleset, "IN11", facts).status == MET


def test_therapy_history_not_taken_is_unknown(ruleset):
    facts = with_answers(eligible_facts(prior_therapies=None), target_lesions_in_regional_field=None)
    for code in ("IN09", "IN12", "IN21"):
        assert outcome(ruleset, code, facts).status == UNKNOWN
    for code in ("EX08", "EX09"):
        assert outcome(ruleset, code, facts, "phase2").status == UNKNOWN


def test_five_years_since_chemotherapy_for_another_cancer(ruleset):
    def facts_ended(day):
        therapy = PriorTherapy("systemic_chemotherapy", "other_cancer", ("cyclophosphamide",), None, day)
        return eligible_facts(prior_therapies=(therapy,))

    assert outcome(ruleset, "IN21", facts_ended(date(2021, 11, 28))).status == NOT_MET
    assert outcome(ruleset, "IN21", facts_ended(date(2021, 11, 27))).status == MET
    assert outcome(ruleset, "IN21", facts_ended(date(2021, 11, 26))).status == MET
    # chemotherapy for melanoma does not count against the other-cancer rule
    assert outcome(ruleset, "IN21", with_chemo("dacarbazine", 40)).status == MET


def with_brain_metastases(treated_on, imaged_on=date(2026, 11, 1), **answers):
    facts = with_event("brain_metastases_treatment", *([treated_on] if treated_on else []))
    facts.events = {**facts.events, "brain_metastases_imaging": (imaged_on,) if imaged_on else ()}
    defaults = {
        "brain_metastases": True,
        "brain_metastases_treatment_type": "radiosurgery",
        "brain_metastases_stable": True,
        "brain_metastases_symptomatic": False,
        "brain_metastases_on_steroids": False,
    }
    return with_answers(facts, **{**defaults, **answers})


def test_brain_metastases_stable_on_imaging_three_months_after_treatment(ruleset):
    """Stable for 3 months is computed from the treatment and the imaging that last showed them stable."""
    treated = date(2026, 5, 27)
    assert outcome(ruleset, "EX18", with_brain_metastases(treated, date(2026, 8, 26))).status == NOT_MET
    assert outcome(ruleset, "EX18", with_brain_metastases(treated, date(2026, 8, 27))).status == MET
    assert outcome(ruleset, "EX18", with_brain_metastases(treated, date(2026, 8, 28))).status == MET
    reason = outcome(ruleset, "EX18", with_brain_metastases(treated, date(2026, 8, 26))).reason
    assert "91 days apart, less than 3 months" in reason


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"imaged_on": date(2026, 5, 1)}, NOT_MET),  # imaging before the treatment shows nothing since
        ({"imaged_on": None}, NOT_MET),  # "none": no imaging since the treatment
        ({"imaged_on": date(2026, 11, 28)}, UNKNOWN),  # after the screening date
        ({"brain_metastases_treatment_type": "other"}, NOT_MET),
        ({"brain_metastases_treatment_type": None}, UNKNOWN),
    ],
)
def test_stability_needs_imaging_after_a_local_treatment(ruleset, changes, expected):
    assert outcome(ruleset, "EX18", with_brain_metastases(date(2026, 3, 1), **changes)).status == expected


def test_imaging_not_entered_is_unknown(ruleset):
    facts = with_brain_metastases(date(2026, 3, 1))
    facts.events = {k: v for k, v in facts.events.items() if k != "brain_metastases_imaging"}
    result = outcome(ruleset, "EX18", facts)
    assert result.status == UNKNOWN
    assert "history:brain_metastases_imaging" in {m.field for m in result.missing}


@pytest.mark.parametrize(
    "answers",
    [
        {"brain_metastases_stable": False},
        {"brain_metastases_symptomatic": True},
        {"brain_metastases_on_steroids": True},
    ],
)
def test_brain_metastases_must_be_stable_asymptomatic_and_off_steroids(ruleset, answers):
    assert outcome(ruleset, "EX18", with_brain_metastases(days_ago(200), **answers)).status == NOT_MET


def test_untreated_brain_metastases_exclude(ruleset):
    assert outcome(ruleset, "EX18", with_brain_metastases(None)).status == NOT_MET


def test_brain_metastases_not_asked_is_unknown(ruleset):
    assert outcome(ruleset, "EX18", with_answers(eligible_facts(), brain_metastases=None)).status == UNKNOWN


def test_recent_tumor_sample_replaces_biopsy_access(ruleset):
    facts = with_answers(with_event("tumor_sample", date(2026, 8, 27)), tumor_accessible_to_biopsy=False)
    assert outcome(ruleset, "IN02", with_answers(facts, agrees_to_provide_sample=True)).status == MET
    assert outcome(ruleset, "IN02", with_answers(facts, agrees_to_provide_sample=False)).status == NOT_MET
    old = with_answers(with_event("tumor_sample", date(2026, 8, 26)), tumor_accessible_to_biopsy=False)
    assert outcome(ruleset, "IN02", with_answers(old, agrees_to_provide_sample=True)).status == NOT_MET


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (Interval(3, "weeks"), date(2026, 11, 6)),
        (Interval(3, "months"), date(2026, 8, 27)),
        (Interval(5, "years"), date(2021, 11, 27)),
        (Interval(1, "months"), date(2026, 10, 27)),
    ],
)
def test_intervals_count_calendar_time(interval, expected):
    assert interval.before(SCREENING_DATE) == expected


def test_months_clamp_to_the_end_of_a_shorter_month():
    assert Interval(3, "months").before(date(2026, 5, 31)) == date(2026, 2, 28)
