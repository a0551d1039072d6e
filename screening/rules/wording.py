"""Does a criterion's plain-language summary say what its rule checks?

Coordinators read the summary; the engine evaluates the rule. A summary that says "Platelets at least 100,000/mm3"
over a rule of 75 10^9/L produces a result page that contradicts itself, so publishing is refused while any number,
unit or comparison of the summary disagrees with the rule's.

How it is decided:

- The rule's quantities are taken from the compiled rule, walking all_of / any_of / not and the allowed_if of a
  concurrent medication rule, each with its kind (a lab limit, a multiple of the upper limit of normal, an age, a
  grade, a time interval, a count, a lesion size, a blood pressure), its comparison, and what it is about (the
  analyte, the scale, the measurement method, systolic or diastolic, the event or drug classes of an interval).
- The summary's quantities are read from its numbers: "100,000" and "2.5" with the unit or words after them
  ("/mm3", "x ULN", "weeks", "mm Hg", "separate days", "or older") and the comparison words before them ("at least",
  "no worse than", "below", "in the past"...). "The upper limit of normal" with no multiple is 1 x ULN, "the week" is
  1 week, "0 or 1" on a grade scale is the range from 0 to 1. A number with no comparison words of its own takes the
  comparison of the number of its kind before it in the sentence ("at least 20 mm by ..., 10 mm by ..."). What each
  is about is read from the words next to it (the analyte named before it, the method named after it); "AST and ALT
  at most 2.5 x ULN" states a limit for each.
- They agree when every summary quantity equals a rule quantity of its kind and subject (lab values through the
  analyte's unit factors, intervals in days or months as the engine counts them, whole-number kinds such as ages
  with "over 17" = "at least 18"), with the same comparison, and every rule quantity is stated by the summary.
- A quantity in a clause that begins "No" or "not" ("No traumatic injury in the past 3 weeks", "No platelet count
  below ...") states the complement of what passes, and so does a rule quantity inside a "not". A blood pressure
  limit defines a high reading, so "systolic > 140" names it whatever words are around it; "systolic at most 140"
  names it too.
- Comparisons are required for lab limits, ULN multiples, ages, grades, sizes and pressures. Time intervals are
  compared by direction only (a minimum or a maximum time: the engine counts calendar days and has no "more than"),
  and intervals and counts may be stated without a comparison ("on 2 separate days", "for 30 days after").
- A lab value written in another unit than the rule's may be rounded when the units differ by more than a power of
  ten ("350 mg/dL (9.05 mmol/L)"): to the decimals it is written with, if that is at most 1% of it. In the rule's
  unit, or a power of ten away (100,000/mm3 = 100 10^9/L), it must be exact.

Numbers the rule does not model: a summary quantity of a kind (and subject) of which the rule has no quantity at all,
such as IN07's "for 30 days after treatment" over a fact rule, is accepted only when the record's verbatim text
states the same quantity: a summary may repeat a protocol detail the rule does not check, but it may not introduce
one. Without the text (`text` not given) such a quantity is a disagreement. A quantity of a kind the rule has must
match one of the rule's, whatever the text says. Numbers that name a category rather than measure something are not
quantities: roman stage and phase numbers (stage III, phase II), numbers after "stage", "phase", "type", "cycle",
"day" (stage 4, day 1), and digits inside names (CYP3A4, IL-2, 5-FU).

Plain Python, no Django: `screening/rules` is the rule engine.
"""

import math
import re
from dataclasses import dataclass, replace

from screening.rules import facts as F
from screening.rules import rules as R
from screening.rules.rules import fmt, with_unit
from screening.rules.specs import compile_rule

__all__ = ["summary_disagreements"]

LAB, ULN, AGE, GRADE, INTERVAL, COUNT, SIZE, PRESSURE, OTHER = (
    "lab",
    "uln",
    "age",
    "grade",
    "interval",
    "count",
    "size",
    "pressure",
    "other",
)
INTEGER_KINDS = frozenset({AGE, GRADE, COUNT})  # whole numbers: "> 17" is ">= 18"
UNCOMPARED_KINDS = frozenset({INTERVAL, COUNT, OTHER})  # may be stated without comparison words
STRICT_SUBJECT_KINDS = frozenset({LAB, ULN, GRADE, SIZE, PRESSURE})  # a subject the summary names must be the rule's
COMPLEMENT = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
KIND_NOUNS = {
    LAB: "limit for that lab",
    ULN: "limit relative to the upper limit of normal",
    AGE: "age limit",
    GRADE: "grade limit",
    INTERVAL: "time interval",
    COUNT: "count",
    SIZE: "lesion size",
    PRESSURE: "blood pressure limit",
    OTHER: "quantity in that unit",
}


# The rule's side


@dataclass(eq=False)
class _RuleQuantity:
    kind: str
    value: object  # a number; an interval is ("days" | "months", amount)
    op: str | None  # None: the rule has no comparison for it (a window of days)
    label: str  # "platelets limit", "minimum age"
    shown: str  # "75 10^9/L", "3 weeks"
    subjects: frozenset = frozenset()  # analyte code, scale, method, "systolic", events or drug classes
    analyte: object = None  # AnalyteDef, for lab limits
    unit: str = ""  # as the rule writes it, for lab limits
    negated: bool = False  # inside a "not", or what excludes (a high blood pressure)
    required: bool = True  # the summary must state it
    compared_as: str = ""  # "platelets", for "the rule's platelets comparison"
    either_way: bool = False  # a definition (a high blood pressure): its comparison holds in a negated clause too


def _lab_name(analyte):
    """How a message names an analyte: 'platelets', 'WBC', 'creatinine clearance'."""
    abbreviation = analyte.abbreviation.strip()
    if abbreviation.isupper() and abbreviation.isalpha():
        return abbreviation
    if abbreviation.isalpha() and abbreviation[1:].islower():
        return abbreviation.lower()
    return _plain(analyte.name).lower()


