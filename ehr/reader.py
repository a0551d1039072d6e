"""Reading a FHIR R4 export for one patient: a Bundle (collection, searchset, transaction, batch) or an NDJSON set
(one file per resource type, as a bulk export writes it). Only JSON is read: nothing a resource references is ever
fetched, and nothing in a file is executed.

Resources of the types the criteria use are kept; those of other types are only counted. A resource is validated with
fhir.resources (R4B models, which read R4) before anything taken from it is used (`Export.validate`: the Patient, and
each resource a value was found in); real exports are not always strictly valid, so a resource the library rejects is
reported and skipped, never fatal."""

from collections import Counter
from dataclasses import dataclass, field

import orjson
from django.core.exceptions import ValidationError
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as ModelError

USED_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "Procedure",
        "Condition",
    }
)
BUNDLE_TYPES = frozenset({"collection", "searchset", "transaction", "batch", "transaction-response", "batch-response"})


@dataclass
class Export:
    """What a file held: the resources of the types the criteria use (validated), what was rejected, the rest."""

    resources: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {"resource_type", "id", "problem"}
    other_types: Counter = field(default_factory=Counter)
    total: int = 0
    accepted: set = field(default_factory=set)  # ids of the resources validated and accepted

    def add(self, resource, where):
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise ValidationError({"file": f"{where} is not a FHIR resource (it has no resourceType)."})
        self.total += 1
        kind = resource["resourceType"]
        if kind not in USED_TYPES:
            self.other_types[kind] += 1
            return
        self.resources.append(resource)

    def validate(self, ids):
        """Validate the resources whose id is in `ids`, and every Patient; drop and report those the library rejects.
        Returns the ids rejected."""
        rejected = set()
        kept = []
        for resource in self.resources:
            kind, key = resource["resourceType"], str(resource.get("id", ""))
            if (key in ids or kind == "Patient") and key not in self.accepted:
                if problem := _rejection(resource):
                    rejected.add(key)
                    self.rejected.append({"resource_type": kind, "id": key, "problem": problem})
                    continue
                self.accepted.add(key)
            kept.append(resource)
        self.resources = kept
        return rejected


def _rejection(resource):
    """Why fhir.resources rejects the resource, in one line, or None."""
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ModelError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first.get("loc", ())) or resource["resourceType"]
        return f"{place}: {first['msg']}"
    return None


def _json(data, name):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise ValidationError({"file": f"{name} is not JSON ({error.msg} at line {error.lineno})."}) from None


def read_bundle(data, name="The file"):
    document = _json(data, name)
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        found = document.get("resourceType") if isinstance(document, dict) else type(document).__name__
        raise ValidationError(
            {"file": f"{name} is a {found or 'JSON document without resourceType'}, not a FHIR Bundle or NDJSON set."}
        )
    if document.get("type") not in BUNDLE_TYPES:
        raise ValidationError({"file": f"{name} is a Bundle of type {document.get('type')!r}, which holds no records."})
    export = Export()
    for number, entry in enumerate(document.get("entry") or [], start=1):
        export.add((entry or {}).get("resource"), f"Entry {number} of {name}")
    return export


def read_ndjson(files):
    """`files`: (name, bytes) pairs, one resource per line in each."""
    export = Export()
    for name, data in files:
        for number, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                export.add(_json(line, f"Line {number} of {name}"), f"Line {number} of {name}")
    return export


def read_export(files):
    """One Bundle (a .json file) or an NDJSON set (.ndjson files); the kind is told by the first byte of each."""
    if not files:
        raise ValidationError({"file": "Choose a FHIR Bundle (.json) or the NDJSON files of a bulk export."})
    bundles = [(name, data) for name, data in files if not _is_ndjson(name, data)]
    if bundles and len(files) > 1:
        raise ValidationError({"file": "Upload one Bundle, or the NDJSON files of one export, not both."})
    export = read_bundle(bundles[0][1], bundles[0][0]) if bundles else read_ndjson(files)
    patients = {str(r.get("id")) for r in export.resources if r["resourceType"] == "Patient"}
    if len(patients) > 1:
        raise ValidationError({"file": f"The file holds {len(patients)} patients: import one patient's records."})
    if export.total == 0:
        raise ValidationError({"file": "The file holds no FHIR resources."})
    export.validate(set())  # the Patient: who the file is about is read before anything else
    return export


def _is_ndjson(name, data):
    """An NDJSON file: named so, or more than one JSON object on more than one line."""
    if name.lower().endswith(".ndjson"):
        return True
    lines = [line for line in data.split(b"\n", 2)[:2] if line.strip()]
    return len(lines) > 1 and all(line.strip().startswith(b"{") and line.strip().endswith(b"}") for line in lines)
