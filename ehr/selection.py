"""Which of the values an import found fills each field: plain Python over the mappers' Found records.

For a measurement (a lab, the weight, ECOG) the most recent in the window before the screening date; for a dated
event (surgery, radiotherapy) the most recent before it; for an answer (a diagnosis), any before it; for the lists
(blood pressure readings, medications, prior therapy) every one that belongs. Nothing after the screening date is
chosen. The others stay as candidates, one click away."""

from dataclasses import dataclass
from datetime import date, timedelta

MEASUREMENT_WINDOW = timedelta(days=30)
MEDICATION_WINDOW = timedelta(days=30)  # a medication stopped within this before the screening is still listed
IDENTITY_FIELDS = ("birth_date", "sex")
LISTS = ("blood_pressure", "medication", "therapy")
MEASUREMENTS = ("lab", "weight_kg", "ecog", "answer:pregnancy_test", "answer:pregnant")
OTHER_CANDIDATES = 10  # per field, the newest: a chart of years holds hundreds of old prescriptions

SECTIONS = {
    "lab": "labs",
    "weight_kg": "screening",
    "ecog": "screening",
    "blood_pressure": "blood_pressures",
    "medication": "medications",
    "therapy": "therapies",
    "history": "therapies",
    "answer:histology_confirmed": "disease",
    "answer:melanoma_stage": "disease",
    "answer:brain_metastases": "disease",
    "answer:hiv_positive": "medications",
    "answer:pregnancy_test": "pregnancy",
    "answer:pregnant": "pregnancy",
}
SECTION_NAMES = {
    "screening": "Screening (weight, ECOG)",
    "disease": "Disease",
    "labs": "Labs",
    "blood_pressures": "Blood pressure",
    "therapies": "Prior therapy and history",
    "medications": "Concomitant medications",
    "pregnancy": "Pregnancy",
}


def section_of(field):
    return SECTIONS.get(field) or SECTIONS.get(field.split(":")[0]) or "disease"


@dataclass
class Choice:
    found: object  # ehr.mapping.Found
    use: str  # "chosen", "candidate" or "outside"


def _day(found):
    return date.fromisoformat(found.on[:10]) if found.on else None


def choose(found, *, screening_date):
    """{field: [Choice, ...]}, the chosen ones first, then the others newest first."""
    by_field = {}
    for item in found:
        if item.field not in IDENTITY_FIELDS:
            by_field.setdefault(item.field, []).append(item)
    return {field: _choose_field(field, items, screening_date) for field, items in by_field.items()}


def _choose_field(field, items, screening_date):
    items = sorted(items, key=lambda item: _day(item) or date.min, reverse=True)
    kind = field.split(":")[0]
    after = [i for i in items if (_day(i) or date.min) > screening_date]
    before = [i for i in items if i not in after]
    if field in LISTS:
        chosen = [i for i in before if _belongs(field, i, screening_date)]
    elif kind in MEASUREMENTS or field in MEASUREMENTS:
        recent = [i for i in before if _day(i) and screening_date - _day(i) <= MEASUREMENT_WINDOW]
        chosen = recent[:1]
    else:  # answers and dated events: the most recent before the screening
        chosen = before[:1]
    chosen_ids = {id(i) for i in chosen}
    rest = [Choice(i, "outside" if i in after else "candidate") for i in items if id(i) not in chosen_ids]
    return [Choice(i, "chosen") for i in chosen] + rest[:OTHER_CANDIDATES]


def _belongs(field, item, screening_date):
    day = _day(item)
    if field == "blood_pressure":
        return day is not None and screening_date - day <= MEASUREMENT_WINDOW
    if field == "medication":
        if item.value.get("active"):
            return True
        ended = item.value.get("ended_on")
        return bool(ended) and screening_date - date.fromisoformat(ended[:10]) <= MEDICATION_WINDOW
    return True  # every prior therapy counts