def _plain(label):
    """A label without its example or detail: 'Spiral CT', 'Treatment of brain metastases'."""
    return re.split(r" \(|, ", label, maxsplit=1)[0].strip()


def _in_sentence(label):
    label = _plain(label)
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _interval_value(amount, unit):
    """Intervals the engine counts alike compare equal: 3 weeks = 21 days, 1 year = 12 months."""
    unit = unit.lower().rstrip("s") + "s"
    if unit in ("days", "weeks"):
        return ("days", amount * (7 if unit == "weeks" else 1))
    return ("months", amount * (12 if unit == "years" else 1))


def _interval(rule_interval, op, label, subjects, negated):
    value = _interval_value(rule_interval.amount, rule_interval.unit)
    return _RuleQuantity(INTERVAL, value, op, label, str(rule_interval), frozenset(subjects), negated=negated)


def _lab(kind, analyte, value, op, shown, unit, negated, label="limit"):
    name = _lab_name(analyte)
    return _RuleQuantity(
        kind,
        value,
        op,
        f"{name} {label}",
        shown,
        frozenset({analyte.code}),
        analyte,
        unit,
        negated,
        compared_as=name,
    )


def _rule_quantities(node, vocabulary, negated=False):
    """Every quantity of a compiled rule that a summary could state, with its comparison."""
    if isinstance(node, R.AllOf | R.AnyOf):
        for child in node.rules:
            yield from _rule_quantities(child, vocabulary, negated)
    elif isinstance(node, R.Not):
        yield from _rule_quantities(node.rule, vocabulary, not negated)
    elif isinstance(node, R.ConcurrentMedication):
        if node.allowed_if is not None:
            yield from _rule_quantities(node.allowed_if, vocabulary, negated)
    elif isinstance(node, R.LabAbsolute):
        shown = with_unit(node.limit, node.unit)
        yield _lab(LAB, node.analyte, node.limit, node.op, shown, node.unit, negated)
    elif isinstance(node, R.LabRelativeToUln):
        shown = f"{fmt(node.multiple)} x ULN"
        yield _lab(ULN, node.analyte, node.multiple, node.op, shown, "", negated)
    elif isinstance(node, R.CreatinineClearance):
        analyte = node.clearance
        unit = next((u for u, factor in analyte.factors.items() if factor == 1), analyte.canonical_unit)
        shown = f"{fmt(node.minimum)} mL/min"
        yield _lab(LAB, analyte, node.minimum, ">=", shown, unit, negated, "minimum")
    elif isinstance(node, R.Age):
        if node.minimum is not None:
            yield _RuleQuantity(AGE, node.minimum, ">=", "minimum age", f"{node.minimum} years", negated=negated)
        if node.maximum is not None:
            yield _RuleQuantity(AGE, node.maximum, "<=", "maximum age", f"{node.maximum} years", negated=negated)
    elif isinstance(node, R.Grade):
        label, low, _ = F.SCALES[node.scale]
        label, scale = _in_sentence(label), frozenset({node.scale})
        yield _RuleQuantity(GRADE, node.maximum, "<=", f"maximum {label}", str(node.maximum), scale, negated=negated)
        # The bottom of the scale: "0 or 1" states it, "no worse than grade 2" need not.
        yield _RuleQuantity(GRADE, low, ">=", f"lowest {label}", str(low), scale, negated=negated, required=False)
    elif isinstance(node, R.TimeSinceEvent):
        event = _in_sentence(F.EVENTS[node.event])
        for interval, op, which in ((node.minimum, ">=", "minimum"), (node.maximum, "<=", "maximum")):
            if interval is not None:
                yield _interval(interval, op, f"{which} time since {event}", {node.event}, negated)
    elif isinstance(node, R.TimeBetweenEvents):
        first, then = _in_sentence(F.EVENTS[node.first]), _in_sentence(F.EVENTS[node.then])
        yield _interval(node.minimum, ">=", f"minimum time from {first} to {then}", {node.first, node.then}, negated)
    elif isinstance(node, R.TimeSinceTherapy):
        yield _interval(node.minimum, ">=", "minimum time since prior therapy", (), negated)
        for by_class in node.by_class:
            names = " or ".join(_in_sentence(vocabulary.drug_classes.get(c, c)) for c in sorted(by_class.classes))
            yield _interval(by_class.minimum, ">=", f"minimum time since {names}", by_class.classes, negated)
    elif isinstance(node, R.PriorTherapyCount):
        label = "maximum number of prior regimens"
        yield _RuleQuantity(COUNT, node.maximum, "<=", label, str(node.maximum), negated=negated)
    elif isinstance(node, R.MeasurableDisease):
        for method, size in node.minimum_mm.items():
            label = f"minimum lesion size by {_in_sentence(F.MEASUREMENT_METHODS.get(method, method))}"
            yield _RuleQuantity(SIZE, size, ">=", label, f"{fmt(size)} mm", frozenset({method}), negated=negated)
    elif isinstance(node, R.BloodPressureCount):
        # The rule excludes: systolic or diastolic above a limit on N separate days within a window.
        for subject, limit in (("systolic", node.systolic_above), ("diastolic", node.diastolic_above)):
            yield _RuleQuantity(
                PRESSURE,
                limit,
                ">",
                f"{subject} limit",
                f"{limit} mm Hg",
                frozenset({subject}),
                negated=not negated,
                either_way=True,
            )
        label = "number of separate days with a high reading"
        yield _RuleQuantity(COUNT, node.days, ">=", label, str(node.days), negated=not negated)
        days = f"{node.within_days} day{'s' if node.within_days != 1 else ''}"
        yield _RuleQuantity(INTERVAL, ("days", node.within_days), None, "blood pressure window", days)
    # fact, attestation, allowance, prior_agent_class and the classes of concurrent_medication have no quantities.


