"""HL7 US Core's example resources (fixtures/fhir/us_core/, unchanged copies from HL7/US-Core input/examples), mapped
as an EHR writes them: a lab, a second lab, a blood pressure panel and one with a component's data absent, a body
weight, a pregnancy status, a coded and a referenced MedicationRequest, a condition no criterion uses."""

import json
from pathlib import Path

from ehr.mapping import MappingContext, map_resources
from ehr.tests.test_mapping_observations import VOCABULARY_LOINC, units

US_CORE = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "us_core"
CONTEXT = MappingContext(loinc=VOCABULARY_LOINC, units=units, match_drug=lambda text: ["nizatidine"])


def mapped(*names):
    return map_resources([json.loads((US_CORE / f"{name}.json").read_text()) for name in names], CONTEXT)


def test_us_core_labs_with_their_units_and_dates():
    found = {f.field: f for f in mapped("observation-cbc-platelets", "observation-serum-creatinine").found}
    assert found["lab:platelets"].value["value"] == "200"
    assert found["lab:platelets"].value["unit"] == "10^3/uL"
    assert found["lab:platelets"].on == "2005-07-05"
    assert found["lab:creatinine"].value["unit"] == "mg/dL"
    assert found["lab:creatinine"].value["uln"] is not None  # referenceRange.high


def test_us_core_blood_pressure_and_one_with_a_component_absent():
    result = mapped("blood-pressure", "bp-data-absent")
    readings = [f for f in result.found if f.field == "blood_pressure"]
    assert [(r.value["systolic"], r.value["diastolic"]) for r in readings] == [(109, 44)]
    assert [p["id"] for p in result.problems] == ["bp-data-absent"]


def test_us_core_weight_and_pregnancy_status():
    found = {f.field: f for f in mapped("weight", "observation-pregnancy-status").found}
    assert found["weight_kg"].value == {"value": "20.1"}
    assert found["answer:pregnant"].value == {"value": True}
    assert found["answer:pregnant"].source["value"] == "Pregnant"


def test_us_core_medication_requests_coded_and_referenced():
    result = mapped("medicationrequest-coded-oral-axid", "medicationrequest-referenced-oral-axid")
    medications = [f for f in result.found if f.field == "medication"]
    assert [(m.value["name"], m.value["rxnorm"], m.value["active"]) for m in medications] == [
        ("Nizatidine 15 MG/ML Oral Solution", "476872", True)
    ]
    assert [p["id"] for p in result.problems] == ["medicationrequest-referenced-oral-axid"]  # never fetched


def test_us_core_patient_and_an_unused_condition():
    result = mapped("patient-example", "condition-duodenal-ulcer")
    # This example states its sex only in the birth-sex extension, not as administrative gender: no sex is read.
    assert {f.field: f.value["value"] for f in result.found} == {"birth_date": "1987-02-20"}
    assert sum(result.not_used.values()) == 1
