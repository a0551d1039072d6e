"""Rules as data: validate a JSON rule spec and build the rule objects that evaluate it.

A spec is a dict with a "type" and that type's fields. Every error names where in the spec it is, so an
administrator can fix it; a spec that cannot be evaluated never compiles.
"""

from screening.rules import facts as F
from screening.rules import rules as R

INTERVAL_UNITS = ("days", "weeks", "months", "years")


class RuleError(ValueError):
    def __init__(self, path, message):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class _Spec:
    """Typed access to one spec dict; unknown or missing fields are errors, not silently ignored."""

    def __init__(self, data, path, allowed):
        if not isinstance(data, dict):
            raise RuleError(path, "must be an object with a 'type'")
        extra = set(data) - set(allowed) - {"type"}
        if extra:
            raise RuleError(path, f"unknown field(s) {', '.join(sorted(extra))}; allowed: {', '.join(allowed)}")
        self.data, self.path = data, path

    def at(self, key):
        return f"{self.path}.{key}" if self.path else key

    def get(self, key, kind, *, required=True, default=None):
        if key not in self.data:
            if required:
                raise RuleError(self.path, f"'{key}' is required")
            return default
        value = self.data[key]
        kinds = (int, float) if kind is float else kind
        if not isinstance(value, kinds) or (isinstance(value, bool) and kind is not bool):
            raise RuleError(self.at(key), f"must be {_kind_name(kind)}")
        return value

    def number(self, key, *, required=True, minimum=None):
        value = self.get(key, float, required=required)
        if value is not None and minimum is not None and value < minimum:
            raise RuleError(self.at(key), f"must be at least {minimum}")
        return value

    def choice(self, key, options, *, required=True):
        value = self.get(key, str, required=required)
        if value is not None and value not in options:
            raise RuleError(self.at(key), f"'{value}' is not one of: {', '.join(options)}")
        return value

    def choices(self, key, options):
        values = self.get(key, list)
        if not values:
            raise RuleError(self.at(key), "must list at least one value")
        for i, value in enumerate(values):
            if value not in options:
                raise RuleError(f"{self.at(key)}[{i}]", f"'{value}' is not one of: {', '.join(options)}")
        return frozenset(values)


def _kind_name(kind):
    return {str: "text", float: "a number", int: "a whole number", bool: "true or false", list: "a list"}.get(
        kind, "an object"
    )


def _interval(data, path):
    if not isinstance(data, dict) or len(data) != 1:
        raise RuleError(path, 'must be one amount such as {"weeks": 3}')
    ((unit, amount),) = data.items()
    if unit not in INTERVAL_UNITS:
        raise RuleError(path, f"unit '{unit}' is not one of: {', '.join(INTERVAL_UNITS)}")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise RuleError(f"{path}.{unit}", "must be a whole number above 0")
    return R.Interval(amount, unit)


def _analyte(spec, key, vocabulary):
    code = spec.get(key, str)
    try:
        return vocabulary.analytes[code]
    except KeyError:
        known = ", ".join(sorted(vocabulary.analytes))
        raise RuleError(spec.at(key), f"unknown analyte '{code}'; known: {known}") from None


def _drug_classes(spec, vocabulary):
    return spec.choices("classes", sorted(vocabulary.drug_classes))


def _children(spec, vocabulary):
    rules = spec.get("rules", list)
    if not rules:
        raise RuleError(spec.at("rules"), "must list at least one rule")
    return tuple(compile_rule(child, vocabulary, f"{spec.at('rules')}[{i}]") for i, child in enumerate(rules))


def _all_of(spec, vocabulary):
    return R.AllOf(_children(spec, vocabulary))


def _any_of(spec, vocabulary):
    return R.AnyOf(_children(spec, vocabulary))


def _not(spec, vocabulary):
    return R.Not(compile_rule(spec.get("rule", dict), vocabulary, spec.at("rule")))


def _lab_absolute(spec, vocabulary):
    analyte = _analyte(spec, "analyte", vocabulary)
    op = spec.choice("op", list(R.COMPARISONS))
    limit = spec.number("value", minimum=0)
    unit = spec.get("unit", str)
    if not analyte.accepts(unit):
        raise RuleError(spec.at("unit"), f"'{unit}' is not a unit of {analyte.name}: {', '.join(analyte.factors)}")
    return R.LabAbsolute(analyte, op, limit, unit, analyte.to_canonical(limit, unit))


