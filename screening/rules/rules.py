"""One small class per rule type. Each `evaluate(ctx)` returns an Outcome; each `describe()` says the rule in words.

Rules are built by `specs.compile_rule` from validated data, never from text that is evaluated. Reasons are passed
as lambdas so that they are formatted only when someone reads them.
"""

import calendar
import math
import operator
from dataclasses import dataclass, field
from datetime import date, timedelta

from screening.rules import facts as F
from screening.rules.facts import LabResult
from screening.rules.outcomes import MET, NOT_MET, UNKNOWN, Missing, Outcome, met, not_met, unknown
from screening.rules.vocabulary import IMPOSSIBLE, UNUSUAL, UnitError

COMPARISONS = {
    ">=": (operator.ge, "≥", "is at least", "is below the minimum of"),
    ">": (operator.gt, ">", "is above", "is not above"),
    "<=": (operator.le, "≤", "is at most", "is above the maximum of"),
    "<": (operator.lt, "<", "is below", "is not below"),
}


def compare(value, op, limit):
    """Compare, treating values equal to the limit up to float rounding (unit conversion) as equal."""
    if math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12):
        value = limit
    return COMPARISONS[op][0](value, limit)


def fmt(number):
    """Numbers as a clinician writes them: 1,500 / 1.2 / 0.85."""
    if abs(number) >= 1000 or float(number).is_integer():
        return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"
    return f"{number:.3g}"


def with_unit(number, unit):
    """'1,500/mm3', '1.2 mg/dL'; an INR ratio has no unit to show."""
    if unit == "ratio":
        return fmt(number)
    return f"{fmt(number)}{unit}" if unit.startswith("/") else f"{fmt(number)} {unit}"


def elapsed(days):
    """'20 days', or for long spans '1,671 days (4.6 years)'."""
    if days < 365:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{days:,} days ({days / 365.25:.1f} years)"


def _short(label):
    """A choice label without its example: 'Regional chemotherapy (e.g. ...)' -> 'regional chemotherapy'."""
    return label.split(" (")[0].lower()


def _modalities(codes):
    if set(codes) == {"systemic_chemotherapy", "regional_chemotherapy"}:
        return "chemotherapy"
    return " or ".join(_short(F.MODALITIES[code]) for code in sorted(codes))


def _settings(codes):
    if set(codes) == {"metastatic", "adjuvant"}:
        return "melanoma"
    return " or ".join(_short(F.SETTINGS[code]) for code in sorted(codes))


def _in_sentence(label):
    """A label inside a sentence: 'Treatment of brain metastases (... whole-brain RT ...)' keeps its RT."""
    return label[:1].lower() + label[1:]


def fmt_date(day):
    return day.isoformat()


# A lab the lab did not report, worked out from others: analyte -> the analytes it is computed from.
DERIVED_LABS = {"anc": ("wbc", "neutrophils_pct")}


class Context:
    """One candidate on one screening date, with the lookups several rules share computed once."""

    __slots__ = (
        "_labs",
        "_medication_classes",
        "_medication_matches",
        "_therapy_profiles",
        "facts",
        "on",
        "vocabulary",
    )

    def __init__(self, facts, on, vocabulary):
        self.facts = facts
        self.on = on
        self.vocabulary = vocabulary
        self._medication_matches = None
        self._medication_classes = None
        self._labs = {}
        self._therapy_profiles = {}

    def age_years(self):
        born = self.facts.birth_date
        if born is None:
            return None
        return self.on.year - born.year - ((self.on.month, self.on.day) < (born.month, born.day))

    def agent_matches(self, agent):
        return self.vocabulary.matcher.match_agent(agent)

    def lab(self, analyte):
        """(result, value in the canonical unit, None) when usable, else (None, None, why it is unknown)."""
        found = self._labs.get(analyte.code)
        if found is None:
            found = self._labs[analyte.code] = _read_lab(self, analyte)
        return found

    def therapy_profile(self, therapy):
        """What a prior regimen's agents make it, matched once per candidate."""
        profile = self._therapy_profiles.get(therapy)
        if profile is None:
            profile = self._therapy_profiles[therapy] = TherapyProfile.of(therapy, self)
        return profile

    def active_medication_matches(self):
        """(medication, matched drugs) for every active medication, matched once per candidate."""
        if self._medication_matches is None:
            match = self.vocabulary.matcher.match
            self._medication_matches = [(m, match(m.text)) for m in self.facts.medications or () if m.active]
        return self._medication_matches

    def medication_classes(self):
        """Every class the active medications are or may be in, and whether any medication matched no drug."""
        if self._medication_classes is None:
            matched = self.active_medication_matches()
            classes = frozenset(c for _, matches in matched for m in matches for c in m.drug.possible_classes)
            self._medication_classes = (classes, any(not matches for _, matches in matched))
        return self._medication_classes


# Composition


class _Composite:
    """All-of and any-of: their inputs and parts are their rules'."""

    __slots__ = ()

    def inputs(self):
        return set().union(*(rule.inputs() for rule in self.rules))

    def parts(self):
        return self.rules


@dataclass(frozen=True, slots=True)
class AllOf(_Composite):
    rules: tuple

    def evaluate(self, ctx):
        outcomes = [rule.evaluate(ctx) for rule in self.rules]
        statuses = {o.status for o in outcomes}
        if NOT_MET in statuses:
            return _merge(NOT_MET, [o for o in outcomes if o.status == NOT_MET])
        if UNKNOWN in statuses:
            return _merge(UNKNOWN, [o for o in outcomes if o.status == UNKNOWN])
        return _merge(MET, outcomes)

    def describe(self):
        return "all of: " + "; ".join(rule.describe() for rule in self.rules)


