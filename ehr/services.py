"""Importing a FHIR export into a screening: read, map, choose, then prefill only what is still empty.

A value the coordinator typed is never overwritten: a different EHR value is kept beside it as a conflict. The
import and everything it found (with the resource each value came from) are stored; the file itself is not. Each
section the import prefilled must be confirmed by the coordinator before the screening can be evaluated."""

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ehr.mapping import MappingContext, map_resources
from ehr.models import EhrImport, EhrValue, SectionConfirmation
from ehr.reader import read_export
from ehr.selection import choose, section_of
from screening.models import ENTRY_FIELDS, Screening, Signature
from screening.services import ENTRY_ROWS, screening_update
from trials.models import Analyte
from trials.ruleset import ruleset_for_version

MODALITY_OF_KIND = {
    "chemotherapy": "systemic_chemotherapy",
    "targeted_therapy": "targeted_therapy",
    "immunotherapy": "immunotherapy",
}


def mapping_context(version):
    """What the mappers need from the vocabulary of the screening's criteria version, as plain callables."""
    vocabulary = ruleset_for_version(version).vocabulary
    loinc = {code: analyte for code, analyte in Analyte.objects.exclude(loinc="").values_list("loinc", "code")}

    def units(analyte, written):
        definition = vocabulary.analytes.get(analyte)
        return definition.unit_of(written) if definition else None

    def match_drug(text):
        return [match.drug.generic_name for match in vocabulary.matcher.match(text) if not match.drug.is_class_word]

    drugs = {drug.generic_name: drug for drug in vocabulary.drugs}

    def is_anticancer(generic_name):
        drug = drugs.get(generic_name)
        kinds = vocabulary.kinds_of(drug) if drug else set()
        return next((MODALITY_OF_KIND[kind] for kind in sorted(kinds) if kind in MODALITY_OF_KIND), None)

    return MappingContext(loinc=loinc, units=units, match_drug=match_drug, is_anticancer=is_anticancer)


SIGNED = "This screening is signed and locked: import into a correction instead."


