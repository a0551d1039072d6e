"""The Patient mapper, and what map_resources does with resources no criterion uses."""

import pytest

from ehr.mapping import Found, Mapped, MappingContext, map_resources

CONTEXT = MappingContext(loinc={}, units=lambda analyte, unit: None, match_drug=lambda text: [])


def patient(**fields):
    return {"resourceType": "Patient", "id": "p1", **fields}


def found(resources):
    return map_resources(resources, CONTEXT)


def test_birth_date_and_sex():
    mapped = found([patient(birthDate="1960-05-01", gender="female")])
    assert mapped.found == [
        Found(
            "birth_date",
            {"value": "1960-05-01"},
            None,
            {
                "resource_type": "Patient",
                "id": "p1",
                "date": None,
                "code": "",
                "text": "birthDate",
                "unit": "",
                "value": "1960-05-01",
            },
        ),
        Found(
            "sex",
            {"value": "female"},
            None,
            {
                "resource_type": "Patient",
                "id": "p1",
                "date": None,
                "code": "",
                "text": "gender",
                "unit": "",
                "value": "female",
            },
        ),
    ]
    assert mapped.problems == []
    assert not mapped.not_used


def test_male():
    assert [f.value for f in found([patient(gender="male")]).found] == [{"value": "male"}]


@pytest.mark.parametrize("gender", ["other", "unknown"])
def test_other_or_unknown_gender_is_a_problem_not_a_value(gender):
    mapped = found([patient(birthDate="1960-05-01", gender=gender)])
    assert [f.field for f in mapped.found] == ["birth_date"]
    assert mapped.problems == [
        {
            "resource_type": "Patient",
            "id": "p1",
            "problem": f"administrative gender is '{gender}': enter the sex on the screening",
        }
    ]


@pytest.mark.parametrize("born", ["1960", "1960-05"])
def test_a_partial_birth_date_is_a_problem(born):
    mapped = found([patient(birthDate=born)])
    assert mapped.found == []
    assert mapped.problems[0]["problem"] == f"birth date {born} is not a full date"


def test_identifiers_names_and_addresses_are_not_mapped():
    mapped = found(
        [
            patient(
                identifier=[{"system": "http://hospital.example/mrn", "value": "12345"}],
                name=[{"family": "Doe", "given": ["Jane"]}],
                address=[{"city": "Boston"}],
            )
        ]
    )
    assert mapped.found == []
    assert mapped.problems == []


def test_resources_no_criterion_uses_are_counted_by_type():
    resources = [
        {"resourceType": "Encounter", "id": "e1"},
        {"resourceType": "Encounter", "id": "e2"},
        {"resourceType": "Claim", "id": "c1"},
        {"resourceType": "ExplanationOfBenefit", "id": "x1"},
        {"resourceType": "Immunization", "id": "i1"},
    ]
    mapped = found(resources)
    assert isinstance(mapped, Mapped)
    assert mapped.found == []
    assert mapped.problems == []
    assert dict(mapped.not_used) == {"Encounter": 2, "Claim": 1, "ExplanationOfBenefit": 1, "Immunization": 1}


def test_map_resources_reads_any_iterable_once():
    mapped = map_resources(iter([patient(gender="male"), {"resourceType": "Claim"}]), CONTEXT)
    assert [f.field for f in mapped.found] == ["sex"]
    assert mapped.not_used == {"Claim": 1}


# The Patient of the Synthea R4 bundle R4/SYNTHEA/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json in
# smart-on-fhir/generated-sample-data (trimmed: extensions, the SSN, licence and passport identifiers, names, telecom,
# address, communication and text removed).
SYNTHEA_PATIENT = {
    "resourceType": "Patient",
    "id": "829bb06a-42b9-433d-a8f6-560727c63da9",
    "identifier": [
        {"system": "https://github.com/synthetichealth/synthea", "value": "a9fcc685-c7a2-4474-bf25-26c8fe4b48f9"},
        {
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "code": "MR",
                        "display": "Medical Record Number",
                    }
                ],
                "text": "Medical Record Number",
            },
            "system": "http://hospital.smarthealthit.org",
            "value": "a9fcc685-c7a2-4474-bf25-26c8fe4b48f9",
        },
    ],
    "gender": "male",
    "birthDate": "1963-10-05",
    "deceasedDateTime": "2008-12-14T03:11:33+00:00",
    "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]},
    "multipleBirthBoolean": False,
}


def test_a_synthea_patient():
    mapped = found([SYNTHEA_PATIENT])
    assert {f.field: f.value for f in mapped.found} == {"birth_date": {"value": "1963-10-05"}, "sex": {"value": "male"}}
    assert {f.source["id"] for f in mapped.found} == {"829bb06a-42b9-433d-a8f6-560727c63da9"}
    assert mapped.problems == []
