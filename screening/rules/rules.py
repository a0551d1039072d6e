"""One small class per rule type. Each `evaluate(ctx)` returns an Outcome; each `describe()` says the rule in words.

Rules are built by `specs.compile_rule` from validated data, never from text that is evaluated.
"""

import calendar
import math
import operator
from dataclasses import dataclass
from datetime import date

from screening.rules import facts as F
from screening.rules.outcomes import MET, NOT_MET, UNKNOWN, Missing, Outcome, met, not_met, unknown
from screening.rules.vocabulary import UnitError

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


def fmt_date(day):
    return day.isoformat()


class Context:
    """One candidate on one screening date, with the lookups several rules share computed once."""

    __slots__ = ("_medication_matches", "facts", "on", "vocabulary")

    def __init__(self, facts, on, vocabulary):
        self.facts = facts
        self.on = on
        self.vocabulary = vocabulary
        self._medication_matches = None

    def age_years(self):
        born = self.facts.birth_date
        if born is None:
            return None
        return self.on.year - born.year - ((self.on.month, self.on.day) < (born.month, born.day))

    def active_medication_matches(self):
        """(medication, matched drugs) for every active medication, matched once per candidate."""
        if self._medication_matches is None:
            match = self.vocabulary.matcher.match
            self._medication_matches = [(m, match(m.text)) for m in self.facts.medications or () if m.active]
        return self._medication_matches


# Composition


@dataclass(frozen=True, slots=True)
class AllOf:
    rules: tuple

    def evaluate(self, ctx):
        outcomes = [rule.evaluate(ctx) for rule in self.rules]
        failed = [o for o in outcomes if o.status == NOT_MET]
        if failed:
            return _merge(NOT_MET, failed)
        pending = [o for o in outcomes if o.status == UNKNOWN]
        if pending:
            return _merge(UNKNOWN, pending)
        return _merge(MET, outcomes)

    def describe(self):
        return "all of: " + "; ".join(rule.describe() for rule in self.rules)


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple

    def evaluate(self, ctx):
        outcomes = [rule.evaluate(ctx) for rule in self.rules]
        for outcome in outcomes:
            if outcome.status == MET:
                return outcome
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
        return Outcome(flipped, outcome.reason, outcome.evidence, outcome.missing)

    def describe(self):
        return f"not ({self.rule.describe()})"


def _merge(status, outcomes, joiner="; "):
    missing = tuple(dict.fromkeys(m for o in outcomes for m in o.missing))
    evidence = tuple(dict.fromkeys(e for o in outcomes for e in o.evidence))
    return Outcome(status, joiner.join(o.reason for o in outcomes), evidence, missing)


# Labs


def _lab_missing(analyte):
    return Missing(f"lab:{analyte.code}", f"{analyte.name} result")


def _lab_evidence(analyte, lab):
    taken = f" on {fmt_date(lab.collected_on)}" if lab.collected_on else ""
    uln = f" (ULN {with_unit(lab.uln, lab.unit)})" if lab.uln is not None else ""
    return f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)}{uln}{taken}"


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
        lab = ctx.facts.labs.get(analyte.code)
        if lab is None:
            return unknown(f"{analyte.abbreviation} not entered", _lab_missing(analyte))
        try:
            value = analyte.to_canonical(lab.value, lab.unit)
        except UnitError as error:
            return unknown(str(error), _lab_missing(analyte))
        ok = compare(value, self.op, self.limit_canonical)
        _, _, passes, fails = COMPARISONS[self.op]
        shown = f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)}"
        if lab.unit != self.unit:
            shown += f" ({with_unit(analyte.convert(lab.value, lab.unit, self.unit), self.unit)})"
        reason = f"{shown} {passes if ok else fails} {with_unit(self.limit, self.unit)}"
        return Outcome(MET if ok else NOT_MET, reason, (_lab_evidence(analyte, lab),))

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
        lab = ctx.facts.labs.get(analyte.code)
        if lab is None:
            return unknown(f"{analyte.abbreviation} not entered", _lab_missing(analyte))
        if lab.uln is None or lab.uln <= 0:
            return unknown(
                f"{analyte.abbreviation} has no upper limit of normal; the lab's ULN is needed",
                Missing(f"lab:{analyte.code}:uln", f"{analyte.name} upper limit of normal"),
            )
        ok = compare(lab.value, self.op, self.multiple * lab.uln)
        symbol = COMPARISONS[self.op][1]
        reason = (
            f"{analyte.abbreviation} {with_unit(lab.value, lab.unit)} is {lab.value / lab.uln:.2f} x ULN "
            f"({with_unit(lab.uln, lab.unit)}); {'within' if ok else 'outside'} the limit "
            f"{symbol} {self._limit_words()}"
        )
        return Outcome(MET if ok else NOT_MET, reason, (_lab_evidence(analyte, lab),))

    def _limit_words(self):
        return "ULN" if self.multiple == 1 else f"{fmt(self.multiple)} x ULN"

    def describe(self):
        return f"{self.analyte.abbreviation} {COMPARISONS[self.op][1]} {self._limit_words()}"


