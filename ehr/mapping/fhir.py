"""Small readers shared by the mappers: codings, dates, numbers, and the state of one mapping run."""

import math
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation

from ehr.mapping.records import Found

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"

# The same code systems under the other names exports give them (HL7 OIDs), read as the canonical URL.
SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.3": ICD10,
}


def codings(concept):
    """The codings of a CodeableConcept, as (canonical system, code, coding) triples."""
    if not isinstance(concept, dict):
        return ()
    out = []
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and coding.get("code"):
            system = coding.get("system") or ""
            out.append((SYSTEM_ALIASES.get(system, system), str(coding["code"]), coding))
    return out


def text_of(concept, coding=None):
    """A concept's text as written: its text, else the display of `coding`, else any display."""
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return concept["text"]
    if coding and coding.get("display"):
        return coding["display"]
    return next((c["display"] for c in concept.get("coding") or () if isinstance(c, dict) and c.get("display")), "")


def code_text(coding):
    return f"{coding.get('system', '')}|{coding.get('code', '')}" if coding else ""


def status_code(concept):
    """The code of a status CodeableConcept (clinicalStatus, verificationStatus), or None."""
    found = codings(concept)
    return found[0][1] if found else None


def day(text):
    """The ISO date (YYYY-MM-DD) of a FHIR date or dateTime, or None when absent or partial ('2019', '2019-05')."""
    if not isinstance(text, str) or len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def first(*values):
    return next((v for v in values if v), None)


def period_start(period):
    return period.get("start") if isinstance(period, dict) else None


def period_end(period):
    return period.get("end") if isinstance(period, dict) else None


def number_text(value):
    """A JSON number as a decimal string ('7.2', '250', never '1e-05'), or None if it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return value.strip() if number.is_finite() else None
    return None


def source(resource, when, coding=None, text="", unit="", value=""):
    return {
        "resource_type": resource.get("resourceType", ""),
        "id": str(resource.get("id", "")),
        "date": when if isinstance(when, str) else None,
        "code": code_text(coding),
        "text": text or "",
        "unit": unit or "",
        "value": value if value is not None else "",
    }


class Run:
    """The state of one `map_resources` call: what was found, the problems, the counts, and the caches."""

    def __init__(self, context):
        self.context = context
        self.found = []
        self.problems = []
        self.not_used = Counter()
        self._drugs = {}
        self._modalities = {}
        self.pending = {}  # per module, resources paired or grouped once every resource has been read

    def add(self, field, value, on, source_):
        self.found.append(Found(field=field, value=value, on=on, source=source_))

    def problem(self, resource, text):
        self.problems.append(
            {"resource_type": resource.get("resourceType", ""), "id": str(resource.get("id", "")), "problem": text}
        )

    def skip(self, resource, why):
        self.not_used[f"{resource.get('resourceType', '')} ({why})"] += 1

    def match_drug(self, text):
        if text not in self._drugs:
            self._drugs[text] = list(self.context.match_drug(text))
        return self._drugs[text]

    def modality(self, generic_name):
        if generic_name not in self._modalities:
            self._modalities[generic_name] = self.context.is_anticancer(generic_name)
        return self._modalities[generic_name]
