"""The Observation mapper: labs, blood pressure, body weight, ECOG, pregnancy tests."""

import json
from pathlib import Path

import pytest

from ehr.mapping import MappingContext, map_resources
from ehr.mapping.observations import ALTERNATE_LOINC, LAB_NAMES

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

# The vocabulary's LOINC codes (fixtures/labs.json), as the lead's mapping_context passes them.
VOCABULARY_LOINC = {
    "6690-2": "wbc",
    "751-8": "anc",
    "777-3": "platelets",
    "2093-3": "cholesterol",
    "2571-8": "triglycerides",
    "1975-2": "bilirubin",
    "2160-0": "creatinine",
    "1920-8": "ast",
    "1742-6": "alt",
    "6301-6": "inr",
    "2164-2": "creatinine_clearance",
    "770-8": "neutrophils_pct",
}
ACCEPTED_UNITS = {
    "platelets": {"10*3/uL": "10^3/uL", "10^9/L": "10^9/L", "/uL": "/uL"},
    "wbc": {"10*3/uL": "10^3/uL"},
    "creatinine": {"mg/dL": "mg/dL", "umol/L": "umol/L", "µmol/L": "umol/L"},
    "cholesterol": {"mg/dL": "mg/dL", "mmol/L": "mmol/L"},
    "inr": {"{INR}": "ratio"},
}


def units(analyte, written):
    return ACCEPTED_UNITS.get(analyte, {}).get(written)


CONTEXT = MappingContext(loinc=VOCABULARY_LOINC, units=units, match_drug=lambda text: [])


def obs(code, value=None, unit=None, *, system=LOINC, display=None, when="2024-03-01T09:30:00+01:00", **fields):
    resource = {
        "resourceType": "Observation",
        "id": fields.pop("id", "o1"),
        "status": fields.pop("status", "final"),
        "code": {"coding": [{"system": system, "code": code, **({"display": display} if display else {})}]},
    }
    if when:
        resource["effectiveDateTime"] = when
    if value is not None:
        resource["valueQuantity"] = {"value": value, **({"unit": unit, "system": UCUM, "code": unit} if unit else {})}
    resource.update(fields)
    return resource


def component(code, value, unit="mm[Hg]"):
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": {"value": value, "unit": unit}}


def mapped(*resources, context=CONTEXT):
    return map_resources(list(resources), context)


def only(result):
    assert result.problems == []
    assert len(result.found) == 1, result.found
    return result.found[0]


def problems(result):
    return [p["problem"] for p in result.problems]


# Labs


def test_a_lab_by_the_vocabularys_loinc_code():
    item = only(mapped(obs("777-3", 152, "10*3/uL", display="Platelets [#/volume] in Blood by Automated count")))
    assert item.field == "lab:platelets"
    assert item.value == {"value": "152", "unit": "10^3/uL", "uln": None, "collected_on": "2024-03-01"}
    assert item.on == "2024-03-01"
    assert item.source == {
        "resource_type": "Observation",
        "id": "o1",
        "date": "2024-03-01T09:30:00+01:00",
        "code": "http://loinc.org|777-3",
        "text": "Platelets [#/volume] in Blood by Automated count",
        "unit": "10*3/uL",
        "value": "152",
    }


@pytest.mark.parametrize(
    ("code", "analyte"),
    [("26515-7", "platelets"), ("778-1", "platelets"), ("26464-8", "wbc"), ("38483-4", "creatinine")],
)
def test_a_lab_by_an_alternate_loinc_code(code, analyte):
    unit = "10*3/uL" if analyte != "creatinine" else "mg/dL"
    assert only(mapped(obs(code, 1.2, unit))).field == f"lab:{analyte}"


def test_an_alternate_code_counts_only_for_an_analyte_the_vocabulary_has():
    without_cholesterol = MappingContext(loinc={"777-3": "platelets"}, units=units, match_drug=lambda text: [])
    result = mapped(obs("14647-2", 5.1, "mmol/L"), context=without_cholesterol)
    assert result.found == []
    assert result.not_used == {"Observation (other codes)": 1}


def test_the_vocabularys_code_wins_over_an_alternate():
    context = MappingContext(loinc={"26515-7": "wbc"}, units=units, match_drug=lambda text: [])
    assert only(mapped(obs("26515-7", 6.1, "10*3/uL"), context=context)).field == "lab:wbc"