@dataclass(frozen=True, slots=True)
class AnyOf(_Composite):
    rules: tuple

    def evaluate(self, ctx):
        outcomes = []
        for rule in self.rules:
            outcome = rule.evaluate(ctx)
            if outcome.status == MET:
                return outcome
            outcomes.append(outcome)
        if any(o.status == UNKNOWN for o in outcomes):
            return _merge(UNKNOWN, outcomes)
        return _merge(NOT_MET, outcomes, joiner="; and ")

    def describe(self):
        return "any of: " + " OR ".join(rule.describe() for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Not:
    rule: object

    def evaluate(self, ctx):
        outcome = self.rule.evaluate(ctx)
        flipped = {MET: NOT_MET, NOT_MET: MET}.get(outcome.status, outcome.status)
        return Outcome(flipped, lambda: outcome.reason, lambda: outcome.evidence, outcome.missing)

    def inputs(self):
        return self.rule.inputs()

    def parts(self):
        return (self.rule,)

    def describe(self):
        return f"not ({self.rule.describe()})"


def _merge(status, outcomes, joiner="; "):
    missing = tuple(dict.fromkeys(m for o in outcomes for m in o.missing)) if status == UNKNOWN else ()
    return Outcome(
        status,
        lambda: joiner.join(o.reason for o in outcomes),
        lambda: dict.fromkeys(e for o in outcomes for e in o.evidence),
        missing,
    )


# Labs


def _lab_missing(analyte):
    if analyte.code in DERIVED_LABS:
        return Missing(f"lab:{analyte.code}", f"{analyte.name} result (or the WBC and neutrophil %)")
    return Missing(f"lab:{analyte.code}", f"{analyte.name} result")


def _lab_evidence(analyte, lab):
    taken = f" on {fmt_date(lab.collected_on)}" if lab.collected_on else ""
    uln = f" (ULN {with_unit(lab.uln, lab.unit)})" if lab.uln is not None else ""
    how = f" ({lab.source})" if lab.source else ""
    checked = " (unusual; value and unit confirmed by the coordinator)" if lab.confirmed and not lab.source else ""
    return (f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)}{uln}{how}{checked}{taken}",)


def _unusable(reason, missing):
    """What Context.lab answers for a lab no rule may use: no result, no value, and why it is unknown."""
    return None, None, unknown(reason, missing)


def _read_lab(ctx, analyte):
    """A lab as a rule may use it: reported (or worked out from others), dated no later than the screening, in an
    accepted unit, possible, and either usual or confirmed by the coordinator. Otherwise unknown, saying why."""
    lab = ctx.facts.labs.get(analyte.code)
    if lab is None:
        if analyte.code in DERIVED_LABS:
            return _derived_lab(ctx, analyte)
        return _unusable(lambda: f"{analyte.abbreviation} not entered", _lab_missing(analyte))
    if lab.collected_on is not None and lab.collected_on > ctx.on:
        return _unusable(
            lambda: f"{analyte.abbreviation} dated {fmt_date(lab.collected_on)}, after the screening date",
            _lab_missing(analyte),
        )
    try:
        value = analyte.to_canonical(lab.value, lab.unit)
        uln = analyte.to_canonical(lab.uln, lab.unit) if lab.uln is not None else None
    except UnitError as error:
        return _unusable(str(error), _lab_missing(analyte))
    judged = {analyte.judge(value), *(() if uln is None else (analyte.judge(uln),))}
    if IMPOSSIBLE in judged:
        return _unusable(
            lambda: f"{_shown_lab(analyte, lab)} is not a possible {analyte.in_sentence}: check the value and unit",
            Missing(f"lab:{analyte.code}", f"{analyte.name}: check the value and unit"),
        )
    if UNUSUAL in judged and not lab.confirmed:
        return _unusable(
            lambda: f"{_shown_lab(analyte, lab)} is unusual: confirm the value and unit",
            Missing(f"lab:{analyte.code}", f"{analyte.name}: confirm the value and unit"),
        )
    return lab, value, None


def _shown_lab(analyte, lab):
    uln = f" (ULN {with_unit(lab.uln, lab.unit)})" if lab.uln is not None else ""
    return f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)}{uln}"


def _derived_lab(ctx, analyte):
    """The ANC from a count the lab reported only as a differential: WBC x neutrophil % / 100, from one count."""
    analytes = ctx.vocabulary.analytes
    parts = [analytes.get(code) for code in DERIVED_LABS[analyte.code]]
    if None in parts or any(part.code not in ctx.facts.labs for part in parts):
        return _unusable(lambda: f"{analyte.abbreviation} not entered", _lab_missing(analyte))
    (wbc, wbc_count, problem), (percent, share, other) = (ctx.lab(part) for part in parts)
    if problem or other:
        return None, None, problem or other
    if wbc.collected_on != percent.collected_on:
        return _unusable(
            lambda: (
                f"{analyte.abbreviation} not entered, and the WBC and neutrophil % are from different dates "
                f"({wbc.collected_on or 'undated'} and {percent.collected_on or 'undated'}): enter the "
                f"{analyte.abbreviation}, or both from one count"
            ),
            _lab_missing(analyte),
        )
    value = wbc_count * share / 100
    source = (
        f"computed from WBC {with_unit(wbc.value, wbc.unit)} x neutrophils {fmt(percent.value)}%, "
        f"as the lab reported no {analyte.abbreviation}"
    )
    return LabResult(value, analyte.canonical_unit, None, wbc.collected_on, True, source), value, None


