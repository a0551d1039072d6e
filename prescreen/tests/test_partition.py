"""Reading a bulk export into chunks: streamed, grouped by patient, only the types the criteria use kept."""

import json
import zipfile

import pytest
from django.core.exceptions import ValidationError

from prescreen.partition import partition, sources_from_paths


def patient(key, **extra):
    return {"resourceType": "Patient", "id": key, "birthDate": "1960-01-01", "gender": "female", **extra}


def observation(key, subject, **extra):
    return {"resourceType": "Observation", "id": key, "status": "final", "subject": subject, **extra}


def write(folder, name, resources):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in resources))


def lines_of(found):
    return {number: [json.loads(line) for line in records.splitlines()] for number, _, records in found.chunk_records()}


def test_patients_are_numbered_in_chunks_and_their_records_follow_them(tmp_path):
    folder = tmp_path / "export"
    write(folder, "Patient.ndjson", [patient(f"p{i}") for i in range(5)])
    write(folder, "Observation.ndjson", [observation(f"o{i}", {"reference": f"Patient/p{i % 5}"}) for i in range(10)])
    found = partition(sources_from_paths([folder]), chunk_size=2, directory=tmp_path / "work")
    assert dict(found.per_chunk) == {0: 2, 1: 2, 2: 1}
    chunks = lines_of(found)
    assert [r["id"] for r in chunks[0]] == ["p0", "p1", "o0", "o1", "o5", "o6"]
    assert [r["id"] for r in chunks[2]] == ["p4", "o4", "o9"]
    assert (found.resources_read, found.resources_kept) == (15, 15)


def test_types_no_criterion_uses_are_counted_not_kept(tmp_path):
    folder = tmp_path / "export"
    write(folder, "Patient.ndjson", [patient("p1")])
    write(
        folder,
        "Claim.ndjson",
        [{"resourceType": "Claim", "id": f"c{i}", "patient": {"reference": "Patient/p1"}} for i in range(3)],
    )
    found = partition(sources_from_paths([folder]), chunk_size=10, directory=tmp_path / "work")
    assert found.types["Claim"] == 3
    assert [r["resourceType"] for r in lines_of(found)[0]] == ["Patient"]


def test_references_written_otherwise_are_read_from_the_parsed_resource(tmp_path):
    """A reference with its display first, a urn:uuid, a full URL: each reaches its patient."""
    folder = tmp_path / "export"
    write(folder, "Patient.ndjson", [patient("p1"), patient("p2"), patient("p3")])
    write(
        folder,
        "Observation.ndjson",
        [
            observation("a", {"display": "Ann {x}", "reference": "Patient/p1"}),
            observation("b", {"reference": "urn:uuid:p2"}),
            observation("c", {"reference": "https://ehr.example.org/fhir/Patient/p3"}),
        ],
    )
    chunks = lines_of(partition(sources_from_paths([folder]), chunk_size=1, directory=tmp_path / "work"))
    assert [[r["id"] for r in chunks[n]] for n in range(3)] == [["p1", "a"], ["p2", "b"], ["p3", "c"]]


def test_records_of_unknown_or_no_patient_and_duplicates_are_left_out_and_counted(tmp_path):
    folder = tmp_path / "export"
    write(folder, "Patient.ndjson", [patient("p1"), patient("p1")])
    write(folder, "Observation.ndjson", [observation("a", {"reference": "Patient/nobody"}), observation("b", None)])
    found = partition(sources_from_paths([folder]), chunk_size=5, directory=tmp_path / "work")
    assert dict(found.problems) == {
        "Patients listed twice (the second left out)": 1,
        "Observation resources of a patient not in the Patient file": 1,
        "Observation resources that name no patient": 1,
    }
    assert [r["id"] for r in lines_of(found)[0]] == ["p1"]


def test_a_zip_of_the_export_is_read_member_by_member(tmp_path):
    folder = tmp_path / "export"
    write(folder, "Patient.ndjson", [patient("p1")])
    write(folder, "Observation.ndjson", [observation("a", {"reference": "Patient/p1"})])
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.iterdir():
            zipped.write(path, f"bulk/{path.name}")
    found = partition(sources_from_paths([archive]), chunk_size=5, directory=tmp_path / "work")
    assert [r["id"] for r in lines_of(found)[0]] == ["p1", "a"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no NDJSON files"),
        ({"Observation.ndjson": '{"resourceType": "Observation", "id": "a"}\n'}, "holds no Patient resources"),
        ({"Patient.ndjson": "not json\n"}, "is not NDJSON"),
        ({"Patient.ndjson": '{"id": "p1"}\n'}, "does not hold FHIR resources"),
    ],
)
def test_an_export_that_cannot_be_read_is_refused_at_the_field(tmp_path, files, message):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(ValidationError) as refused:
        partition(sources_from_paths([folder]), chunk_size=5, directory=tmp_path / "work")
    assert message in refused.value.message_dict["files"][0]


def test_a_zip_that_unpacks_past_the_limit_is_refused_before_it_is_read(tmp_path, settings):
    settings.PRESCREEN_UPLOAD_MAX_BYTES = 1000
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("Patient.ndjson", json.dumps(patient("p1")) + "\n" + " " * 5000 + "\n")
    with pytest.raises(ValidationError) as refused:
        sources_from_paths([archive])
    assert "the limit is" in refused.value.message_dict["files"][0]
