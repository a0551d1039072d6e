"""The Condition and Procedure mappers: melanoma and its stage, brain metastases, HIV, major surgery, radiotherapy."""

import pytest

from ehr.mapping import MappingContext, map_resources
from ehr.mapping.conditions import FIELDS, STAGE_SUMMARY
from ehr.mapping.procedures import EVENTS
from screening.rules.facts import EVENTS as APP_EVENTS
from screening.rules.facts import FACTS

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONTEXT = MappingContext(loinc={}, units=lambda a, u: None, match_drug=lambda text: [])


def condition(code, system=SNOMED, *, verification="confirmed", clinical="active", display="as coded", **fields):
    resource = {
        "resourceType": "Condition",
        "id": fields.pop("id", "c1"),
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
        "onsetDateTime": fields.pop("onset", "2022-06-15"),
    }
    if verification:
        resource["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": verification}]}
    if clinical:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
    resource.update(fields)
    return resource


def procedure(code, *, status="completed", when="2024-01-10T08:00:00Z", end=None, display="as coded"):
    resource = {
        "resourceType": "Procedure",
        "id": "p1",
        "status": status,
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
    }
    if end:
        resource["performedPeriod"] = {"start": when, "end": end}
    elif when:
        resource["performedDateTime"] = when
    return resource


def mapped(*resources):
    return map_resources(list(resources), CONTEXT)


def fields(result):
    return [(f.field, f.value) for f in result.found]


def problems(result):
    return [p["problem"] for p in result.problems]


def test_the_fields_are_the_apps():
    for field in [*FIELDS.values(), "answer:melanoma_stage"]:
        assert field.removeprefix("answer:") in FACTS
    assert set(STAGE_SUMMARY.values()) <= set(FACTS["melanoma_stage"].choices)
    assert {field.removeprefix("history:") for field in EVENTS.values()} <= set(APP_EVENTS)


# Melanoma


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("C43.9", ICD10CM),
        ("C43.59", ICD10CM),
        ("C4372", ICD10CM),
        ("C43.3", ICD10),
        ("372244006", SNOMED),
        ("93655004", SNOMED),
        ("8720/3", ICDO3),
        ("M8743/3", ICDO3),
    ],
)
def test_a_confirmed_melanoma_is_histology_confirmed(code, system):
    result = mapped(condition(code, system))
    assert fields(result) == [("answer:histology_confirmed", {"value": True})]
    assert result.found[0].on == "2022-06-15"
    assert result.found[0].source["code"] == f"{system}|{code}"
    assert result.found[0].source["value"] == "confirmed"


def test_melanoma_in_a_morphology_extension():
    resource = condition("363346000", display="Malignant neoplastic disease")
    resource["extension"] = [
        {
            "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
            "valueCodeableConcept": {"coding": [{"system": ICDO3, "code": "8721/3", "display": "Nodular melanoma"}]},
        }
    ]
    assert fields(mapped(resource)) == [("answer:histology_confirmed", {"value": True})]


@pytest.mark.parametrize(("code", "system"), [("D03.9", ICD10CM), ("D03.59", ICD10CM), ("8720/2", ICDO3)])
def test_melanoma_in_situ_is_not_mapped(code, system):
    result = mapped(condition(code, system))
    assert result.found == []
    assert result.problems == []
    assert result.not_used == {"Condition (other codes)": 1}


@pytest.mark.parametrize("verification", ["provisional", "differential", "unconfirmed"])
def test_an_unconfirmed_diagnosis_is_a_problem(verification):
    result = mapped(condition("C43.9", ICD10CM, verification=verification, display="Melanoma of skin, unspecified"))
    assert result.found == []
    assert result.problems == [
        {
            "resource_type": "Condition",
            "id": "c1",
            "problem": f"diagnosis not confirmed ({verification}): Melanoma of skin, unspecified",
        }
    ]


def test_no_verification_status_and_active_counts_as_confirmed():
    assert fields(mapped(condition("C43.9", ICD10CM, verification=None))) == [
        ("answer:histology_confirmed", {"value": True})
    ]


def test_no_verification_status_and_resolved_is_a_problem():
    result = mapped(condition("C43.9", ICD10CM, verification=None, clinical="resolved", display="Melanoma"))
    assert problems(result) == ["diagnosis not confirmed (no verification status, clinical status resolved): Melanoma"]


