"""A criterion's summary must say what its rule checks: every number, unit and comparison. No database."""

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.rules import RuleError, compile_rule
from screening.rules.shipped import load_criteria, load_vocabulary
from screening.rules.wording import summary_disagreements

VOCABULARY = load_vocabulary()
CRITERIA = {c.code: c for c in load_criteria()}
PLATELETS = {"type": "lab_absolute", "analyte": "platelets", "op": ">=", "value": 100000, "unit": "/mm3"}


def disagreements(summary, rule, **extra):
    return summary_disagreements(summary, rule, VOCABULARY, **extra)


def agrees(summary, rule, **extra):
    return disagreements(summary, rule, **extra) == []


# The shipped criteria


def test_there_are_41_shipped_criteria():
    assert len(CRITERIA) == 41


@pytest.mark.parametrize("code", sorted(CRITERIA))
def test_every_shipped_summary_agrees_with_its_rule(code):
    criterion = CRITERIA[code]
    assert disagreements(criterion.summary, criterion.rule, text=criterion.text) == []


def test_without_the_record_text_only_the_protocol_detail_the_rule_does_not_check_is_questioned():
    """IN07's "30 days after treatment" is in the record's text but not in its fact rule: it needs the text."""
    flagged = {code for code, c in CRITERIA.items() if disagreements(c.summary, c.rule)}
    assert flagged == {"IN07"}
    assert disagreements(CRITERIA["IN07"].summary, CRITERIA["IN07"].rule) == [
        "The summary says 30 days but the rule has no time interval (a detail the rule does not check may be "
        "repeated from the record's text, and no text was given)."
    ]


# IN17: the administrator's change that started this


def test_a_platelet_limit_changed_without_its_summary_is_refused():
    rule = {**PLATELETS, "value": 75, "unit": "10^9/L"}
    assert disagreements(CRITERIA["IN17"].summary, rule, text=CRITERIA["IN17"].text) == [
        "The summary says 100,000/mm3 but the rule's platelets limit is 75 10^9/L (75,000/mm3)."
    ]


@pytest.mark.parametrize(
    ("value", "unit"),
    [(100, "10^9/L"), (100, "10^3/uL"), (100, "K/uL"), (100, "10^3/mm3"), (100000, "/uL"), (100000, "cells/uL")],
)
def test_the_same_platelet_limit_in_another_unit_agrees(value, unit):
    rule = {**PLATELETS, "value": value, "unit": unit}
    compile_rule(rule, VOCABULARY)
    assert agrees("Platelets at least 100,000/mm3", rule)


@pytest.mark.parametrize(
    "summary",
    [
        "Platelets at least 100 x 10^9/L",
        "Platelets \u2265 100 \u00d7 10\u2079/L",  # ≥, the multiplication sign, superscript 9
        "Platelets at least 100 x10^3/uL",
        "Platelet count ≥ 100,000/mm³",
        "Platelets at least 100000/uL",
    ],
)
def test_the_summary_may_write_the_limit_in_any_unit_of_the_analyte(summary):
    assert agrees(summary, PLATELETS)


# Changing any number or comparison of a shipped rule, and not its summary, is caught


