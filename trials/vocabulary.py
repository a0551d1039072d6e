"""The lab and drug vocabularies as plain data: what a published criteria version pins, and what a draft uses live.

The admin's vocabulary tables are the draft: editing them changes only draft criteria versions. Publishing a version
freezes the tables as they are then into a VocabularySnapshot (one JSON document with its SHA-256), and every
screening on that version is evaluated with exactly that snapshot, whatever is edited later.
"""

import hashlib
import json
from decimal import Decimal


def vocabulary_data(Analyte, Drug, DrugClass, Regimen):
    """Everything in the vocabularies that decides or shows a verdict, in a fixed order. Takes the model classes, so
    that a migration can pass its own."""
    return {
        "analytes": [
            {
                "code": a.code,
                "name": a.name,
                "abbreviation": a.abbreviation,
                "loinc": a.loinc,
                "canonical_unit": a.canonical_unit,
                "plausible": [a.plausible_min, a.plausible_max],
                "possible": [a.possible_min, a.possible_max],
                # In the order they were added (the common ones first): the order the form offers them in.
                "units": [
                    {"unit": u.unit, "factor": _decimal(u.factor), "aliases": list(u.aliases)}
                    for u in sorted(a.units.all(), key=lambda unit: unit.pk)
                ],
            }
            for a in Analyte.objects.prefetch_related("units").order_by("code")
        ],
        "drug_classes": [
            {
                "code": c.code,
                "name": c.name,
                "description": c.description,
                "therapy_kind": c.therapy_kind,
                "synonyms": list(c.synonyms),
                "systemic_use_only": c.systemic_use_only,
            }
            for c in DrugClass.objects.order_by("code")
        ],
        "drugs": [
            {
                "generic_name": d.generic_name,
                "synonyms": list(d.synonyms),
                "brand_names": list(d.brand_names),
                "classes": sorted(c.code for c in d.classes.all()),
            }
            for d in Drug.objects.prefetch_related("classes").order_by("generic_name")
        ],
        "regimens": [
            {
                "name": r.name,
                "synonyms": list(r.synonyms),
                "description": r.description,
                "drugs": sorted(d.generic_name for d in r.drugs.all()),
            }
            for r in Regimen.objects.prefetch_related("drugs").order_by("name")
        ],
    }


def _decimal(value):
    """A unit factor as exact text: 0.0010000000 and 0.001 are one factor."""
    return format(Decimal(value).normalize(), "f")


def content_hash(data):
    """SHA-256 of one canonical JSON text of `data` (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def live_vocabulary_data():
    from trials.models import Analyte, Drug, DrugClass, Regimen

    return vocabulary_data(Analyte, Drug, DrugClass, Regimen)