@dataclass(frozen=True, slots=True)
class LabAbsolute:
    """A lab value against a fixed limit stated in a unit, whatever unit the lab reported."""

    analyte: object
    op: str
    limit: float
    unit: str
    limit_canonical: float

    def evaluate(self, ctx):
        analyte = self.analyte
        lab, value, problem = ctx.lab(analyte)
        if problem:
            return problem
        ok = compare(value, self.op, self.limit_canonical)
        return Outcome(MET if ok else NOT_MET, lambda: self._reason(lab, ok), lambda: _lab_evidence(analyte, lab))

    def _reason(self, lab, ok):
        analyte = self.analyte
        _, _, passes, fails = COMPARISONS[self.op]
        shown = f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)}"
        if lab.unit != self.unit:
            shown += f" ({with_unit(analyte.convert(lab.value, lab.unit, self.unit), self.unit)})"
        if lab.source:
            shown += f" ({lab.source})"
        return f"{shown} {passes if ok else fails} {with_unit(self.limit, self.unit)}"

    def inputs(self):
        return {f"lab:{code}" for code in (self.analyte.code, *DERIVED_LABS.get(self.analyte.code, ()))}

    def describe(self):
        return f"{self.analyte.abbreviation} {COMPARISONS[self.op][1]} {with_unit(self.limit, self.unit)}"


@dataclass(frozen=True, slots=True)
class LabRelativeToUln:
    """A lab value against a multiple of the upper limit of normal reported with that result."""

    analyte: object
    op: str
    multiple: float

    def evaluate(self, ctx):
        analyte = self.analyte
        lab, _, problem = ctx.lab(analyte)
        if problem:
            return problem
        if lab.uln is None or lab.uln <= 0:
            return unknown(
                lambda: f"{analyte.abbreviation} has no upper limit of normal; the lab's ULN is needed",
                Missing(f"lab:{analyte.code}:uln", f"{analyte.name} upper limit of normal"),
            )
        ok = compare(lab.value, self.op, self.multiple * lab.uln)
        return Outcome(MET if ok else NOT_MET, lambda: self._reason(lab, ok), lambda: _lab_evidence(analyte, lab))

    def _reason(self, lab, ok):
        return (
            f"{self.analyte.abbreviation} {with_unit(lab.value, lab.unit)} is {lab.value / lab.uln:.2f} x ULN "
            f"({with_unit(lab.uln, lab.unit)}); {'within' if ok else 'outside'} the limit "
            f"{COMPARISONS[self.op][1]} {self._limit_words()}"
        )

    def _limit_words(self):
        return "ULN" if self.multiple == 1 else f"{fmt(self.multiple)} x ULN"

    def inputs(self):
        return {f"lab:{self.analyte.code}", f"lab:{self.analyte.code}:uln"}

    def describe(self):
        return f"{self.analyte.abbreviation} {COMPARISONS[self.op][1]} {self._limit_words()}"


@dataclass(frozen=True, slots=True)
class CreatinineClearance:
    """Measured creatinine clearance when entered, else Cockcroft-Gault from age, weight, sex and creatinine."""

    minimum: float
    creatinine: object
    clearance: object

    def evaluate(self, ctx):
        if self.clearance.code in ctx.facts.labs:
            measured, value, problem = ctx.lab(self.clearance)
            if problem:
                return problem
            return self._judge(value, lambda: "Measured creatinine clearance", self.clearance, measured)
        facts, missing = ctx.facts, []
        age = ctx.age_years()
        if age is None:
            missing.append(Missing("birth_date", "Date of birth"))
        if facts.weight_kg is None:
            missing.append(Missing("weight_kg", "Weight"))
        if facts.sex is None:
            missing.append(Missing("sex", "Sex"))
        lab, creatinine_mg_dl, problem = ctx.lab(self.creatinine)
        if problem and not missing and self.creatinine.code in facts.labs:
            return problem
        if lab is None:
            missing.append(_lab_missing(self.creatinine))
        if missing:
            return unknown(
                lambda: (
                    "Creatinine clearance cannot be estimated: "
                    + ", ".join(m.label for m in missing)
                    + " not entered or not usable"
                ),
                *missing,
            )
        estimate = cockcroft_gault(age, facts.weight_kg, facts.sex, creatinine_mg_dl)
        return self._judge(
            estimate,
            lambda: (
                f"Estimated creatinine clearance (Cockcroft-Gault: age {age}, {fmt(facts.weight_kg)} kg, "
                f"{F.SEXES[facts.sex].lower()}, creatinine {fmt(creatinine_mg_dl)} mg/dL)"
            ),
            self.creatinine,
            lab,
        )

    def _judge(self, value, label, analyte, lab):
        ok = compare(value, ">=", self.minimum)
        word = "is at least" if ok else "is below the minimum of"
        return Outcome(
            MET if ok else NOT_MET,
            lambda: f"{label()} {fmt(value)} mL/min {word} {fmt(self.minimum)} mL/min",
            lambda: _lab_evidence(analyte, lab),
        )

    def inputs(self):
        return {f"lab:{self.clearance.code}", f"lab:{self.creatinine.code}", "birth_date", "weight_kg", "sex"}

    def describe(self):
        return f"creatinine clearance ≥ {fmt(self.minimum)} mL/min (measured, else Cockcroft-Gault)"


