"""Reading FHIR files: Bundles and NDJSON sets, and every bad file refused with a clear message."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from ehr.reader import read_export

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"


def bundle(*resources, kind="collection"):
    return json.dumps(
        {"resourceType": "Bundle", "type": kind, "entry": [{"resource": resource} for resource in resources]}
    ).encode()


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1971-03-15", "gender": "female"}


def refused(files):
    with pytest.raises(ValidationError) as raised:
        read_export(files)
    return " ".join(raised.value.message_dict["file"])


def test_a_real_synthea_bundle_is_read_with_other_types_counted():
    export = read_export([("tom.json", (FIXTURES / "synthea_tom_goodwin.json").read_bytes())])
    kinds = {resource["resourceType"] for resource in export.resources}
    assert kinds == {"Patient", "Observation", "MedicationRequest", "Condition", "Procedure"}
    assert export.total == 154
    assert export.other_types["Claim"] == 2
    assert export.rejected == []


def test_a_real_bulk_ndjson_set_is_read():
    files = [(path.name, path.read_bytes()) for path in sorted((FIXTURES / "bulk_one_patient").glob("*.ndjson"))]
    export = read_export(files)
    assert export.total == 1 + 62 + 93 + 57
    assert sum(r["resourceType"] == "Patient" for r in export.resources) == 1


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction"])
def test_each_bundle_type_with_records_is_read(kind):
    assert read_export([("b.json", bundle(PATIENT, kind=kind))]).total == 1


def test_a_resource_the_library_rejects_is_reported_and_skipped_once_its_values_are_wanted():
    broken = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "Platelets"},
        "valueQuantity": {"value": "two hundred"},
    }
    export = read_export([("b.json", bundle(PATIENT, broken))])
    assert export.rejected == []  # only the Patient is read before the mapping says what is wanted
    assert export.validate({"o1"}) == {"o1"}
    assert [r["id"] for r in export.resources] == ["p1"]
    assert export.rejected[0]["resource_type"] == "Observation"
    assert export.rejected[0]["id"] == "o1"
    assert "valueQuantity" in export.rejected[0]["problem"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("a.json", b"this is not json")], "is not JSON"),
        ([("a.json", b"\x00\x01binary")], "is not JSON"),
        ([("a.json", json.dumps(PATIENT).encode())], "is a Patient, not a FHIR Bundle"),
        ([("a.json", b"[1, 2]")], "not a FHIR Bundle"),
        ([("a.json", bundle(PATIENT, kind="document").replace(b'"document"', b'"history2"'))], "holds no records"),
        ([("a.json", bundle())], "holds no FHIR resources"),
        (
            [("a.json", bundle(PATIENT, {"resourceType": "Patient", "id": "p2", "gender": "male"}))],
            "holds 2 patients",
        ),
        ([("a.ndjson", b'{"resourceType": "Patient", "id": "p1"}\n{"id": "no type"}\n')], "has no resourceType"),
        ([("a.ndjson", b'{"resourceType": "Patient", "id": "p1"}\n{broken\n')], "Line 2 of a.ndjson is not JSON"),
        ([], "Choose a FHIR Bundle"),
        ([("a.json", bundle(PATIENT)), ("b.ndjson", b'{"resourceType": "Patient", "id": "p1"}\n')], "not both"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(files, message):
    assert message in refused(files)
