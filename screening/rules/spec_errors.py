"""Every error of a rule spec at once, each with where it is: what the rule editor shows at the fields concerned.

`compile_rule` (specs.py) stops at the first error, which is right for the engine; an administrator fixing a rule
wants to see all of them. `rule_errors` walks the whole tree and checks each field of each node, going on after an
error. It lives beside specs.py rather than inside it: the checks mirror specs.py's builders one by one (same order,
same paths, same messages), and the tests hold the two together: a spec has no errors here exactly when it
compiles, and compile_rule's error is always the first one listed here.

Each error is a RuleError(path, message) as compile_rule raises it, with one more attribute, `field`: the key of the
node the error is about when the path names the node itself (a missing field: path "rules[1]", message "'value' is
required", field "value"), else None.
"""

from screening.rules import facts as F
from screening.rules import rules as R
from screening.rules.specs import RULE_TYPES, RuleError, _interval, _Spec


def rule_errors(data, vocabulary, path=""):
    """Every reason the spec cannot be compiled, in the order compile_rule would meet them; [] when it compiles."""
    errors = []
    _check(data, vocabulary, path, errors)
    return errors


def _error(path, message, field=None):
    error = RuleError(path, message)
    error.field = field
    return error


def _check(data, vocabulary, path, errors):
    if not isinstance(data, dict) or "type" not in data:
        errors.append(_error(path, f"must be an object with a 'type' (one of: {', '.join(RULE_TYPES)})", "type"))
        return
    rule_type = data["type"]
    if not isinstance(rule_type, str) or rule_type not in RULE_TYPES:
        errors.append(
            _error(f"{path}.type" if path else "type", f"'{rule_type}' is not one of: {', '.join(RULE_TYPES)}")
        )
        return
    fields, _ = RULE_TYPES[rule_type]
    check = _CHECKS[rule_type]
    check(_Checker(data, path, fields, errors), vocabulary, errors)