def cockcroft_gault(age, weight_kg, sex, creatinine_mg_dl):
    """Estimated creatinine clearance in mL/min; x 0.85 for women."""
    clearance = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return clearance * 0.85 if sex == F.FEMALE else clearance


# The person


class _ByAnswer:
    """For rules whose outcome depends on one recorded value only: each value's outcome is built once."""

    __slots__ = ()

    def evaluate(self, ctx):
        value = self._value(ctx)
        outcome = self._seen.get(value)
        if outcome is None:
            outcome = self._seen[value] = self._outcome(value)
        return outcome


@dataclass(frozen=True, slots=True)
class Age(_ByAnswer):
    minimum: int | None
    maximum: int | None
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _value(self, ctx):
        return ctx.age_years()

    def _outcome(self, age):
        if age is None:
            return unknown("Date of birth not entered", Missing("birth_date", "Date of birth"))
        if self.minimum is not None and age < self.minimum:
            return not_met(f"Age {age} is under {self.minimum}")
        if self.maximum is not None and age > self.maximum:
            return not_met(f"Age {age} is over {self.maximum}")
        return met(f"Age {age} ({self.describe()})")

    def inputs(self):
        return {"birth_date"}

    def describe(self):
        if self.maximum is None:
            return f"age {self.minimum} or older"
        if self.minimum is None:
            return f"age {self.maximum} or younger"
        return f"age {self.minimum} to {self.maximum}"


@dataclass(frozen=True, slots=True)
class Grade(_ByAnswer):
    scale: str
    maximum: int
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _value(self, ctx):
        return ctx.facts.grades.get(self.scale)

    def _outcome(self, grade):
        label = F.SCALES[self.scale][0]
        if grade is None:
            return unknown(f"{label} not entered", Missing(f"grade:{self.scale}", label))
        if grade > self.maximum:
            return not_met(f"{label} {grade} is worse than the maximum of {self.maximum}")
        return met(f"{label} {grade} (at most {self.maximum})")

    def inputs(self):
        return {f"grade:{self.scale}"}

    def describe(self):
        return f"{F.SCALES[self.scale][0]} ≤ {self.maximum}"


@dataclass(frozen=True, slots=True)
class Fact(_ByAnswer):
    """A recorded yes/no or multiple-choice fact must have one of the allowed values."""

    fact: str
    allowed: frozenset
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _value(self, ctx):
        return ctx.facts.answers.get(self.fact)

    def _outcome(self, value):
        definition = F.FACTS[self.fact]
        if value is None:
            return unknown(f"{definition.label}: not answered", Missing(f"answer:{self.fact}", definition.label))
        return Outcome(MET if value in self.allowed else NOT_MET, f"{definition.label}: {definition.show(value)}")

    def inputs(self):
        return {f"answer:{self.fact}"}

    def describe(self):
        definition = F.FACTS[self.fact]
        return f"{definition.label}: " + " or ".join(sorted(definition.show(v) for v in self.allowed))


@dataclass(frozen=True, slots=True)
class Attestation(_ByAnswer):
    """A clinician-judgement question, answered yes or no by the coordinator; unknown until answered."""

    question: str
    text: str
    pass_answer: bool
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _value(self, ctx):
        return ctx.facts.answers.get(self.question)

    def _outcome(self, answer):
        if answer is None:
            return unknown(f"Not answered: {self.text}", Missing(f"answer:{self.question}", self.text))
        return Outcome(MET if answer is self.pass_answer else NOT_MET, f"{self.text} {'Yes' if answer else 'No'}")

    def inputs(self):
        return {f"answer:{self.question}"}

    def describe(self):
        return f"attestation: {self.text} (passes when {'yes' if self.pass_answer else 'no'})"


@dataclass(frozen=True, slots=True)
class Allowance:
    """A bullet that permits something; nothing about the candidate can fail it."""

    text: str

    def evaluate(self, ctx):
        return met(f"Permission, nothing to check: {self.text}")

    def inputs(self):
        return set()

    def describe(self):
        return f"permission: {self.text}"


# Time


@dataclass(frozen=True, slots=True)
class Interval:
    amount: int
    unit: str  # days, weeks, months, years
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def before(self, day):
        """The date this interval before `day`; calendar months and years, clamped to the month's end."""
        cutoff = self._seen.get(day)
        if cutoff is None:
            cutoff = self._seen[day] = self._count_back(day)
        return cutoff

    def _count_back(self, day):
        if self.unit in ("days", "weeks"):
            return day - timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
        last_day = calendar.monthrange(year, month_index + 1)[1]
        return date(year, month_index + 1, min(day.day, last_day))

    def __str__(self):
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class TimeSinceEvent:
    """The latest dated event of a kind must be at least (or at most) an interval before the screening date."""

    event: str
    minimum: Interval | None
    maximum: Interval | None
    required: bool  # with no such event at all, fail instead of pass

    def evaluate(self, ctx):
        label = F.EVENTS[self.event]
        dates = ctx.facts.events.get(self.event)
        if dates is None:
            return unknown(lambda: f"{label} history not entered", Missing(f"history:{self.event}", f"{label} history"))
        if not dates:
            if self.maximum is not None or self.required:
                return not_met(lambda: f"No {_in_sentence(label)} recorded; one is required ({self._limits()})")
            return met(lambda: f"No {_in_sentence(label)} recorded")
        latest = max(dates)
        if latest > ctx.on:
            return unknown(
                lambda: f"{label} dated {fmt_date(latest)}, after the screening date",
                Missing(f"history:{self.event}", f"{label} date"),
            )

        def shown():
            return f"{label} on {fmt_date(latest)}, {elapsed((ctx.on - latest).days)} before screening"

        if self.minimum is not None and latest > self.minimum.before(ctx.on):
            return not_met(lambda: f"{shown()}: less than {self.minimum}", lambda: (shown(),))
        if self.maximum is not None and latest < self.maximum.before(ctx.on):
            return not_met(lambda: f"{shown()}: more than {self.maximum}", lambda: (shown(),))
        return met(lambda: f"{shown()} ({self._limits()})", lambda: (shown(),))

    def _limits(self):
        parts = []
        if self.minimum is not None:
            parts.append(f"at least {self.minimum}")
        if self.maximum is not None:
            parts.append(f"within {self.maximum}")
        return " and ".join(parts)

    def inputs(self):
        return {f"history:{self.event}"}

    def describe(self):
        return f"{_in_sentence(F.EVENTS[self.event])}: {self._limits()} before screening"


