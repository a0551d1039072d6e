"""The rule editor of the criterion admin: a form for each rule type instead of raw JSON, with every error at its field.

Why server-rendered Django forms (and not django-jsonform): the rule tree is recursive (all_of / any_of / not, and a
concurrent medication's allowed_if), several fields depend on another (the units of the chosen lab test, the values
of the chosen fact), and the errors come from the engine's own checks (screening/rules/spec_errors.py), whose paths
("rules[1].value") must land at one input. Plain forms do all of that in Python that the tests can drive without a
browser, render under the site's strict Content-Security-Policy, and need nothing new from a package index. The one
script, static/js/rule_editor.js, only rearranges what the server rendered: it clones a <template> to add a rule or
change a rule's type, and asks the server to convert between the form and the JSON view.

Shape of the form data. The root rule has the prefix "rule": its type is "rule-type", its fields "rule-analyte",
"rule-value", ...; the rules of a group are "rule-rules-<n>-...", the rule inside a "not" is "rule-rule-...", a
concurrent medication's condition "rule-allowed_if-...", and a washout's entries "rule-by_class-<n>-...". Numbers
<n> only order the rules: the script removes and adds rules without renumbering, and the tree is read back from
whatever numbers were posted. The JSON textarea keeps the name "rule", and "rule_mode" says which of the two views
was in use when the form was sent ("editor" or "json"; without it, the JSON view, as the admin always posted).

Round trip. A rule loaded into the form and sent back unchanged gives back the identical dict: numbers keep being
whole or decimal as they were, lists keep their order (a hidden "hints" input per rule remembers the saved order,
and the explicit false / empty values that absent would otherwise replace). A rule the form cannot show faithfully
(JSON with parts no field holds) opens in the JSON view instead, with a note.

Errors. The rule is built from the form even when fields are wrong (a limit "abc" stays the text "abc"), then
checked by rule_errors, which lists every problem with its path; each path is followed down the tree to the rule it
names and the field it concerns (`_Part.locate`). A rule that passes those checks is compiled once more, as saving
always did.
"""

import json
import re
from abc import ABC, abstractmethod

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.functional import cached_property

from screening.rules import RuleError, compile_rule
from screening.rules import facts as F
from screening.rules import rules as R
from screening.rules.spec_errors import rule_errors
from screening.rules.specs import INTERVAL_UNITS, RULE_TYPES
from trials.ruleset import vocabulary_load

ROOT = "rule"  # prefix of the root rule's fields, and the name of the JSON textarea
MODE = "rule_mode"
EDITOR, JSON_VIEW = "editor", "json"
CONVERT = "_rule_convert"  # posted by the script to the conversion view: the view to switch to
PLACEHOLDER = "__prefix__"  # the prefix of the rules in the <template>s, replaced by the script
URL_NAME = "trials_criterion_rule_editor"
MISSING = object()  # a field the form leaves out of the rule

# Rule types as the administrator sees them: a name and what the rule checks, in groups for the type menu.
TYPES = {
    "all_of": ("All of these (and)", "Met when every rule in the group is met."),
    "any_of": ("Any of these (or)", "Met when at least one rule in the group is met."),
    "not": ("Not", "Met when the rule inside is not met, and not met when it is."),
    "lab_absolute": ("Lab value against a limit", "A lab result compared with a fixed limit, in a unit of that test."),
    "lab_uln": (
        "Lab value against the upper limit of normal",
        "A lab result compared with a multiple of the upper limit of normal reported with that result.",
    ),
    "creatinine_clearance": (
        "Creatinine clearance",
        "Measured creatinine clearance when entered, else estimated (Cockcroft-Gault) from age, weight, sex and "
        "serum creatinine.",
    ),
    "age": ("Age", "Age in whole years on the screening date."),
    "grade": ("Grade on a scale", "A performance status or toxicity grade no higher than a maximum."),
    "fact": ("Recorded fact", "A yes/no or multiple-choice fact from the chart must have one of the allowed values."),
    "attestation": ("Question for the coordinator", "A yes/no question the coordinator answers from the chart."),
    "allowance": ("Allowance (nothing to check)", "A bullet that permits something: always met, shown as a note."),
    "time_since_event": ("Time since an event", "The latest event of a kind, counted back from the screening date."),
    "time_between_events": (
        "Time between two events",
        "The latest of one event at least some time after the latest of another.",
    ),
    "time_since_therapy": (
        "Time since prior therapy",
        "Washout since the last dose of prior therapy of some types and settings; some drug classes can need longer.",
    ),
    "prior_therapy_count": (
        "Number of prior therapies",
        "At most a number of prior regimens of some types and settings.",
    ),
    "prior_agent_class": ("No prior drug of these classes", "Not met when a prior therapy had a drug of one of them."),
    "concurrent_medication": (
        "No current medication of these classes",
        "Not met when the medication list has a drug of one of the classes (optionally only one purpose, or allowed "
        "under a condition).",
    ),
    "measurable_disease": ("Measurable disease", "At least one lesion of at least the size for how it was measured."),
    "blood_pressure_count": (
        "High blood pressure readings",
        "Not met when readings above the limits were taken on enough separate days within a period.",
    ),
}
TYPE_MENU = [
    ("Combine rules", ["all_of", "any_of", "not"]),
    ("Labs", ["lab_absolute", "lab_uln", "creatinine_clearance"]),
    ("The candidate", ["age", "grade", "fact", "attestation", "allowance"]),
    ("Time", ["time_since_event", "time_between_events", "time_since_therapy"]),
    ("Therapy and medication", ["prior_therapy_count", "prior_agent_class", "concurrent_medication"]),
    ("Disease and readings", ["measurable_disease", "blood_pressure_count"]),
]
YES_NO = "yes_no"  # the values group shared by every yes/no fact