class _Checker:
    """The _Spec of specs.py that records an error and goes on: a field in error reads as None."""

    def __init__(self, data, path, allowed, errors):
        self.errors = errors
        self.data, self.path = data, path
        self.spec = _Spec.__new__(_Spec)  # the checks below, without _Spec.__init__'s first-error-only field check
        self.spec.data, self.spec.path = data, path
        extra = set(data) - set(allowed) - {"type"}
        if extra:
            self.error(path, f"unknown field(s) {', '.join(sorted(extra))}; allowed: {', '.join(allowed)}")

    def at(self, key):
        return self.spec.at(key)

    def error(self, path, message, field=None):
        self.errors.append(_error(path, message, field))

    def attempt(self, key, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except RuleError as error:
            self.errors.append(_error(error.path, error.message, key if error.path == self.path else None))
            return None

    def get(self, key, kind, *, required=True):
        return self.attempt(key, self.spec.get, key, kind, required=required)

    def number(self, key, *, required=True, minimum=None):
        return self.attempt(key, self.spec.number, key, required=required, minimum=minimum)

    def choice(self, key, options, *, required=True):
        return self.attempt(key, self.spec.choice, key, options, required=required)

    def choices(self, key, options):
        return self.attempt(key, self.spec.choices, key, options)

    def interval(self, key, value):
        return self.attempt(key, _interval, value, self.at(key))

    def required_interval(self, key):
        value = self.get(key, dict)
        return None if value is None else self.interval(key, value)

    def analyte(self, key, vocabulary):
        code = self.get(key, str)
        if code is None:
            return None
        if code not in vocabulary.analytes:
            known = ", ".join(sorted(vocabulary.analytes))
            self.error(self.at(key), f"unknown analyte '{code}'; known: {known}")
            return None
        return vocabulary.analytes[code]

    def drug_classes(self, vocabulary):
        return self.choices("classes", sorted(vocabulary.drug_classes))


def _children(c, vocabulary, errors):
    rules = c.get("rules", list)
    if rules is None:
        return
    if not rules:
        c.error(c.at("rules"), "must list at least one rule")
    for i, child in enumerate(rules):
        _check(child, vocabulary, f"{c.at('rules')}[{i}]", errors)


def _not(c, vocabulary, errors):
    rule = c.get("rule", dict)
    if rule is not None:
        _check(rule, vocabulary, c.at("rule"), errors)


def _lab_absolute(c, vocabulary, errors):
    analyte = c.analyte("analyte", vocabulary)
    c.choice("op", list(R.COMPARISONS))
    c.number("value", minimum=0)
    unit = c.get("unit", str)
    if analyte is not None and unit is not None and not analyte.accepts(unit):
        c.error(c.at("unit"), f"'{unit}' is not a unit of {analyte.name}: {', '.join(analyte.factors)}")


def _lab_uln(c, vocabulary, errors):
    c.analyte("analyte", vocabulary)
    multiple = c.number("multiple", minimum=0)
    if multiple == 0:
        c.error(c.at("multiple"), "must be above 0")
    c.choice("op", list(R.COMPARISONS))


def _creatinine_clearance(c, vocabulary, errors):
    for code in ("creatinine", "creatinine_clearance"):
        if code not in vocabulary.analytes:
            c.error(c.path, f"needs the analyte '{code}' in the lab vocabulary")
            break
    c.number("minimum_ml_min", minimum=0)


def _age(c, vocabulary, errors):
    minimum = c.get("minimum_years", int, required=False)
    maximum = c.get("maximum_years", int, required=False)
    if "minimum_years" not in c.data and "maximum_years" not in c.data:
        c.error(c.path, "needs 'minimum_years' or 'maximum_years'")
    if minimum is not None and maximum is not None and minimum > maximum:
        c.error(c.path, "'minimum_years' is above 'maximum_years'")


def _grade(c, vocabulary, errors):
    scale = c.choice("scale", list(F.SCALES))
    maximum = c.get("maximum", int)
    if scale is not None and maximum is not None:
        _, low, high = F.SCALES[scale]
        if not low <= maximum <= high:
            c.error(c.at("maximum"), f"must be between {low} and {high}")


def _fact(c, vocabulary, errors):
    code = c.choice("fact", list(F.FACTS))
    allowed = c.get("allowed", list)
    if allowed is None:
        return
    if not allowed:
        c.error(c.at("allowed"), "must list at least one value")
    if code is None:
        return
    definition = F.FACTS[code]
    for i, value in enumerate(allowed):
        if not _accepts(definition, value):
            options = "true, false" if definition.choices is None else ", ".join(definition.choices)
            c.error(f"{c.at('allowed')}[{i}]", f"{value!r} is not a value of {code}: {options}")


def _accepts(definition, value):
    try:
        return definition.accepts(value)
    except TypeError:  # a list or an object where a value should be
        return False


def _attestation(c, vocabulary, errors):
    question = c.get("question", str)
    if question is not None and (not question.isidentifier() or question in F.FACTS):
        c.error(c.at("question"), "must be a new lower_case code that is not a recorded fact")
    text = c.get("text", str)
    if text is not None and not text.strip():
        c.error(c.at("text"), "must say the question")
    c.get("pass_answer", bool)


def _allowance(c, vocabulary, errors):
    text = c.get("text", str)
    if text is not None and not text.strip():
        c.error(c.at("text"), "must say what is allowed")


def _time_since_event(c, vocabulary, errors):
    c.choice("event", list(F.EVENTS))
    for key in ("minimum", "maximum"):
        if key in c.data:
            c.interval(key, c.data[key])
    if "minimum" not in c.data and "maximum" not in c.data:
        c.error(c.path, "needs 'minimum' or 'maximum'")
    c.get("required", bool, required=False)


def _time_between_events(c, vocabulary, errors):
    first = c.choice("first", list(F.EVENTS))
    then = c.choice("then", list(F.EVENTS))
    if first is not None and first == then:
        c.error(c.at("then"), "must be another event than 'first'")
    c.required_interval("minimum")


def _time_since_therapy(c, vocabulary, errors):
    for i, item in enumerate(c.get("by_class", list, required=False) or []):
        path = f"{c.at('by_class')}[{i}]"
        if not isinstance(item, dict):
            c.error(path, "must be an object with a 'type'")  # _Spec's words for a list item that is not an object
            continue
        inner = _Checker(item, path, ("classes", "minimum"), errors)
        inner.required_interval("minimum")
        inner.drug_classes(vocabulary)
    c.choices("modalities", list(F.MODALITIES))
    c.choices("settings", list(F.SETTINGS))
    c.required_interval("minimum")


def _prior_therapy_count(c, vocabulary, errors):
    maximum = c.get("maximum", int)
    if maximum is not None and maximum < 0:
        c.error(c.at("maximum"), "must be 0 or more")
    c.choices("modalities", list(F.MODALITIES))
    c.choices("settings", list(F.SETTINGS))


def _prior_agent_class(c, vocabulary, errors):
    c.drug_classes(vocabulary)


def _concurrent_medication(c, vocabulary, errors):
    allowed_if = c.get("allowed_if", dict, required=False)
    c.drug_classes(vocabulary)
    c.choice("purpose", list(F.PURPOSES), required=False)
    if allowed_if is not None:
        _check(allowed_if, vocabulary, c.at("allowed_if"), errors)


def _measurable_disease(c, vocabulary, errors):
    sizes = c.get("minimum_mm", dict)
    if sizes is None:
        return
    if set(sizes) != set(F.MEASUREMENT_METHODS):
        c.error(c.at("minimum_mm"), f"must give a size for each of: {', '.join(F.MEASUREMENT_METHODS)}")
    for method, size in sizes.items():
        if not isinstance(size, int | float) or isinstance(size, bool) or size <= 0:
            c.error(f"{c.at('minimum_mm')}.{method}", "must be a size in mm above 0")


def _blood_pressure_count(c, vocabulary, errors):
    for key in ("systolic_above", "diastolic_above", "days", "within_days"):
        value = c.get(key, int)
        if value is not None and value <= 0:
            c.error(c.at(key), "must be above 0")


_CHECKS = {
    "all_of": _children,
    "any_of": _children,
    "not": _not,
    "lab_absolute": _lab_absolute,
    "lab_uln": _lab_uln,
    "creatinine_clearance": _creatinine_clearance,
    "age": _age,
    "grade": _grade,
    "fact": _fact,
    "attestation": _attestation,
    "allowance": _allowance,
    "time_since_event": _time_since_event,
    "time_between_events": _time_between_events,
    "time_since_therapy": _time_since_therapy,
    "prior_therapy_count": _prior_therapy_count,
    "prior_agent_class": _prior_agent_class,
    "concurrent_medication": _concurrent_medication,
    "measurable_disease": _measurable_disease,
    "blood_pressure_count": _blood_pressure_count,
}