def test_the_alternate_table_names_only_vocabulary_analytes_and_agrees_with_its_codes():
    labs = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "labs.json").read_text())
    vocabulary = {row["fields"]["loinc"]: row["fields"]["code"] for row in labs if row["model"] == "trials.analyte"}
    assert set(ALTERNATE_LOINC.values()) | set(LAB_NAMES.values()) <= set(vocabulary.values())
    assert vocabulary == VOCABULARY_LOINC
    for code, analyte in vocabulary.items():
        assert ALTERNATE_LOINC.get(code, analyte) == analyte


def test_a_lab_by_name_when_it_has_no_loinc_code():
    resource = obs("PLT", 210, "10^9/L", system="http://lab.example.org/codes", display="Platelet count")
    item = only(mapped(resource))
    assert item.field == "lab:platelets"
    assert item.value["unit"] == "10^9/L"
    assert item.source["code"] == "http://lab.example.org/codes|PLT"


def test_a_lab_by_its_text_alone():
    resource = obs("x", 0.9, "mg/dL", system="urn:local")
    resource["code"] = {"text": "  Serum   Creatinine "}
    assert only(mapped(resource)).field == "lab:creatinine"


def test_a_name_is_not_read_when_a_loinc_code_says_something_else():
    result = mapped(obs("2161-8", 120, "mg/dL", display="Creatinine"))  # Creatinine in Urine
    assert result.found == []
    assert result.not_used == {"Observation (other codes)": 1}


def test_creatinine_in_another_unit_keeps_the_value_as_written():
    in_umol = only(mapped(obs("14682-9", 88, "umol/L")))
    in_mg = only(mapped(obs("2160-0", 1.0, "mg/dL")))
    assert in_umol.field == in_mg.field == "lab:creatinine"
    assert in_umol.value["value"] == "88"
    assert in_umol.value["unit"] == "umol/L"
    assert in_mg.value["value"] == "1.0"
    assert in_mg.value["unit"] == "mg/dL"


def test_the_unit_is_named_as_the_form_accepts_it():
    resource = obs("2160-0", 90, None)
    resource["valueQuantity"] = {"value": 90, "unit": "µmol/L", "system": UCUM, "code": "umol/L"}
    item = only(mapped(resource))
    assert item.value["unit"] == "umol/L"
    assert item.source["unit"] == "µmol/L"


def test_the_ucum_code_is_tried_when_the_unit_as_written_is_not_known():
    resource = obs("6301-6", 1.1, None)
    resource["valueQuantity"] = {"value": 1.1, "unit": "ratio (INR)", "system": UCUM, "code": "{INR}"}
    assert only(mapped(resource)).value["unit"] == "ratio"


def test_a_unit_not_recognised_is_a_problem():
    result = mapped(obs("777-3", 152, "cells/hpf"))
    assert result.found == []
    assert result.problems == [
        {"resource_type": "Observation", "id": "o1", "problem": "unit cells/hpf not recognised for platelets"}
    ]


def test_a_lab_with_no_unit():
    result = mapped(obs("6301-6", 1.1, None))
    assert problems(result) == ["unit (none) not recognised for inr"]


def test_a_lab_with_no_value_is_a_problem():
    result = mapped(obs("777-3"))
    assert result.found == []
    assert problems(result) == ["platelets: no value"]


def test_a_lab_with_a_data_absent_reason_is_a_problem():
    absent = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}]}
    result = mapped(obs("777-3", dataAbsentReason=absent))
    assert problems(result) == ["platelets: no value (data absent: error)"]


def test_a_lab_with_a_string_value_is_a_problem():
    result = mapped(obs("777-3", valueString="clumped, see smear"))
    assert problems(result) == ["platelets: no value as a quantity (it has valueString)"]


def test_a_lab_with_a_comparator_is_a_problem():
    resource = obs("1975-2", None)
    resource["valueQuantity"] = {"value": 0.2, "comparator": "<", "unit": "mg/dL"}
    assert problems(mapped(resource)) == ["bilirubin: the value is <0.2, not an exact value"]


def test_the_reference_range_high_is_the_uln():
    resource = obs(
        "1920-8",
        41,
        "U/L",
        referenceRange=[{"low": {"value": 10, "unit": "U/L"}, "high": {"value": 40.0, "unit": "U/L"}}],
    )
    assert only(mapped(resource, context=_with_units("ast", "U/L"))).value["uln"] == "40.0"


