"""Reads the audit trail (django-simple-history) of one screening: its candidate, entries, and signature."""

from patients.models import Candidate
from screening.models import BloodPressureReading, LabValue, Lesion, Medication, PriorTherapy, Screening, Signature

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
NOT_SHOWN = {"updated_at", "created_at"}


def audit_entries(screening):
    """Every recorded create, change and delete for the screening, oldest first, with old and new values."""
    sources = [
        ("Candidate", Candidate.history.filter(id=screening.candidate_id)),
        ("Screening", Screening.history.filter(id=screening.pk)),
        ("Lab", LabValue.history.filter(screening_id=screening.pk).select_related("analyte")),
        ("Blood pressure", BloodPressureReading.history.filter(screening_id=screening.pk)),
        ("Prior therapy", PriorTherapy.history.filter(screening_id=screening.pk)),
        ("Medication", Medication.history.filter(screening_id=screening.pk)),
        ("Lesion", Lesion.history.filter(screening_id=screening.pk)),
        ("Signature", Signature.history.filter(screening_id=screening.pk)),
    ]
    entries = []
    for kind, records in sources:
        previous = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            entries.append(
                {
                    "when": record.history_date,
                    "who": _who(record.history_user),
                    "action": ACTIONS[record.history_type],
                    "kind": kind,
                    "object": str(record.instance),
                    "changes": _changes(record, previous.get(record.id)),
                }
            )
            previous[record.id] = record
    return sorted(entries, key=lambda entry: entry["when"])


def _who(user):
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def _changes(record, before):
    if record.history_type == "~" and before is not None:
        delta = record.diff_against(before)
        return [(c.field, c.old, c.new) for c in delta.changes if c.field not in NOT_SHOWN]
    fields = [f.attname for f in record.instance_type._meta.concrete_fields]
    if record.history_type == "+":
        return [(name, None, getattr(record, name)) for name in fields if name not in NOT_SHOWN and name != "id"]
    return [(name, getattr(record, name), None) for name in fields if name not in NOT_SHOWN and name != "id"]


def changes_since(screening, revision):
    """What others saved after the screening was at `revision`: the entries of the audit trail since then."""
    opened = (
        Screening.history.filter(id=screening.pk, revision=revision)
        .order_by("-history_date")
        .values_list("history_date", flat=True)
    ).first()
    return [entry for entry in audit_entries(screening) if opened is None or entry["when"] > opened]