# The summary's side


@dataclass(eq=False)
class _Stated:
    kind: str
    value: object
    text: str  # as the summary writes it: "100,000/mm3"
    start: int
    end: int
    unit: str = ""  # lab: the unit as written; interval: days/weeks/months/years; other: the unit
    op: str | None = None
    phrase: str = ""  # the words that say the comparison: "at least"
    negated: bool = False
    negator: str = ""  # the word that negates its clause: "No"
    subject: frozenset = frozenset()  # what the words around it name: analyte codes, scales, methods, events
    decimals: int = 0  # as written: "9.05" has 2
    inner_after: object = None  # "or more" written between the number and its unit: "3 or more months"


_NEGATORS = frozenset({"no", "not", "without", "never", "none"})

_COMPARISONS = {
    ">=": (
        "at least",
        "no less than",
        "not less than",
        "no fewer than",
        "not fewer than",
        "no lower than",
        "not lower than",
        "no younger than",
        "not younger than",
        "no shorter than",
        "not shorter than",
        "a minimum of",
        "minimum of",
        "minimum",
        "at or above",
        "not below",
        "not under",
        ">=",
    ),
    ">": (
        "above",
        "more than",
        "greater than",
        "higher than",
        "older than",
        "longer than",
        "worse than",
        "over",
        "exceeding",
        "exceeds",
        "in excess of",
        ">",
    ),
    "<=": (
        "at most",
        "no more than",
        "not more than",
        "no greater than",
        "not greater than",
        "no higher than",
        "not higher than",
        "no older than",
        "not older than",
        "no longer than",
        "not longer than",
        "no worse than",
        "not worse than",
        "not exceeding",
        "not above",
        "not over",
        "at or below",
        "a maximum of",
        "maximum of",
        "maximum",
        "up to",
        "only",
        "<=",
    ),
    "<": (
        "below",
        "under",
        "less than",
        "fewer than",
        "lower than",
        "younger than",
        "shorter than",
        "better than",
        "<",
    ),
}
# Words that put a time interval back from the screening date: a maximum time since, or (negated) a minimum.
_WINDOWS = (
    "within the past",
    "within the last",
    "in the past",
    "in the last",
    "from the past",
    "from the last",
    "during the past",
    "during the last",
    "over the past",
    "over the last",
    "within",
)
_AFTER = {
    ">=": ("older", "over", "more", "greater", "higher", "above", "longer", "worse"),
    "<=": ("younger", "under", "less", "fewer", "lower", "below", "shorter", "better"),
}