def test_a_reference_range_in_another_unit_gives_no_uln():
    resource = obs("2160-0", 88, "umol/L", referenceRange=[{"high": {"value": 1.2, "unit": "mg/dL"}}])
    assert only(mapped(resource)).value["uln"] is None


def test_a_reference_range_without_high_gives_no_uln():
    resource = obs("2160-0", 1.0, "mg/dL", referenceRange=[{"low": {"value": 0.6, "unit": "mg/dL"}}])
    assert only(mapped(resource)).value["uln"] is None


def test_tiny_and_huge_values_are_decimal_strings():
    item = only(mapped(obs("777-3", 1e-05, "10*3/uL")))
    assert item.value["value"] == "0.00001"


def test_the_date_falls_back_to_the_period_start_then_issued():
    period = obs("777-3", 150, "10*3/uL", when=None, effectivePeriod={"start": "2024-02-01T08:00:00Z"})
    issued = obs("777-3", 150, "10*3/uL", when=None, issued="2024-02-02T08:00:00Z")
    undated = obs("777-3", 150, "10*3/uL", when=None)
    assert [f.on for f in mapped(period, issued, undated).found] == ["2024-02-01", "2024-02-02", None]


@pytest.mark.parametrize(("status", "why"), [("entered-in-error", "entered in error"), ("cancelled", "cancelled")])
def test_an_observation_entered_in_error_or_cancelled_is_skipped(status, why):
    result = mapped(obs("777-3", 152, "10*3/uL", status=status))
    assert result.found == []
    assert result.problems == []
    assert result.not_used == {f"Observation ({why})": 1}


def test_other_codes_are_counted():
    result = mapped(obs("72514-3", 4, "{score}"), obs("8302-2", 180, "cm"))
    assert result.found == []
    assert result.not_used == {"Observation (other codes)": 2}


def _with_units(analyte, unit):
    return MappingContext(
        loinc=VOCABULARY_LOINC,
        units=lambda a, written: unit if (a, written) == (analyte, unit) else None,
        match_drug=lambda text: [],
    )


# Blood pressure


def test_a_blood_pressure_panel():
    panel = obs("85354-9", component=[component("8480-6", 128.6), component("8462-4", 84.4)])
    item = only(mapped(panel))
    assert item.field == "blood_pressure"
    assert item.value == {"taken_on": "2024-03-01", "systolic": 129, "diastolic": 84}
    assert item.on == "2024-03-01"
    assert item.source["value"] == "128.6/84.4"
    assert item.source["unit"] == "mm[Hg]"


def test_a_panel_with_one_component_missing_is_a_problem():
    result = mapped(obs("85354-9", component=[component("8480-6", 128)]))
    assert result.found == []
    assert problems(result) == ["blood pressure panel: diastolic missing"]


def test_a_panel_with_a_component_without_value_is_a_problem():
    empty = {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "dataAbsentReason": {"text": "refused"}}
    result = mapped(obs("85354-9", component=[component("8480-6", 128), empty]))
    assert problems(result) == ["blood pressure panel: diastolic no value"]


def test_a_panel_in_another_unit_is_a_problem():
    result = mapped(obs("85354-9", component=[component("8480-6", 17, "kPa"), component("8462-4", 11, "kPa")]))
    assert problems(result) == [
        "blood pressure panel: systolic the unit is kPa, not mm[Hg], diastolic the unit is kPa, not mm[Hg]"
    ]


def test_an_undated_panel_is_a_problem():
    result = mapped(obs("85354-9", when=None, component=[component("8480-6", 120), component("8462-4", 80)]))
    assert problems(result) == ["blood pressure reading has no date"]


def test_separate_systolic_and_diastolic_taken_together_are_paired():
    systolic = obs("8480-6", 141, "mm[Hg]", id="s1", when="2024-03-01T09:30:00Z")
    diastolic = obs("8462-4", 92, "mm[Hg]", id="d1", when="2024-03-01T09:30:00+00:00")
    other_time = obs("8480-6", 150, "mm[Hg]", id="s2", when="2024-03-01T10:30:00Z")
    result = mapped(systolic, diastolic, other_time)
    assert [(f.field, f.value) for f in result.found] == [
        ("blood_pressure", {"taken_on": "2024-03-01", "systolic": 141, "diastolic": 92})
    ]
    assert result.found[0].source["id"] == "s1"
    assert result.found[0].source["also"] == ["d1"]
    assert result.problems == [
        {
            "resource_type": "Observation",
            "id": "s2",
            "problem": "systolic blood pressure with no diastolic taken at the same time (2024-03-01T10:30:00Z)",
        }
    ]