def _numbers(node, path=()):
    """(path, value) of every number in a rule spec (true/false are not numbers)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def _replaced(rule, path, value):
    changed = copy.deepcopy(rule)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def _changed_values(value):
    if isinstance(value, int):
        return sorted({value + 1, value * 2})
    return sorted({round(value * 2, 6), round(value + 0.1, 6)})


# Every number of every shipped rule can appear in a summary (a limit, multiple, age, grade, interval, count, size,
# pressure or window); none is exempt. Only changes that still compile are checked: a rule that does not compile is
# refused by compiling.
NUMBER_CHANGES = [
    pytest.param(code, path, new, id=f"{code}-{'.'.join(map(str, path))}={new}")
    for code, criterion in sorted(CRITERIA.items())
    for path, value in _numbers(criterion.rule)
    for new in _changed_values(value)
]


def test_every_shipped_number_is_changed_by_the_mutation_tests():
    numbers = {(code, path) for code, c in CRITERIA.items() for path, _ in _numbers(c.rule)}
    assert len(numbers) == 31
    assert {(p.values[0], p.values[1]) for p in NUMBER_CHANGES} == numbers


@pytest.mark.parametrize(("code", "path", "new"), NUMBER_CHANGES)
def test_changing_a_number_of_a_shipped_rule_is_flagged(code, path, new):
    criterion = CRITERIA[code]
    rule = _replaced(criterion.rule, path, new)
    try:
        compile_rule(rule, VOCABULARY)
    except RuleError:
        pytest.skip("the changed rule does not compile")
    assert disagreements(criterion.summary, rule, text=criterion.text)


def _comparisons(node, path=()):
    """(path, op) of every lab comparison in a rule spec."""
    if isinstance(node, dict):
        if node.get("type") in ("lab_absolute", "lab_uln"):
            yield (*path, "op"), node["op"]
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _comparisons(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _comparisons(value, (*path, i))


STRICTNESS = {">=": ">", ">": ">=", "<=": "<", "<": "<="}
OPPOSITE = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
COMPARISON_CHANGES = [
    pytest.param(code, path, table[op], id=f"{code}-{'.'.join(map(str, path))}={table[op]}")
    for code, criterion in sorted(CRITERIA.items())
    for path, op in _comparisons(criterion.rule)
    for table in (STRICTNESS, OPPOSITE)
]


def test_every_shipped_lab_rule_has_its_comparison_changed():
    assert len(COMPARISON_CHANGES) == 2 * 10  # IN04, IN05, IN13, IN15-IN19, and IN20's two


@pytest.mark.parametrize(("code", "path", "new"), COMPARISON_CHANGES)
def test_changing_a_lab_comparison_of_a_shipped_rule_is_flagged(code, path, new):
    criterion = CRITERIA[code]
    rule = _replaced(criterion.rule, path, new)
    compile_rule(rule, VOCABULARY)
    assert disagreements(criterion.summary, rule, text=criterion.text)


_SUMMARY_NUMBER = re.compile(r"(?<![\w.^/,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w^]|,\d)")


def _summary_changes():
    """Every shipped summary with one of its numbers changed (x2, or +1), its rule and text unchanged."""
    for code, criterion in sorted(CRITERIA.items()):
        for match in _SUMMARY_NUMBER.finditer(criterion.summary):
            value = float(match.group(1).replace(",", ""))
            for new in {value + 1, value * 2} - {value}:
                written = f"{new:,.0f}" if "," in match.group(1) else f"{new:g}"
                changed = criterion.summary[: match.start()] + written + criterion.summary[match.end() :]
                yield pytest.param(code, changed, id=f"{code}-{match.group(1)}->{written}")


SUMMARY_CHANGES = list(_summary_changes())


def test_every_number_of_a_shipped_summary_is_changed_by_the_mutation_tests():
    assert len(SUMMARY_CHANGES) >= 50  # 29 numbers in the 41 summaries


@pytest.mark.parametrize(("code", "summary"), SUMMARY_CHANGES)
def test_changing_a_number_of_a_shipped_summary_is_flagged(code, summary):
    """The other way round: a summary edited without its rule (or the text, for IN07's 30 days)."""
    criterion = CRITERIA[code]
    assert disagreements(summary, criterion.rule, text=criterion.text)


def test_a_changed_comparison_says_which_words_disagree():
    rule = {"type": "lab_absolute", "analyte": "platelets", "op": "<", "value": 100000, "unit": "/mm3"}
    assert disagreements("Platelets at least 100,000/mm3", rule) == [
        'The summary says "at least" but the rule\'s platelets comparison is "<".'
    ]


# Boundaries


AGE_18 = {"type": "age", "minimum_years": 18}
AST = {"type": "lab_uln", "analyte": "ast", "op": "<=", "multiple": 2.5}
ECOG_1 = {"type": "grade", "scale": "ecog", "maximum": 1}
SURGERY = {"type": "time_since_event", "event": "major_surgery", "minimum": {"weeks": 3}}
SAMPLE = {"type": "time_since_event", "event": "tumor_sample", "maximum": {"months": 3}}
SIZES = {"type": "measurable_disease", "minimum_mm": {"conventional": 20, "spiral_ct": 10, "cutaneous": 10}}
PRESSURE = {"type": "blood_pressure_count", "systolic_above": 140, "diastolic_above": 90, "days": 2, "within_days": 7}
INR = {"type": "lab_absolute", "analyte": "inr", "op": "<=", "value": 1.5, "unit": "ratio"}


@pytest.mark.parametrize(
    ("summary", "rule", "agree"),
    [
        # comparisons: "at least" is >=, "above" is >
        ("Platelets at least 100,000/mm3", PLATELETS, True),
        ("Platelets ≥ 100,000/mm3", PLATELETS, True),
        ("Platelets no less than 100,000/mm3", PLATELETS, True),
        ("Platelets above 100,000/mm3", PLATELETS, False),
        ("Platelets above 100,000/mm3", {**PLATELETS, "op": ">"}, True),
        ("Platelets at least 100,000/mm3", {**PLATELETS, "op": ">"}, False),
        ("Platelets more than 100,000/mm3", {**PLATELETS, "op": ">"}, True),
        ("Platelets at most 100,000/mm3", PLATELETS, False),
        ("Platelets 100,000/mm3", PLATELETS, False),  # no comparison at all
        ("No platelet count below 100,000/mm3", PLATELETS, True),  # said as what excludes
        ("Platelets at least 100,000/mm3", {"type": "not", "rule": {**PLATELETS, "op": "<"}}, True),
        ("Platelets at least 100,000/mm3", {"type": "not", "rule": PLATELETS}, False),
        # thousands separators and decimals
        ("Platelets at least 100000/mm3", PLATELETS, True),
        ("Platelets at least 10,000/mm3", PLATELETS, False),
        ("Platelets at least 1,000,000/mm3", PLATELETS, False),
        ("AST at most 2.5 x ULN", AST, True),
        ("AST at most 2.50 times the upper limit of normal", AST, True),
        ("AST at most 2.5 x ULN", {**AST, "multiple": 2.4}, False),
        ("AST at most 25 x ULN", AST, False),
        ("AST below 2.5 x ULN", AST, False),
        ("AST and ALT at most 2.5 x ULN", AST, False),  # ALT has no limit in this rule
        ("INR at most 1.5", INR, True),
        ("INR at most 1.4", INR, False),
        ("Bilirubin at or below the upper limit of normal", {**AST, "analyte": "bilirubin", "multiple": 1}, True),
        ("Bilirubin at or below the upper limit of normal", {**AST, "analyte": "bilirubin", "multiple": 1.5}, False),
        # ages and other whole numbers: "over 17" is "at least 18"
        ("Age 18 or older", AGE_18, True),
        ("Aged 18 years or older", AGE_18, True),
        ("Age at least 18", AGE_18, True),
        ("Age over 17", AGE_18, True),
        ("Age over 18", AGE_18, False),
        ("Age 21 or older", AGE_18, False),
        ("Aged 18 to 75 years", {**AGE_18, "maximum_years": 75}, True),
        ("Aged 18 to 70 years", {**AGE_18, "maximum_years": 75}, False),
        ("Age 18 or older", {**AGE_18, "maximum_years": 75}, False),  # the maximum is not stated
        ("At most 1 prior regimen", {**CRITERIA["EX08"].rule}, True),
        ("Fewer than 2 prior regimens", {**CRITERIA["EX08"].rule}, True),
        ("At most one prior regimen", {**CRITERIA["EX08"].rule}, True),
        ("At most 2 prior regimens", {**CRITERIA["EX08"].rule}, False),
        # grades: "0 or 1" is the range up to 1
        ("ECOG performance status 0 or 1", ECOG_1, True),
        ("ECOG 0-1", ECOG_1, True),
        ("ECOG performance status at most 1", ECOG_1, True),
        ("ECOG 0 to 2", ECOG_1, False),
        ("ECOG 1", ECOG_1, False),
        ("ECOG 1 or 2", {**ECOG_1, "maximum": 2}, False),  # leaves out 0, which the rule allows
        ("Peripheral neuropathy at most grade 1", ECOG_1, False),  # another scale
        # intervals: equal spans agree, other calendars do not
        ("At least 3 weeks since major surgery", SURGERY, True),
        ("At least 21 days since major surgery", SURGERY, True),
        ("No major surgery in the past 3 weeks", SURGERY, True),
        ("At least 4 weeks since major surgery", SURGERY, False),
        ("Major surgery within the past 3 weeks", SURGERY, False),  # a maximum, not a minimum
        ("At least 1 month since major surgery", {**SURGERY, "minimum": {"weeks": 4}}, False),
        ("A tumor sample from the past 3 months", SAMPLE, True),
        ("A tumor sample from the past 90 days", SAMPLE, False),
        ("A tumor sample at least 3 months old", SAMPLE, False),
        # sizes: each method keeps its own size
        ("At least 20 mm by conventional techniques, 10 mm by spiral CT or 10 mm for a cutaneous lesion", SIZES, True),
        ("At least 2 cm by conventional techniques, 1 cm by spiral CT or 1 cm for a cutaneous lesion", SIZES, True),
        ("At least 10 mm by conventional techniques, 20 mm by spiral CT or 10 mm for a cutaneous lesion", SIZES, False),
        ("At least 20 mm by conventional techniques or 10 mm by spiral CT", SIZES, False),  # cutaneous not stated
        # blood pressure
        ("Not systolic > 140 or diastolic > 90 mm Hg on 2 separate days in the week before entry", PRESSURE, True),
        ("Not above 140/90 mm Hg on 2 separate days within 7 days", PRESSURE, True),
        ("Systolic at most 140 and diastolic at most 90 mm Hg on 2 separate days within 7 days", PRESSURE, True),
        ("Not above 90/140 mm Hg on 2 separate days within 7 days", PRESSURE, False),  # swapped
        ("Not above 140/90 mm Hg on 3 separate days within 7 days", PRESSURE, False),
        ("Not above 140/90 mm Hg on 2 separate days within 14 days", PRESSURE, False),
        (
            "No uncontrolled hypertension: systolic > 140 or diastolic > 90 mm Hg on 2 separate days within 7 days",
            PRESSURE,
            True,
        ),
        ("Systolic > 140 mm Hg or diastolic > 90 mm Hg on 2 separate days within 7 days", PRESSURE, True),
        ("Not systolic at most 140 or diastolic at most 90 mm Hg on 2 separate days within 7 days", PRESSURE, False),
        # ages with their words
        ("18 years of age or older", AGE_18, True),
        ("An 18-year-old or older", AGE_18, True),
        ("Aged 18+", AGE_18, True),
        ("Aged 18", AGE_18, False),  # no comparison
        ("Age 18 or older on the day of screening", AGE_18, True),
        # "3 or more months", "upper limit of normal (ULN)"
        ("Stable on imaging 3 or more months after treatment", CRITERIA["EX18"].rule, True),
        ("Stable on imaging 2 or more months after treatment", CRITERIA["EX18"].rule, False),
        ("AST at most 2.5 times the upper limit of normal (ULN)", AST, True),
        # a value converted by a factor that is not a power of ten may be rounded to its written decimals
        ("Serum cholesterol at most 350 mg/dL (9.05 mmol/L)", CRITERIA["IN18"].rule, True),
        ("Serum cholesterol at most 9.05 mmol/L", CRITERIA["IN18"].rule, True),
        ("Serum cholesterol at most 9.1 mmol/L", CRITERIA["IN18"].rule, True),
        ("Serum cholesterol at most 9.2 mmol/L", CRITERIA["IN18"].rule, False),
        ("Serum cholesterol at most 9 mmol/L", CRITERIA["IN18"].rule, False),  # 0.5 mmol/L is more than 1% of it
        ("Creatinine clearance at least 1 mL/s", {"type": "creatinine_clearance", "minimum_ml_min": 60}, True),
        ("Creatinine clearance at least 1 mL/s", {"type": "creatinine_clearance", "minimum_ml_min": 61}, False),
        ("Platelets at least 100 x 10^9/L", {**PLATELETS, "value": 100001}, False),  # a power of ten: exact
        # intervals are told apart by the drug class or event they name
        (
            "At least 4 weeks since chemotherapy (6 weeks after a nitrosourea or mitomycin C)",
            CRITERIA["IN09"].rule,
            True,
        ),
        (
            "At least 6 weeks since chemotherapy (4 weeks after a nitrosourea or mitomycin C)",
            CRITERIA["IN09"].rule,
            False,
        ),
        (
            "At least 4 weeks since chemotherapy (4 weeks after a nitrosourea or mitomycin C)",
            CRITERIA["IN09"].rule,
            False,
        ),
        # numbers that are names or categories, not quantities
        (
            "No CYP3A4 inducer, 5-FU or IL-2; stage III or stage 4 melanoma (phase II)",
            {"type": "allowance", "text": "x"},
            True,
        ),
    ],
)
def test_boundaries(summary, rule, agree):
    compile_rule(rule, VOCABULARY)
    found = disagreements(summary, rule)
    assert (found == []) == agree, found


def test_an_opposite_comparison_in_a_negated_clause_is_explained():
    assert disagreements("No platelet count at least 100,000/mm3", PLATELETS) == [
        'The summary says "No ... at least", the opposite of the rule\'s platelets comparison ">=".'
    ]
    assert disagreements("Platelets at least 100,000/mm3", {"type": "not", "rule": PLATELETS}) == [
        'The summary says "at least" but the rule\'s platelets comparison ">=" is inside a "not", so the rule means '
        "the opposite."
    ]


def test_a_value_in_another_unit_is_shown_converted():
    assert disagreements("Serum cholesterol at most 9.2 mmol/L", CRITERIA["IN18"].rule) == [
        "The summary says 9.2 mmol/L but the rule's cholesterol limit is 350 mg/dL (9.05 mmol/L)."
    ]


def test_a_number_of_a_kind_the_rule_does_not_have_needs_the_record_text():
    summary = "Platelets at least 100,000/mm3 within 2 weeks before registration"
    assert disagreements(summary, PLATELETS)
    assert agrees(summary, PLATELETS, text="Platelet count >= 100,000/mm3 within 2 weeks prior to registration")
    assert disagreements(summary, PLATELETS, text="Platelet count >= 100,000/mm3 within 4 weeks prior to registration")


def test_a_number_of_a_kind_the_rule_has_must_match_whatever_the_text_says():
    text = "Platelet count >= 75,000/mm3"
    assert disagreements("Platelets at least 75,000/mm3", PLATELETS, text=text) == [
        "The summary says 75,000/mm3 but the rule's platelets limit is 100,000/mm3."
    ]


def test_a_lab_the_rule_does_not_check_is_reported_both_ways():
    anc = {**PLATELETS, "analyte": "anc", "value": 1500}
    assert disagreements("WBC at least 3,000/mm3", anc) == [
        "The summary says 3,000/mm3 but the rule has no WBC limit (a detail the rule does not check may be "
        "repeated from the record's text, and no text was given).",
        "The summary does not state the rule's ANC limit: >= 1,500/mm3.",
    ]


def test_a_rule_limit_the_summary_leaves_out_is_reported():
    rule = {"type": "all_of", "rules": [PLATELETS, {**PLATELETS, "analyte": "anc", "value": 1500}]}
    assert disagreements("Platelets at least 100,000/mm3", rule) == [
        "The summary does not state the rule's ANC limit: >= 1,500/mm3."
    ]
    assert agrees("Platelets at least 100,000/mm3 and ANC at least 1,500/mm3", rule)


def test_an_interval_in_another_unit_is_shown_in_the_summary_s_unit():
    assert disagreements("At least 14 days since major surgery", SURGERY) == [
        "The summary says 14 days but the rule's minimum time since major surgery is 3 weeks (21 days)."
    ]


# Rules that do not compile, and summaries of any shape


@pytest.mark.parametrize(
    "rule",
    [
        None,
        "Platelets >= 100000",
        {},
        {"type": "eval"},
        {**PLATELETS, "unit": "furlongs"},
        {**PLATELETS, "value": "100000"},
        {"type": "all_of", "rules": [PLATELETS, {"type": "fact", "fact": "pregnant", "allowed": [{}]}]},
        {"type": "time_since_event", "event": "major_surgery", "minimum": {"weeks": [3]}},
    ],
)
def test_a_rule_that_does_not_compile_gives_no_disagreement(rule):
    assert disagreements("Platelets at least 100,000/mm3", rule) == []


@settings(max_examples=200, deadline=None)
@given(summary=st.text(alphabet=st.sampled_from("0123456789.,/-x ^³µ%<>=≥≤ ()abcdeglmnorstuwyULNHgkpK"), max_size=60))
def test_no_summary_makes_the_check_raise(summary):
    for code in ("IN05", "IN14", "EX03", "IN03", "IN17", "IN20"):
        criterion = CRITERIA[code]
        found = summary_disagreements(summary, criterion.rule, VOCABULARY, text=criterion.text)
        assert all(isinstance(m, str) and not m.startswith("The summary could not be checked") for m in found)


@pytest.mark.parametrize("summary", [None, "", 42, "   "])
def test_an_empty_summary_states_none_of_the_rule(summary):
    assert summary_disagreements(summary, PLATELETS, VOCABULARY) == [
        "The summary does not state the rule's platelets limit: >= 100,000/mm3."
    ]
