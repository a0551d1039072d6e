"""Reads for the EHR import: what a screening's imports found, by section, and what is left to confirm."""

from django.db.models import Exists, OuterRef

from ehr.models import EhrImport, EhrValue, SectionConfirmation
from ehr.selection import SECTION_NAMES
from screening.rules import facts as F
from trials.models import Analyte

FIELD_LABELS = {
    "weight_kg": "Weight",
    "ecog": "ECOG performance status",
    "blood_pressure": "Blood pressure",
    "medication": "Medication",
    "therapy": "Prior anticancer therapy",
}


def _labelled(values):
    """Each value with `label`: the field it fills, as the form names it."""
    analytes = dict(Analyte.objects.values_list("code", "name"))
    for value in values:
        kind, _, code = value.field.partition(":")
        if kind == "lab":
            value.label = analytes.get(code, code)
        elif kind == "history":
            value.label = F.EVENTS.get(code, code)
        elif kind == "answer":
            value.label = F.FACTS[code].label if code in F.FACTS else code
        else:
            value.label = FIELD_LABELS.get(kind, kind)
    return values


def sections_to_confirm(screening):
    """The sections an import prefilled that the coordinator has not confirmed yet, in the form's order (one query)."""
    confirmed = SectionConfirmation.objects.filter(ehr_import=OuterRef("ehr_import"), section=OuterRef("section"))
    pending = (
        EhrValue.objects.filter(screening=screening, use=EhrValue.Use.PREFILLED)
        .exclude(Exists(confirmed))
        .values_list("section", flat=True)
        .distinct()
    )
    return sorted(set(pending), key=list(SECTION_NAMES).index)


def screening_ehr_values(*, screening):
    """Per section: the values found, the chosen ones first, and whether the section is confirmed."""
    values = _labelled(list(EhrValue.objects.filter(screening=screening).select_related("ehr_import").order_by("pk")))
    pending = set(sections_to_confirm(screening))
    sections = {}
    for value in values:
        sections.setdefault(value.section, []).append(value)
    return [
        {
            "section": section,
            "name": SECTION_NAMES[section],
            "values": sections[section],
            "to_confirm": section in pending,
        }
        for section in SECTION_NAMES
        if section in sections
    ]


def screening_imports(*, screening):
    return list(EhrImport.objects.filter(screening=screening).select_related("imported_by"))


def screening_ehr_values_used(*, screening):
    """The values the screening holds that came from the EHR (prefilled, or typed the same), for the report."""
    return _labelled(
        list(
            EhrValue.objects.filter(screening=screening, use__in=[EhrValue.Use.PREFILLED, EhrValue.Use.SAME])
            .select_related("ehr_import")
            .order_by("section", "field", "pk")
        )
    )