@dataclass(frozen=True, slots=True)
class TimeBetweenEvents:
    """The latest event of one kind at least an interval after the latest of another: brain metastases stable on
    imaging at least 3 months after their treatment. Both dated, neither after the screening date."""

    first: str
    then: str
    minimum: Interval

    def evaluate(self, ctx):
        events = ctx.facts.events
        first, then = F.EVENTS[self.first], F.EVENTS[self.then]
        for event, label in ((self.first, first), (self.then, then)):
            dates = events.get(event)
            if dates is None:
                return unknown(f"{label}: not entered", Missing(f"history:{event}", f"{label} date"))
            if not dates:
                return not_met(f"No {_in_sentence(label)} recorded; {self.describe()}")
            if max(dates) > ctx.on:
                return unknown(
                    f"{label} dated {fmt_date(max(dates))}, after the screening date",
                    Missing(f"history:{event}", f"{label} date"),
                )
        start, end = max(events[self.first]), max(events[self.then])

        def shown():
            return f"{first} on {fmt_date(start)}; {_in_sentence(then)} on {fmt_date(end)}"

        if end < start:
            return not_met(lambda: f"{shown()}: no imaging since the treatment shows it", lambda: (shown(),))
        if start > self.minimum.before(end):
            gap = (end - start).days
            return not_met(lambda: f"{shown()}: {elapsed(gap)} apart, less than {self.minimum}", lambda: (shown(),))
        return met(lambda: f"{shown()}: at least {self.minimum} apart", lambda: (shown(),))

    def inputs(self):
        return {f"history:{self.first}", f"history:{self.then}"}

    def describe(self):
        then, first = _in_sentence(F.EVENTS[self.then]), _in_sentence(F.EVENTS[self.first])
        return f"{then} at least {self.minimum} after the {first}"


@dataclass(frozen=True, slots=True)
class ClassInterval:
    classes: frozenset
    minimum: Interval


def _therapy_missing():
    return Missing("therapies", "Prior anticancer therapy")


def _agents_of(therapy):
    return ", ".join(therapy.agents) or F.MODALITIES[therapy.modality].lower()


CHEMOTHERAPY_ROUTES = frozenset({"systemic_chemotherapy", "regional_chemotherapy"})


@dataclass(frozen=True, slots=True)
class TherapyProfile:
    """A prior regimen as its agents describe it, whatever type was chosen for it: every regimen type it counts as,
    the drug classes of its agents, and what no name in the vocabulary explains."""

    modalities: frozenset  # the type chosen, and every type its agents are
    chemotherapy_route_open: bool  # chemotherapy agents in a regimen typed neither systemic nor regional
    classes: frozenset  # classes its agents certainly are in
    possible_classes: frozenset  # and those they may be in (a class word such as "chemo" names no drug)
    unresolved: tuple  # agents that match no drug
    class_words: tuple  # agents that name a class, not a drug
    matches: tuple  # (agent as written, DrugMatch)

    @classmethod
    def of(cls, therapy, ctx):
        vocabulary = ctx.vocabulary
        modalities, classes, possible = {therapy.modality}, set(), set()
        unresolved, class_words, matches = [], [], []
        route_open = False
        for agent in therapy.agents:
            found = ctx.agent_matches(agent)
            if not found:
                unresolved.append(agent)
            for match in found:
                matches.append((agent, match))
                classes |= match.drug.classes
                possible |= match.drug.possible_classes
                if match.drug.is_class_word:
                    class_words.append(agent)
                for kind in vocabulary.kinds_of(match.drug):
                    if kind != F.CHEMOTHERAPY:
                        modalities.add(kind)
                    elif therapy.modality not in CHEMOTHERAPY_ROUTES:
                        route_open = True  # the agents say chemotherapy; only the type says systemic or regional
        return cls(
            frozenset(modalities),
            route_open,
            frozenset(classes),
            frozenset(possible),
            tuple(unresolved),
            tuple(dict.fromkeys(class_words)),
            tuple(matches),
        )


IN_SCOPE, OPEN, OUT_OF_SCOPE = "in", "open", "out"


