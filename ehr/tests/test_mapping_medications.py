"""The medication mappers: the medication list, and prior anticancer therapy grouped into regimens."""

import pytest

from ehr.mapping import MappingContext, map_resources
from ehr.mapping.medications import REGIMEN_GAP_DAYS

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
GENERICS = ("warfarin", "enoxaparin", "cisplatin", "paclitaxel", "dacarbazine", "ipilimumab", "acetaminophen")
ANTICANCER = {
    "cisplatin": "systemic_chemotherapy",
    "paclitaxel": "systemic_chemotherapy",
    "dacarbazine": "systemic_chemotherapy",
    "ipilimumab": "immunotherapy",
}
CALLS = []


def match_drug(text):
    CALLS.append(text)
    return [generic for generic in GENERICS if generic in text.lower()]


CONTEXT = MappingContext(loinc={}, units=lambda a, u: None, match_drug=match_drug, is_anticancer=ANTICANCER.get)


def concept(text=None, *, code="855332", display="Warfarin Sodium 5 MG Oral Tablet", system=RXNORM):
    result = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        result["text"] = text
    return result


def request(status="active", medication=None, authored="2024-02-01T10:00:00Z", **fields):
    resource = {
        "resourceType": "MedicationRequest",
        "id": fields.pop("id", "m1"),
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication or concept(),
    }
    if authored:
        resource["authoredOn"] = authored
    resource.update(fields)
    return resource


def administration(day, name, *, status="completed", id=None, **fields):
    return {
        "resourceType": "MedicationAdministration",
        "id": id or f"{name}-{day}",
        "status": status,
        "medicationCodeableConcept": {"text": name},
        "effectiveDateTime": f"{day}T09:00:00Z",
        **fields,
    }


def mapped(*resources):
    return map_resources(list(resources), CONTEXT)


def medications(result):
    return [f for f in result.found if f.field == "medication"]


def therapies(result):
    return [f.value for f in result.found if f.field == "therapy"]


def test_an_active_request():
    dosage = [{"text": "5 mg once daily", "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}}]
    result = mapped(request(dosageInstruction=dosage))
    assert result.problems == []
    [item] = result.found
    assert item.field == "medication"
    assert item.value == {
        "name": "Warfarin Sodium 5 MG Oral Tablet",
        "rxnorm": "855332",
        "matched": ["warfarin"],
        "dose": "5 mg once daily",
        "active": True,
        "started_on": "2024-02-01",
        "ended_on": None,
    }
    assert item.on == "2024-02-01"
    assert item.source == {
        "resource_type": "MedicationRequest",
        "id": "m1",
        "date": "2024-02-01T10:00:00Z",
        "code": f"{RXNORM}|855332",
        "text": "Warfarin Sodium 5 MG Oral Tablet",
        "unit": "",
        "value": "active",
    }


@pytest.mark.parametrize(("status", "active"), [("stopped", False), ("completed", False), ("on-hold", True)])
def test_a_stopped_anticoagulant_is_not_active(status, active):
    [item] = mapped(request(status)).found
    assert item.value["active"] is active
    assert item.value["matched"] == ["warfarin"]


def test_the_text_as_written_is_the_name():
    [item] = mapped(request(medication=concept("Coumadin (warfarin) 5mg"))).found
    assert item.value["name"] == "Coumadin (warfarin) 5mg"
    assert item.value["matched"] == ["warfarin"]


def test_without_an_rxnorm_coding():
    medication = concept(code="123", display="Enoxaparin 40 mg/0.4 mL", system="http://hospital.example/formulary")
    [item] = mapped(request(medication=medication)).found
    assert item.value["rxnorm"] == ""
    assert item.value["name"] == "Enoxaparin 40 mg/0.4 mL"
    assert item.source["code"] == "http://hospital.example/formulary|123"


def test_an_unmatched_drug_is_still_listed():
    [item] = mapped(request(medication={"text": "Mystery tonic"})).found
    assert item.value["matched"] == []
    assert item.value["rxnorm"] == ""


@pytest.mark.parametrize(
    ("resource_type", "status", "why"),
    [
        ("MedicationRequest", "entered-in-error", "entered in error"),
        ("MedicationStatement", "entered-in-error", "entered in error"),
        ("MedicationStatement", "not-taken", "not taken"),
        ("MedicationAdministration", "not-done", "not done"),
    ],
)
def test_a_record_entered_in_error_or_not_taken_is_skipped(resource_type, status, why):
    resource = {**request(status), "resourceType": resource_type}
    result = mapped(resource)
    assert result.found == []
    assert result.problems == []
    assert result.not_used == {f"{resource_type} ({why})": 1}


def test_a_request_not_to_give_a_drug_is_skipped():
    result = mapped(request(doNotPerform=True))
    assert result.found == []
    assert result.not_used == {"MedicationRequest (do not perform)": 1}


def test_a_medication_reference_is_a_problem_and_is_not_fetched():
    resource = request()
    del resource["medicationCodeableConcept"]
    resource["medicationReference"] = {"reference": "Medication/med-7"}
    result = mapped(resource)
    assert result.found == []
    assert result.problems == [
        {
            "resource_type": "MedicationRequest",
            "id": "m1",
            "problem": "the medication is given by reference (Medication/med-7), not read",
        }
    ]


def test_a_medication_with_a_code_but_no_name_is_a_problem():
    result = mapped(request(medication={"coding": [{"system": RXNORM, "code": "855332"}]}))
    assert [p["problem"] for p in result.problems] == ["the medication has a code but no name"]


def test_a_statement_intended_is_active_and_has_its_period():
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s1",
        "status": "intended",
        "medicationCodeableConcept": {"text": "Enoxaparin 40 mg SC daily"},
        "effectivePeriod": {"start": "2024-03-01", "end": "2024-04-01"},
        "dosage": [{"text": "40 mg subcutaneously once daily"}],
    }
    [item] = mapped(statement).found
    assert item.value["active"] is True
    assert (item.value["started_on"], item.value["ended_on"]) == ("2024-03-01", "2024-04-01")
    assert item.value["dose"] == "40 mg subcutaneously once daily"
    assert therapies(mapped(statement)) == []


def test_a_statement_dated_only_by_its_assertion():
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s2",
        "status": "completed",
        "medicationCodeableConcept": {"text": "acetaminophen 500 mg"},
        "dateAsserted": "2023-12-24T08:00:00Z",
    }
    [item] = mapped(statement).found
    assert item.value["active"] is False
    assert item.value["started_on"] is None
    assert item.on == "2023-12-24"