def check_size(size):
    if size > settings.EHR_IMPORT_MAX_BYTES:
        limit = settings.EHR_IMPORT_MAX_BYTES / (1024 * 1024)
        raise ValidationError({"file": f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit:.0f} MB."})


def ehr_import(*, screening, user, files):
    """Import `files` ((name, bytes) pairs: one Bundle or an NDJSON set) into an unsigned screening."""
    check_size(sum(len(data) for _, data in files))
    if Signature.objects.filter(screening_id=screening.pk).exists():
        raise ValidationError(SIGNED)
    export = read_export(files)
    _check_person(export.resources, screening.candidate)
    mapped = map_resources(export.resources, mapping_context(screening.criteria_version))
    chosen = choose_valid(export, mapped, screening.screening_date)
    digest = hashlib.sha256()
    for _, data in files:
        digest.update(data)
    with transaction.atomic():
        Screening.objects.select_for_update().filter(pk=screening.pk).values_list("pk", flat=True).get()
        if Signature.objects.filter(screening_id=screening.pk).exists():
            raise ValidationError(SIGNED)
        screening = Screening.objects.select_related("candidate", "criteria_version").get(pk=screening.pk)
        record = EhrImport.objects.create(
            screening=screening,
            imported_by=user,
            description=_described(files, export),
            file_sha256=digest.hexdigest(),
            resources=export.total,
            mapped=_counts(mapped.found),
            problems=export.rejected + mapped.problems,
            not_used=dict(export.other_types + mapped.not_used),
        )
        entries = current_entries(screening)
        analytes = {analyte.code: analyte for analyte in Analyte.objects.all()}
        values = []
        for field, choices in chosen.items():
            for choice in choices:
                use = (
                    apply_value(entries, field, choice.found.value, analytes) if choice.use == "chosen" else choice.use
                )
                values.append(
                    EhrValue(
                        ehr_import=record,
                        screening=screening,
                        field=field,
                        section=section_of(field),
                        value=choice.found.value,
                        on=choice.found.on[:10] if choice.found.on else None,
                        source=choice.found.source,
                        use=use,
                    )
                )
        EhrValue.objects.bulk_create(values)
        if any(value.use == EhrValue.Use.PREFILLED for value in values):
            screening._change_reason = f"Prefilled from an EHR import (file SHA-256 {record.file_sha256[:16]})"
            screening_update(screening=screening, **entries)
    return record


def choose_valid(export, mapped, screening_date):
    """The choice per field, made only of values from resources fhir.resources accepts: the chosen values' resources
    are validated, and a rejected one gives way to the next candidate. (The other candidates are listed as written.)"""
    while True:
        chosen = choose(mapped.found, screening_date=screening_date)
        wanted = {key for choices in chosen.values() for c in choices if c.use == "chosen" for key in _sources(c.found)}
        rejected = export.validate(wanted)
        if not rejected:
            return chosen
        mapped.found = [found for found in mapped.found if not rejected & set(_sources(found))]


def _sources(found):
    """The id of every resource a value was taken from."""
    return [found.source["id"], *found.source.get("also", ())]


def _described(files, export):
    """What was imported, without the names the files came with: an export's file name often holds the patient's."""
    if len(files) == 1 and not files[0][0].lower().endswith(".ndjson"):
        return "FHIR Bundle (1 file)"
    kinds = sorted(set(export.other_types) | {resource["resourceType"] for resource in export.resources})
    return f"NDJSON set ({len(files)} file{'s' if len(files) != 1 else ''}: {', '.join(kinds)})"[:500]


def _counts(found):
    counts = {}
    for item in found:
        key = item.field.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


PATIENT_REFERENCES = ("subject", "patient")


def _check_person(resources, candidate):
    """The file must be this candidate's: the same birth date and sex, and no record of another patient."""
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if patients:
        patient = patients[0]
        born, gender = patient.get("birthDate"), patient.get("gender")
        if born and born[:10] != candidate.birth_date.isoformat():
            raise ValidationError({"file": "The file's patient has another date of birth: it is not this candidate's."})
        if gender in ("female", "male") and gender != candidate.sex:
            raise ValidationError({"file": "The file's patient is of the other sex: it is not this candidate's."})
        own = str(patient.get("id", ""))
        for resource in resources:
            for key in PATIENT_REFERENCES:
                reference = (
                    (resource.get(key) or {}).get("reference", "") if isinstance(resource.get(key), dict) else ""
                )
                if own and reference and not reference.endswith(own):
                    raise ValidationError(
                        {"file": "The file holds records of more than one patient: import one patient's records."}
                    )


def blank_entries():
    """The entries of a screening with nothing entered yet, in the form `screening_update` takes."""
    rows = {related: [] for related, _, _ in ENTRY_ROWS if related != "labs"}
    fields = {name: Screening._meta.get_field(name).get_default() for name in ENTRY_FIELDS}
    return {"fields": fields, "answers": {}, "labs": {}, "warnings": [], **rows}


def current_entries(screening):
    """Everything entered on the screening now, in the form `screening_update` takes."""
    fields = {name: getattr(screening, name) for name in ENTRY_FIELDS}
    rows = {}
    for related, _, names in ENTRY_ROWS:
        if related == "labs":
            continue
        rows[related] = [{name: getattr(row, name) for name in names} for row in getattr(screening, related).all()]
    labs = {
        lab.analyte: {
            "value": lab.value,
            "unit": lab.unit,
            "uln": lab.uln,
            "collected_on": lab.collected_on,
            "confirmed": lab.confirmed,
        }
        for lab in screening.labs.select_related("analyte")
    }
    return {
        "fields": fields,
        "answers": dict(screening.answers),
        "labs": labs,
        "warnings": list(screening.warnings),
        **rows,
    }


def _decimal(text):
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def _day(text):
    return date.fromisoformat(text[:10]) if text else None


def apply_value(entries, field, value, analytes):
    """Fill `field` from `value` where nothing is entered; say whether it was prefilled, the same, or a conflict."""
    kind, _, code = field.partition(":")
    fields = entries["fields"]
    if kind == "lab":
        analyte = analytes[code]
        typed = entries["labs"].get(analyte)
        new = {
            "value": _decimal(value["value"]),
            "unit": value["unit"],
            "uln": _decimal(value.get("uln")),
            "collected_on": _day(value.get("collected_on")),
            "confirmed": False,
        }
        if typed is None:
            entries["labs"][analyte] = new
            return EhrValue.Use.PREFILLED
        same = (typed["value"], typed["unit"]) == (new["value"], new["unit"])
        return EhrValue.Use.SAME if same else EhrValue.Use.CONFLICT
    if kind in ("weight_kg", "ecog"):
        new = _decimal(value["value"]) if kind == "weight_kg" else int(value["value"])
        if fields[kind] is None:
            fields[kind] = new
            return EhrValue.Use.PREFILLED
        return EhrValue.Use.SAME if fields[kind] == new else EhrValue.Use.CONFLICT
    if kind == "answer":
        if entries["answers"].get(code) is None:
            entries["answers"][code] = value["value"]
            return EhrValue.Use.PREFILLED
        return EhrValue.Use.SAME if entries["answers"][code] == value["value"] else EhrValue.Use.CONFLICT
    if kind == "history":
        day = _day(value.get("date"))
        if fields[code] == "":
            fields[code], fields[f"{code}_date"] = "yes", day
            return EhrValue.Use.PREFILLED
        same = fields[code] == "yes" and fields[f"{code}_date"] == day
        return EhrValue.Use.SAME if same else EhrValue.Use.CONFLICT
    return _apply_row(entries, kind, value)


def _apply_row(entries, kind, value):
    if kind == "blood_pressure":
        row = {"taken_on": _day(value["taken_on"]), "systolic": value["systolic"], "diastolic": value["diastolic"]}
        rows = entries["blood_pressures"]
    elif kind == "medication":
        row = {
            "name": value["name"][:200],
            "dose": value.get("dose", "")[:100],
            "purpose": "",
            "active": value["active"],
        }
        rows = entries["medications"]
        if any(r["name"].casefold() == row["name"].casefold() for r in rows):
            same = any(r["name"].casefold() == row["name"].casefold() and r["active"] == row["active"] for r in rows)
            return EhrValue.Use.SAME if same else EhrValue.Use.CONFLICT
        if entries["fields"]["medications_taken"] == "none":
            return EhrValue.Use.CONFLICT
        entries["fields"]["medications_taken"] = "yes"
    else:  # a prior therapy
        row = {
            "modality": value["modality"],
            "setting": value.get("setting", "not_documented"),
            "agents": value.get("agents", "")[:300],
            "started_on": _day(value.get("started_on")),
            "ended_on": _day(value.get("ended_on")),
        }
        rows = entries["therapies"]
        if entries["fields"]["prior_therapy"] == "none":
            return EhrValue.Use.CONFLICT
        entries["fields"]["prior_therapy"] = "yes"
    if row in rows:
        return EhrValue.Use.SAME
    rows.append(row)
    return EhrValue.Use.PREFILLED


@transaction.atomic
def ehr_section_confirm(*, screening, section, user):
    """The coordinator checked the prefilled values of a section: every import's for that section."""
    Screening.objects.select_for_update().filter(pk=screening.pk).values_list("pk", flat=True).get()
    imports = (
        EhrValue.objects.filter(screening=screening, section=section, use=EhrValue.Use.PREFILLED)
        .values_list("ehr_import", flat=True)
        .distinct()
    )
    for import_id in imports:
        SectionConfirmation.objects.get_or_create(
            ehr_import_id=import_id, section=section, defaults={"screening": screening, "confirmed_by": user}
        )