def _scope(ctx, therapy, modalities, settings):
    """(IN_SCOPE, None) when a rule about these regimen types and settings counts the regimen, (OUT_OF_SCOPE, None)
    when it does not, and (OPEN, why) when what the chart leaves open decides it: an agent no name explains, no agent
    named for an "other" regimen, chemotherapy in a regimen whose type gives no route, or a setting not documented.
    The agents decide the type, not the type chosen."""
    if therapy.setting not in settings and therapy.setting != F.NOT_DOCUMENTED:
        return OUT_OF_SCOPE, None
    profile = ctx.therapy_profile(therapy)
    why = []
    counted = bool(profile.modalities & modalities)
    if not counted and profile.chemotherapy_route_open:
        routes = CHEMOTHERAPY_ROUTES & modalities
        counted = routes == CHEMOTHERAPY_ROUTES
        if routes and not counted:
            why.append("its type does not say whether its chemotherapy was systemic or regional")
    if not counted and not why:
        if profile.unresolved:
            why.append(f"'{profile.unresolved[0]}' is not a recognised drug")
        elif not therapy.agents and therapy.modality == "other":
            why.append("no agent is named")
        else:
            return OUT_OF_SCOPE, None
    if therapy.setting not in settings:
        why.append("its setting is not documented")
    return (OPEN, " and ".join(why)) if why else (IN_SCOPE, None)


def _review(therapy, why):
    return Missing("therapies", f"Review {_agents_of(therapy)}: {why}")


@dataclass(frozen=True, slots=True)
class TimeSinceTherapy:
    """Washout after prior therapy, counted from its last dose; some drug classes need a longer one."""

    modalities: frozenset
    settings: frozenset
    minimum: Interval
    by_class: tuple  # ClassInterval, longer washouts for some classes

    def evaluate(self, ctx):
        if ctx.facts.prior_therapies is None:
            return unknown("Prior therapy history not entered", _therapy_missing())
        outcomes = []
        for therapy in ctx.facts.prior_therapies:
            scope, why = _scope(ctx, therapy, self.modalities, self.settings)
            if scope == IN_SCOPE:
                outcomes.append(self._judge(ctx, therapy))
            elif scope == OPEN:
                outcomes.append(self._judge_open(ctx, therapy, why))
        if not outcomes:
            return met(lambda: f"No prior {self._what()} recorded")
        for status in (NOT_MET, UNKNOWN):
            chosen = [o for o in outcomes if o.status == status]
            if chosen:
                return _merge(status, chosen)
        return _merge(MET, outcomes)

    def _judge(self, ctx, therapy):
        agents = _agents_of(therapy)
        ended = therapy.ended_on
        if ended is None:
            return unknown(lambda: f"{agents}: date of last dose not entered", Missing("therapies", f"End of {agents}"))
        if ended > ctx.on:
            return not_met(lambda: f"{agents} ends {fmt_date(ended)}, after the screening date")
        needed, unresolved = self._required_interval(ctx, therapy)

        def shown():
            return f"{agents} last given {fmt_date(ended)}, {elapsed((ctx.on - ended).days)} before screening"

        if ended > needed.before(ctx.on):
            return not_met(lambda: f"{shown()}: less than the {needed} required", lambda: (shown(),))
        longest = self._longest(ctx)
        if unresolved is not None and ended > longest.before(ctx.on):
            return unknown(
                lambda: f"{shown()}: {unresolved}, so whether {self.minimum} or {longest} applies needs review",
                _review(therapy, unresolved),
                evidence=lambda: (shown(),),
            )
        return met(lambda: f"{shown()} (at least {needed})", lambda: (shown(),))

    def _judge_open(self, ctx, therapy, why):
        """A regimen that may count: unknown while its last dose is recent enough for that to matter."""
        agents = _agents_of(therapy)
        ended = therapy.ended_on
        needed, unresolved = self._required_interval(ctx, therapy)
        needed = needed if unresolved is None else self._longest(ctx)
        if_counted = f"if it was {self._what()}, at least {needed} are required"
        if ended is None:
            return unknown(
                lambda: f"{agents}: {why}, and its last dose is not entered; {if_counted}", _review(therapy, why)
            )

        def shown():
            return f"{agents} last given {fmt_date(ended)}, {elapsed((ctx.on - ended).days)} before screening"

        if ended > needed.before(ctx.on):
            return unknown(
                lambda: f"{shown()}: {why}; {if_counted}: needs review",
                _review(therapy, why),
                evidence=lambda: (shown(),),
            )
        return met(lambda: f"{shown()}: {why}, but even if it was {self._what()}, at least {needed} have passed")

    def _required_interval(self, ctx, therapy):
        """The longest washout the named agents call for, and why a longer one cannot be ruled out (None if it can)."""
        profile = ctx.therapy_profile(therapy)
        needed = self.minimum
        for rule in self.by_class:
            if profile.classes & rule.classes and rule.minimum.before(ctx.on) < needed.before(ctx.on):
                needed = rule.minimum
        if not therapy.agents:
            return needed, "no agent is named"
        if profile.unresolved:
            return needed, f"'{profile.unresolved[0]}' is not a recognised drug"
        longer = {
            c for rule in self.by_class if rule.minimum.before(ctx.on) < needed.before(ctx.on) for c in rule.classes
        }
        if profile.possible_classes & longer:
            return needed, f"'{profile.class_words[0]}' does not say which drug"
        return needed, None

    def _longest(self, ctx):
        return min([self.minimum, *(c.minimum for c in self.by_class)], key=lambda i: i.before(ctx.on))

    def _what(self):
        return f"{_modalities(self.modalities)} for {_settings(self.settings)}"

    def inputs(self):
        return {"therapies"}

    def describe(self):
        extra = "".join(f"; {c.minimum} for {', '.join(sorted(c.classes))}" for c in self.by_class)
        return f"at least {self.minimum} since {self._what()}{extra}"