def _alternation(words):
    """One pattern for words and phrases, longest first, each a whole word; spaces match any space."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word).replace(r"\ ", r"\s+")
        parts.append(rf"(?<!\w){escaped}(?!\w)" if word[:1].isalnum() and word[-1:].isalnum() else escaped)
    return "|".join(parts)


_PHRASE_OPS = {word: op for op, words in _COMPARISONS.items() for word in words} | {w: "window" for w in _WINDOWS}
_PHRASE = re.compile(_alternation(_PHRASE_OPS), re.IGNORECASE)
_AFTER_PHRASE = re.compile(
    r"\s*\b(?:or|and)\s+(" + "|".join(w for words in _AFTER.values() for w in words) + r")\b", re.IGNORECASE
)
_AFTER_OPS = {w: op for op, words in _AFTER.items() for w in words}
_PLUS = re.compile(r"\+(?![\w+])")

_NUMBER = re.compile(r"(?<![\w.^/])(?<![A-Za-z]-)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\d|\.\d)")
_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    )
}
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
# "the week before entry" is 1 week; "the day of screening" is a day, not a span of one
_ONE_UNIT = re.compile(r"\b(?:(?:a|an|one)\s+(day|week|month|year)|the\s+(week|month|year))\b", re.IGNORECASE)
_ULN_WORDS = r"(?:ULN|upper\s+limit\s+of\s+(?:the\s+)?normal(?:\s+range)?|upper\s+normal\s+limit)"
_ULN_ALONE = re.compile(rf"\b{_ULN_WORDS}\b", re.IGNORECASE)
_ULN_AFTER = re.compile(
    rf"\s*(?:x|times|-fold)\s*(?:the\s+)?(?:(?:lab'?s|laboratory'?s|institutional|institution'?s|local)\s+)?"
    rf"{_ULN_WORDS}\b",
    re.IGNORECASE,
)
_BP_PAIR = re.compile(r"(?<![\w.^/])(\d{2,3})\s*/\s*(\d{2,3})\s*mm\s?Hg\b", re.IGNORECASE)
_MM_HG = re.compile(r"\s*mm\s?Hg\b", re.IGNORECASE)
_SIZE_UNIT = re.compile(r"\s*(mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?)(?![\w^/])", re.IGNORECASE)
_COUNT_DAYS = re.compile(r"\s*(?:separate|different|distinct)\s+(?:days?|occasions?|readings?|visits?)\b", re.I)
_INTERVAL_UNIT = re.compile(r"(?:\s*|-)(days?|weeks?|months?|years?)\b", re.IGNORECASE)
_AGE_TAIL = re.compile(r"[\s-]*(?:old|of\s+age)\b", re.IGNORECASE)
_OLDER = re.compile(r"\s*(?:or|and)\s+(?:older|younger)\b", re.IGNORECASE)
_OTHER_UNIT = re.compile(r"\s*([A-Za-z%][\w%]*/[\w^]+)")
_RUN = re.compile(r"\s*(,\s*or|,|-|\bto\b|\bor\b|\band\b)\s*(?=\d)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;:()]|\.(?:\s|$)")
_SENTENCE_END = re.compile(r";|\.(?:\s|$)")
_CONJUNCTION = re.compile(r",|\b(?:or|and|but)\b", re.IGNORECASE)
_LABEL_WORDS = frozenset({"stage", "phase", "type", "class", "cycle", "day", "version", "step", "level", "arm"})
_GRADE_WORDS = re.compile(_alternation(("grade", "performance status", "ps", "score")), re.IGNORECASE)
_AGE_WORDS = re.compile(_alternation(("age", "aged")), re.IGNORECASE)
_PRESSURE_WORDS = {"systolic": ("systolic", "sbp"), "diastolic": ("diastolic", "dbp")}


def _typography(text):
    """One spelling of the symbols a summary may use: '≥ 1,500/mm³' reads as '>= 1,500/mm3'."""
    text = re.sub(r"10\s*([³⁶⁹])", lambda m: "10^" + "369"["³⁶⁹".index(m.group(1))], text)
    for old, new in (
        ("≥", ">="),
        ("≤", "<="),
        ("=>", ">="),
        ("=<", "<="),
        ("³", "3"),
        ("²", "2"),
        ("µ", "u"),
        ("μ", "u"),
        ("\u00d7", "x"),  # the multiplication sign
        ("\u2013", "-"),
        ("\u2014", "-"),
        ("\u2019", "'"),
        ("\u00a0", " "),
        ("\u2009", " "),
    ):
        text = text.replace(old, new)
    return re.sub(r"\bx\s+10\^", "x10^", text)


def _squash(text):
    return re.sub(r"\s+", " ", text.strip().lower())


def _analyte_names(analyte):
    """'Platelet count' is also 'platelets' and 'platelet'; 'Total cholesterol' also 'cholesterol'."""
    names = set()
    for name in (_plain(analyte.name), analyte.abbreviation, analyte.code.replace("_", " ")):
        name = _squash(re.sub(r"[^\w\s'-]", " ", name))
        if not name:
            continue
        names.add(name)
        for prefix in ("total ", "serum "):
            if name.startswith(prefix):
                names.add(name[len(prefix) :])
        if name.endswith(" count"):
            base = name[: -len(" count")]
            names.update({base, base + "s"})
    return names


class _Lexicon:
    """From the vocabulary: the words that say what a quantity is about, and the lab units."""

    def __init__(self, vocabulary):
        self.vocabulary = vocabulary
        keys = {}  # a name as written, lowercased -> (kind, key)

        def add(name, kind, key):
            name = _squash(name)
            if len(name) > 1:
                keys.setdefault(name, (kind, key))

        for analyte in vocabulary.analytes.values():
            for name in _analyte_names(analyte):
                add(name, LAB, analyte.code)
        for scale, (label, _, _) in F.SCALES.items():
            words = scale.split("_")
            for name in (_plain(label), " ".join(words), words[-1]):
                add(name, GRADE, scale)
        for method in F.MEASUREMENT_METHODS:
            words = method.split("_")
            for name in (" ".join(words), words[0]):
                add(name, SIZE, method)
        for subject, words in _PRESSURE_WORDS.items():
            for word in words:
                add(word, PRESSURE, subject)
        for event, label in F.EVENTS.items():
            for name in (event.replace("_", " "), _plain(label)):
                add(name, INTERVAL, event)
        for code, class_name in vocabulary.drug_classes.items():
            for name in (class_name, *vocabulary.class_words.get(code, ()), code.replace("_", " ")):
                add(name, INTERVAL, code)
                if name.endswith("s") and len(name) > 4:
                    add(name[:-1], INTERVAL, code)  # "a nitrosourea"
        self.keys = keys
        self.mentions = re.compile(_alternation(keys), re.IGNORECASE) if keys else None
        spellings = set()
        for analyte in vocabulary.analytes.values():
            for spelling in (*analyte.factors, *analyte.aliases):
                spelling = _typography(spelling).strip()
                if spelling and not spelling.replace(".", "").isdigit():
                    spellings.add(spelling)
        units = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
        # "x10^9/L" is 10^9/L, as normalize_unit reads it
        self.lab_units = re.compile(rf"\s*((?:x(?=10))?(?:{units}))(?![A-Za-z0-9])", re.I) if units else None
        self._accepting = {}

    def mentioned(self, text):
        """(kind, key) of everything the text names, longest names first: 'creatinine clearance' is not creatinine."""
        if self.mentions is None:
            return set()
        found = (self.keys.get(_squash(m.group(0))) for m in self.mentions.finditer(text))
        return {key for key in found if key is not None}

    def analytes_for(self, unit):
        found = self._accepting.get(unit)
        if found is None:
            found = self._accepting[unit] = frozenset(
                a.code for a in self.vocabulary.analytes.values() if a.accepts(unit)
            )
        return found


def _parse_number(match):
    return float(match.group(1).replace(",", "") + (match.group(2) or ""))


class _Reader:
    """Reads the quantities of one text, left to right."""

    def __init__(self, text, lexicon):
        self.text = _typography(text or "")
        self.lexicon = lexicon
        self.found = []
        self.pos = 0

    def read(self):
        text = self.text
        anchors = (
            (_BP_PAIR, self._pressure_pair),
            (_NUMBER, self._number),
            (_ONE_UNIT, self._one_unit),
            (_WORD_NUMBER, self._word_number),
            (_ULN_ALONE, self._uln_alone),
        )
        while self.pos < len(text):
            candidates = [
                (m.start(), order, handler, m)
                for order, (pattern, handler) in enumerate(anchors)
                if (m := pattern.search(text, self.pos)) is not None
            ]
            if not candidates:
                break
            _, _, handler, match = min(candidates, key=lambda c: (c[0], c[1]))
            self.pos = max(handler(match), match.end(), self.pos + 1)
        return self.found

    # what a quantity can start with

    def _pressure_pair(self, match):
        """'140/90 mm Hg': a systolic and a diastolic limit."""
        run = [
            _Stated(PRESSURE, float(match.group(1)), match.group(1), match.start(1), match.end(1)),
            _Stated(PRESSURE, float(match.group(2)), match.group(2), match.start(2), match.end()),
        ]
        run[0].subject, run[1].subject = frozenset({"systolic"}), frozenset({"diastolic"})
        self._finish(run, match.start(), match.end(), subject_given=True)
        return match.end()

    def _number(self, match):
        text = self.text
        end = match.end()
        if self._label_before(match.start()):
            return end
        unit = self._unit(end)
        following = text[end : end + 2]
        if unit is None and following[:1].isalpha():
            return end  # digits inside a word
        if unit is None and following[:1] == "-" and following[1:2].isalpha():
            return end  # a name such as 5-FU
        inner = None
        if unit is None and (inner := _AFTER_PHRASE.match(text, end)) is not None:
            unit = self._unit(inner.end())  # "3 or more months"
            inner = inner if unit is not None else None
        run = [self._stated(_parse_number(match), match, unit)]
        run[0].inner_after = inner
        connectors = []
        position = run[-1].end
        while (joined := _RUN.match(text, position)) is not None:
            following_number = _NUMBER.match(text, joined.end())
            if following_number is None:
                break
            connectors.append(_squash(joined.group(1)))
            following_unit = self._unit(following_number.end())
            run.append(self._stated(_parse_number(following_number), following_number, following_unit))
            position = run[-1].end
        self._finish(run, match.start(), position, connectors=connectors)
        return self.found[-1].end

    def _one_unit(self, match):
        """'the week', 'a month': one of the unit."""
        unit = (match.group(1) or match.group(2)).lower() + "s"
        stated = _Stated(INTERVAL, _interval_value(1, unit), match.group(0), match.start(), match.end(), unit)
        self._finish([stated], match.start(), match.end())
        return match.end()

    def _word_number(self, match):
        """'two weeks', 'at most one prior regimen'; other number words ('one of the following') are not quantities."""
        unit = self._unit(match.end())
        before = self.text[self._region_start(match.start()) : match.start()]
        phrases = list(_PHRASE.finditer(before))
        compared = bool(phrases) and not before[phrases[-1].end() :].strip()
        if (unit is None or unit[0] not in (INTERVAL, COUNT, AGE)) and not compared:
            return match.end()
        stated = self._stated(float(_WORD_NUMBERS[match.group(1).lower()]), match, unit)
        self._finish([stated], match.start(), stated.end)
        return stated.end

    def _uln_alone(self, match):
        """'the upper limit of normal' with no multiple is 1 x ULN."""
        before = self.text[: match.start()].rstrip()
        if re.search(r"normal(?:\s+range)?\s*\($", before, re.IGNORECASE):
            return match.end()  # "upper limit of normal (ULN)" says it once
        stated = _Stated(ULN, 1.0, match.group(0), match.start(), match.end())
        self._finish([stated], match.start(), match.end())
        return match.end()

    # pieces

    def _label_before(self, start):
        """'stage 4', 'day 1': the number names a category."""
        before = self.text[:start].rstrip()
        words = re.findall(r"[A-Za-z]+$", before)
        return bool(words) and words[-1].lower() in _LABEL_WORDS

    def _unit(self, end):
        """(kind, unit, end of the unit) for what follows a number, or None."""
        text = self.text
        if (m := _ULN_AFTER.match(text, end)) is not None:
            return (ULN, "", m.end())
        if (m := _MM_HG.match(text, end)) is not None:
            return (PRESSURE, "mm Hg", m.end())
        lab_units = self.lexicon.lab_units
        if lab_units is not None and (m := lab_units.match(text, end)) is not None:
            return (LAB, m.group(1), m.end())
        if (m := _COUNT_DAYS.match(text, end)) is not None:
            return (COUNT, "", m.end())
        if (m := _INTERVAL_UNIT.match(text, end)) is not None:
            unit = m.group(1).lower().rstrip("s") + "s"
            if unit == "years":
                if (tail := _AGE_TAIL.match(text, m.end())) is not None:
                    return (AGE, "years", tail.end())  # "18 years of age", "18-year-old"
                if _OLDER.match(text, m.end()) or _AGE_WORDS.search(text, self._region_start(end), end):
                    return (AGE, "years", m.end())
            return (INTERVAL, unit, m.end())
        if (m := _SIZE_UNIT.match(text, end)) is not None:
            return (SIZE, m.group(1).lower()[:1] + "m", m.end())
        if (m := _OTHER_UNIT.match(text, end)) is not None:
            return (OTHER, m.group(1), m.end())
        return None

    def _stated(self, value, match, unit):
        start = match.start()
        written = match.group(0)
        decimals = len(written.split(".", 1)[1]) if "." in written else 0
        if unit is None:
            return _Stated("", value, written, start, match.end(), decimals=decimals)
        kind, unit_text, end = unit
        if kind == INTERVAL:
            value = _interval_value(value, unit_text)
        elif kind == SIZE and unit_text == "cm":
            value, unit_text = value * 10, "mm"
        return _Stated(kind, value, self.text[start:end].strip(), start, end, unit_text, decimals=decimals)

    def _clause_start(self, start):
        return max((m.end() for m in _CLAUSE_END.finditer(self.text, 0, start)), default=0)

    def _region_start(self, start):
        """Where the words that belong to a quantity at `start` begin: after the previous quantity, in its clause."""
        previous = self.found[-1].end if self.found else 0
        return max(self._clause_start(start), previous)

    def _clause_end(self, end):
        m = _CLAUSE_END.search(self.text, end)
        return m.start() if m else len(self.text)

    def _finish(self, run, start, end, *, connectors=(), subject_given=False):
        """Kind, comparison, negation and subject of a run of numbers ('0 or 1', '18 to 75 years'); then keep them."""
        text = self.text
        region_start = self._region_start(start)
        before = text[region_start:start]
        # a run's unitless numbers take the unit of the number after them: "0 or 1", "18 to 75 years"
        for i in range(len(run) - 2, -1, -1):
            if not run[i].kind and run[i + 1].kind:
                run[i].kind, run[i].unit = run[i + 1].kind, run[i + 1].unit
                if run[i].kind == INTERVAL:
                    run[i].value = _interval_value(run[i].value, run[i].unit)
                elif run[i].kind == SIZE and run[i + 1].text.lower().endswith("cm"):
                    run[i].value *= 10
        after = _AFTER_PHRASE.match(text, end)
        if after is not None:
            end = after.end()
        else:
            after = run[-1].inner_after
        # What it is about: named before it ("Platelets at least"), else after it ("10 mm by spiral CT"). Between
        # two quantities, the words after the first "or", "and" or comma are the next one's.
        own = _split(before, leading=True) if self.found and region_start == self.found[-1].end else before
        mentioned = self.lexicon.mentioned(own)
        if not mentioned:
            tail = text[end : self._clause_end(end)]
            tail = tail[: next((i for i, c in enumerate(tail) if c.isdigit()), len(tail))]
            mentioned = self.lexicon.mentioned(_split(tail, leading=False))
        for stated in run:
            if not stated.kind:
                stated.kind = self._kind_of_bare(before, after, mentioned)
            if not subject_given:
                about = LAB if stated.kind == ULN else stated.kind
                stated.subject = frozenset(key for kind, key in mentioned if kind == about)
        # the comparison
        phrases = list(_PHRASE.finditer(before))
        phrase = phrases[-1] if phrases else None
        negator = self._negator(region_start, start, phrase)
        plus = _PLUS.match(text, end) if after is None else None
        if plus is not None:
            op, words, end = ">=", "+", plus.end()  # "18+"
        elif after is not None:
            op, words = _AFTER_OPS[after.group(1).lower()], after.group(0).strip()
        elif phrase is not None:
            op, words = _PHRASE_OPS.get(_squash(phrase.group(0))), phrase.group(0)
        else:
            op, words = None, ""
        if op == "window":
            op = "<=" if run[0].kind == INTERVAL else None
        grade_range = run[0].kind == GRADE and len(run) > 1
        is_range = len(run) == 2 and bool(connectors) and connectors[0] in ("-", "to") and op is None
        if grade_range or is_range:
            low, high = min(run, key=_sort_value), max(run, key=_sort_value)
            if low is high:
                high = replace(low)
            if grade_range:
                run = [low, high]  # "0, 1 or 2" is the range from 0 to 2
            words = text[start:end].strip()
            for stated, stated_op in ((low, ">="), (high, "<=")):
                stated.op, stated.phrase, stated.negated, stated.negator = stated_op, words, bool(negator), negator
        else:
            for stated in run:
                stated.op, stated.phrase, stated.negated, stated.negator = op, words, bool(negator), negator
                if op is None:
                    self._inherit(stated)
        run[-1].end = max(run[-1].end, end)
        self.found.extend(run)

    def _kind_of_bare(self, before, after, mentioned):
        """The kind of a number with no unit after it, from the words around it."""
        kinds = {kind for kind, _ in mentioned}
        if PRESSURE in kinds or "blood pressure" in _squash(before):
            return PRESSURE
        if GRADE in kinds or _GRADE_WORDS.search(before):
            return GRADE
        if (after is not None and after.group(1).lower() in ("older", "younger")) or _AGE_WORDS.search(before):
            return AGE
        unitless = self.lexicon.analytes_for("")
        if any(kind == LAB and key in unitless for kind, key in mentioned):
            return LAB  # "INR at most 1.5"
        return COUNT

    def _negator(self, region_start, start, phrase):
        """The 'No' or 'not' that begins a quantity's clause, if any, unless it is one of its comparison words ('no
        more than'): the quantity then says what excludes."""
        clause = self._clause_start(start)
        first = re.search(r"[A-Za-z]+", self.text[clause:start])
        if first is None or first.group(0).lower() not in _NEGATORS:
            return ""
        if phrase is not None and clause + first.start() >= region_start + phrase.start():
            return ""
        return first.group(0)

    def _inherit(self, stated):
        """A number with no comparison words takes those of the previous number of its kind in the sentence."""
        sentence = max((m.end() for m in _SENTENCE_END.finditer(self.text, 0, stated.start)), default=0)
        for previous in reversed(self.found):
            if previous.start < sentence:
                break
            if previous.kind == stated.kind and previous.op is not None:
                stated.op, stated.phrase = previous.op, previous.phrase
                stated.negated, stated.negator = previous.negated, previous.negator
                return


