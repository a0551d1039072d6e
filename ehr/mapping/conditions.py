"""Condition: melanoma (as a confirmed histology, and its stage where coded), brain metastases, HIV.

A diagnosis fills an answer only when it is confirmed: verificationStatus confirmed, or no verificationStatus and an
active clinicalStatus. Any other (provisional, differential, unconfirmed) is reported, for the coordinator to check.
Refuted and entered-in-error Conditions are not read.
"""

from ehr.mapping.fhir import (
    ICD10,
    ICD10CM,
    ICDO3,
    SNOMED,
    codings,
    day,
    first,
    period_start,
    source,
    status_code,
    text_of,
)

MELANOMA = "melanoma"
BRAIN_METASTASES = "brain_metastases"
HIV = "hiv"

FIELDS = {
    MELANOMA: "answer:histology_confirmed",
    BRAIN_METASTASES: "answer:brain_metastases",
    HIV: "answer:hiv_positive",
}

# ICD-10-CM and ICD-10 (WHO) codes, written without the dot: a code here and every code under it.
ICD10_PREFIXES = {
    "C43": MELANOMA,  # C43.x Malignant melanoma of skin. (D03.x, melanoma in situ, is deliberately absent.)
    "C7931": BRAIN_METASTASES,  # C79.31 Secondary malignant neoplasm of brain (ICD-10-CM)
    "B20": HIV,  # B20 Human immunodeficiency virus [HIV] disease (ICD-10-CM; B20-B24 in ICD-10)
    "B21": HIV,  # ICD-10 (WHO): HIV disease resulting in malignant neoplasms
    "B22": HIV,  # ICD-10 (WHO): HIV disease resulting in other specified diseases
    "B23": HIV,  # ICD-10 (WHO): HIV disease resulting in other conditions
    "B24": HIV,  # ICD-10 (WHO): Unspecified HIV disease
    "Z21": HIV,  # Z21 Asymptomatic human immunodeficiency virus [HIV] infection status
    "O987": HIV,  # O98.7 HIV disease complicating pregnancy, childbirth and the puerperium (ICD-10-CM)
}
# ICD-10 codes that count only as written (their subcodes are something else).
ICD10_EXACT = {
    "C793": BRAIN_METASTASES,  # C79.3 Secondary malignant neoplasm of brain and cerebral meninges (ICD-10, WHO)
}
# Not melanoma for this trial, so not mapped (listed so that no one adds them): D03.x Melanoma in situ.
NOT_MELANOMA_ICD10 = frozenset({"D03"})

SNOMED_CONDITIONS = {
    "372244006": MELANOMA,  # Malignant melanoma (disorder)
    "93655004": MELANOMA,  # Malignant melanoma of skin (disorder)
    "302837001": MELANOMA,  # Lentigo maligna melanoma (disorder)
    "254730000": MELANOMA,  # Superficial spreading malignant melanoma of skin (disorder)
    "276751004": MELANOMA,  # Amelanotic malignant melanoma of skin (disorder)
    "403923002": MELANOMA,  # Spindle cell malignant melanoma (disorder)
    "403924008": MELANOMA,  # Desmoplastic malignant melanoma (disorder)
    "94225005": BRAIN_METASTASES,  # Secondary malignant neoplasm of brain (disorder)
    "86406008": HIV,  # Human immunodeficiency virus infection (disorder)
    "165816005": HIV,  # Human immunodeficiency virus positive (finding)
}

# ICD-O-3 morphology, malignant behaviour (/3) only: /2 (in situ, e.g. 8720/2) is not melanoma for this trial.
# Read from Condition.code or from a histology-morphology-behavior extension (mCODE).
ICDO3_MORPHOLOGY = {
    "8720/3": MELANOMA,  # Malignant melanoma, NOS
    "8721/3": MELANOMA,  # Nodular melanoma
    "8722/3": MELANOMA,  # Balloon cell melanoma
    "8723/3": MELANOMA,  # Malignant melanoma, regressing
    "8730/3": MELANOMA,  # Amelanotic melanoma
    "8740/3": MELANOMA,  # Malignant melanoma in junctional nevus
    "8741/3": MELANOMA,  # Malignant melanoma in precancerous melanosis
    "8742/3": MELANOMA,  # Lentigo maligna melanoma
    "8743/3": MELANOMA,  # Superficial spreading melanoma
    "8744/3": MELANOMA,  # Acral lentiginous melanoma, malignant
    "8745/3": MELANOMA,  # Desmoplastic melanoma, malignant
    "8746/3": MELANOMA,  # Mucosal lentiginous melanoma
    "8761/3": MELANOMA,  # Malignant melanoma in giant pigmented nevus
    "8770/3": MELANOMA,  # Mixed epithelioid and spindle cell melanoma
    "8771/3": MELANOMA,  # Epithelioid cell melanoma
    "8772/3": MELANOMA,  # Spindle cell melanoma, NOS
    "8773/3": MELANOMA,  # Spindle cell melanoma, type A
    "8774/3": MELANOMA,  # Spindle cell melanoma, type B
    "8780/3": MELANOMA,  # Blue nevus, malignant
}
_ICDO3 = {code.replace("/", ""): concept for code, concept in ICDO3_MORPHOLOGY.items()}
MORPHOLOGY_EXTENSION = "histology-morphology-behavior"  # the end of the extension's URL (mCODE)