def _lab_uln(spec, vocabulary):
    analyte = _analyte(spec, "analyte", vocabulary)
    multiple = spec.number("multiple", minimum=0)
    if multiple == 0:
        raise RuleError(spec.at("multiple"), "must be above 0")
    return R.LabRelativeToUln(analyte, spec.choice("op", list(R.COMPARISONS)), multiple)


def _creatinine_clearance(spec, vocabulary):
    for code in ("creatinine", "creatinine_clearance"):
        if code not in vocabulary.analytes:
            raise RuleError(spec.path, f"needs the analyte '{code}' in the lab vocabulary")
    return R.CreatinineClearance(
        spec.number("minimum_ml_min", minimum=0),
        vocabulary.analytes["creatinine"],
        vocabulary.analytes["creatinine_clearance"],
    )


def _age(spec, vocabulary):
    minimum = spec.get("minimum_years", int, required=False)
    maximum = spec.get("maximum_years", int, required=False)
    if minimum is None and maximum is None:
        raise RuleError(spec.path, "needs 'minimum_years' or 'maximum_years'")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise RuleError(spec.path, "'minimum_years' is above 'maximum_years'")
    return R.Age(minimum, maximum)


def _grade(spec, vocabulary):
    scale = spec.choice("scale", list(F.SCALES))
    maximum = spec.get("maximum", int)
    _, low, high = F.SCALES[scale]
    if not low <= maximum <= high:
        raise RuleError(spec.at("maximum"), f"must be between {low} and {high}")
    return R.Grade(scale, maximum)


def _fact(spec, vocabulary):
    code = spec.choice("fact", list(F.FACTS))
    definition = F.FACTS[code]
    allowed = spec.get("allowed", list)
    if not allowed:
        raise RuleError(spec.at("allowed"), "must list at least one value")
    for i, value in enumerate(allowed):
        if not definition.accepts(value):
            options = "true, false" if definition.choices is None else ", ".join(definition.choices)
            raise RuleError(f"{spec.at('allowed')}[{i}]", f"{value!r} is not a value of {code}: {options}")
    return R.Fact(code, frozenset(allowed))


def _attestation(spec, vocabulary):
    question = spec.get("question", str)
    if not question.isidentifier() or question in F.FACTS:
        raise RuleError(spec.at("question"), "must be a new lower_case code that is not a recorded fact")
    text = spec.get("text", str).strip()
    if not text:
        raise RuleError(spec.at("text"), "must say the question")
    return R.Attestation(question, text, spec.get("pass_answer", bool))


def _allowance(spec, vocabulary):
    text = spec.get("text", str).strip()
    if not text:
        raise RuleError(spec.at("text"), "must say what is allowed")
    return R.Allowance(text)


def _time_since_event(spec, vocabulary):
    event = spec.choice("event", list(F.EVENTS))
    minimum = _interval(spec.data["minimum"], spec.at("minimum")) if "minimum" in spec.data else None
    maximum = _interval(spec.data["maximum"], spec.at("maximum")) if "maximum" in spec.data else None
    if minimum is None and maximum is None:
        raise RuleError(spec.path, "needs 'minimum' or 'maximum'")
    return R.TimeSinceEvent(event, minimum, maximum, spec.get("required", bool, required=False, default=False))


def _time_between_events(spec, vocabulary):
    first = spec.choice("first", list(F.EVENTS))
    then = spec.choice("then", list(F.EVENTS))
    if first == then:
        raise RuleError(spec.at("then"), "must be another event than 'first'")
    return R.TimeBetweenEvents(first, then, _interval(spec.get("minimum", dict), spec.at("minimum")))