def _split(words, *, leading):
    """The words after (leading) or before the first "or", "and" or comma that is not part of a comparison."""
    phrases = [(m.start(), m.end()) for m in _PHRASE.finditer(words)]
    for m in _CONJUNCTION.finditer(words):
        if not any(start <= m.start() < end for start, end in phrases):
            return words[m.end() :] if leading else words[: m.start()]
    return words


def _sort_value(stated):
    value = stated.value
    return value[1] if isinstance(value, tuple) else value


# Comparing the two


MATCH, WRONG_COMPARISON, WRONG_VALUE = "match", "comparison", "value"


def _same(a, b, tolerance=0.0):
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] and math.isclose(a[1], b[1])
    return abs(a - b) <= tolerance or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _form(kind, op, value):
    """A comparison and limit in one spelling: intervals by direction, whole-number kinds with '>' as '>='."""
    if kind == INTERVAL:
        return ("min" if op in (">=", ">") else "max", value)
    if kind in INTEGER_KINDS and float(value).is_integer():
        if op == ">":
            return (">=", value + 1)
        if op == "<":
            return ("<=", value - 1)
    return (op, value)


def _values(stated, quantity):
    """(the summary's value, the rule's value) in one unit, or None when the summary's unit is not the analyte's."""
    if quantity.kind == LAB:
        analyte = quantity.analyte
        unit = analyte.unit_of(stated.unit)
        if unit is None:
            return None
        return stated.value * analyte.factors[unit], quantity.value * analyte.factors[analyte.unit_of(quantity.unit)]
    return stated.value, quantity.value


