"""A criteria version compiled for evaluation, and the result of evaluating one candidate."""

from dataclasses import dataclass
from types import MappingProxyType

from screening.rules import facts as F
from screening.rules.consistency import CHECKS
from screening.rules.outcomes import MET, NOT_APPLICABLE, NOT_MET, Missing, Outcome, unknown, verdict_of
from screening.rules.rules import DERIVED_LABS, Attestation, Context
from screening.rules.specs import RuleError, compile_rule

COHORTS = {"phase1": "Phase I", "phase2": "Phase II"}

# applies_to values decided by a recorded fact of the same name; "everyone" and "female" (by sex) are built in.
APPLICABILITY = {
    "childbearing_potential": "people of childbearing potential",
    "reproductive_potential": "people of reproductive potential",
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
    other_cohort: Outcome | None  # the not-applicable outcome when the criterion is for one cohort only
    for_everyone: bool


class CriterionResult:
    """One criterion's outcome; its reason and evidence are formatted when first read."""

    __slots__ = ("outcome", "spec")

    def __init__(self, spec, outcome):
        self.spec = spec
        self.outcome = outcome

    code = property(lambda self: self.spec.code)
    kind = property(lambda self: self.spec.kind)
    category = property(lambda self: self.spec.category)
    text = property(lambda self: self.spec.text)
    summary = property(lambda self: self.spec.summary)
    status = property(lambda self: self.outcome.status)
    reason = property(lambda self: self.outcome.reason)
    evidence = property(lambda self: self.outcome.evidence)
    missing = property(lambda self: self.outcome.missing)

    def __eq__(self, other):
        if not isinstance(other, CriterionResult):
            return NotImplemented
        return (self.spec, self.outcome) == (other.spec, other.outcome)

    __hash__ = None

    def __repr__(self):
        return f"CriterionResult({self.code!r}, {self.status!r})"


class Result:
    """The verdict and every criterion's outcome, in record order."""

    __slots__ = ("outcomes", "specs", "verdict")

    def __init__(self, verdict, specs, outcomes):
        self.verdict = verdict
        self.specs = specs
        self.outcomes = outcomes

    @property
    def criteria(self):
        return tuple(map(CriterionResult, self.specs, self.outcomes))

    def by_code(self, code):
        return next(c for c in self.criteria if c.code == code)

    @property
    def failed(self):
        return [c for c in self.criteria if c.status == NOT_MET]

    @property
    def missing(self):
        """Every distinct missing item, in criterion order."""
        return list(dict.fromkeys(m for o in self.outcomes for m in o.missing))

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        return (self.verdict, self.specs, self.outcomes) == (other.verdict, other.specs, other.outcomes)

    __hash__ = None


class RuleSet:
    """A criteria version with every rule compiled once; evaluate() is then pure and cheap."""

    def __init__(self, criteria, vocabulary):
        self.vocabulary = vocabulary
        self.criteria = tuple(
            CompiledCriterion(
                spec,
                _compile(spec, vocabulary),
                None
                if spec.cohorts == "both"
                else Outcome(NOT_APPLICABLE, f"Applies to the {COHORTS[spec.cohorts]} cohort only"),
                spec.applies_to == "everyone",
            )
            for spec in criteria
        )
        self.specs = tuple(c.spec for c in self.criteria)
        # Per cohort, what each criterion needs: a fixed outcome, the rule to run, or an applicability check.
        self._plans = {
            cohort: tuple(
                (c.other_cohort, None, None)
                if c.other_cohort is not None and c.spec.cohorts != cohort
                else (None, c.rule.evaluate, None)
                if c.for_everyone
                else (None, None, c)
                for c in self.criteria
            )
            for cohort in COHORTS
        }
        # The consistency checks that guard an input some criterion reads, each with the positions it guards.
        self._checks = tuple(
            (check, frozenset(i for i, c in enumerate(self.criteria) if c.rule.inputs() & check.guards))
            for check in CHECKS
        )
        self._checks = tuple((check, guarded) for check, guarded in self._checks if guarded)
        # Read by every screening form; a RuleSet never changes, so they are worked out once.
        self._inputs = self._collect_inputs()
        self._attestations = self._collect_attestations()

    def inputs(self):
        """Input key (as in Missing.field) -> codes of the criteria that read it, in record order."""
        return self._inputs

    def attestations(self):
        """question code -> (question text, codes of the criteria that ask it), in record order."""
        return self._attestations

    def _collect_inputs(self):
        used = {}
        asked = {
            i: {f"answer:{code}" for check, guarded in self._checks if i in guarded for code in check.asks}
            for i in range(len(self.criteria))
        }
        for i, criterion in enumerate(self.criteria):
            keys = criterion.rule.inputs() | _applicability_inputs(criterion.spec) | asked[i]
            for key in sorted(keys):
                used.setdefault(key, []).append(criterion.spec.code)
        return MappingProxyType({key: tuple(codes) for key, codes in used.items()})

    def _collect_attestations(self):
        found = {}
        for criterion in self.criteria:
            for leaf in _leaves(criterion.rule):
                if isinstance(leaf, Attestation):
                    found.setdefault(leaf.question, (leaf.text, []))[1].append(criterion.spec.code)
        return MappingProxyType({question: (text, tuple(codes)) for question, (text, codes) in found.items()})

    def contradictions(self, facts, screening_date):
        """Every answer that contradicts the medication list, for the form to show at its field."""
        ctx = Context(facts, screening_date, self.vocabulary)
        return [c for c in (check.find(ctx) for check, _ in self._checks) if c is not None]

    def derived_labs(self, facts, screening_date):
        """Labs the lab did not report that the engine works out from others (the ANC from the differential)."""
        ctx = Context(facts, screening_date, self.vocabulary)
        found = {}
        for code in DERIVED_LABS:
            analyte = self.vocabulary.analytes.get(code)
            lab = ctx.lab(analyte)[0] if analyte is not None else None
            if lab is not None and lab.source:
                found[code] = lab
        return found

    def evaluate(self, facts, screening_date, cohort):
        if cohort not in COHORTS:
            raise ValueError(f"cohort must be one of {', '.join(COHORTS)}, not {cohort!r}")
        ctx = Context(facts, screening_date, self.vocabulary)
        outcomes = []
        for fixed, evaluate, conditional in self._plans[cohort]:
            if evaluate is not None:
                outcomes.append(evaluate(ctx))
            elif fixed is not None:
                outcomes.append(fixed)
            else:
                outcomes.append(_evaluate_conditional(conditional, ctx))
        for check, guarded in self._checks:
            contradiction = check.find(ctx)
            if contradiction is not None:
                for i in guarded:
                    if outcomes[i].status != NOT_APPLICABLE and self._could_change(
                        i, outcomes[i].status, contradiction, screening_date, cohort
                    ):
                        outcomes[i] = _unresolved(contradiction)
        return Result(verdict_of({o.status for o in outcomes}), self.specs, tuple(outcomes))

    def _could_change(self, position, status, contradiction, screening_date, cohort):
        """Whether resolving the contradiction otherwise could change the status of the criterion at `position`."""
        if not contradiction.alternatives:
            return True
        _, evaluate, conditional = self._plans[cohort][position]
        for facts in contradiction.alternatives:
            ctx = Context(facts, screening_date, self.vocabulary)
            other = evaluate(ctx) if evaluate is not None else _evaluate_conditional(conditional, ctx)
            if other.status != status:
                return True
        return False


def _unresolved(contradiction):
    return unknown(
        f"{contradiction.message} (unknown until resolved)",
        Missing(contradiction.field, "Resolve: " + contradiction.message),
    )


def _leaves(rule):
    """Every leaf rule in a rule tree, including the condition of a medication exception."""
    parts = getattr(rule, "parts", None)
    if parts is not None:
        for part in parts():
            yield from _leaves(part)
        return
    yield rule
    condition = getattr(rule, "allowed_if", None)
    if condition is not None:
        yield from _leaves(condition)


def _evaluate_conditional(criterion, ctx):
    """A criterion for some people only: not applicable to others; if we don't know, it must pass regardless."""
    applies, why, missing = _applies(criterion.spec, ctx.facts)
    if applies is False:
        return Outcome(NOT_APPLICABLE, why)
    outcome = criterion.rule.evaluate(ctx)
    if applies is None and outcome.status != MET:
        return unknown(lambda: f"{why}. {outcome.reason}", missing, *outcome.missing, evidence=lambda: outcome.evidence)
    return outcome


def _compile(spec, vocabulary):
    try:
        return compile_rule(spec.rule, vocabulary)
    except RuleError as error:
        raise RuleError(f"{spec.code} {error.path}".strip(), error.message) from error


def _applicability_inputs(spec):
    if spec.applies_to == "everyone":
        return set()
    return {"sex"} if spec.applies_to == "female" else {f"answer:{spec.applies_to}"}


def _applies(spec, facts):
    """(True, "", None) when the criterion applies; (False, why, None) when not; (None, why, missing) if unknown."""
    if spec.applies_to == "female":
        if facts.sex is None:
            return None, "Sex not recorded; this applies to women only", Missing("sex", "Sex")
        return (True, "", None) if facts.sex == F.FEMALE else (False, "Applies to women only", None)
    label = APPLICABILITY[spec.applies_to]
    answer = facts.answers.get(spec.applies_to)
    if answer is None:
        fact = F.FACTS[spec.applies_to].label
        return None, f"{fact}: not recorded; this applies to {label} only", Missing(f"answer:{spec.applies_to}", fact)
    return (True, "", None) if answer else (False, f"Applies to {label} only", None)