# Condition.stage.summary -> FACTS["melanoma_stage"] choice. Stage III says nothing of resectability or recurrence,
# which the choices need, so it fills nothing and is reported.
AJCC = "http://cancerstaging.org"
STAGE_SUMMARY = {
    (SNOMED, "258215001"): "stage_1_2",  # Stage 1 (qualifier value)
    (SNOMED, "258219007"): "stage_1_2",  # Stage 2 (qualifier value)
    (SNOMED, "258228008"): "stage_4",  # Stage 4 (qualifier value)
    **{(AJCC, group): "stage_1_2" for group in ("I", "IA", "IB", "II", "IIA", "IIB", "IIC")},
    **{(AJCC, group): "stage_1_2" for group in ("1", "1A", "1B", "2", "2A", "2B", "2C")},
    (AJCC, "IV"): "stage_4",
    (AJCC, "4"): "stage_4",
}
STAGE_3 = frozenset(
    {(SNOMED, "258224005")}  # Stage 3 (qualifier value)
    | {(AJCC, group) for group in ("III", "IIIA", "IIIB", "IIIC", "IIID", "3", "3A", "3B", "3C", "3D")}
)

VERIFICATION_SKIPPED = {"refuted": "refuted", "entered-in-error": "entered in error"}
ACTIVE_CLINICAL = frozenset({"active", "recurrence", "relapse"})
ICD10_SYSTEMS = frozenset({ICD10CM, ICD10})
ICDO3_SYSTEMS = frozenset({ICDO3, "urn:oid:2.16.840.1.113883.6.43.1"})


def _icd10(code):
    code = code.replace(".", "").strip().upper()
    concept = ICD10_EXACT.get(code)
    if concept is None:
        concept = next((ICD10_PREFIXES[code[:n]] for n in range(3, len(code) + 1) if code[:n] in ICD10_PREFIXES), None)
    return concept


def _icdo3(code):
    code = code.strip().upper().removeprefix("M").removeprefix("-").replace("/", "")
    return _ICDO3.get(code)


def concept_of(system, code):
    """The concept a coding names (MELANOMA, BRAIN_METASTASES, HIV), or None."""
    if system == SNOMED:
        return SNOMED_CONDITIONS.get(code)
    if system in ICD10_SYSTEMS:
        return _icd10(code)
    if system in ICDO3_SYSTEMS:
        return _icdo3(code)
    return None


def _morphologies(resource):
    for extension in resource.get("extension") or ():
        if isinstance(extension, dict) and str(extension.get("url", "")).endswith(MORPHOLOGY_EXTENSION):
            yield from codings(extension.get("valueCodeableConcept"))


def _stage(resource):
    """(choice or None, the stage coding, is stage III) from Condition.stage[].summary."""
    for stage in resource.get("stage") or ():
        summary = stage.get("summary") if isinstance(stage, dict) else None
        for system, code, coding in codings(summary):
            key = (system, code.strip().upper() if system == AJCC else code)
            if key in STAGE_SUMMARY:
                return STAGE_SUMMARY[key], coding, summary
            if key in STAGE_3:
                return None, coding, summary
    return None, None, None


def map_condition(resource, run):
    verification = status_code(resource.get("verificationStatus"))
    if verification in VERIFICATION_SKIPPED:
        run.skip(resource, VERIFICATION_SKIPPED[verification])
        return
    concept_ = resource.get("code")
    matched = {}
    for system, code, coding in [*codings(concept_), *_morphologies(resource)]:
        concept = concept_of(system, code)
        if concept and concept not in matched:
            matched[concept] = coding
    if not matched:
        run.skip(resource, "other codes")
        return
    clinical = status_code(resource.get("clinicalStatus"))
    text = text_of(concept_)
    confirmed = verification == "confirmed" or (verification is None and clinical in ACTIVE_CLINICAL)
    if not confirmed:
        status = verification or f"no verification status, clinical status {clinical or 'not given'}"
        run.problem(resource, f"diagnosis not confirmed ({status}): {text or 'no text'}")
        return
    when = first(resource.get("onsetDateTime"), period_start(resource.get("onsetPeriod")), resource.get("recordedDate"))
    on = day(when)
    for concept, coding in matched.items():
        written = source(resource, when, coding, text or coding.get("display", ""), "", verification or clinical or "")
        run.add(FIELDS[concept], {"value": True}, on, written)
    if MELANOMA in matched:
        choice, coding, summary = _stage(resource)
        if choice:
            stage_text = text_of(summary, coding)
            run.add(
                "answer:melanoma_stage", {"value": choice}, on, source(resource, when, coding, stage_text, "", choice)
            )
        elif coding is not None:
            run.problem(resource, "melanoma stage III is coded, but not whether it is resectable or recurrent")