@dataclass(frozen=True, slots=True)
class CreatinineClearance:
    """Measured creatinine clearance when entered, else Cockcroft-Gault from age, weight, sex and creatinine."""

    minimum: float
    creatinine: object
    clearance: object

    def evaluate(self, ctx):
        measured = ctx.facts.labs.get(self.clearance.code)
        if measured is not None:
            try:
                value = self.clearance.to_canonical(measured.value, measured.unit)
            except UnitError as error:
                return unknown(str(error), _lab_missing(self.clearance))
            return self._judge(value, "Measured creatinine clearance", _lab_evidence(self.clearance, measured))
        facts, missing = ctx.facts, []
        age = ctx.age_years()
        if age is None:
            missing.append(Missing("birth_date", "Date of birth"))
        if facts.weight_kg is None:
            missing.append(Missing("weight_kg", "Weight"))
        if facts.sex is None:
            missing.append(Missing("sex", "Sex"))
        lab = facts.labs.get(self.creatinine.code)
        if lab is None:
            missing.append(_lab_missing(self.creatinine))
        if missing:
            return unknown(
                "Creatinine clearance cannot be estimated: " + ", ".join(m.label for m in missing) + " not entered",
                *missing,
            )
        try:
            creatinine_mg_dl = self.creatinine.to_canonical(lab.value, lab.unit)
        except UnitError as error:
            return unknown(str(error), _lab_missing(self.creatinine))
        estimate = cockcroft_gault(age, facts.weight_kg, facts.sex, creatinine_mg_dl)
        basis = (
            f"Cockcroft-Gault: age {age}, {fmt(facts.weight_kg)} kg, {F.SEXES[facts.sex].lower()}, "
            f"creatinine {fmt(creatinine_mg_dl)} mg/dL"
        )
        return self._judge(estimate, f"Estimated creatinine clearance ({basis})", _lab_evidence(self.creatinine, lab))

    def _judge(self, value, label, evidence):
        ok = compare(value, ">=", self.minimum)
        word = "is at least" if ok else "is below the minimum of"
        return Outcome(
            MET if ok else NOT_MET, f"{label} {fmt(value)} mL/min {word} {fmt(self.minimum)} mL/min", (evidence,)
        )

    def describe(self):
        return f"creatinine clearance ≥ {fmt(self.minimum)} mL/min (measured, else Cockcroft-Gault)"


def cockcroft_gault(age, weight_kg, sex, creatinine_mg_dl):
    """Estimated creatinine clearance in mL/min; x 0.85 for women."""
    clearance = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return clearance * 0.85 if sex == F.FEMALE else clearance


# The person


@dataclass(frozen=True, slots=True)
class Age:
    minimum: int | None
    maximum: int | None

    def evaluate(self, ctx):
        age = ctx.age_years()
        if age is None:
            return unknown("Date of birth not entered", Missing("birth_date", "Date of birth"))
        if self.minimum is not None and age < self.minimum:
            return not_met(f"Age {age} is under {self.minimum}")
        if self.maximum is not None and age > self.maximum:
            return not_met(f"Age {age} is over {self.maximum}")
        return met(f"Age {age} ({self.describe()})")

    def describe(self):
        if self.maximum is None:
            return f"age {self.minimum} or older"
        if self.minimum is None:
            return f"age {self.maximum} or younger"
        return f"age {self.minimum} to {self.maximum}"


@dataclass(frozen=True, slots=True)
class Grade:
    scale: str
    maximum: int

    def evaluate(self, ctx):
        label = F.SCALES[self.scale][0]
        grade = ctx.facts.grades.get(self.scale)
        if grade is None:
            return unknown(f"{label} not entered", Missing(f"grade:{self.scale}", label))
        if grade > self.maximum:
            return not_met(f"{label} {grade} is worse than the maximum of {self.maximum}")
        return met(f"{label} {grade} (at most {self.maximum})")

    def describe(self):
        return f"{F.SCALES[self.scale][0]} ≤ {self.maximum}"