def _time_since_therapy(spec, vocabulary):
    by_class = []
    for i, item in enumerate(spec.get("by_class", list, required=False, default=[])):
        path = f"{spec.at('by_class')}[{i}]"
        inner = _Spec(item, path, ("classes", "minimum"))
        minimum = _interval(inner.get("minimum", dict), inner.at("minimum"))
        by_class.append(R.ClassInterval(_drug_classes(inner, vocabulary), minimum))
    return R.TimeSinceTherapy(
        spec.choices("modalities", list(F.MODALITIES)),
        spec.choices("settings", list(F.SETTINGS)),
        _interval(spec.get("minimum", dict), spec.at("minimum")),
        tuple(by_class),
    )


def _prior_therapy_count(spec, vocabulary):
    maximum = spec.get("maximum", int)
    if maximum < 0:
        raise RuleError(spec.at("maximum"), "must be 0 or more")
    return R.PriorTherapyCount(
        spec.choices("modalities", list(F.MODALITIES)), spec.choices("settings", list(F.SETTINGS)), maximum
    )


def _prior_agent_class(spec, vocabulary):
    return R.PriorAgentClass(_drug_classes(spec, vocabulary))


def _concurrent_medication(spec, vocabulary):
    allowed_if = spec.get("allowed_if", dict, required=False)
    return R.ConcurrentMedication(
        _drug_classes(spec, vocabulary),
        spec.choice("purpose", list(F.PURPOSES), required=False),
        compile_rule(allowed_if, vocabulary, spec.at("allowed_if")) if allowed_if is not None else None,
    )


def _measurable_disease(spec, vocabulary):
    sizes = spec.get("minimum_mm", dict)
    if set(sizes) != set(F.MEASUREMENT_METHODS):
        raise RuleError(spec.at("minimum_mm"), f"must give a size for each of: {', '.join(F.MEASUREMENT_METHODS)}")
    for method, size in sizes.items():
        if not isinstance(size, int | float) or isinstance(size, bool) or size <= 0:
            raise RuleError(f"{spec.at('minimum_mm')}.{method}", "must be a size in mm above 0")
    return R.MeasurableDisease(dict(sizes))


def _blood_pressure_count(spec, vocabulary):
    values = {}
    for key in ("systolic_above", "diastolic_above", "days", "within_days"):
        values[key] = spec.get(key, int)
        if values[key] <= 0:
            raise RuleError(spec.at(key), "must be above 0")
    return R.BloodPressureCount(**values)


# type -> (fields it accepts, builder)
RULE_TYPES = {
    "all_of": (("rules",), _all_of),
    "any_of": (("rules",), _any_of),
    "not": (("rule",), _not),
    "lab_absolute": (("analyte", "op", "value", "unit"), _lab_absolute),
    "lab_uln": (("analyte", "op", "multiple"), _lab_uln),
    "creatinine_clearance": (("minimum_ml_min",), _creatinine_clearance),
    "age": (("minimum_years", "maximum_years"), _age),
    "grade": (("scale", "maximum"), _grade),
    "fact": (("fact", "allowed"), _fact),
    "attestation": (("question", "text", "pass_answer"), _attestation),
    "allowance": (("text",), _allowance),
    "time_since_event": (("event", "minimum", "maximum", "required"), _time_since_event),
    "time_between_events": (("first", "then", "minimum"), _time_between_events),
    "time_since_therapy": (("modalities", "settings", "minimum", "by_class"), _time_since_therapy),
    "prior_therapy_count": (("modalities", "settings", "maximum"), _prior_therapy_count),
    "prior_agent_class": (("classes",), _prior_agent_class),
    "concurrent_medication": (("classes", "purpose", "allowed_if"), _concurrent_medication),
    "measurable_disease": (("minimum_mm",), _measurable_disease),
    "blood_pressure_count": (("systolic_above", "diastolic_above", "days", "within_days"), _blood_pressure_count),
}


def compile_rule(data, vocabulary, path=""):
    """Build the rule a spec describes, or raise RuleError saying what is wrong and where."""
    if not isinstance(data, dict) or "type" not in data:
        raise RuleError(path, f"must be an object with a 'type' (one of: {', '.join(RULE_TYPES)})")
    rule_type = data["type"]
    if rule_type not in RULE_TYPES:
        raise RuleError(f"{path}.type" if path else "type", f"'{rule_type}' is not one of: {', '.join(RULE_TYPES)}")
    fields, build = RULE_TYPES[rule_type]
    return build(_Spec(data, path, fields), vocabulary)