@dataclass(frozen=True, slots=True)
class PriorTherapyCount:
    """At most N prior regimens of some types and settings; regimens the chart leaves open may count."""

    modalities: frozenset
    settings: frozenset
    maximum: int

    def evaluate(self, ctx):
        if ctx.facts.prior_therapies is None:
            return unknown("Prior therapy history not entered", _therapy_missing())
        counted, open_ = [], []
        for therapy in ctx.facts.prior_therapies:
            scope, why = _scope(ctx, therapy, self.modalities, self.settings)
            if scope == IN_SCOPE:
                counted.append(therapy)
            elif scope == OPEN:
                open_.append((therapy, why))

        def shown():
            names = "; ".join(_agents_of(t) for t in counted)
            return f"{len(counted)} prior {self._what()}" + (f" ({names})" if counted else "")

        if len(counted) > self.maximum:
            return not_met(lambda: f"{shown()}: more than {self.maximum}")
        if len(counted) + len(open_) > self.maximum:
            return unknown(
                lambda: (
                    f"{shown()}; {len(open_)} more may count, needs review: "
                    + "; ".join(f"{_agents_of(t)} ({why})" for t, why in open_)
                ),
                *dict.fromkeys(_review(t, why) for t, why in open_),
            )
        return met(lambda: f"{shown()} (at most {self.maximum})")

    def _what(self):
        return f"{_modalities(self.modalities)} regimens for {_settings(self.settings)}"

    def inputs(self):
        return {"therapies"}

    def describe(self):
        return f"at most {self.maximum} prior {self._what()}"


@dataclass(frozen=True, slots=True)
class PriorAgentClass:
    """No prior agent of the given drug classes, in any prior therapy; an unnamed or unknown agent needs review."""

    classes: frozenset

    def evaluate(self, ctx):
        if ctx.facts.prior_therapies is None:
            return unknown("Prior therapy history not entered", _therapy_missing())
        hits, unresolved = [], []
        for therapy in ctx.facts.prior_therapies:
            profile = ctx.therapy_profile(therapy)
            if not therapy.agents:
                unresolved.append((therapy, f"{_agents_of(therapy)} (no agent named)"))
            unresolved.extend((therapy, agent) for agent in profile.unresolved)
            for agent, match in profile.matches:
                if match.drug.classes & self.classes:
                    hits.append((agent, match))
                elif match.drug.possible_classes & self.classes:
                    unresolved.append((therapy, f"{agent} (names a class, not the drug)"))
        if hits:
            return not_met(lambda: "Prior " + "; ".join(f"{a} ({_classes_of(ctx, m, self.classes)})" for a, m in hits))
        if unresolved:
            return unknown(
                lambda: (
                    "Prior agent not named or not recognised, needs review: "
                    + ", ".join(what for _, what in unresolved)
                ),
                *dict.fromkeys(
                    Missing("therapies", f"Review agents of {_agents_of(therapy)}") for therapy, _ in unresolved
                ),
            )
        return met(lambda: f"No prior agent in: {self._class_names(ctx)}")

    def _class_names(self, ctx):
        return ", ".join(ctx.vocabulary.drug_classes[c] for c in sorted(self.classes))

    def inputs(self):
        return {"therapies"}

    def describe(self):
        return "no prior agent of class " + ", ".join(sorted(self.classes))


def _unmatched_reason(ctx, medication):
    """Why a medication line needs review, with the names a misspelling may have meant."""
    suggestions = ctx.vocabulary.matcher.suggest(medication.text)
    hint = f" ({'; '.join(str(s) for s in suggestions)})" if suggestions else ""
    return f"'{medication.text}' matched no known drug and needs review{hint}"


def _purpose_reason(medication):
    if medication.purpose in F.PURPOSES:
        return f"'{medication.text}' is marked {F.PURPOSES[medication.purpose].lower()}: prophylactic or therapeutic?"
    return f"'{medication.text}': prophylactic or therapeutic not stated"


def _classes_of(ctx, match, wanted):
    names = ", ".join(ctx.vocabulary.drug_classes[c] for c in sorted(match.drug.classes & wanted))
    return f"{match.drug.generic_name}: {names}"


# Concurrent medication