def test_a_chemotherapy_administration_is_also_a_prior_therapy():
    given = administration("2023-05-02", "Dacarbazine 1000 mg/m2 IV", id="a1", dosage={"text": "1000 mg/m2 IV"})
    result = mapped(given)
    [medication] = medications(result)
    assert medication.value["dose"] == "1000 mg/m2 IV"
    assert medication.value["active"] is False
    assert (medication.value["started_on"], medication.value["ended_on"]) == ("2023-05-02", "2023-05-02")
    [therapy] = [f for f in result.found if f.field == "therapy"]
    assert therapy.value == {
        "modality": "systemic_chemotherapy",
        "agents": "dacarbazine",
        "started_on": "2023-05-02",
        "ended_on": "2023-05-02",
        "setting": "not_documented",
    }
    assert therapy.on == "2023-05-02"
    assert therapy.source["id"] == "a1"
    assert "also" not in therapy.source


def test_the_cycles_of_a_regimen_make_one_prior_therapy():
    days = ("2023-01-03", "2023-01-24", "2023-02-14")
    cycles = [administration(day, name) for day in days for name in ("Cisplatin 50 MG", "Paclitaxel 100 MG")]
    result = mapped(*cycles)
    assert len(medications(result)) == 6
    assert therapies(result) == [
        {
            "modality": "systemic_chemotherapy",
            "agents": "cisplatin, paclitaxel",
            "started_on": "2023-01-03",
            "ended_on": "2023-02-14",
            "setting": "not_documented",
        }
    ]
    [therapy] = [f for f in result.found if f.field == "therapy"]
    assert therapy.source["id"] == "Cisplatin 50 MG-2023-01-03"
    assert len(therapy.source["also"]) == 5


def test_a_new_drug_after_a_regimen_is_another_prior_therapy():
    result = mapped(
        administration("2023-01-03", "cisplatin"),
        administration("2023-01-24", "cisplatin"),
        administration("2023-03-01", "dacarbazine"),
        administration("2023-03-22", "dacarbazine"),
    )
    assert [(t["agents"], t["started_on"], t["ended_on"]) for t in therapies(result)] == [
        ("cisplatin", "2023-01-03", "2023-01-24"),
        ("dacarbazine", "2023-03-01", "2023-03-22"),
    ]


def test_a_long_gap_starts_another_prior_therapy():
    later = f"2023-{4 + REGIMEN_GAP_DAYS // 30:02d}-10"
    result = mapped(administration("2023-01-03", "dacarbazine"), administration(later, "dacarbazine"))
    assert [t["started_on"] for t in therapies(result)] == ["2023-01-03", later]


def test_each_modality_is_a_prior_therapy_of_its_own():
    result = mapped(administration("2023-01-03", "dacarbazine"), administration("2023-01-03", "ipilimumab 3 mg/kg"))
    assert sorted((t["modality"], t["agents"]) for t in therapies(result)) == [
        ("immunotherapy", "ipilimumab"),
        ("systemic_chemotherapy", "dacarbazine"),
    ]