def _tolerance(stated, quantity):
    """How far a lab value written in another unit may be from the rule's, in the canonical unit: half its last
    written decimal, when the units differ by more than a power of ten and that is at most 1% of it; else none."""
    if quantity.kind != LAB:
        return 0.0
    analyte = quantity.analyte
    said = analyte.factors[analyte.unit_of(stated.unit)]
    ratio = math.log10(said / analyte.factors[analyte.unit_of(quantity.unit)])
    half = 0.5 * 10.0**-stated.decimals
    if math.isclose(ratio, round(ratio), abs_tol=1e-9) or half > 0.01 * abs(stated.value):
        return 0.0
    return half * said * (1 + 1e-9)


def _compare(stated, quantity):
    values = _values(stated, quantity)
    if values is None:
        return WRONG_VALUE
    said, limit = values
    tolerance = _tolerance(stated, quantity)
    equal = _same(said, limit, tolerance)
    if quantity.op is None:
        return MATCH if equal else WRONG_VALUE
    if stated.op is None:
        if not equal:
            return WRONG_VALUE
        return MATCH if stated.kind in UNCOMPARED_KINDS else WRONG_COMPARISON
    target = _form(quantity.kind, quantity.op, limit)
    # "No platelet count below 100,000" states the complement of what the rule passes
    ops = {stated.op if stated.negated == quantity.negated else COMPLEMENT[stated.op]}
    if quantity.either_way:
        ops.add(stated.op)
    for op in ops:
        form = _form(quantity.kind, op, said)
        if form[0] == target[0] and _same(form[1], target[1], tolerance):
            return MATCH
    return WRONG_COMPARISON if equal else WRONG_VALUE