_REQUIRED = re.compile(r"'(\w+)' is required$")
_QUOTED = re.compile(r"'(\w+)'")
_TOKEN = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")
_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


# --- Values: from a rule to what the inputs show, and back ----------------------------------------------------------


def number_text(value):
    """What a number input shows: 1500, 2.5, 1.0 (a decimal stays a decimal)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value if isinstance(value, str) else json.dumps(value)
    return str(value) if isinstance(value, int) else repr(value)


def parse_number(text):
    """A whole number or a decimal as typed (commas between thousands allowed); other text is kept as it is, so the
    check reports "must be a number" at this field."""
    text = (text or "").strip()
    if not text:
        return MISSING
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def _ordered(values, hint):
    """The values in the order the saved rule listed them; values it did not have come after, as checked."""
    if not isinstance(hint, list):
        return values
    rank = {}
    for i, value in enumerate(hint):
        try:
            rank.setdefault(value, i)
        except TypeError:
            return values
    return sorted((v for v in values if v in rank), key=rank.get) + [v for v in values if v not in rank]


def same(a, b):
    """Identical as JSON: 1 and 1.0 differ, true and 1 differ; key order does not matter."""
    if a is MISSING or b is MISSING:
        return a is b
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def dumps(rule):
    return "" if rule is None or rule is MISSING else json.dumps(rule, indent=2, ensure_ascii=False)


# --- Field kinds: how each spec field is edited ---------------------------------------------------------------------


class Kind(ABC):
    """How one field of a rule spec is edited: its inputs, what they show for a value, and the value they give back.
    Each kind says its own inputs (`form_fields`); the rest has defaults.

    `build` returns MISSING to leave the field out of the rule (an empty input)."""

    layout = "inline"
    structural = False

    def __init__(self, label, help_text=""):
        self.label, self.help_text = label, help_text

    def names(self, key):
        return [key]

    @abstractmethod
    def form_fields(self, key, editor):
        """The form fields (name -> field) that edit this spec field."""

    def initial(self, key, value, rule):
        return {key: value}

    def build(self, key, raw, hint):
        value = raw(key)
        return MISSING if value in (None, "") else value

    def hint(self, value):
        """What the rule's hidden hints must remember of a saved value for it to come back identical."""
        return MISSING

    def refine(self, form, key, editor):  # noqa: B027 - most kinds have nothing to adjust
        """Adjust the form's inputs once the form is made (choices that depend on another field)."""

    def parts(self, form, key):
        return [{"field": form[name]} for name in self.names(key)]

    def error_text(self, rest, message):
        return message


class Choice(Kind):
    def __init__(self, label, options, *, blank="Choose…", marker=None, help_text=""):
        super().__init__(label, help_text)
        self.options, self.blank, self.marker = options, blank, marker

    def form_fields(self, key, editor):
        attrs = {f"data-rule-{self.marker}": True} if self.marker else {}
        options = self.options(editor) if callable(self.options) else self.options
        return {
            key: forms.ChoiceField(choices=[("", self.blank), *options], required=False, widget=forms.Select(attrs))
        }

    def initial(self, key, value, rule):
        return {key: value if isinstance(value, str) else json.dumps(value)}


class Unit(Choice):
    """A unit of the chosen lab test (the script offers the units of another test when the test changes)."""

    def __init__(self, label, help_text=""):
        super().__init__(label, (), marker="unit", help_text=help_text)

    def refine(self, form, key, editor):
        units = editor.units.get(form["analyte"].value(), [])
        form.fields[key].choices = [(u, u) for u in units] or [("", "Choose the lab test first")]


class Number(Kind):
    def __init__(self, label, *, whole=False, suffix="", help_text=""):
        super().__init__(label, help_text)
        self.whole, self.suffix = whole, suffix

    def form_fields(self, key, editor):
        attrs = {"inputmode": "numeric" if self.whole else "decimal", "size": 8, "class": "rule-number"}
        return {key: forms.CharField(required=False, strip=False, widget=forms.TextInput(attrs))}

    def initial(self, key, value, rule):
        return {key: number_text(value)}

    def build(self, key, raw, hint):
        return parse_number(raw(key))

    def parts(self, form, key):
        return [{"field": form[key], "suffix": self.suffix}]