# Body weight


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [(165, "[lb_av]", "74.8"), (72.35, "kg", "72.4"), (70049, "g", "70.0"), (97.21355749214675, "kg", "97.2")],
)
def test_body_weight_in_kg_to_one_decimal(value, unit, kg):
    item = only(mapped(obs("29463-7", value, unit)))
    assert item.field == "weight_kg"
    assert item.value == {"value": kg}
    assert item.source["unit"] == unit


def test_body_weight_in_pounds_as_written():
    resource = obs("3141-9", None)
    resource["valueQuantity"] = {"value": 200, "unit": "lbs"}
    assert only(mapped(resource)).value == {"value": "90.7"}


def test_body_weight_in_an_unknown_unit_is_a_problem():
    result = mapped(obs("29463-7", 11, "[stone_av]"))
    assert problems(result) == ["body weight in [stone_av]: not a unit of weight the import reads"]


# ECOG


def test_ecog_as_an_integer():
    item = only(mapped(obs("89247-1", valueInteger=1)))
    assert (item.field, item.value) == ("ecog", {"value": 1})


@pytest.mark.parametrize(
    ("system", "code", "grade"), [(LOINC, "LA9624-3", 2), (LOINC, "LA9622-7", 0), (SNOMED, "423053003", 3)]
)
def test_ecog_as_an_answer_code(system, code, grade):
    answer = {"coding": [{"system": system, "code": code, "display": "as coded"}]}
    item = only(mapped(obs("89247-1", valueCodeableConcept=answer)))
    assert item.value == {"value": grade}
    assert item.source["value"] == "as coded"


def test_ecog_with_an_unknown_answer_is_a_problem():
    answer = {"coding": [{"system": LOINC, "code": "LA29175-9"}], "text": "Karnofsky 100"}
    result = mapped(obs("89247-1", valueCodeableConcept=answer))
    assert problems(result) == ["ECOG: the answer Karnofsky 100 is not an ECOG grade the import reads"]


@pytest.mark.parametrize("value", [7, -1])
def test_ecog_out_of_range_is_a_problem(value):
    assert problems(mapped(obs("89247-1", valueInteger=value))) == [f"ECOG: {value} is not a grade from 0 to 5"]


def test_ecog_with_no_value_is_a_problem():
    assert problems(mapped(obs("89247-1"))) == ["ECOG: no value"]


# Pregnancy tests


def test_a_positive_pregnancy_test():
    answer = {"coding": [{"system": SNOMED, "code": "10828004", "display": "Positive"}]}
    item = only(mapped(obs("2106-3", valueCodeableConcept=answer)))
    assert (item.field, item.value, item.on) == ("answer:pregnancy_test", {"value": "positive"}, "2024-03-01")
    assert item.source["value"] == "Positive"


def test_a_negative_serum_test_as_a_string():
    item = only(mapped(obs("2118-8", valueString=" NEGATIVE ")))
    assert item.value == {"value": "negative"}


def test_a_negative_test_coded_in_loinc_answers():
    answer = {"coding": [{"system": LOINC, "code": "LA6577-6"}]}
    assert only(mapped(obs("2112-1", valueCodeableConcept=answer))).value == {"value": "negative"}


def test_a_quantitative_hcg_is_not_a_pregnancy_test_here():
    result = mapped(obs("19080-1", 3, "m[IU]/mL"))
    assert result.found == []
    assert result.not_used == {"Observation (other codes)": 1}


def test_an_unreadable_pregnancy_result_is_a_problem():
    result = mapped(obs("2106-3", valueString="equivocal"))
    assert problems(result) == ["pregnancy test: the result equivocal is neither positive nor negative"]