def test_a_confirmed_melanoma_in_remission_still_counts():
    assert len(mapped(condition("C43.9", ICD10CM, clinical="remission")).found) == 1


@pytest.mark.parametrize(("verification", "why"), [("refuted", "refuted"), ("entered-in-error", "entered in error")])
def test_refuted_or_entered_in_error_is_skipped(verification, why):
    result = mapped(condition("C43.9", ICD10CM, verification=verification))
    assert result.found == []
    assert result.problems == []
    assert result.not_used == {f"Condition ({why})": 1}


def test_two_codings_of_one_melanoma_fill_it_once():
    resource = condition("C43.9", ICD10CM)
    resource["code"]["coding"].append({"system": SNOMED, "code": "93655004"})
    assert fields(mapped(resource)) == [("answer:histology_confirmed", {"value": True})]


def test_the_date_falls_back_to_the_recorded_date():
    resource = condition("C43.9", ICD10CM, onset=None, recordedDate="2022-07-01T10:00:00-04:00")
    assert mapped(resource).found[0].on == "2022-07-01"


# Stage


def stage(system, code, text=None):
    summary = {"coding": [{"system": system, "code": code}]}
    if text:
        summary["text"] = text
    return [{"summary": summary}]


@pytest.mark.parametrize(
    ("system", "code", "choice"),
    [
        (SNOMED, "258228008", "stage_4"),
        (SNOMED, "258219007", "stage_1_2"),
        ("http://cancerstaging.org", "IV", "stage_4"),
        ("http://cancerstaging.org", "iib", "stage_1_2"),
    ],
)
def test_a_coded_stage(system, code, choice):
    result = mapped(condition("C43.9", ICD10CM, stage=stage(system, code, "Stage as written")))
    assert fields(result) == [
        ("answer:histology_confirmed", {"value": True}),
        ("answer:melanoma_stage", {"value": choice}),
    ]
    assert result.found[1].source["text"] == "Stage as written"


def test_stage_3_says_nothing_of_resectability_so_is_a_problem():
    result = mapped(condition("C43.9", ICD10CM, stage=stage(SNOMED, "258224005")))
    assert fields(result) == [("answer:histology_confirmed", {"value": True})]
    assert problems(result) == ["melanoma stage III is coded, but not whether it is resectable or recurrent"]


def test_the_stage_of_another_cancer_is_not_the_melanomas():
    result = mapped(condition("254637007", display="Non-small cell lung cancer", stage=stage(SNOMED, "258228008")))
    assert result.found == []
    assert result.not_used == {"Condition (other codes)": 1}


# Brain metastases and HIV


@pytest.mark.parametrize(
    ("code", "system"), [("C79.31", ICD10CM), ("C7931", ICD10CM), ("C79.3", ICD10), ("94225005", SNOMED)]
)
def test_brain_metastases(code, system):
    assert fields(mapped(condition(code, system))) == [("answer:brain_metastases", {"value": True})]


def test_meningeal_metastases_are_not_brain_metastases():
    assert mapped(condition("C79.32", ICD10CM)).found == []


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("B20", ICD10CM),
        ("Z21", ICD10CM),
        ("B24", ICD10),
        ("O98.72", ICD10CM),
        ("86406008", SNOMED),
        ("165816005", SNOMED),
    ],
)
def test_hiv(code, system):
    assert fields(mapped(condition(code, system, clinical="inactive"))) == [("answer:hiv_positive", {"value": True})]


def test_a_melanoma_with_brain_metastases_in_one_condition():
    resource = condition("C43.9", ICD10CM)
    resource["code"]["coding"].append({"system": ICD10CM, "code": "C79.31"})
    assert [f for f, _ in fields(mapped(resource))] == ["answer:histology_confirmed", "answer:brain_metastases"]


# Procedures


@pytest.mark.parametrize("code", ["232717009", "43075005", "52734007", "25353009"])
def test_major_surgery(code):
    result = mapped(procedure(code))
    assert fields(result) == [("history:major_surgery", {"date": "2024-01-10"})]
    assert result.found[0].on == "2024-01-10"
    assert result.found[0].source["value"] == "completed"