@dataclass(frozen=True, slots=True)
class Fact:
    """A recorded yes/no or multiple-choice fact must have one of the allowed values."""

    fact: str
    allowed: frozenset

    def evaluate(self, ctx):
        definition = F.FACTS[self.fact]
        value = ctx.facts.answers.get(self.fact)
        if value is None:
            return unknown(f"{definition.label}: not answered", Missing(f"answer:{self.fact}", definition.label))
        shown = f"{definition.label}: {definition.show(value)}"
        return Outcome(MET if value in self.allowed else NOT_MET, shown)

    def describe(self):
        definition = F.FACTS[self.fact]
        return f"{definition.label}: " + " or ".join(sorted(definition.show(v) for v in self.allowed))


@dataclass(frozen=True, slots=True)
class Attestation:
    """A clinician-judgement question, answered yes or no by the coordinator; unknown until answered."""

    question: str
    text: str
    pass_answer: bool

    def evaluate(self, ctx):
        answer = ctx.facts.answers.get(self.question)
        if answer is None:
            return unknown(f"Not answered: {self.text}", Missing(f"answer:{self.question}", self.text))
        shown = f"{self.text} {'Yes' if answer else 'No'}"
        return Outcome(MET if answer is self.pass_answer else NOT_MET, shown)

    def describe(self):
        return f"attestation: {self.text} (passes when {'yes' if self.pass_answer else 'no'})"


@dataclass(frozen=True, slots=True)
class Allowance:
    """A bullet that permits something; nothing about the candidate can fail it."""

    text: str

    def evaluate(self, ctx):
        return met(f"Permission, nothing to check: {self.text}")

    def describe(self):
        return f"permission: {self.text}"


# Time


@dataclass(frozen=True, slots=True)
class Interval:
    amount: int
    unit: str  # days, weeks, months, years

    def before(self, day):
        """The date this interval before `day`; calendar months and years, clamped to the month's end."""
        if self.unit == "days":
            return day.fromordinal(day.toordinal() - self.amount)
        if self.unit == "weeks":
            return day.fromordinal(day.toordinal() - 7 * self.amount)
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
            return unknown(f"{label} history not entered", Missing(f"history:{self.event}", f"{label} history"))
        if not dates:
            if self.maximum is not None or self.required:
                return not_met(f"No {label.lower()} recorded; one is required ({self._limits()})")
            return met(f"No {label.lower()} recorded")
        latest = max(dates)
        if latest > ctx.on:
            return unknown(
                f"{label} dated {fmt_date(latest)}, after the screening date",
                Missing(f"history:{self.event}", f"{label} date"),
            )
        days = (ctx.on - latest).days
        shown = f"{label} on {fmt_date(latest)}, {days} days before screening"
        if self.minimum is not None and latest > self.minimum.before(ctx.on):
            return not_met(f"{shown}: less than {self.minimum}", (shown,))
        if self.maximum is not None and latest < self.maximum.before(ctx.on):
            return not_met(f"{shown}: more than {self.maximum}", (shown,))
        return met(f"{shown} ({self._limits()})", (shown,))

    def _limits(self):
        parts = []
        if self.minimum is not None:
            parts.append(f"at least {self.minimum}")
        if self.maximum is not None:
            parts.append(f"within {self.maximum}")
        return " and ".join(parts)

    def describe(self):
        return f"{F.EVENTS[self.event].lower()}: {self._limits()} before screening"


@dataclass(frozen=True, slots=True)
class ClassInterval:
    classes: frozenset
    minimum: Interval


def _therapy_missing():
    return Missing("therapies", "Prior anticancer therapy")