class Text(Kind):
    def __init__(self, label, *, multiline=False, help_text=""):
        super().__init__(label, help_text)
        self.multiline = multiline

    def form_fields(self, key, editor):
        widget = forms.Textarea({"rows": 3, "cols": 70}) if self.multiline else forms.TextInput({"size": 50})
        return {key: forms.CharField(required=False, strip=False, widget=widget)}

    def initial(self, key, value, rule):
        return {key: value if isinstance(value, str) else json.dumps(value)}

    def build(self, key, raw, hint):
        value = (raw(key) or "").replace("\r\n", "\n")  # browsers send a textarea's new lines as CRLF
        return value or MISSING


class YesNo(Kind):
    VALUES = {"true": True, "false": False}

    def form_fields(self, key, editor):
        choices = [("", "Choose…"), ("true", "Yes"), ("false", "No")]
        return {key: forms.ChoiceField(choices=choices, required=False)}

    def initial(self, key, value, rule):
        return {key: json.dumps(value) if isinstance(value, bool) else str(value)}

    def build(self, key, raw, hint):
        value = raw(key)
        return MISSING if value in (None, "") else self.VALUES.get(value, value)


class Flag(Kind):
    """A checkbox for an optional true/false field: unchecked leaves it out (its default, false)."""

    def form_fields(self, key, editor):
        return {key: forms.BooleanField(required=False)}

    def initial(self, key, value, rule):
        return {key: value}

    def build(self, key, raw, hint):
        if raw(key):
            return True
        return False if hint is False else MISSING

    def hint(self, value):
        return False if value is False else MISSING

    def parts(self, form, key):
        return [{"field": form[key], "label": self.help_text, "check": True}]


class Many(Kind):
    """Checkboxes, for a list of codes."""

    layout = "checks"

    def __init__(self, label, options, help_text=""):
        super().__init__(label, help_text)
        self.options = options

    def form_fields(self, key, editor):
        options = self.options(editor) if callable(self.options) else list(self.options.items())
        return {
            key: forms.MultipleChoiceField(
                choices=options, required=False, widget=forms.CheckboxSelectMultiple({"class": "rule-checks"})
            )
        }

    def initial(self, key, value, rule):
        return {key: [v if isinstance(v, str) else json.dumps(v) for v in value] if isinstance(value, list) else []}

    def build(self, key, raw, hint):
        return _ordered(list(raw(key) or []), hint) or MISSING

    def hint(self, value):
        return list(value) if isinstance(value, list) and len(value) > 1 else MISSING


class FactValues(Kind):
    """The allowed values of the chosen fact: one set of checkboxes per fact (Yes/No for every yes/no fact); the
    script shows the set of the chosen fact, and only that set is read."""

    layout = "facts"

    @staticmethod
    def group_of(fact):
        definition = F.FACTS.get(fact) if isinstance(fact, str) else None
        if definition is None:
            return None
        return YES_NO if definition.choices is None else fact

    @staticmethod
    def groups():
        return [YES_NO, *(code for code, definition in F.FACTS.items() if definition.choices is not None)]

    def names(self, key):
        return [f"{key}_{group}" for group in self.groups()]

    def form_fields(self, key, editor):
        fields = {}
        for group in self.groups():
            options = [("true", "Yes"), ("false", "No")] if group == YES_NO else list(F.FACTS[group].choices.items())
            fields[f"{key}_{group}"] = forms.MultipleChoiceField(
                choices=options, required=False, widget=forms.CheckboxSelectMultiple({"class": "rule-checks"})
            )
        return fields

    def initial(self, key, value, rule):
        group = self.group_of(rule.get("fact"))
        if group is None or not isinstance(value, list):
            return {}
        shown = [json.dumps(v) if isinstance(v, bool) else str(v) for v in value] if group == YES_NO else value
        return {f"{key}_{group}": [v if isinstance(v, str) else json.dumps(v) for v in shown]}

    def build(self, key, raw, hint):
        group = self.group_of(raw("fact"))
        if group is None:
            return MISSING
        values = list(raw(f"{key}_{group}") or [])
        if group == YES_NO:
            values = [YesNo.VALUES.get(v, v) for v in values]
        return _ordered(values, hint) or MISSING

    def hint(self, value):
        return list(value) if isinstance(value, list) and len(value) > 1 else MISSING

    def groups_of(self, form, key):
        active = self.group_of(form["fact"].value())
        return [{"name": group, "field": form[f"{key}_{group}"], "active": group == active} for group in self.groups()]


class Interval(Kind):
    """An amount and a unit: {"weeks": 3}. An empty amount leaves the interval out."""

    def names(self, key):
        return [f"{key}_amount", f"{key}_unit"]

    def form_fields(self, key, editor):
        return {
            f"{key}_amount": forms.CharField(
                required=False, strip=False, widget=forms.TextInput({"inputmode": "numeric", "size": 4})
            ),
            f"{key}_unit": forms.ChoiceField(
                choices=[(u, u) for u in INTERVAL_UNITS], required=False, initial="weeks", widget=forms.Select
            ),
        }

    def initial(self, key, value, rule):
        if isinstance(value, dict) and len(value) == 1:
            ((unit, amount),) = value.items()
            return {f"{key}_amount": number_text(amount), f"{key}_unit": unit}
        return {f"{key}_amount": json.dumps(value)}

    def build(self, key, raw, hint):
        amount = parse_number(raw(f"{key}_amount"))
        return MISSING if amount is MISSING else {raw(f"{key}_unit") or "weeks": amount}


