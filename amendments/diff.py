"""A draft against the active version, criterion by criterion and vocabulary entry by entry. Plain data in and out."""

from dataclasses import dataclass, field

from screening.rules import RuleError, compile_rule

CRITERION_FIELDS = {
    "text": "text in the record",
    "summary": "summary",
    "rule": "rule",
    "kind": "kind",
    "category": "category",
    "cohorts": "cohorts",
    "applies_to": "applies to",
    "order": "position",
}
# Each vocabulary section, the key that identifies an entry, and what the section is called.
VOCABULARY_SECTIONS = {
    "analytes": ("code", "Lab tests"),
    "drug_classes": ("code", "Drug classes"),
    "drugs": ("generic_name", "Drugs"),
    "regimens": ("name", "Regimens"),
}


@dataclass
class CriterionChange:
    change: str  # added, removed, changed
    code: str
    old: dict | None = None
    new: dict | None = None
    old_words: str = ""
    new_words: str = ""
    fields: list = field(default_factory=list)


def rule_in_words(rule, vocabulary):
    try:
        return compile_rule(rule, vocabulary).describe()
    except RuleError as error:
        return f"Invalid rule: {error}"


def criteria_diff(old, new, *, old_vocabulary, new_vocabulary):
    """`old` and `new` are lists of criterion dicts (the CRITERION_FIELDS and code), in record order. Criteria are
    matched by code; the draft's order comes first, then what it removed."""
    before = {c["code"]: c for c in old}
    after = {c["code"]: c for c in new}
    changes = []
    for code, criterion in after.items():
        previous = before.get(code)
        words = rule_in_words(criterion["rule"], new_vocabulary)
        if previous is None:
            changes.append(CriterionChange("added", code, new=criterion, new_words=words))
            continue
        old_words = rule_in_words(previous["rule"], old_vocabulary)
        changed = [label for name, label in CRITERION_FIELDS.items() if previous[name] != criterion[name]]
        if old_words != words and "rule" not in changed:
            changed.append("rule in words (the vocabulary changed)")
        if changed:
            changes.append(
                CriterionChange(
                    "changed", code, previous, criterion, old_words=old_words, new_words=words, fields=changed
                )
            )
    for code, criterion in before.items():
        if code not in after:
            changes.append(
                CriterionChange(
                    "removed", code, old=criterion, old_words=rule_in_words(criterion["rule"], old_vocabulary)
                )
            )
    return changes


@dataclass
class VocabularyChange:
    section: str
    change: str  # added, removed, changed
    key: str
    fields: list = field(default_factory=list)  # (field, old, new)


def vocabulary_diff(old, new):
    """What changed between two vocabulary data documents (trials/vocabulary.py), entry by entry."""
    changes = []
    for section, (key, title) in VOCABULARY_SECTIONS.items():
        before = {entry[key]: entry for entry in old.get(section, [])}
        after = {entry[key]: entry for entry in new.get(section, [])}
        for name in sorted(after.keys() - before.keys()):
            changes.append(VocabularyChange(title, "added", name, _fields({}, after[name], key)))
        for name in sorted(before.keys() - after.keys()):
            changes.append(VocabularyChange(title, "removed", name))
        for name in sorted(before.keys() & after.keys()):
            fields = _fields(before[name], after[name], key)
            if fields:
                changes.append(VocabularyChange(title, "changed", name, fields))
    return changes


def _fields(before, after, key):
    return [
        (name.replace("_", " "), _shown(before.get(name)), _shown(value))
        for name, value in after.items()
        if name != key and before.get(name) != value
    ]


def _shown(value):
    """A vocabulary value in a few words: a range as "low to high", units with their factors, lists joined."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return "; ".join(_unit(item) for item in value)
    if isinstance(value, list) and len(value) == 2 and all(item is None or _is_number(item) for item in value):
        return " to ".join("no limit" if item is None else f"{item:g}" for item in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unit(unit):
    aliases = f" (also {', '.join(unit['aliases'])})" if unit["aliases"] else ""
    return f"{unit['unit']} x {unit['factor']}{aliases}"
