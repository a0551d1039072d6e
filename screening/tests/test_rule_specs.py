"""Rules are data: every malformed spec is refused with where and why, and nothing is evaluated from text."""

import pytest

from screening.rules import RuleError, compile_rule

ANC = {"type": "lab_absolute", "analyte": "anc", "op": ">=", "value": 1500, "unit": "/mm3"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ANC >= 1500", "must be an object with a 'type'"),
        ({"type": "eval", "expression": "1"}, "'eval' is not one of"),
        ({**ANC, "analyte": "sodium"}, "unknown analyte 'sodium'"),
        ({**ANC, "unit": "furlongs"}, "'furlongs' is not a unit of Absolute neutrophil count"),
        ({**ANC, "op": "=="}, "'==' is not one of"),
        ({**ANC, "value": "1500"}, "value: must be a number"),
        ({**ANC, "value": -1}, "value: must be at least 0"),
        ({**ANC, "colour": "red"}, "unknown field(s) colour"),
        ({"type": "lab_absolute", "analyte": "anc"}, "'op' is required"),
        ({"type": "time_since_event", "event": "major_surgery"}, "needs 'minimum' or 'maximum'"),
        ({"type": "time_since_event", "event": "major_surgery", "minimum": {"fortnights": 2}}, "unit 'fortnights'"),
        ({"type": "time_since_event", "event": "major_surgery", "minimum": {"weeks": 0}}, "above 0"),
        ({"type": "time_since_event", "event": "haircut", "minimum": {"weeks": 3}}, "'haircut' is not one of"),
        ({"type": "grade", "scale": "ecog", "maximum": 9}, "must be between 0 and 5"),
        ({"type": "fact", "fact": "melanoma_stage", "allowed": ["stage_5"]}, "'stage_5' is not a value"),
        ({"type": "attestation", "question": "pregnant", "text": "?", "pass_answer": False}, "not a recorded fact"),
        ({"type": "concurrent_medication", "classes": ["sweets"]}, "'sweets' is not one of"),
        ({"type": "concurrent_medication", "classes": []}, "at least one value"),
        ({"type": "all_of", "rules": []}, "at least one rule"),
        ({"type": "measurable_disease", "minimum_mm": {"conventional": 20}}, "a size for each of"),
        ({"type": "age"}, "needs 'minimum_years' or 'maximum_years'"),
    ],
)
def test_malformed_rules_are_refused_with_a_reason(vocabulary, spec, message):
    with pytest.raises(RuleError) as error:
        compile_rule(spec, vocabulary)
    assert message in str(error.value)


def test_errors_say_where_in_a_nested_rule_they_are(vocabulary):
    spec = {"type": "any_of", "rules": [ANC, {"type": "all_of", "rules": [{**ANC, "unit": "g"}]}]}
    with pytest.raises(RuleError) as error:
        compile_rule(spec, vocabulary)
    assert error.value.path == "rules[1].rules[0].unit"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (ANC, "ANC ≥ 1,500/mm3"),
        ({"type": "lab_uln", "analyte": "ast", "op": "<=", "multiple": 2.5}, "AST ≤ 2.5 x ULN"),
        ({"type": "grade", "scale": "ecog", "maximum": 1}, "ECOG performance status ≤ 1"),
        ({"type": "time_since_event", "event": "major_surgery", "minimum": {"weeks": 3}}, "at least 3 weeks"),
    ],
)
def test_rules_describe_themselves_in_words(vocabulary, spec, words):
    assert words in compile_rule(spec, vocabulary).describe()


def test_every_shipped_rule_describes_itself(ruleset):
    for criterion in ruleset.criteria:
        assert criterion.rule.describe()