class Sizes(Kind):
    """A size in mm for each measurement method."""

    def names(self, key):
        return [f"{key}_{method}" for method in F.MEASUREMENT_METHODS]

    def form_fields(self, key, editor):
        return {
            name: forms.CharField(
                required=False, strip=False, widget=forms.TextInput({"inputmode": "decimal", "size": 5})
            )
            for name in self.names(key)
        }

    def initial(self, key, value, rule):
        if not isinstance(value, dict):
            return {}
        return {f"{key}_{m}": number_text(size) for m, size in value.items() if m in F.MEASUREMENT_METHODS}

    def build(self, key, raw, hint):
        sizes = {m: parse_number(raw(f"{key}_{m}")) for m in F.MEASUREMENT_METHODS}
        return {m: size for m, size in sizes.items() if size is not MISSING} or MISSING

    def parts(self, form, key):
        return [
            {"field": form[f"{key}_{m}"], "label": label, "suffix": "mm"} for m, label in F.MEASUREMENT_METHODS.items()
        ]

    def error_text(self, rest, message):
        if rest and rest[0] in F.MEASUREMENT_METHODS:
            return f"{F.MEASUREMENT_METHODS[rest[0]]}: {message}"
        return message


class JsonValue(Kind):
    """A field no kind is known for (a field added to the specs later): its value as JSON."""

    def form_fields(self, key, editor):
        return {
            key: forms.CharField(required=False, widget=forms.Textarea({"rows": 2, "cols": 60, "class": "rule-json"}))
        }

    def initial(self, key, value, rule):
        return {key: json.dumps(value, ensure_ascii=False)}

    def build(self, key, raw, hint):
        text = (raw(key) or "").strip()
        if not text:
            return MISSING
        try:
            return json.loads(text)
        except ValueError:
            return text


class Children(Kind):
    """The rules of a group."""

    layout = "children"
    structural = True

    def __init__(self, label, add_label):
        super().__init__(label)
        self.add_label = add_label

    def names(self, key):
        return []

    def form_fields(self, key, editor):
        return {}


class Slot(Children):
    """One rule inside this one: the rule of a "not", or a condition."""

    layout = "slot"

    def __init__(self, label, add_label, role, *, optional=False, help_text=""):
        super().__init__(label, add_label)
        self.role, self.optional, self.help_text = role, optional, help_text


class Items(Children):
    """A list of entries inside a rule, each a small form of its own (a washout's longer waits by drug class)."""

    layout = "items"

    def __init__(self, label, add_label, fields, help_text=""):
        super().__init__(label, add_label)
        self.fields, self.help_text = fields, help_text

    def hint(self, value):
        return [] if value == [] else MISSING


def _analytes(editor):
    return [(code, f"{a.name} ({a.abbreviation})") for code, a in editor.vocabulary.analytes.items()]


def _classes(editor):
    return sorted(editor.vocabulary.drug_classes.items(), key=lambda item: item[1].lower())


OPERATORS = [(op, f"{symbol} ({words})") for op, (_, symbol, words, _) in R.COMPARISONS.items()]
CLASSES = Many("Drug classes", _classes)
BY_CLASS_FIELDS = [  # the fields specs.py reads from each by_class entry
    ("classes", CLASSES),
    ("minimum", Interval("At least this long since the last dose of a drug of these classes")),
]

FIELDS = {
    "rules": Children("Rules in the group", "Add a rule to this group"),
    "rule": Slot("Rule", "Add the rule", "The rule that must not be met"),
    "analyte": Choice("Lab test", _analytes, marker="analyte"),
    "op": Choice("Comparison", OPERATORS),
    "value": Number("Limit", help_text="In the unit below; e.g. 1500 or 1.5"),
    "unit": Unit("Unit"),
    "multiple": Number("Times the upper limit of normal", suffix="x ULN", help_text="e.g. 1 for the ULN, 2.5"),
    "minimum_ml_min": Number("At least", suffix="mL/min"),
    "minimum_years": Number("Youngest age", whole=True, suffix="years (leave empty for no minimum)"),
    "maximum_years": Number("Oldest age", whole=True, suffix="years (leave empty for no maximum)"),
    "scale": Choice("Scale", [(code, label) for code, (label, _, _) in F.SCALES.items()]),
    "fact": Choice("Fact", [(code, d.label) for code, d in F.FACTS.items()], marker="fact"),
    "allowed": FactValues("Met when it is"),
    "question": Text(
        "Answer code", help_text="A new code in lower_case for this question's answer, e.g. allergy_similar_compounds"
    ),
    "pass_answer": YesNo("Met when the answer is"),
    "event": Choice("Event", list(F.EVENTS.items())),
    "required": Flag(
        "Must have happened",
        help_text="Not met when none is recorded (else none recorded meets the rule, unless it has a longest time)",
    ),
    "first": Choice("First event", list(F.EVENTS.items())),
    "then": Choice("Then this event", list(F.EVENTS.items())),
    "modalities": Many("Therapy types", F.MODALITIES),
    "settings": Many("Settings", F.SETTINGS),
    "by_class": Items(
        "Longer waits for some drug classes",
        "Add a longer wait for some drug classes",
        BY_CLASS_FIELDS,
        help_text="Optional: e.g. 6 weeks since nitrosoureas or mitomycin",
    ),
    "classes": CLASSES,
    "purpose": Choice("Only when taken as", list(F.PURPOSES.items()), blank="Any purpose"),
    "allowed_if": Slot(
        "Allowed if",
        "Add a condition under which it is allowed",
        "Allowed if this rule is met",
        optional=True,
        help_text="Optional: the medication is then allowed when this rule is met",
    ),
    "minimum_mm": Sizes("Smallest lesion size", help_text="The smallest measurable size for each method"),
    "systolic_above": Number("Systolic above", whole=True, suffix="mm Hg"),
    "diastolic_above": Number("or diastolic above", whole=True, suffix="mm Hg"),
    "days": Number("On at least", whole=True, suffix="separate days"),
    "within_days": Number("Within the last", whole=True, suffix="days"),
}
FIELDS_BY_TYPE = {  # where a field's meaning depends on the rule type
    ("grade", "maximum"): Number("Highest grade allowed", whole=True),
    ("prior_therapy_count", "maximum"): Number("At most", whole=True, suffix="prior regimens"),
    ("time_since_event", "minimum"): Interval("At least this long ago", "Leave empty for no shortest time"),
    ("time_since_event", "maximum"): Interval("At most this long ago", "Leave empty for no longest time"),
    ("time_between_events", "minimum"): Interval("At least this long after the first"),
    ("time_since_therapy", "minimum"): Interval("At least this long since the last dose"),
    ("attestation", "text"): Text("Question", multiline=True, help_text="As the coordinator will read it"),
    ("allowance", "text"): Text("What is allowed", multiline=True),
}