@pytest.mark.parametrize("code", ["108290001", "1287742003", "33195004", "703423002"])
def test_radiotherapy(code):
    assert fields(mapped(procedure(code))) == [("history:radiotherapy", {"date": "2024-01-10"})]


def test_a_radiotherapy_course_dates_from_its_last_day():
    result = mapped(procedure("1287742003", when="2024-01-10", end="2024-02-20T10:00:00Z"))
    assert fields(result) == [("history:radiotherapy", {"date": "2024-02-20"})]


def test_every_procedure_is_emitted():
    result = mapped(procedure("232717009", when="2020-01-01"), procedure("80146002", when="2023-05-05"))
    assert [f.value["date"] for f in result.found] == ["2020-01-01", "2023-05-05"]


def test_an_undated_procedure_is_emitted_without_a_date():
    assert fields(mapped(procedure("232717009", when=None))) == [("history:major_surgery", {"date": None})]


@pytest.mark.parametrize("status", ["not-done", "entered-in-error", "preparation"])
def test_a_procedure_not_performed_is_skipped(status):
    result = mapped(procedure("232717009", status=status))
    assert result.found == []
    assert result.not_used == {f"Procedure ({status})": 1}


def test_minor_procedures_and_other_codes_are_counted():
    result = mapped(procedure("415070008"), procedure("73761001"), procedure("428191000124101"))
    assert result.found == []
    assert result.not_used == {"Procedure (other codes)": 3}


# Real Synthea resources. The Condition and the first Procedure are from the R4 bundle
# R4/SYNTHEA/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json in smart-on-fhir/generated-sample-data; the
# second Procedure from Procedure.000.ndjson of the 10-patients branch of smart-on-fhir/sample-bulk-fhir-datasets
# (trimmed: subject, encounter, meta, location and reasonReference removed).
SYNTHEA_MYOCARDIAL_INFARCTION = {
    "resourceType": "Condition",
    "id": "24ce21c1-78ac-4f8c-84b7-8fe439dc8927",
    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
    "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
    "code": {
        "coding": [{"system": SNOMED, "code": "22298006", "display": "Myocardial Infarction"}],
        "text": "Myocardial Infarction",
    },
    "onsetDateTime": "2008-12-14T03:11:33+00:00",
    "recordedDate": "2008-12-14T03:11:33+00:00",
}
SYNTHEA_BYPASS = {
    "resourceType": "Procedure",
    "id": "31a9f3ee-8bc6-486d-8b8a-45c04b5f3a93",
    "status": "completed",
    "code": {
        "coding": [{"system": SNOMED, "code": "232717009", "display": "Coronary artery bypass grafting"}],
        "text": "Coronary artery bypass grafting",
    },
    "performedPeriod": {"start": "2008-12-14T03:11:33+00:00", "end": "2008-12-14T03:26:33+00:00"},
}
SYNTHEA_CHEMORADIATION = {
    "resourceType": "Procedure",
    "id": "003a129d-e04a-4d57-2979-a0e8972ebc67",
    "status": "completed",
    "code": {
        "coding": [
            {
                "system": SNOMED,
                "code": "703423002",
                "display": "Combined chemotherapy and radiation therapy (procedure)",
            }
        ],
        "text": "Combined chemotherapy and radiation therapy (procedure)",
    },
    "performedPeriod": {"start": "1989-02-19T18:00:16-05:00", "end": "1989-02-19T18:33:16-05:00"},
}


def test_synthea_conditions_and_procedures():
    result = mapped(SYNTHEA_MYOCARDIAL_INFARCTION, SYNTHEA_BYPASS, SYNTHEA_CHEMORADIATION)
    assert result.problems == []
    assert result.not_used == {"Condition (other codes)": 1}
    assert fields(result) == [
        ("history:major_surgery", {"date": "2008-12-14"}),
        ("history:radiotherapy", {"date": "1989-02-19"}),
    ]
    assert result.found[0].source == {
        "resource_type": "Procedure",
        "id": "31a9f3ee-8bc6-486d-8b8a-45c04b5f3a93",
        "date": "2008-12-14T03:26:33+00:00",
        "code": f"{SNOMED}|232717009",
        "text": "Coronary artery bypass grafting",
        "unit": "",
        "value": "completed",
    }
