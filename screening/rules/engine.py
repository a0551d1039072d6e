"""A criteria version compiled for evaluation, and the result of evaluating one candidate."""

from dataclasses import dataclass

from screening.rules import facts as F
from screening.rules.outcomes import MET, NOT_APPLICABLE, NOT_MET, Missing, Outcome, Verdict, unknown, verdict_of
from screening.rules.rules import Context
from screening.rules.specs import RuleError, compile_rule

COHORTS = {"phase1": "Phase I", "phase2": "Phase II"}

# applies_to values decided by a recorded fact of the same name; "everyone" and "female" (by sex) are built in.
APPLICABILITY = {
    "childbearing_potential": "People of childbearing potential",
    "reproductive_potential": "People of reproductive potential",
    "hiv_positive": "HIV-positive people",
}


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """A criterion as stored, before its rule is compiled."""

    code: str
    kind: str
    category: str
    text: str
    summary: str
    cohorts: str  # both, phase1, phase2
    applies_to: str  # everyone, female, or a key of APPLICABILITY
    rule: dict


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    spec: CriterionSpec
    rule: object


@dataclass(frozen=True, slots=True)
class CriterionResult:
    code: str
    kind: str
    category: str
    text: str
    summary: str
    status: str
    reason: str
    evidence: tuple[str, ...]
    missing: tuple[Missing, ...]


@dataclass(frozen=True, slots=True)
class Result:
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]

    def by_code(self, code):
        return next(c for c in self.criteria if c.code == code)

    @property
    def failed(self):
        return [c for c in self.criteria if c.status == NOT_MET]

    @property
    def missing(self):
        """Every distinct missing item, in criterion order."""
        return list(dict.fromkeys(m for c in self.criteria for m in c.missing))


class RuleSet:
    """A criteria version with every rule compiled once; evaluate() is then pure and cheap."""

    def __init__(self, criteria, vocabulary):
        self.vocabulary = vocabulary
        self.criteria = tuple(CompiledCriterion(spec, _compile(spec, vocabulary)) for spec in criteria)

    def evaluate(self, facts, screening_date, cohort):
        if cohort not in COHORTS:
            raise ValueError(f"cohort must be one of {', '.join(COHORTS)}, not {cohort!r}")
        ctx = Context(facts, screening_date, self.vocabulary)
        results = tuple(self._evaluate_one(criterion, ctx, cohort) for criterion in self.criteria)
        return Result(verdict_of(r.status for r in results), results)

    def _evaluate_one(self, criterion, ctx, cohort):
        spec = criterion.spec
        if spec.cohorts != "both" and spec.cohorts != cohort:
            outcome = Outcome(NOT_APPLICABLE, f"Applies to the {COHORTS[spec.cohorts]} cohort only")
        else:
            applies, why, missing = _applies(spec, ctx.facts)
            if applies is False:
                outcome = Outcome(NOT_APPLICABLE, why)
            else:
                outcome = criterion.rule.evaluate(ctx)
                # Whether it applies only matters when the rule does not pass anyway.
                if applies is None and outcome.status != MET:
                    outcome = unknown(f"{why}. {outcome.reason}", missing, *outcome.missing, evidence=outcome.evidence)
        return CriterionResult(
            spec.code,
            spec.kind,
            spec.category,
            spec.text,
            spec.summary,
            outcome.status,
            outcome.reason,
            outcome.evidence,
            outcome.missing,
        )


def _compile(spec, vocabulary):
    try:
        return compile_rule(spec.rule, vocabulary)
    except RuleError as error:
        raise RuleError(f"{spec.code} {error.path}".strip(), error.message) from error


def _applies(spec, facts):
    """(True, "", None) when the criterion applies; (False, why, None) when not; (None, why, missing) if unknown."""
    if spec.applies_to == "everyone":
        return True, "", None
    if spec.applies_to == "female":
        if facts.sex is None:
            return None, "Sex not recorded; this applies to women only", Missing("sex", "Sex")
        return (True, "", None) if facts.sex == F.FEMALE else (False, "Applies to women only", None)
    label = APPLICABILITY[spec.applies_to].lower()
    answer = facts.answers.get(spec.applies_to)
    if answer is None:
        fact = F.FACTS[spec.applies_to].label
        return None, f"{fact}: not recorded; this applies to {label} only", Missing(f"answer:{spec.applies_to}", fact)
    return (True, "", None) if answer else (False, f"Applies to {label} only", None)