# Real Synthea Observations, from the R4 bundle R4/SYNTHEA/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json
# in smart-on-fhir/generated-sample-data (trimmed: subject, encounter and meta removed).
SYNTHEA_BLOOD_PRESSURE = {
    "resourceType": "Observation",
    "id": "de10268f-e640-4389-8dd9-936a2b4ea19f",
    "status": "final",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "vital-signs",
                    "display": "vital-signs",
                }
            ]
        }
    ],
    "code": {"coding": [{"system": LOINC, "code": "55284-4", "display": "Blood Pressure"}], "text": "Blood Pressure"},
    "effectiveDateTime": "2000-12-24T03:11:33+00:00",
    "issued": "2000-12-24T03:11:33.548+00:00",
    "component": [
        {
            "code": {
                "coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic Blood Pressure"}],
                "text": "Diastolic Blood Pressure",
            },
            "valueQuantity": {"value": 83.19510099790311, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
        },
        {
            "code": {
                "coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic Blood Pressure"}],
                "text": "Systolic Blood Pressure",
            },
            "valueQuantity": {"value": 135.17250096296956, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
        },
    ],
}
SYNTHEA_WEIGHT = {
    "resourceType": "Observation",
    "id": "4690cb56-69b6-4e57-830e-a5a4f949a08d",
    "status": "final",
    "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body Weight"}], "text": "Body Weight"},
    "effectiveDateTime": "2000-12-24T03:11:33+00:00",
    "issued": "2000-12-24T03:11:33.548+00:00",
    "valueQuantity": {"value": 97.21355749214675, "unit": "kg", "system": UCUM, "code": "kg"},
}
SYNTHEA_CHOLESTEROL = {
    "resourceType": "Observation",
    "id": "b1463b56-7cb9-4a7c-be9b-b5061141a801",
    "status": "final",
    "code": {
        "coding": [{"system": LOINC, "code": "2093-3", "display": "Total Cholesterol"}],
        "text": "Total Cholesterol",
    },
    "effectiveDateTime": "2000-12-24T03:11:33+00:00",
    "issued": "2000-12-24T03:11:33.548+00:00",
    "valueQuantity": {"value": 178.62208421825676, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"},
}


def test_synthea_vital_signs_and_a_lab():
    result = mapped(SYNTHEA_BLOOD_PRESSURE, SYNTHEA_WEIGHT, SYNTHEA_CHOLESTEROL)
    assert result.problems == []
    assert [(f.field, f.value, f.on) for f in result.found] == [
        ("blood_pressure", {"taken_on": "2000-12-24", "systolic": 135, "diastolic": 83}, "2000-12-24"),
        ("weight_kg", {"value": "97.2"}, "2000-12-24"),
        (
            "lab:cholesterol",
            {"value": "178.62208421825676", "unit": "mg/dL", "uln": None, "collected_on": "2000-12-24"},
            "2000-12-24",
        ),
    ]
    assert result.found[2].source == {
        "resource_type": "Observation",
        "id": "b1463b56-7cb9-4a7c-be9b-b5061141a801",
        "date": "2000-12-24T03:11:33+00:00",
        "code": "http://loinc.org|2093-3",
        "text": "Total Cholesterol",
        "unit": "mg/dL",
        "value": "178.62208421825676",
    }


def shipped_context():
    """A context over the shipped vocabulary (fixtures), built as ehr.services.mapping_context builds it."""
    from screening.rules.shipped import load_vocabulary

    vocabulary = load_vocabulary()

    def accepted(analyte, written):
        definition = vocabulary.analytes.get(analyte)
        return definition.unit_of(written) if definition else None

    return MappingContext(loinc=VOCABULARY_LOINC, units=accepted, match_drug=lambda text: [])


def test_synthea_units_are_ones_the_shipped_vocabulary_accepts():
    platelets = obs("777-3", 265.1, "10*3/uL")
    creatinine = obs("38483-4", 1.1, "mg/dL")  # the creatinine code Synthea writes
    creatinine_si = obs("14682-9", 97, "umol/L")
    inr = obs("6301-6", 1.1, None)  # INR is often written without a unit
    result = mapped(platelets, creatinine, creatinine_si, inr, context=shipped_context())
    assert result.problems == []
    assert [(f.field, f.value["unit"]) for f in result.found] == [
        ("lab:platelets", "10^3/uL"),
        ("lab:creatinine", "mg/dL"),
        ("lab:creatinine", "umol/L"),
        ("lab:inr", "ratio"),
    ]