def test_a_regimen_of_prescriptions_has_no_known_last_dose():
    result = mapped(
        request("stopped", {"text": "Cisplatin 50 MG Injection"}, "2023-01-03T10:00:00Z", id="r1"),
        request("stopped", {"text": "Cisplatin 50 MG Injection"}, "2023-01-24T10:00:00Z", id="r2"),
    )
    assert therapies(result) == [
        {
            "modality": "systemic_chemotherapy",
            "agents": "cisplatin",
            "started_on": "2023-01-03",
            "ended_on": None,
            "setting": "not_documented",
        }
    ]


@pytest.mark.parametrize("status", ["cancelled", "draft"])
def test_a_chemotherapy_request_never_given_is_no_prior_therapy(status):
    result = mapped(request(status, {"text": "Dacarbazine 1000 mg"}))
    assert len(medications(result)) == 1
    assert therapies(result) == []


def test_an_undated_anticancer_record_is_a_prior_therapy_without_dates():
    result = mapped(request("completed", {"text": "ipilimumab"}, None))
    assert therapies(result) == [
        {
            "modality": "immunotherapy",
            "agents": "ipilimumab",
            "started_on": None,
            "ended_on": None,
            "setting": "not_documented",
        }
    ]


def test_the_drug_matcher_runs_once_per_name():
    CALLS.clear()
    mapped(*[request("stopped", id=f"r{n}", authored=f"2023-01-{n + 1:02d}") for n in range(20)])
    assert CALLS == ["Warfarin Sodium 5 MG Oral Tablet"]


def test_a_context_without_is_anticancer_makes_no_prior_therapy():
    context = MappingContext(loinc={}, units=lambda a, u: None, match_drug=match_drug)
    result = map_resources([administration("2023-01-03", "cisplatin")], context)
    assert [f.field for f in result.found] == ["medication"]


# A real Synthea MedicationRequest, from MedicationRequest.000.ndjson of the 10-patients branch of
# smart-on-fhir/sample-bulk-fhir-datasets (trimmed: meta, subject, encounter, requester and reasonReference removed).
SYNTHEA_CISPLATIN = {
    "resourceType": "MedicationRequest",
    "id": "012563c3-289b-48d8-2295-427823378a81",
    "status": "stopped",
    "intent": "order",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                    "code": "community",
                    "display": "Community",
                }
            ],
            "text": "Community",
        }
    ],
    "medicationCodeableConcept": {
        "coding": [{"system": RXNORM, "code": "1736854", "display": "Cisplatin 50 MG Injection"}],
        "text": "Cisplatin 50 MG Injection",
    },
    "authoredOn": "1987-11-26T17:57:16-05:00",
}


def test_a_synthea_chemotherapy_request():
    result = mapped(SYNTHEA_CISPLATIN)
    assert result.problems == []
    assert [(f.field, f.value) for f in result.found] == [
        (
            "medication",
            {
                "name": "Cisplatin 50 MG Injection",
                "rxnorm": "1736854",
                "matched": ["cisplatin"],
                "dose": "",
                "active": False,
                "started_on": "1987-11-26",
                "ended_on": None,
            },
        ),
        (
            "therapy",
            {
                "modality": "systemic_chemotherapy",
                "agents": "cisplatin",
                "started_on": "1987-11-26",
                "ended_on": None,
                "setting": "not_documented",
            },
        ),
    ]
    assert {f.source["id"] for f in result.found} == {"012563c3-289b-48d8-2295-427823378a81"}


def test_with_the_shipped_drug_vocabulary():
    """The drug matcher and therapy kinds of the shipped vocabulary, as ehr.services.mapping_context uses them."""
    from screening.rules.shipped import load_vocabulary

    vocabulary = load_vocabulary()
    drugs = {drug.generic_name: drug for drug in vocabulary.drugs}
    modality_of_kind = {
        "chemotherapy": "systemic_chemotherapy",
        "targeted_therapy": "targeted_therapy",
        "immunotherapy": "immunotherapy",
    }

    def match(text):
        return [m.drug.generic_name for m in vocabulary.matcher.match(text) if not m.drug.is_class_word]

    def is_anticancer(generic_name):
        kinds = vocabulary.kinds_of(drugs[generic_name]) if generic_name in drugs else set()
        return next((modality_of_kind[kind] for kind in sorted(kinds) if kind in modality_of_kind), None)

    context = MappingContext(loinc={}, units=lambda a, u: None, match_drug=match, is_anticancer=is_anticancer)
    paclitaxel = {
        **SYNTHEA_CISPLATIN,
        "id": "p1",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "583214", "display": "PACLitaxel 100 MG Injection"}]
        },
    }
    warfarin = request("stopped", id="w1")
    result = map_resources([SYNTHEA_CISPLATIN, paclitaxel, warfarin], context)
    assert [f.value["matched"] for f in result.found if f.field == "medication"] == [
        ["cisplatin"],
        ["paclitaxel"],
        ["warfarin"],
    ]
    assert [(t["modality"], t["agents"]) for t in therapies(result)] == [
        ("systemic_chemotherapy", "cisplatin, paclitaxel")
    ]