def kind_for(rule_type, key):
    return FIELDS_BY_TYPE.get((rule_type, key)) or FIELDS.get(key) or JsonValue(key)


def fields_of(rule_type):
    """The fields of a rule type, in the order of RULE_TYPES, each with how it is edited."""
    if not isinstance(rule_type, str) or rule_type not in RULE_TYPES:
        return []
    return [(key, kind_for(rule_type, key)) for key in RULE_TYPES[rule_type][0]]


# --- The forms and the tree -----------------------------------------------------------------------------------------


def _flat(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from (v for v, _ in label)
        else:
            yield value


class PartForm(forms.Form):
    """The inputs of one rule (or one entry of a list inside a rule). Its fields never refuse anything: the rule
    built from them is checked as a whole, and the errors are put at these fields."""

    use_required_attribute = False

    def __init__(self, editor, fields, *, prefix, rule_type=None, data=None, initial=None):
        super().__init__(data=data, initial=initial, prefix=prefix)
        if rule_type is not None:
            self.fields["type"] = forms.ChoiceField(
                choices=editor.type_choices, required=False, widget=forms.Select({"data-rule-type": True})
            )
        self.fields["hints"] = forms.CharField(required=False, widget=forms.HiddenInput)
        for key, kind in fields:
            self.fields.update(kind.form_fields(key, editor))
        for key, kind in fields:
            kind.refine(self, key, editor)
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                self._offer_current(name, field)

    def _offer_current(self, name, field):
        """A saved value the menus do not offer (a unit spelled another way, a code since removed) stays chosen."""
        value = self[name].value()
        values = value if isinstance(value, list | tuple) else [value]
        known = set(_flat(field.choices))
        extra = [(v, f"{v} (not in the lists)") for v in values if isinstance(v, str) and v and v not in known]
        if extra:
            field.choices = [*field.choices, *extra]


class _Part:
    """A rule of the tree, or an entry of a list inside one: its form, and the errors found at its fields."""

    def __init__(self, editor, prefix, fields, form):
        self.editor, self.prefix, self.fields, self.form = editor, prefix, fields, form
        self.kinds = dict(fields)
        self.children, self.slots, self.items = [], {}, []
        self.errors, self.node_errors = {}, []

    def raw(self, name):
        return self.form[name].value()

    def hints(self):
        try:
            hints = json.loads(self.raw("hints") or "{}")
        except ValueError:
            return {}
        return hints if isinstance(hints, dict) else {}

    def build_fields(self, rule):
        hints = self.hints()
        for key, kind in self.fields:
            hint = hints.get(key, MISSING)
            if isinstance(kind, Slot):
                value = self.slots[key].build() if self.slots.get(key) else MISSING
            elif isinstance(kind, Items):
                value = [item.build() for item in self.items] or ([] if hint == [] else MISSING)
            elif isinstance(kind, Children):
                value = [child.build() for child in self.children]
            else:
                value = kind.build(key, self.raw, hint)
            if value is not MISSING:
                rule[key] = value
        return rule

    def walk(self):
        yield self
        for part in (*self.children, *(s for s in self.slots.values() if s), *self.items):
            yield from part.walk()

    def locate(self, tokens):
        """The part and field an error path (as tokens) names, and the rest of the path below that field."""
        if not tokens:
            return self, None, []
        head, rest = tokens[0], tokens[1:]
        index = rest[0] if rest and isinstance(rest[0], int) else None
        if type(self.kinds.get(head)) is Children and index is not None and index < len(self.children):
            return self.children[index].locate(rest[1:])
        if isinstance(self.kinds.get(head), Slot) and self.slots.get(head):
            return self.slots[head].locate(rest)
        if isinstance(self.kinds.get(head), Items) and index is not None and index < len(self.items):
            item_tokens = rest[1:]
            if not item_tokens:
                return self.items[index], None, []
            return self.items[index], item_tokens[0], item_tokens[1:]
        return self, head, rest

    def add_error(self, key, message):
        if key in self.kinds or key == "type":
            self.errors.setdefault(key, []).append(message)
        else:
            self.node_errors.append(f"{key}: {message}" if key else message)

    @property
    def rows(self):
        return [Row(self, key, kind) for key, kind in self.fields]

    @property
    def has_errors(self):
        return bool(self.errors or self.node_errors)

    @property
    def type_errors(self):
        return self.errors.get("type", [])


class Node(_Part):
    def __init__(self, editor, prefix, rule_type, form, *, role, removable):
        super().__init__(editor, prefix, fields_of(rule_type), form)
        self.type, self.role, self.removable = rule_type, role, removable

    @property
    def type_help(self):
        return TYPES.get(self.type, ("", ""))[1]

    def build(self):
        return self.build_fields({"type": self.type}) if self.type else {}


class Item(_Part):
    def build(self):
        return self.build_fields({})


class Row:
    """One field of a rule as the template lays it out: label, inputs, errors, help."""

    def __init__(self, part, key, kind):
        self.part, self.key, self.kind = part, key, kind
        self.label, self.layout = kind.label, kind.layout
        self.help = "" if isinstance(kind, Flag) else kind.help_text  # a checkbox says it beside the box
        self.errors = part.errors.get(key, [])
        self.prefix = f"{part.prefix}-{key}"

    @cached_property
    def parts(self):
        return self.kind.parts(self.part.form, self.key)

    @property
    def label_for(self):
        if self.layout != "inline" or isinstance(self.kind, Flag | Sizes):
            return None
        return self.parts[0]["field"].id_for_label

    @property
    def children(self):
        return self.part.children

    @property
    def slot(self):
        return self.part.slots.get(self.key)

    @property
    def items(self):
        return self.part.items

    @property
    def add_label(self):
        return self.kind.add_label

    @property
    def groups(self):
        return self.kind.groups_of(self.part.form, self.key)

    @property
    def next_index(self):
        parts = self.part.items if isinstance(self.kind, Items) else self.part.children
        return max((int(p.prefix.rsplit("-", 1)[1]) for p in parts), default=-1) + 1


def _tokens(path):
    return [name if name else int(index) for name, index in _TOKEN.findall(path or "")]


def _labelled(message, part):
    """Field keys quoted in a message ('minimum_years') read as the labels the form shows."""
    return _QUOTED.sub(lambda m: f"“{part.kinds[m[1]].label}”" if m[1] in part.kinds else m[0], message)


def _sentence(message):
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else f"{message}."


# --- The editor ------------------------------------------------------------------------------------------------------


class RuleEditor:
    """The rule of one criterion form, in both views: the tree of rule forms and the JSON text.

    Bound to posted data, it reads the view that was in use; unbound, it shows a saved rule (or none, for a new
    criterion). `clean()` returns the rule or raises ValidationError, having put every error at its field."""

    def __init__(self, vocabulary, *, name=ROOT, data=None, initial=None):
        self.vocabulary, self.name, self.data = vocabulary, name, data
        self.errors, self.syntax_error, self.error_position, self.note = [], None, None, ""
        self.units = {code: list(a.factors) for code, a in vocabulary.analytes.items()}
        if data is None:
            self.rule = initial
            self.json_text = dumps(initial)
            self.root = self.load(initial) if initial is not None else self.blank("", name, removable=False)
            self.mode = EDITOR if self.root is not None else JSON_VIEW
            if initial is not None:
                self.errors = self.check(initial)  # a saved rule the vocabulary no longer supports shows why
                self.attach()
            return
        self.mode = data.get(MODE) or (EDITOR if f"{name}-type" in data else JSON_VIEW)
        if self.mode == EDITOR:
            self.root = self.node_from_data(name, role="Rule", removable=False)
            self.rule = self.root.build()
            self.json_text = dumps(self.rule)
            return
        self.mode = JSON_VIEW
        self.json_text = (data.get(name) or "").replace("\r\n", "\n")
        self.rule = self.parse(self.json_text)
        if self.rule is not MISSING:
            self.root = self.load(self.rule)
        elif f"{name}-type" in data:
            self.root = self.node_from_data(name, role="Rule", removable=False)
        else:
            self.root = self.blank("", name, removable=False)

    # Reading

    def parse(self, text):
        if not text.strip():
            self.syntax_error = "This field is required."
            return MISSING
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            self.error_position = error.pos
            self.syntax_error = (
                f"Enter a valid JSON: line {error.lineno}, column {error.colno}: {error.msg[:1].lower()}"
                f"{error.msg[1:]}."
            )
            return MISSING

    def load(self, rule):
        """The tree showing a rule, or None when the form cannot show it as it is (then the JSON view opens)."""
        root = self.node_from_value(rule, self.name, role="Rule", removable=False)
        if same(root.build(), rule):
            return root
        self.note = "This rule has parts the form cannot show as they are; edit it in the JSON view."
        return None

    def node_from_value(self, value, prefix, *, role, removable):
        rule = value if isinstance(value, dict) else {}
        rule_type = rule.get("type", "")
        if not isinstance(rule_type, str):
            rule_type = json.dumps(rule_type)
        fields = fields_of(rule_type)
        initial = {"type": rule_type}
        hints = {}
        for key, kind in fields:
            if key in rule:
                if not kind.structural:
                    initial.update(kind.initial(key, rule[key], rule))
                hint = kind.hint(rule[key])
                if hint is not MISSING:
                    hints[key] = hint
        if hints:
            initial["hints"] = json.dumps(hints, ensure_ascii=False)
        form = PartForm(self, fields, prefix=prefix, rule_type=rule_type, initial=initial)
        node = Node(self, prefix, rule_type, form, role=role, removable=removable)
        for key, kind in fields:
            value = rule.get(key, MISSING)
            if isinstance(kind, Slot):
                node.slots[key] = (
                    None
                    if value is MISSING
                    else self.node_from_value(value, f"{prefix}-{key}", role=kind.role, removable=True)
                )
            elif isinstance(kind, Items):
                entries = value if isinstance(value, list) else []
                node.items = [self.item_from_value(kind, e, f"{prefix}-{key}-{i}") for i, e in enumerate(entries)]
            elif isinstance(kind, Children):
                children = value if isinstance(value, list) else []
                node.children = [
                    self.node_from_value(child, f"{prefix}-{key}-{i}", role="Rule", removable=True)
                    for i, child in enumerate(children)
                ]
        return node

    def item_from_value(self, kind, value, prefix):
        entry = value if isinstance(value, dict) else {}
        initial, hints = {}, {}
        for key, field_kind in kind.fields:
            if key in entry:
                initial.update(field_kind.initial(key, entry[key], entry))
                hint = field_kind.hint(entry[key])
                if hint is not MISSING:
                    hints[key] = hint
        if hints:
            initial["hints"] = json.dumps(hints, ensure_ascii=False)
        return Item(self, prefix, kind.fields, PartForm(self, kind.fields, prefix=prefix, initial=initial))

    def node_from_data(self, prefix, *, role, removable):
        data = self.data
        rule_type = data.get(f"{prefix}-type", "")
        form = PartForm(self, fields_of(rule_type), prefix=prefix, rule_type=rule_type, data=data)
        node = Node(self, prefix, rule_type, form, role=role, removable=removable)
        for key, kind in node.fields:
            base = f"{prefix}-{key}"
            if isinstance(kind, Slot):
                posted = f"{base}-type" in data
                node.slots[key] = self.node_from_data(base, role=kind.role, removable=True) if posted else None
            elif isinstance(kind, Items):
                node.items = [
                    Item(self, f"{base}-{i}", kind.fields, PartForm(self, kind.fields, prefix=f"{base}-{i}", data=data))
                    for i in self._indices(base, "hints")
                ]
            elif isinstance(kind, Children):
                node.children = [
                    self.node_from_data(f"{base}-{i}", role="Rule", removable=True) for i in self._indices(base, "type")
                ]
        return node

    def _indices(self, base, suffix):
        pattern = re.compile(rf"{re.escape(base)}-(\d+)-{suffix}")
        return sorted({int(m.group(1)) for key in self.data if (m := pattern.fullmatch(key))})

    def blank(self, rule_type, prefix, *, role="Rule", removable=True):
        """A new rule of a type, as "add" and "change type" insert it: a group starts with one rule to choose."""
        node = self.node_from_value({"type": rule_type} if rule_type else {}, prefix, role=role, removable=removable)
        if rule_type in ("all_of", "any_of"):
            node.children = [self.blank("", f"{prefix}-rules-0")]
        elif rule_type == "not":
            node.slots["rule"] = self.blank("", f"{prefix}-rule", role=FIELDS["rule"].role)
        return node

    # Checking

    def check(self, rule):
        errors = rule_errors(rule, self.vocabulary)
        if not errors:
            try:
                compile_rule(rule, self.vocabulary)
            except RuleError as error:
                errors = [error]
        return errors

    def attach(self):
        """Puts each error at the rule and the field its path names."""
        if self.root is None:
            return
        for part in self.root.walk():
            part.errors, part.node_errors = {}, []
        for error in self.errors:
            part, key, rest = self.root.locate(_tokens(error.path))
            if key is None:
                key = getattr(error, "field", None)
                match = _REQUIRED.match(error.message)
                key = key or (match.group(1) if match else None)
            if isinstance(part, Node) and not part.type:
                part.add_error("type", "Choose a rule type.")
                continue
            if _REQUIRED.match(error.message) and key in part.kinds:
                message = "Add the rule." if isinstance(part.kinds[key], Slot) else "This field is required."
            else:
                kind = part.kinds.get(key)
                message = _sentence(_labelled(kind.error_text(rest, error.message) if kind else error.message, part))
            part.add_error(key, message)

    def clean(self):
        if self.mode == JSON_VIEW and self.syntax_error:
            raise ValidationError(self.syntax_error)
        self.errors = self.check(self.rule)
        self.attach()
        if not self.errors:
            return self.rule
        if self.mode == JSON_VIEW:
            raise ValidationError([f"This rule cannot be evaluated: {error}" for error in self.errors])
        count = len(self.errors)
        raise ValidationError(
            "This rule has a problem, shown at its field below."
            if count == 1
            else f"This rule has {count} problems, each shown at its field below."
        )

    # Showing

    @cached_property
    def type_choices(self):
        menu = [(group, [(t, TYPES[t][0]) for t in types]) for group, types in TYPE_MENU]
        others = [(t, t) for t in RULE_TYPES if t not in TYPES]
        return [("", "Choose a rule type…"), *menu, *([("Other", others)] if others else [])]

    def templates(self):
        """A blank rule of each type (and a blank entry of each list) for the script to clone."""
        rules = [("", self.blank("", PLACEHOLDER))] + [(t, self.blank(t, PLACEHOLDER)) for t in RULE_TYPES]
        items = [
            (key, self.item_from_value(kind, {}, PLACEHOLDER))
            for key, kind in FIELDS.items()
            if isinstance(kind, Items)
        ]
        return rules, items

    def context(self, attrs=None):
        rules, items = self.templates()
        try:
            convert_url = reverse(f"admin:{URL_NAME}")
        except NoReverseMatch:
            convert_url = ""
        fact_groups = {code: FactValues.group_of(code) for code in F.FACTS}
        return {
            "editor": self,
            "name": self.name,
            "id": (attrs or {}).get("id") or f"id_{self.name}",
            "mode_name": MODE,
            "rule_templates": rules,
            "item_templates": items,
            "units_json": json.dumps(self.units, ensure_ascii=False),
            "fact_groups_json": json.dumps(fact_groups),
            "convert_url": convert_url,
        }

    def render(self, attrs=None):
        return render_to_string("trials/rule_editor/editor.html", self.context(attrs))

    def render_pane(self):
        return render_to_string("trials/rule_editor/pane.html", {"editor": self})


# --- Django form field and widget ------------------------------------------------------------------------------------


class RuleEditorWidget(forms.Widget):
    """Renders the RuleEditor; reading the posted data gives the RuleEditor bound to it (one per form)."""

    class Media:
        css = {"all": ["css/rule_editor.css"]}
        js = ["js/rule_editor.js"]

    def __init__(self, attrs=None, vocabulary=None):
        super().__init__(attrs)
        self._vocabulary = vocabulary
        self._bound = None

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy._bound = None
        return copy

    @property
    def vocabulary(self):
        if self._vocabulary is None:
            self._vocabulary = vocabulary_load()
        return self._vocabulary

    def value_from_datadict(self, data, files, name):
        if self._bound is None or self._bound[0] is not data:
            self._bound = (data, RuleEditor(self.vocabulary, name=name, data=data))
        return self._bound[1]

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}-type" not in data

    def id_for_label(self, id_):
        return f"{id_}-type" if id_ else None

    def render(self, name, value, attrs=None, renderer=None):
        editor = value if isinstance(value, RuleEditor) else RuleEditor(self.vocabulary, name=name, initial=value)
        return editor.render(self.build_attrs(self.attrs, attrs))


