"""Importing FHIR into a screening: a real Synthea bundle prefills each field from the resource it came from; a typed
value is never overwritten; each prefilled section is confirmed before evaluation; bad files save nothing."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ehr import services
from ehr.models import EhrImport, EhrValue
from screening.audit import audit_entries
from screening.models import Screening
from screening.services import screening_evaluate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
TOM = FIXTURES / "synthea_tom_goodwin.json"


@pytest.fixture
def tom(screening_for):
    """A draft screening of the Synthea patient Tom Goodwin (born 1968-04-30, male), four weeks after his last labs."""
    return screening_for(initials="TG", birth_date=date(1968, 4, 30), sex="male", screening_date=date(2020, 6, 9))


def run_import(screening, user, path=TOM):
    return services.ehr_import(screening=screening, user=user, files=[(path.name, path.read_bytes())])


def resources_by_id(path=TOM):
    return {entry["resource"]["id"]: entry["resource"] for entry in json.loads(path.read_text())["entry"]}


def test_each_prefilled_field_is_the_value_of_the_resource_it_came_from(tom, coordinator):
    record = run_import(tom, coordinator)
    resources = resources_by_id()
    screening = Screening.objects.get(pk=tom.pk)
    labs = {lab.analyte.code: lab for lab in screening.labs.select_related("analyte")}
    prefilled = list(record.values.filter(use="prefilled"))
    assert {value.field for value in prefilled} >= {"lab:platelets", "lab:wbc", "lab:alt", "lab:ast", "weight_kg"}
    for value in prefilled:
        resource = resources[value.source["id"]]
        assert value.source["resource_type"] == resource["resourceType"]
        kind, _, code = value.field.partition(":")
        if kind == "lab":
            quantity = resource["valueQuantity"]
            assert labs[code].value == Decimal(str(quantity["value"])).quantize(Decimal("0.0001"))
            assert labs[code].collected_on.isoformat() == resource["effectiveDateTime"][:10]
        elif kind == "weight_kg":
            assert screening.weight_kg == Decimal(str(resource["valueQuantity"]["value"])).quantize(Decimal("0.1"))
        elif kind == "blood_pressure":
            parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in resource["component"]}
            reading = screening.blood_pressures.get(taken_on=resource["effectiveDateTime"][:10])
            assert (reading.systolic, reading.diastolic) == (round(parts["8480-6"]), round(parts["8462-4"]))
    # The most recent in the window: the labs of 2020-05-12, not those of 2016; nothing after the screening date.
    assert labs["platelets"].collected_on == date(2020, 5, 12)
    assert not record.values.filter(use="prefilled", on__gt=tom.screening_date).exists()
    assert record.values.filter(field="lab:platelets", use="candidate").exists()  # 2016's, one click away


def test_the_import_is_recorded_with_its_hash_and_counts_and_the_file_is_not_kept(tom, coordinator, administrator):
    record = run_import(tom, coordinator)
    assert len(record.file_sha256) == 64
    assert record.resources == 154
    assert record.not_used["Claim"] == 2
    assert record.mapped["lab"] >= 7
    assert not any(Path(p).name == TOM.name for p in Path(".").glob("media/**/*"))
    trail = [entry for entry in audit_entries(tom, user=administrator) if entry["kind"] == "EHR import"]
    assert trail[0]["changes"][0] == ("SHA-256", "", record.file_sha256)


def test_a_typed_value_is_never_overwritten_and_the_conflict_is_kept(tom, coordinator):
    Screening.objects.filter(pk=tom.pk).update(weight_kg=Decimal("70.0"))
    record = run_import(tom, coordinator)
    assert Screening.objects.get(pk=tom.pk).weight_kg == Decimal("70.0")
    conflict = record.values.get(field="weight_kg", use="conflict")
    assert conflict.value["value"].startswith("86.8")


def test_the_sections_it_prefilled_are_confirmed_before_evaluation(tom, coordinator):
    run_import(tom, coordinator)
    with pytest.raises(ValidationError, match=r"Confirm the values prefilled from the EHR first: .*Labs"):
        screening_evaluate(screening=tom)
    for section in services_sections(tom):
        services.ehr_section_confirm(screening=tom, section=section, user=coordinator)
    screening, _ = screening_evaluate(screening=tom)
    assert screening.status == "evaluated"


def services_sections(screening):
    return set(EhrValue.objects.filter(screening=screening, use="prefilled").values_list("section", flat=True))


def test_a_bulk_ndjson_set_is_imported(screening_for, coordinator):
    screening = screening_for(initials="BK", birth_date=date(1963, 7, 15), sex="female")
    folder = FIXTURES / "bulk_one_patient"
    record = services.ehr_import(
        screening=screening, user=coordinator, files=[(p.name, p.read_bytes()) for p in sorted(folder.glob("*.ndjson"))]
    )
    assert record.resources == 213
    assert record.values.exists()


def bundle_bytes(*resources):
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    ).encode()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("x.json", b"not json")], "is not JSON"),
        ([("x.json", json.dumps({"resourceType": "Patient"}).encode())], "not a FHIR Bundle"),
        (
            [("x.json", bundle_bytes({"resourceType": "Patient", "id": "a"}, {"resourceType": "Patient", "id": "b"}))],
            "2 patients",
        ),
        (
            [("x.json", bundle_bytes({"resourceType": "Patient", "id": "a", "birthDate": "1950-01-01"}))],
            "another date of birth",
        ),
    ],
)
def test_a_bad_file_saves_nothing(tom, coordinator, files, message):
    with pytest.raises(ValidationError, match=message):
        services.ehr_import(screening=tom, user=coordinator, files=files)
    assert not EhrImport.objects.exists()
    assert not EhrValue.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(client_for, coordinator, tom, settings):
    settings.EHR_IMPORT_MAX_BYTES = 1024 * 1024
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.json", b" " * (1024 * 1024 + 1), content_type="application/json")
    response = client_for(coordinator).post(reverse("ehr:import", args=[tom.pk]), {"file": big}, follow=True)
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()
    assert not EhrImport.objects.exists()


def test_a_50_mb_upload_is_a_clear_error_not_a_500(client_for, coordinator, tom):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.json", b"{" + b" " * (50 * 1024 * 1024), content_type="application/json")
    response = client_for(coordinator).post(reverse("ehr:import", args=[tom.pk]), {"file": big}, follow=True)
    assert response.status_code == 200
    assert "the limit is 20 MB" in response.content.decode()


def test_an_observation_with_no_value_is_reported_not_imported(tom, coordinator):
    empty = {
        "resourceType": "Observation",
        "id": "no-value",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
        "effectiveDateTime": "2020-06-01",
    }
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1968-04-30", "gender": "male"}
    record = services.ehr_import(screening=tom, user=coordinator, files=[("x.json", bundle_bytes(patient, empty))])
    assert [problem["id"] for problem in record.problems] == ["no-value"]
    assert not Screening.objects.get(pk=tom.pk).labs.exists()


def test_nothing_is_imported_into_a_signed_screening(evaluated_signed, coordinator):
    with pytest.raises(ValidationError, match="signed"):
        run_import(evaluated_signed, coordinator)


PATIENT = {"resourceType": "Patient", "id": "p", "birthDate": "1968-04-30", "gender": "male"}


def platelets(value, unit="10*3/uL", day="2020-06-01"):
    return {
        "resourceType": "Observation",
        "id": f"plt-{value}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}], "text": "Platelets"},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


@pytest.mark.parametrize(("value", "status"), [(99.9, "not_met"), (100, "met"), (100.1, "met")])
def test_a_lab_at_the_threshold_in_another_unit_is_judged_as_typed(tom, coordinator, value, status):
    """IN17 wants platelets >= 100,000/mm3; the EHR writes 10*3/uL (x 1,000)."""
    services.ehr_import(screening=tom, user=coordinator, files=[("b.json", bundle_bytes(PATIENT, platelets(value)))])
    lab = Screening.objects.get(pk=tom.pk).labs.get(analyte__code="platelets")
    assert (lab.value, lab.unit) == (Decimal(str(value)), "10^3/uL")
    services.ehr_section_confirm(screening=tom, section="labs", user=coordinator)
    screening_evaluate(screening=tom)
    assert Screening.objects.get(pk=tom.pk).outcomes.get(code="IN17").status == status


def warfarin(status, ended):
    return {
        "resourceType": "MedicationStatement",
        "id": f"warfarin-{status}",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "855332"}],
            "text": "Warfarin Sodium 5 MG Oral Tablet",
        },
        "effectivePeriod": {"start": "2019-01-10", "end": ended},
        "dosage": [{"text": "5 mg daily"}],
    }


def test_a_stopped_anticoagulant_is_listed_as_stopped_and_an_old_one_is_only_a_candidate(tom, coordinator):
    recent, old = warfarin("stopped", "2020-06-01"), warfarin("completed", "2020-01-01")
    old["id"] = "warfarin-old"
    services.ehr_import(screening=tom, user=coordinator, files=[("b.json", bundle_bytes(PATIENT, recent, old))])
    medications = list(Screening.objects.get(pk=tom.pk).medications.all())
    assert [(m.name, m.active) for m in medications] == [("Warfarin Sodium 5 MG Oral Tablet", False)]
    assert EhrValue.objects.get(source__id="warfarin-old").use == "candidate"


def test_the_command_imports_a_file_into_a_screening(tom, coordinator):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_fhir", tom.number, str(TOM), user=coordinator.username, stdout=out)
    assert "154 resources" in out.getvalue()
    assert (
        EhrImport.objects.get().description == "FHIR Bundle (1 file)"
    )  # never the file's name: it holds the patient's


def test_the_command_refuses_what_it_cannot_import(tom, coordinator, tmp_path):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("import_fhir", tom.number, str(bad), user=coordinator.username)
    with pytest.raises(CommandError, match="No screening"):
        call_command("import_fhir", "SCR-9999-9", str(TOM), user=coordinator.username)
    with pytest.raises(CommandError, match="may enter screenings"):
        call_command("import_fhir", tom.number, str(TOM), user="nobody")
    assert not EhrImport.objects.exists()


def test_a_resource_the_library_rejects_gives_no_value_and_is_reported(tom, coordinator):
    broken = platelets(250) | {"id": "broken", "issued": "not a date"}
    good = platelets(260, day="2020-05-30") | {"id": "good"}
    record = services.ehr_import(
        screening=tom, user=coordinator, files=[("b.json", bundle_bytes(PATIENT, broken, good))]
    )
    assert [(p["id"], "issued" in p["problem"]) for p in record.problems] == [("broken", True)]
    assert Screening.objects.get(pk=tom.pk).labs.get().value == Decimal("260")


def test_the_panel_and_the_pdf_name_each_value_as_the_form_does(client_for, tom, coordinator):
    from io import BytesIO

    from django.utils import timezone
    from pypdf import PdfReader

    from screening.pdf import render_report
    from screening.selectors import screening_with_outcomes

    run_import(tom, coordinator)
    page = client_for(coordinator).get(reverse("screening:edit", args=[tom.pk])).content.decode()
    assert "<strong>Platelet count</strong>" in page
    assert "<strong>Weight</strong>" in page
    _, _, pdf = render_report(screening_with_outcomes(pk=tom.pk), generated_by=coordinator, generated_at=timezone.now())
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Values from the EHR" in text
    assert "Platelet count" in text[text.index("Values from the EHR") :]
