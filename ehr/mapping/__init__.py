"""FHIR R4 resources (plain dicts, already parsed and validated) -> the values a screening's fields could take.

Plain Python, no Django: `map_resources` reads each resource once, dispatching by resourceType to one module per
type family (patient, observations, medications, procedures, conditions), whose code tables are the specification.
Nothing a resource references is ever fetched. What cannot be used is reported (`problems`); resources no criterion
uses, and codes no table knows, are only counted (`not_used`).
"""

from collections.abc import Iterable

from ehr.mapping import conditions, medications, observations, patient, procedures
from ehr.mapping.fhir import Run
from ehr.mapping.records import Found, Mapped, MappingContext

__all__ = ["Found", "Mapped", "MappingContext", "map_resources"]

HANDLERS = {
    "Patient": patient.map_patient,
    "Observation": observations.map_observation,
    "MedicationRequest": medications.map_medication,
    "MedicationStatement": medications.map_medication,
    "MedicationAdministration": medications.map_medication,
    "Procedure": procedures.map_procedure,
    "Condition": conditions.map_condition,
}
FINISHERS = (observations.finish, medications.finish)


def map_resources(resources: Iterable[dict], context: MappingContext) -> Mapped:
    run = Run(context)
    for resource in resources:
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        handler = HANDLERS.get(kind)
        if handler is None:
            run.not_used[kind or "(no resourceType)"] += 1
        else:
            handler(resource, run)
    for finish in FINISHERS:
        finish(run)
    return Mapped(found=run.found, problems=run.problems, not_used=run.not_used)
