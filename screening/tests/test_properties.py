"""Laws the engine must keep for any input (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.rules import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, LabResult, Verdict
from screening.rules.outcomes import verdict_of
from screening.rules.vocabulary import IMPOSSIBLE
from screening.tests.conftest import RULESET, SCREENING_DATE, eligible_facts, with_lab

statuses = st.lists(st.sampled_from([MET, NOT_MET, UNKNOWN, NOT_APPLICABLE]), max_size=45)

LOWER_BOUNDED = [("IN15", "wbc"), ("IN16", "anc"), ("IN17", "platelets")]
COUNT_UNITS = ["/mm3", "/uL", "10^3/uL", "10^9/L", "K/uL"]


@given(statuses)
def test_any_failure_is_ineligible(values):
    assert (verdict_of(values) == Verdict.INELIGIBLE) == (NOT_MET in values)


@given(statuses)
def test_incomplete_exactly_when_nothing_failed_and_something_is_unknown(values):
    expected = NOT_MET not in values and UNKNOWN in values
    assert (verdict_of(values) == Verdict.INCOMPLETE) == expected


@given(statuses)
def test_eligible_only_when_everything_applicable_is_met(values):
    assert (verdict_of(values) == Verdict.ELIGIBLE) == (set(values) <= {MET, NOT_APPLICABLE})


@given(statuses, st.randoms(use_true_random=False))
def test_order_does_not_matter(values, rng):
    shuffled = list(values)
    rng.shuffle(shuffled)
    assert verdict_of(values) == verdict_of(shuffled)


@given(statuses)
def test_adding_a_met_or_not_applicable_criterion_changes_nothing(values):
    assert verdict_of([*values, MET]) == verdict_of(values) == verdict_of([*values, NOT_APPLICABLE])


@settings(max_examples=300)
@given(
    st.sampled_from(LOWER_BOUNDED),
    st.sampled_from(COUNT_UNITS),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_raising_a_lower_bounded_lab_never_turns_met_into_not_met(criterion, unit, value, increase):
    """Confirmed by the coordinator, any possible value is met or not met; an impossible one is unknown."""
    code, analyte = criterion
    definition = RULESET.vocabulary.analytes[analyte]

    def status(amount):
        facts = with_lab(eligible_facts(), analyte, LabResult(amount, unit, confirmed=True))
        result = RULESET.evaluate(facts, SCREENING_DATE, "phase1").by_code(code).status
        possible = definition.judge(definition.to_canonical(amount, unit)) != IMPOSSIBLE
        assert result in ({MET, NOT_MET} if possible else {UNKNOWN})
        return result

    before, after = status(value), status(value + increase)
    assert not (before == MET and after == NOT_MET)


@settings(max_examples=200)
@given(
    st.sampled_from(["IN18", "IN19"]), st.floats(min_value=0, max_value=5000), st.floats(min_value=0, max_value=5000)
)
def test_lowering_an_upper_bounded_lab_never_turns_met_into_not_met(code, value, decrease):
    analyte = {"IN18": "cholesterol", "IN19": "triglycerides"}[code]

    def status(amount):
        facts = with_lab(eligible_facts(), analyte, LabResult(amount, "mg/dL"))
        return RULESET.evaluate(facts, SCREENING_DATE, "phase1").by_code(code).status

    assert not (status(value) == MET and status(max(value - decrease, 0)) == NOT_MET)


@settings(max_examples=200)
@given(st.sampled_from(COUNT_UNITS), st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_the_same_count_in_any_unit_gets_the_same_answer(unit, per_mm3):
    factor = {"/mm3": 1, "/uL": 1, "10^3/uL": 1000, "10^9/L": 1000, "K/uL": 1000}[unit]

    def status(value, in_unit):
        facts = with_lab(eligible_facts(), "anc", LabResult(value, in_unit))
        return RULESET.evaluate(facts, SCREENING_DATE, "phase1").by_code("IN16").status

    assert status(per_mm3, "/mm3") == status(per_mm3 / factor, unit)