@dataclass(frozen=True, slots=True)
class ConcurrentMedication:
    """No active medication in the given classes; optionally only one purpose, optionally allowed under a rule."""

    classes: frozenset
    purpose: str | None  # None: any purpose
    allowed_if: object | None

    def evaluate(self, ctx):
        if ctx.facts.medications is None:
            return unknown("Medication list not entered", Missing("medications", "Concomitant medications"))
        classes, some_unmatched = ctx.medication_classes()
        if not some_unmatched and not classes & self.classes:
            return self._none_taken(ctx)
        hits, unmatched, unnamed, purpose_unknown = [], [], [], []
        for medication, matches in ctx.active_medication_matches():
            if not matches:
                unmatched.append(medication)
                continue
            relevant = [m for m in matches if m.drug.classes & self.classes]
            if not relevant:
                if any(m.drug.possible_classes & self.classes for m in matches):
                    unnamed.append(medication)
                continue
            if self.purpose is not None and medication.purpose != self.purpose:
                if medication.purpose not in F.DOSE_PURPOSES:
                    purpose_unknown.append(medication)
                continue
            hits.append((medication, relevant[0]))
        pending = bool(unmatched or unnamed or purpose_unknown)
        if hits:

            def taking():
                return "Takes " + "; ".join(
                    f"'{m.text}' ({_classes_of(ctx, match, self.classes)})" for m, match in hits
                )

            if self.allowed_if is None:
                return not_met(taking)
            condition = self.allowed_if.evaluate(ctx)
            if condition.status == NOT_MET or not pending:
                return Outcome(
                    condition.status,
                    lambda: f"{taking()}, allowed only if {self.allowed_if.describe()}: {condition.reason}",
                    lambda: condition.evidence,
                    condition.missing,
                )
        if pending:
            return unknown(
                lambda: "; ".join(
                    [_unmatched_reason(ctx, m) for m in unmatched]
                    + [f"'{m.text}' names a class, not the drug: which {self._what(ctx)}?" for m in unnamed]
                    + [_purpose_reason(m) for m in purpose_unknown]
                ),
                *(Missing("medications", f"Review medication '{m.text}'") for m in unmatched),
                *(Missing("medications", f"Name the drug of '{m.text}'") for m in unnamed),
                *(Missing("medications", f"Purpose of '{m.text}'") for m in purpose_unknown),
            )
        return self._none_taken(ctx)

    def _none_taken(self, ctx):
        checked = len(ctx.active_medication_matches())
        return met(
            lambda: f"No active {self._what(ctx)} ({checked} active medication{'s' if checked != 1 else ''} checked)"
        )

    def _what(self, ctx):
        names = " or ".join(ctx.vocabulary.drug_classes[c] for c in sorted(self.classes))
        return f"{F.PURPOSES[self.purpose].lower()} {names}" if self.purpose else names

    def inputs(self):
        """The medication list, and per class (medications:<class>) for the checks that guard some classes."""
        by_class = {f"medications:{c}" for c in self.classes}
        return {"medications", *by_class} | (self.allowed_if.inputs() if self.allowed_if else set())

    def describe(self):
        what = " or ".join(sorted(self.classes))
        if self.purpose:
            what = f"{self.purpose} {what}"
        allowed = f", allowed if {self.allowed_if.describe()}" if self.allowed_if else ""
        return f"no concurrent {what}{allowed}"


# Disease and readings


@dataclass(frozen=True, slots=True)
class MeasurableDisease:
    """At least one lesion reaching the minimum size for the method it was measured by."""

    minimum_mm: dict

    def evaluate(self, ctx):
        lesions = ctx.facts.lesions
        if lesions is None:
            return unknown("Measurable lesions not entered", Missing("lesions", "Lesion measurements"))
        if not lesions:
            return not_met("No measurable lesion recorded")
        enough = next((x for x in lesions if compare(x.size_mm, ">=", self.minimum_mm[x.method])), None)
        if enough is not None:
            needed = self.minimum_mm[enough.method]
            return met(lambda: f"Lesion {_lesion(enough)} (at least {fmt(needed)} mm)", lambda: (_lesion(enough),))
        return not_met(
            lambda: "No lesion reaches the minimum size: " + "; ".join(_lesion(x) for x in lesions),
            lambda: [_lesion(x) for x in lesions],
        )

    def inputs(self):
        return {"lesions"}

    def describe(self):
        sizes = ", ".join(f"≥ {fmt(mm)} mm by {_method(m)}" for m, mm in self.minimum_mm.items())
        return f"a measurable lesion: {sizes}"


def _lesion(lesion):
    return f"{fmt(lesion.size_mm)} mm by {_method(lesion.method)}"


def _method(method):
    return _in_sentence(F.MEASUREMENT_METHODS[method])


@dataclass(frozen=True, slots=True)
class BloodPressureCount:
    """Uncontrolled hypertension: systolic or diastolic above a limit on N separate days in the last week."""

    systolic_above: int
    diastolic_above: int
    days: int
    within_days: int

    def evaluate(self, ctx):
        readings = ctx.facts.blood_pressures
        missing = Missing("blood_pressures", f"Blood pressure readings from the last {self.within_days} days")
        if readings is None:
            return unknown("Blood pressure readings not entered", missing)
        recent = [r for r in readings if 0 <= (ctx.on - r.taken_on).days < self.within_days]
        if not recent:
            return unknown(
                lambda: f"No blood pressure reading in the {self.within_days} days before screening", missing
            )
        high_systolic = sorted({r.taken_on for r in recent if r.systolic > self.systolic_above})
        high_diastolic = sorted({r.taken_on for r in recent if r.diastolic > self.diastolic_above})

        def evidence():
            return [f"{fmt_date(r.taken_on)}: {r.systolic}/{r.diastolic} mm Hg" for r in recent]

        too_high = [
            (label, limit, high)
            for label, limit, high in (
                ("Systolic", self.systolic_above, high_systolic),
                ("Diastolic", self.diastolic_above, high_diastolic),
            )
            if len(high) >= self.days
        ]
        if too_high:
            label, limit, high = too_high[0]
            return not_met(
                lambda: (
                    f"{label} above {limit} mm Hg on {len(high)} separate days ({', '.join(fmt_date(d) for d in high)})"
                ),
                evidence,
            )
        if (high_systolic or high_diastolic) and len({r.taken_on for r in recent}) < self.days:
            return unknown(
                lambda: f"One high reading in the last {self.within_days} days; a reading on another day is needed",
                missing,
                evidence=evidence,
            )
        return met(
            lambda: (
                f"{len(recent)} reading(s) in the last {self.within_days} days; not above "
                f"{self.systolic_above}/{self.diastolic_above} mm Hg on {self.days} separate days"
            ),
            evidence,
        )

    def inputs(self):
        return {"blood_pressures"}

    def describe(self):
        return (
            f"not (systolic > {self.systolic_above} or diastolic > {self.diastolic_above} mm Hg on {self.days} "
            f"separate days within {self.within_days} days)"
        )
