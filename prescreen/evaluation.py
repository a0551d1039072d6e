"""One patient's records -> the verdict so far, decided exactly as an import of the same records into an empty
screening on the reference date would be: the FHIR import's reading, mappers, choice and prefill, then the engine.
No database: what it needs from the vocabulary is read once per chunk (`Evaluator.for_run`)."""

from dataclasses import dataclass
from datetime import date

from ehr.mapping import MappingContext, map_resources
from ehr.mapping.patient import ADMINISTRATIVE_GENDER
from ehr.reader import Export
from ehr.services import apply_value, blank_entries, choose_valid, mapping_context
from patients.models import Candidate
from screening.facts import candidate_facts
from screening.models import LabValue, Screening
from screening.rules.engine import RuleSet
from screening.rules.outcomes import NOT_MET, UNKNOWN
from screening.services import ENTRY_ROWS
from trials.models import Analyte
from trials.ruleset import ruleset_for_version

PATIENT_ELEMENTS_READ = ("resourceType", "id", "identifier", "name", "birthDate", "gender")


@dataclass(frozen=True)
class PatientOutcome:
    """What a PrescreenResult row holds about one patient (besides who it is)."""

    standing: int  # PrescreenResult.Standing
    statuses: dict  # criterion code -> status
    failed: list  # [{"code", "summary", "reason"}]
    unknown: list  # [{"code", "summary"}]: their reasons are not worded, what decides them is in to_collect
    to_collect: list  # what to find in the chart to decide the unknown criteria (labels, in criterion order)
    to_ask: list  # the screening visit's questions the unknown criteria still wait for (the records never hold them)
    problem: str = ""


@dataclass(frozen=True)
class Evaluator:
    context: MappingContext
    ruleset: RuleSet
    analytes: dict  # analyte code -> Analyte
    reference_date: date
    cohort: str

    @classmethod
    def for_run(cls, run):
        version = run.criteria_version
        return cls(
            context=mapping_context(version),
            ruleset=ruleset_for_version(version),
            analytes={analyte.code: analyte for analyte in Analyte.objects.all()},
            reference_date=run.reference_date,
            cohort=run.cohort,
        )

    def evaluate(self, resources):
        """`resources`: the patient's parsed resources, the Patient among them. Of the Patient, only the elements read
        (who it is: identifiers, name, birth date, sex) are validated, not its extensions or addresses, which the
        import validates too and nothing reads: on a Synthea Patient that is most of the cost of a patient."""
        read = [
            {key: resource[key] for key in PATIENT_ELEMENTS_READ if key in resource}
            if resource.get("resourceType") == "Patient"
            else resource
            for resource in resources
        ]
        export = Export(resources=read, total=len(read))
        export.validate(set())  # the Patient, as the import reads it
        mapped = map_resources(export.resources, self.context)
        chosen = choose_valid(export, mapped, self.reference_date)
        entries, used = blank_entries(), 0
        for field, choices in chosen.items():
            for choice in choices:
                if choice.use == "chosen":
                    apply_value(entries, field, choice.found.value, self.analytes)
                    used += 1
        identity = {found.field: found.value["value"] for found in mapped.found if found.field in ("birth_date", "sex")}
        born = identity.get("birth_date")
        candidate = Candidate(birth_date=date.fromisoformat(born) if born else None, sex=identity.get("sex", ""))
        result = self.ruleset.evaluate(_facts(candidate, entries), self.reference_date, self.cohort)
        return _outcome(result, questions=self.ruleset.attestations(), records_used=used)


def _facts(candidate, entries):
    """The engine's facts of the entries, read through the same rows a saved screening's are."""
    screening = Screening(candidate=candidate, answers=entries["answers"], **entries["fields"])
    rows = {
        related: [model(**row) for row in entries[related]] for related, model, _ in ENTRY_ROWS if related != "labs"
    }
    rows["labs"] = [LabValue(analyte=analyte, **row) for analyte, row in entries["labs"].items()]
    return candidate_facts(screening, rows)


def _outcome(result, *, questions, records_used):
    """Failed if any criterion failed; too little data if nothing failed but the records held nothing the criteria
    read as of the reference date; else nothing failed (so far)."""
    from prescreen.models import PrescreenResult

    statuses, failed, unknown = {}, [], []
    for criterion in result.criteria:
        statuses[criterion.code] = criterion.status
        if criterion.status == NOT_MET:
            failed.append({"code": criterion.code, "summary": criterion.summary, "reason": criterion.reason})
        elif criterion.status == UNKNOWN:
            unknown.append({"code": criterion.code, "summary": criterion.summary})
    if failed:
        standing = PrescreenResult.Standing.FAILED
    elif not records_used:
        standing = PrescreenResult.Standing.TOO_LITTLE_DATA
    else:
        standing = PrescreenResult.Standing.NOTHING_FAILED
    to_collect, to_ask = [], []
    for missing in result.missing:
        asked = missing.field.startswith("answer:") and missing.field.removeprefix("answer:") in questions
        (to_ask if asked else to_collect).append(missing.label)
    return PatientOutcome(
        standing, statuses, failed, unknown, list(dict.fromkeys(to_collect)), list(dict.fromkeys(to_ask))
    )


MEDICAL_RECORD_NUMBER = "MR"  # http://terminology.hl7.org/CodeSystem/v2-0203


def patient_identity(patient):
    """Who a result is about, from the Patient resource: name, medical record number, date of birth, sex."""
    names = [name for name in patient.get("name") or () if isinstance(name, dict)]
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = " ".join(part for part in name.get("given") or () if isinstance(part, str))
    full = name.get("text") if isinstance(name.get("text"), str) else f"{given} {name.get('family') or ''}".strip()
    identifiers = [
        i for i in patient.get("identifier") or () if isinstance(i, dict) and isinstance(i.get("value"), str)
    ]
    mrn = next((i for i in identifiers if _is_mrn(i)), None)
    born = patient.get("birthDate")
    try:
        birth_date = date.fromisoformat(born) if isinstance(born, str) and len(born) == 10 else None
    except ValueError:
        birth_date = None
    return {
        "name": full[:200],
        "mrn": (mrn or {}).get("value", "")[:64],
        "birth_date": birth_date,
        "sex": ADMINISTRATIVE_GENDER.get(patient.get("gender"), ""),
    }


def _is_mrn(identifier):
    codings = (identifier.get("type") or {}).get("coding") or ()
    return any(isinstance(c, dict) and c.get("code") == MEDICAL_RECORD_NUMBER for c in codings)