def _relevant_subject(stated, lexicon):
    if stated.kind == LAB:
        return stated.subject & lexicon.analytes_for(stated.unit)
    return stated.subject


def _each_subject(stated, lexicon):
    """'AST and ALT at most 2.5 x ULN' says two things: a limit for AST and one for ALT."""
    subject = _relevant_subject(stated, lexicon)
    if len(subject) < 2 or stated.kind not in STRICT_SUBJECT_KINDS:
        return [stated]
    return [replace(stated, subject=frozenset({key})) for key in sorted(subject)]


def _candidates(stated, quantities, lexicon):
    """The rule's quantities a summary quantity may be: its kind, in its unit, about what the words around it name."""
    if stated.kind == OTHER:
        return []
    same = [q for q in quantities if q.kind == stated.kind and _values(stated, q) is not None]
    subject = _relevant_subject(stated, lexicon)
    if not subject:
        return same
    named = [q for q in same if q.subjects & subject]
    # A lab, scale, method or pressure the rule has no limit for is not the rule's. An interval named by an event or
    # drug class the rule does not key its intervals by ("since chemotherapy") may be any of its intervals.
    return named if named or stated.kind in STRICT_SUBJECT_KINDS else same


def _in_text(stated, text_quantities, analytes):
    """Whether the record's text states this quantity (in any unit, with any comparison)."""
    for other in text_quantities:
        if other.kind != stated.kind:
            continue
        if stated.kind in (LAB, OTHER):
            if stated.unit.lower() == other.unit.lower() and _same(stated.value, other.value):
                return True
            if stated.kind == LAB and any(
                _same(
                    stated.value * a.factors[a.unit_of(stated.unit)],
                    other.value * a.factors[a.unit_of(other.unit)],
                )
                for a in analytes
                if a.accepts(stated.unit) and a.accepts(other.unit)
            ):
                return True
        elif _same(stated.value, other.value):
            return True
    return False


def _distance(stated, quantity):
    values = _values(stated, quantity)
    if values is None:
        return math.inf
    said, limit = (v[1] if isinstance(v, tuple) else v for v in values)
    if said <= 0 or limit <= 0:
        return abs(said - limit)
    return abs(math.log(said / limit))


def _direction(op):
    return None if op is None else op[0]


def _counterpart(stated, results, covered, reported):
    """The rule quantity that a summary quantity matching none most likely meant to state."""

    def rank(item):
        quantity, result = item
        return (
            result != WRONG_COMPARISON,
            _direction(stated.op) != _direction(quantity.op),
            quantity in covered or quantity in reported,
            _distance(stated, quantity),
        )

    return min(results, key=rank)


# What an administrator reads