def _relevant_therapies(ctx, modalities, settings):
    return [t for t in ctx.facts.prior_therapies if t.modality in modalities and t.setting in settings]


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
        therapies = _relevant_therapies(ctx, self.modalities, self.settings)
        if not therapies:
            return met(f"No prior {self._what()} recorded")
        outcomes = [self._judge(ctx, therapy) for therapy in therapies]
        for status in (NOT_MET, UNKNOWN):
            chosen = [o for o in outcomes if o.status == status]
            if chosen:
                return _merge(status, chosen)
        return _merge(MET, outcomes)

    def _judge(self, ctx, therapy):
        agents = ", ".join(therapy.agents) or F.MODALITIES[therapy.modality].lower()
        if therapy.ended_on is None:
            return unknown(f"{agents}: date of last dose not entered", Missing("therapies", f"End date of {agents}"))
        if therapy.ended_on > ctx.on:
            return not_met(f"{agents} ends {fmt_date(therapy.ended_on)}, after the screening date")
        needed, unresolved = self._required_interval(ctx, therapy)
        days = (ctx.on - therapy.ended_on).days
        shown = f"{agents} last given {fmt_date(therapy.ended_on)}, {days} days before screening"
        if therapy.ended_on > self.minimum.before(ctx.on):
            return not_met(f"{shown}: less than {self.minimum}", (shown,))
        if therapy.ended_on > needed.minimum.before(ctx.on):
            return not_met(f"{shown}: less than the {needed.minimum} required for {agents}", (shown,))
        if unresolved:
            longest = max([c.minimum for c in self.by_class], key=lambda i: i.before(ctx.on), default=None)
            if longest is not None and therapy.ended_on > longest.before(ctx.on):
                return unknown(
                    f"{shown}: '{unresolved}' is not a recognised drug, so whether {self.minimum} or {longest} "
                    "applies needs review",
                    Missing("therapies", f"Review agent '{unresolved}'"),
                    evidence=(shown,),
                )
        return met(f"{shown} (at least {needed.minimum})", (shown,))

    def _required_interval(self, ctx, therapy):
        """The longest washout the therapy's agents call for, and the first agent that matched no drug."""
        needed, unresolved = ClassInterval(frozenset(), self.minimum), None
        for agent in therapy.agents:
            matches = ctx.vocabulary.matcher.match(agent)
            if not matches:
                unresolved = unresolved or agent
            classes = {c for m in matches for c in m.drug.classes}
            for rule in self.by_class:
                if classes & rule.classes and rule.minimum.before(ctx.on) < needed.minimum.before(ctx.on):
                    needed = rule
        return needed, unresolved

    def _what(self):
        modalities = " or ".join(F.MODALITIES[m].lower() for m in sorted(self.modalities))
        settings = " or ".join(F.SETTINGS[s].lower() for s in sorted(self.settings))
        return f"{modalities} ({settings})"

    def describe(self):
        extra = "".join(f"; {c.minimum} for {', '.join(sorted(c.classes))}" for c in self.by_class)
        return f"at least {self.minimum} since {self._what()}{extra}"


@dataclass(frozen=True, slots=True)
class PriorTherapyCount:
    modalities: frozenset
    settings: frozenset
    maximum: int

    def evaluate(self, ctx):
        if ctx.facts.prior_therapies is None:
            return unknown("Prior therapy history not entered", _therapy_missing())
        therapies = _relevant_therapies(ctx, self.modalities, self.settings)
        what = self._what()
        names = "; ".join(", ".join(t.agents) or F.MODALITIES[t.modality] for t in therapies)
        shown = f"{len(therapies)} prior {what}" + (f" ({names})" if therapies else "")
        if len(therapies) > self.maximum:
            return not_met(f"{shown}: more than {self.maximum}")
        return met(f"{shown} (at most {self.maximum})")

    def _what(self):
        modalities = " or ".join(F.MODALITIES[m].lower() for m in sorted(self.modalities))
        settings = " or ".join(F.SETTINGS[s].lower() for s in sorted(self.settings))
        return f"{modalities} regimens for {settings}"

    def describe(self):
        return f"at most {self.maximum} prior {self._what()}"


