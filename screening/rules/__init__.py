"""The rule engine: plain Python over plain data, no Django.

Criteria compile once into a RuleSet; `RuleSet.evaluate(facts, screening_date, cohort)` returns every criterion's
outcome (met / not met / unknown / not applicable) with its reason, and the overall verdict.
"""

from screening.rules.engine import CriterionResult, CriterionSpec, Result, RuleSet
from screening.rules.facts import (
    BloodPressure,
    CandidateFacts,
    LabResult,
    Lesion,
    Medication,
    PriorTherapy,
)
from screening.rules.outcomes import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, Verdict
from screening.rules.specs import RuleError, compile_rule
from screening.rules.vocabulary import AnalyteDef, DrugDef, Vocabulary

__all__ = [
    "MET",
    "NOT_APPLICABLE",
    "NOT_MET",
    "UNKNOWN",
    "AnalyteDef",
    "BloodPressure",
    "CandidateFacts",
    "CriterionResult",
    "CriterionSpec",
    "DrugDef",
    "LabResult",
    "Lesion",
    "Medication",
    "PriorTherapy",
    "Result",
    "RuleError",
    "RuleSet",
    "Verdict",
    "Vocabulary",
    "compile_rule",
]