def _rule_value_shown(stated, quantity):
    """'75 10^9/L (75,000/mm3)': the rule's value, and in the summary's unit when that is another."""
    if quantity.kind == LAB:
        analyte = quantity.analyte
        said = analyte.unit_of(stated.unit)
        if said is not None and analyte.factors[said] != analyte.factors[analyte.unit_of(quantity.unit)]:
            converted = quantity.value * analyte.factors[analyte.unit_of(quantity.unit)] / analyte.factors[said]
            return f"{quantity.shown} ({with_unit(converted, stated.unit)})"
    if quantity.kind == INTERVAL and stated.unit and isinstance(quantity.value, tuple):
        family, amount = quantity.value
        size = _interval_value(1, stated.unit)
        if size[0] == family and amount % size[1] == 0 and not quantity.shown.endswith(stated.unit):
            count = int(amount // size[1])
            return f"{quantity.shown} ({count} {stated.unit if count != 1 else stated.unit[:-1]})"
    return quantity.shown


def _said(stated):
    return stated.text if any(c.isdigit() for c in stated.text) else f'"{stated.text}"'


def _disagreement(stated, quantity, result):
    if result != WRONG_COMPARISON:
        return (
            f"The summary says {_said(stated)} but the rule's {quantity.label} is "
            f"{_rule_value_shown(stated, quantity)}."
        )
    what = quantity.compared_as or quantity.label
    if stated.op is None:
        return (
            f"The summary says {_said(stated)} without a comparison but the rule's {what} comparison is "
            f'"{quantity.op}".'
        )
    if stated.op == quantity.op and stated.negated and not quantity.negated:
        return (
            f'The summary says "{stated.negator} ... {stated.phrase}", the opposite of the rule\'s {what} comparison '
            f'"{quantity.op}".'
        )
    if stated.op == quantity.op and quantity.negated and not stated.negated:
        return (
            f'The summary says "{stated.phrase}" but the rule\'s {what} comparison "{quantity.op}" is inside a "not", '
            "so the rule means the opposite."
        )
    return f'The summary says "{stated.phrase}" but the rule\'s {what} comparison is "{quantity.op}".'


def _noun(stated, vocabulary):
    """What the rule would need to have for a summary quantity: 'ALT limit', 'time interval'."""
    if len(stated.subject) == 1 and stated.kind in STRICT_SUBJECT_KINDS:
        (key,) = stated.subject
        if stated.kind in (LAB, ULN) and key in vocabulary.analytes:
            return f"{_lab_name(vocabulary.analytes[key])} limit"
        if stated.kind == GRADE and key in F.SCALES:
            return f"{_in_sentence(F.SCALES[key][0])} limit"
        if stated.kind == SIZE and key in F.MEASUREMENT_METHODS:
            return f"lesion size by {_in_sentence(F.MEASUREMENT_METHODS[key])}"
        if stated.kind == PRESSURE:
            return f"{key} limit"
    return KIND_NOUNS[stated.kind]


def _unmodelled(stated, text, vocabulary):
    noun = _noun(stated, vocabulary)
    if text:
        return (
            f"The summary says {_said(stated)} but the rule has no {noun}, and the record's text does not state it "
            "either."
        )
    return (
        f"The summary says {_said(stated)} but the rule has no {noun} (a detail the rule does not check may be "
        "repeated from the record's text, and no text was given)."
    )


def _missing(quantity):
    op = f"{quantity.op} " if quantity.op else ""
    return f"The summary does not state the rule's {quantity.label}: {op}{quantity.shown}."


def summary_disagreements(summary: str, rule: dict, vocabulary, *, text: str = "") -> list[str]:
    """Sentences for an administrator, one per way the summary disagrees with the rule; empty when they agree.

    `text` is the criterion's verbatim record text: a summary number of a kind the rule has no quantity of is
    accepted only when the text states it. A rule that does not compile gives [] (compiling reports it). Never
    raises: a fault in reading is reported as a disagreement, so that it refuses publishing rather than allow it.
    """
    try:
        compiled = compile_rule(rule, vocabulary)
    except Exception:  # an uncompilable rule is reported by compiling, not here
        return []
    try:
        summary = summary if isinstance(summary, str) else ""
        return _disagreements(summary, compiled, vocabulary, text if isinstance(text, str) else "")
    except Exception as error:  # refuse, rather than let a fault here allow or break publishing
        return [f"The summary could not be checked against the rule ({type(error).__name__}: {error})."]


_LEXICONS = []  # (vocabulary, its lexicon) for the last few vocabularies: a lexicon compiles regular expressions


def _lexicon(vocabulary):
    for known, lexicon in _LEXICONS:
        if known is vocabulary:
            return lexicon
    lexicon = _Lexicon(vocabulary)
    _LEXICONS[:] = [(vocabulary, lexicon), *_LEXICONS[:3]]
    return lexicon


def _disagreements(summary, compiled, vocabulary, text):
    lexicon = _lexicon(vocabulary)
    quantities = list(_rule_quantities(compiled, vocabulary))
    text_quantities = _Reader(text, lexicon).read() if text else []
    messages, covered, reported, pending = [], set(), set(), []
    for stated in (one for each in _Reader(summary, lexicon).read() for one in _each_subject(each, lexicon)):
        candidates = _candidates(stated, quantities, lexicon)
        if not candidates:
            if not _in_text(stated, text_quantities, vocabulary.analytes.values()):
                messages.append(_unmodelled(stated, text, vocabulary))
            continue
        results = [(q, _compare(stated, q)) for q in candidates]
        matches = [q for q, result in results if result == MATCH]
        if matches:
            covered.update(matches)
        else:
            pending.append((len(messages), stated, results))
    # the rule quantity each disagreeing summary quantity meant, once all that agree are known
    for offset, (position, stated, results) in enumerate(pending):
        quantity, result = _counterpart(stated, results, covered, reported)
        reported.add(quantity)
        messages.insert(position + offset, _disagreement(stated, quantity, result))
    messages += [_missing(q) for q in quantities if q.required and q not in covered and q not in reported]
    return list(dict.fromkeys(messages))