@dataclass(frozen=True, slots=True)
class PriorAgentClass:
    """No prior agent of the given drug classes, in any prior therapy."""

    classes: frozenset

    def evaluate(self, ctx):
        if ctx.facts.prior_therapies is None:
            return unknown("Prior therapy history not entered", _therapy_missing())
        hits, unresolved = [], []
        for therapy in ctx.facts.prior_therapies:
            for agent in therapy.agents:
                matches = ctx.vocabulary.matcher.match(agent)
                if not matches:
                    unresolved.append(agent)
                for match in matches:
                    if match.drug.classes & self.classes:
                        hits.append(f"{agent} ({_classes_of(ctx, match, self.classes)})")
        if hits:
            return not_met("Prior " + "; ".join(hits))
        if unresolved:
            return unknown(
                "Prior agent not recognised, needs review: " + ", ".join(unresolved),
                *(Missing("therapies", f"Review agent '{a}'") for a in unresolved),
            )
        return met(f"No prior agent in: {self._class_names(ctx)}")

    def _class_names(self, ctx):
        return ", ".join(ctx.vocabulary.drug_classes[c] for c in sorted(self.classes))

    def describe(self):
        return "no prior agent of class " + ", ".join(sorted(self.classes))


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
        hits, pending, missing = [], [], []
        for medication, matches in ctx.active_medication_matches():
            if not matches:
                pending.append(f"'{medication.text}' matched no known drug and needs review")
                missing.append(Missing("medications", f"Review medication '{medication.text}'"))
                continue
            relevant = [m for m in matches if m.drug.classes & self.classes]
            if not relevant:
                continue
            if self.purpose is not None and medication.purpose != self.purpose:
                if medication.purpose is None:
                    pending.append(f"'{medication.text}': prophylactic or therapeutic not stated")
                    missing.append(Missing("medications", f"Purpose of '{medication.text}'"))
                continue
            hits.append(f"'{medication.text}' ({_classes_of(ctx, relevant[0], self.classes)})")
        if hits:
            if self.allowed_if is None:
                return not_met("Takes " + "; ".join(hits))
            condition = self.allowed_if.evaluate(ctx)
            shown = "Takes " + "; ".join(hits) + f", allowed only if {self.allowed_if.describe()}"
            if condition.status == NOT_MET or (condition.status == UNKNOWN and not pending):
                return Outcome(condition.status, f"{shown}: {condition.reason}", condition.evidence, condition.missing)
            if condition.status == MET and not pending:
                return met(f"{shown}: {condition.reason}", condition.evidence)
        if pending:
            return unknown("; ".join(pending), *dict.fromkeys(missing))
        checked = len(ctx.active_medication_matches())
        return met(f"No active {self._what(ctx)} ({checked} active medication{'s' if checked != 1 else ''} checked)")

    def _what(self, ctx):
        names = " or ".join(ctx.vocabulary.drug_classes[c] for c in sorted(self.classes))
        return f"{F.PURPOSES[self.purpose].lower()} {names}" if self.purpose else names

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
        shown = [f"{fmt(lesion.size_mm)} mm by {F.MEASUREMENT_METHODS[lesion.method].lower()}" for lesion in lesions]
        for lesion, text in zip(lesions, shown, strict=True):
            needed = self.minimum_mm[lesion.method]
            if compare(lesion.size_mm, ">=", needed):
                return met(f"Lesion {text} (at least {fmt(needed)} mm)", (text,))
        if not lesions:
            return not_met("No measurable lesion recorded")
        return not_met("No lesion reaches the minimum size: " + "; ".join(shown), shown)

    def describe(self):
        sizes = ", ".join(f"≥ {fmt(mm)} mm by {F.MEASUREMENT_METHODS[m].lower()}" for m, mm in self.minimum_mm.items())
        return f"a measurable lesion: {sizes}"


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
            return unknown(f"No blood pressure reading in the {self.within_days} days before screening", missing)
        high_systolic = sorted({r.taken_on for r in recent if r.systolic > self.systolic_above})
        high_diastolic = sorted({r.taken_on for r in recent if r.diastolic > self.diastolic_above})
        evidence = tuple(f"{fmt_date(r.taken_on)}: {r.systolic}/{r.diastolic} mm Hg" for r in recent)
        for high, label, limit in (
            (high_systolic, "Systolic", self.systolic_above),
            (high_diastolic, "Diastolic", self.diastolic_above),
        ):
            if len(high) >= self.days:
                dates = ", ".join(fmt_date(d) for d in high)
                return not_met(f"{label} above {limit} mm Hg on {len(high)} separate days ({dates})", evidence)
        days_measured = len({r.taken_on for r in recent})
        if (high_systolic or high_diastolic) and days_measured < self.days:
            return unknown(
                f"One high reading in the last {self.within_days} days; a reading on another day is needed",
                missing,
                evidence=evidence,
            )
        return met(
            f"{len(recent)} reading(s) in the last {self.within_days} days; not above {self.systolic_above}/"
            f"{self.diastolic_above} mm Hg on {self.days} separate days",
            evidence,
        )

    def describe(self):
        return (
            f"not (systolic > {self.systolic_above} or diastolic > {self.diastolic_above} mm Hg on {self.days} "
            f"separate days within {self.within_days} days)"
        )