class RuleEditorField(forms.Field):
    widget = RuleEditorWidget

    def clean(self, value):
        return value.clean() if isinstance(value, RuleEditor) else value

    def has_changed(self, initial, data):
        rule = data.rule if isinstance(data, RuleEditor) else data
        return not same(initial, rule)


# --- Switching views in the browser -----------------------------------------------------------------------------------


def admin_urls(model_admin):
    """The conversion view, for CriterionAdmin.get_urls: for those who may add or change criteria; saves nothing."""

    def view(request):
        if request.method != "POST" or not (
            model_admin.has_change_permission(request) or model_admin.has_add_permission(request)
        ):
            raise PermissionDenied
        return convert_view(request, vocabulary_load())

    return [path("rule-editor/", model_admin.admin_site.admin_view(view), name=URL_NAME)]


def convert_view(request, vocabulary):
    """The other view of the rule being edited (never saves): to "json", the JSON of the rule in the form; to
    "editor", the form showing the JSON, with its problems at their fields, or why the JSON cannot be shown."""
    target = request.POST.get(CONVERT)
    data = request.POST.copy()
    data[MODE] = EDITOR if target == JSON_VIEW else JSON_VIEW  # read the view being left
    editor = RuleEditor(vocabulary, data=data)
    if target == JSON_VIEW:
        return JsonResponse({"json": editor.json_text})
    if editor.syntax_error and editor.json_text.strip():
        return JsonResponse({"error": f"{editor.syntax_error} Fix it to switch to the form."})
    if editor.root is None:
        return JsonResponse({"error": editor.note})
    if editor.rule is not MISSING:
        editor.errors = editor.check(editor.rule)
        editor.attach()
    return JsonResponse({"html": editor.render_pane()})
