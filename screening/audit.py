"""The audit trail of one screening as a monitor reads it (21 CFR 11.10(e), ICH E6(R3) ALCOA+).

From django-simple-history's records of the candidate, the screening, its entries and its signature: in time order,
who (full name and role), when, what (each field by the label the form shows, old and new values as the form shows
them, related objects by name, never an id) and why, where a reason was given. Changes that changed nothing are not
listed. The field rules of every page apply: a field a role may not see (the record number without
patients.view_identifiers) is not in any history either.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.text import capfirst

from ehr.selection import SECTION_NAMES
from ehr.selectors import screening_imports
from patients.models import Candidate
from patients.visibility import candidate_fields_hidden_from
from review.selectors import screening_queries
from screening.models import BloodPressureReading, LabValue, Lesion, Medication, PriorTherapy, Screening, Signature
from screening.rules import facts as F
from trials.roles import roles_of
from trials.ruleset import ruleset_for_version

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}

# Bookkeeping a monitor does not read: keys, timestamps the trail shows anyway, counters, the signature's MAC, and the
# analyte of a lab row (the row is named after it).
NOT_SHOWN = {"id", "screening", "created_at", "updated_at", "revision", "content_hash", "key_id", "signer", "analyte"}

SOURCES = (
    ("Candidate", Candidate, "id"),
    ("Screening", Screening, "id"),
    ("Lab", LabValue, "screening_id"),
    ("Blood pressure", BloodPressureReading, "screening_id"),
    ("Prior therapy", PriorTherapy, "screening_id"),
    ("Medication", Medication, "screening_id"),
    ("Lesion", Lesion, "screening_id"),
    ("Signature", Signature, "screening_id"),
)


def audit_entries(screening, *, user):
    """Every recorded create, change and delete for the screening, oldest first, in words."""
    hidden_of_candidate = candidate_fields_hidden_from(user)
    questions = {
        code: text for code, (text, _) in ruleset_for_version(screening.criteria_version).attestations().items()
    }
    entries, names = [], {}
    for kind, model, key in SOURCES:
        owner = screening.candidate_id if model is Candidate else screening.pk
        records = (
            model.history.filter(**{key: owner}).select_related("history_user").order_by("history_date", "history_id")
        )
        hidden = hidden_of_candidate if model is Candidate else set()
        fields = [f for f in model._meta.concrete_fields if f.name not in NOT_SHOWN and f.name not in hidden]
        previous = {}
        for record in records:
            before = previous.get(record.id)
            previous[record.id] = record
            changes = _changes(record, before, fields, questions, names)
            if record.history_type == "~" and not changes:
                continue  # saved again with nothing different
            entries.append(
                {
                    "when": record.history_date,
                    "who": _who(record.history_user),
                    "role": ", ".join(roles_of(record.history_user)) if record.history_user else "",
                    "action": ACTIONS[record.history_type],
                    "kind": kind,
                    "object": _name(record),
                    "changes": changes,
                    "why": record.history_change_reason or "",
                }
            )
    entries.extend(_query_entries(screening))
    entries.extend(_ehr_entries(screening))
    return sorted(entries, key=lambda entry: entry["when"])


def _ehr_entries(screening):
    """Each EHR import (the file's hash, what it gave) and each section the coordinator confirmed."""
    entries = []
    for record in screening_imports(screening=screening):
        entries.append(
            {
                "when": record.imported_at,
                "who": _who(record.imported_by),
                "role": ", ".join(roles_of(record.imported_by)),
                "action": "imported",
                "kind": "EHR import",
                "object": record.description,
                "changes": [
                    ("SHA-256", "", record.file_sha256),
                    ("Resources", "", str(record.resources)),
                    ("Values found", "", ", ".join(f"{k} {v}" for k, v in record.mapped.items()) or "none"),
                    ("Skipped", "", str(len(record.problems))),
                    ("Not used by the criteria", "", str(sum(record.not_used.values()))),
                ],
                "why": "",
            }
        )
        for confirmation in record.confirmations.select_related("confirmed_by"):
            entries.append(
                {
                    "when": confirmation.confirmed_at,
                    "who": _who(confirmation.confirmed_by),
                    "role": ", ".join(roles_of(confirmation.confirmed_by)),
                    "action": "confirmed",
                    "kind": "EHR values",
                    "object": SECTION_NAMES[confirmation.section],
                    "changes": [],
                    "why": "",
                }
            )
    return entries


QUERY_ACTIONS = {"question": "asked", "answer": "answered", "close": "closed"}


def _query_entries(screening):
    """Each message of the screening's queries: the thread between investigator and coordinator is part of the trail."""
    return [
        {
            "when": message.created_at,
            "who": _who(message.author),
            "role": ", ".join(roles_of(message.author)),
            "action": QUERY_ACTIONS[message.kind],
            "kind": "Query",
            "object": query.target_label,
            "changes": [(message.get_kind_display(), "", message.text)],
            "why": "",
        }
        for query in screening_queries(screening=screening)
        for message in query.messages.all()
    ]


def changes_since(screening, revision, *, user):
    """What others saved after the screening was at `revision`: the entries of the audit trail since then."""
    opened = (
        Screening.history.filter(id=screening.pk, revision=revision)
        .order_by("-history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    return [entry for entry in audit_entries(screening, user=user) if opened is None or entry["when"] > opened]


def _who(user):
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def _name(record):
    """The object as a person names it: 'Platelet count', 'Lisinopril 10 mg daily', 'SCR-0001-1'."""
    instance = record.instance
    if isinstance(instance, LabValue):
        return instance.analyte.name
    if isinstance(instance, Candidate):
        return _number(instance.screening_number, record)
    return str(instance)


def _number(number, record):
    """A candidate's number as it was assigned: the placeholder it is created under is never shown."""
    if number.startswith("pending-"):
        return Candidate.objects.filter(pk=record.id).values_list("screening_number", flat=True).first() or "(new)"
    return number


def _changes(record, before, fields, questions, names):
    """[(label, old, new)] as the form shows them; for a creation, every value set; for a deletion, every value."""
    lines = []
    for field in fields:
        new = getattr(record, field.attname)
        old = getattr(before, field.attname) if before is not None else None
        if record.history_type == "~" and before is None:
            continue
        if field.name == "answers":
            lines += _answer_changes(old or {}, new or {}, questions, record.history_type)
            continue
        if field.name == "screening_number" and (str(old).startswith("pending-") or str(new).startswith("pending-")):
            continue  # the number is given on creation; its placeholder is bookkeeping
        shown_old, shown_new = _shown(field, old, names), _shown(field, new, names)
        if record.history_type == "-":
            if shown_new:
                lines.append((_label(field), shown_new, ""))
        elif record.history_type == "+":
            if shown_new:
                lines.append((_label(field), "", shown_new))
        elif shown_old != shown_new:
            lines.append((_label(field), shown_old, shown_new))
    return lines


def _answer_changes(old, new, questions, history_type):
    lines = []
    for code in sorted(set(old) | set(new), key=lambda c: (c not in F.FACTS, c)):
        if old.get(code) == new.get(code) and history_type == "~":
            continue
        label = F.FACTS[code].label if code in F.FACTS else questions.get(code, code.replace("_", " "))
        shown_old, shown_new = _answer(code, old.get(code)), _answer(code, new.get(code))
        if history_type == "-":
            shown_old, shown_new = shown_new, ""
        elif history_type == "+":
            shown_old = ""
        if shown_old != shown_new:
            lines.append((label, shown_old, shown_new))
    return lines


def _answer(code, value):
    if value is None:
        return ""
    if code in F.FACTS:
        return capfirst(F.FACTS[code].show(value))
    return "Yes" if value else "No"


def _related_name(model, pk):
    related = model.objects.filter(pk=pk).first()
    if related is None:
        return f"(removed {model._meta.verbose_name})"
    if hasattr(related, "get_full_name"):
        return related.get_full_name() or related.get_username()
    return str(related)


def _label(field):
    return capfirst(field.verbose_name)


def _shown(field, value, names):
    """A stored value as the form shows it: choices by their label, numbers without trailing zeros, Yes or No,
    dates as dates, related objects by name (each looked up once)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if field.is_relation:
        key = (field.related_model, value)
        if key not in names:
            names[key] = _related_name(field.related_model, value)
        return names[key]
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)
