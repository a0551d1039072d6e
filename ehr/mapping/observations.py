"""Observation: labs, blood pressure, body weight, ECOG performance status and pregnancy tests.

Labs are found by LOINC code (the vocabulary's codes, then ALTERNATE_LOINC), and by name (LAB_NAMES) only when the
Observation carries no LOINC coding at all. A lab keeps the value and unit as written: the unit is only named as the
form accepts it; converting between units is the engine's job. Only valueQuantity is read for a measurement.
"""

from decimal import ROUND_HALF_UP, Decimal

from ehr.mapping.fhir import LOINC, SNOMED, UCUM, codings, day, first, number_text, period_start, source, text_of

# LOINC codes of the same analytes as the vocabulary's, under another specimen, method or unit (mass vs moles).
# Used only for analytes the vocabulary has (with a LOINC code of its own); the vocabulary's codes win.
ALTERNATE_LOINC = {
    # Platelets (vocabulary: 777-3 Platelets [#/volume] in Blood by Automated count)
    "777-3": "platelets",  # Platelets [#/volume] in Blood by Automated count
    "26515-7": "platelets",  # Platelets [#/volume] in Blood
    "778-1": "platelets",  # Platelets [#/volume] in Blood by Manual count
    # White blood cells (vocabulary: 6690-2 Leukocytes [#/volume] in Blood by Automated count)
    "6690-2": "wbc",  # Leukocytes [#/volume] in Blood by Automated count
    "26464-8": "wbc",  # Leukocytes [#/volume] in Blood
    "804-5": "wbc",  # Leukocytes [#/volume] in Blood by Manual count
    # Absolute neutrophil count (vocabulary: 751-8 Neutrophils [#/volume] in Blood by Automated count)
    "751-8": "anc",  # Neutrophils [#/volume] in Blood by Automated count
    "26499-4": "anc",  # Neutrophils [#/volume] in Blood
    "753-4": "anc",  # Neutrophils [#/volume] in Blood by Manual count
    # Neutrophils % (vocabulary: 770-8 Neutrophils/100 leukocytes in Blood by Automated count)
    "770-8": "neutrophils_pct",  # Neutrophils/100 leukocytes in Blood by Automated count
    "26511-6": "neutrophils_pct",  # Neutrophils/100 leukocytes in Blood
    "23761-0": "neutrophils_pct",  # Neutrophils/100 leukocytes in Blood by Manual count
    # Creatinine (vocabulary: 2160-0 Creatinine [Mass/volume] in Serum or Plasma)
    "2160-0": "creatinine",  # Creatinine [Mass/volume] in Serum or Plasma
    "38483-4": "creatinine",  # Creatinine [Mass/volume] in Blood (the code Synthea writes)
    "14682-9": "creatinine",  # Creatinine [Moles/volume] in Serum or Plasma (umol/L)
    # Total bilirubin (vocabulary: 1975-2 Bilirubin.total [Mass/volume] in Serum or Plasma)
    "1975-2": "bilirubin",  # Bilirubin.total [Mass/volume] in Serum or Plasma
    "14631-6": "bilirubin",  # Bilirubin.total [Moles/volume] in Serum or Plasma (umol/L)
    "42719-5": "bilirubin",  # Bilirubin.total [Mass/volume] in Blood (seen in Synthea exports)
    # AST (vocabulary: 1920-8 Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma)
    "1920-8": "ast",  # Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "30239-8": "ast",  # Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P
    # ALT (vocabulary: 1742-6 Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma)
    "1742-6": "alt",  # Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "1743-4": "alt",  # Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P
    "76625-3": "alt",  # Alanine aminotransferase [Enzymatic activity/volume] in Blood
    # INR (vocabulary: 6301-6 INR in Platelet poor plasma by Coagulation assay)
    "6301-6": "inr",  # INR in Platelet poor plasma by Coagulation assay
    "34714-6": "inr",  # INR in Blood by Coagulation assay
    "46418-0": "inr",  # INR in Capillary blood by Coagulation assay (point of care)
    # Total cholesterol (vocabulary: 2093-3 Cholesterol [Mass/volume] in Serum or Plasma)
    "2093-3": "cholesterol",  # Cholesterol [Mass/volume] in Serum or Plasma
    "14647-2": "cholesterol",  # Cholesterol [Moles/volume] in Serum or Plasma (mmol/L)
    # Triglycerides (vocabulary: 2571-8 Triglyceride [Mass/volume] in Serum or Plasma)
    "2571-8": "triglycerides",  # Triglyceride [Mass/volume] in Serum or Plasma
    "14927-8": "triglycerides",  # Triglyceride [Moles/volume] in Serum or Plasma (mmol/L)
}

# Lab names as charts write them (compared case-folded, spaces collapsed), for Observations with no LOINC coding.
LAB_NAMES = {
    "platelets": "platelets",
    "platelet count": "platelets",
    "plt": "platelets",
    "wbc": "wbc",
    "wbc count": "wbc",
    "white blood cell count": "wbc",
    "white blood cells": "wbc",
    "leukocytes": "wbc",
    "anc": "anc",
    "absolute neutrophil count": "anc",
    "neutrophils, absolute": "anc",
    "absolute neutrophils": "anc",
    "creatinine": "creatinine",
    "serum creatinine": "creatinine",
    "creatinine, serum": "creatinine",
    "total bilirubin": "bilirubin",
    "bilirubin, total": "bilirubin",
    "ast": "ast",
    "ast (sgot)": "ast",
    "sgot": "ast",
    "aspartate aminotransferase": "ast",
    "alt": "alt",
    "alt (sgpt)": "alt",
    "sgpt": "alt",
    "alanine aminotransferase": "alt",
    "inr": "inr",
    "pt/inr": "inr",
    "international normalized ratio": "inr",
    "total cholesterol": "cholesterol",
    "cholesterol, total": "cholesterol",
    "triglycerides": "triglycerides",
    "triglyceride": "triglycerides",
}

# Blood pressure: a panel with systolic and diastolic components, or the two as separate Observations.
BLOOD_PRESSURE_PANELS = {
    "85354-9": "Blood pressure panel with all children optional (US Core / FHIR vital signs)",
    "55284-4": "Blood pressure systolic and diastolic (the panel Synthea writes)",
}
SYSTOLIC = "8480-6"  # Systolic blood pressure
DIASTOLIC = "8462-4"  # Diastolic blood pressure
MM_HG = frozenset({"mm[Hg]", "mmHg", "mm Hg", "mm hg", "mmhg"})

BODY_WEIGHT = {
    "29463-7": "Body weight (FHIR vital signs; Synthea)",
    "3141-9": "Body weight Measured",
}
# Weight units (UCUM codes, then spellings as written, case-folded) -> kilograms per unit.
WEIGHT_UNITS = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "[lb_av]": Decimal("0.45359237"),
    "lb": Decimal("0.45359237"),
    "lbs": Decimal("0.45359237"),
    "kilogram": Decimal(1),
    "kilograms": Decimal(1),
    "pound": Decimal("0.45359237"),
    "pounds": Decimal("0.45359237"),
}

ECOG_SCORE = {"89247-1": "ECOG Performance Status score"}
# Coded ECOG grades: the LOINC answer list LL529-9 and the SNOMED CT grade findings.
ECOG_ANSWERS = {
    (LOINC, "LA9622-7"): 0,  # Fully active, able to carry on all pre-disease performance without restriction
    (LOINC, "LA9623-5"): 1,  # Restricted in physically strenuous activity but ambulatory ...
    (LOINC, "LA9624-3"): 2,  # Ambulatory and capable of all selfcare but unable to carry out any work activities ...
    (LOINC, "LA9625-0"): 3,  # Capable of only limited selfcare, confined to bed or chair more than 50% of waking hours
    (LOINC, "LA9626-8"): 4,  # Completely disabled. Cannot carry on any selfcare. Totally confined to bed or chair
    (LOINC, "LA9627-6"): 5,  # Dead
    (SNOMED, "425389002"): 0,  # ECOG performance status - grade 0
    (SNOMED, "422512005"): 1,  # ECOG performance status - grade 1
    (SNOMED, "422894000"): 2,  # ECOG performance status - grade 2
    (SNOMED, "423053003"): 3,  # ECOG performance status - grade 3
    (SNOMED, "423237006"): 4,  # ECOG performance status - grade 4
}

# Qualitative hCG tests only ([Presence]); quantitative ones (19080-1, 21198-7, ... [Units/volume]) are not read.
PREGNANCY_TESTS = {
    "2106-3": "Choriogonadotropin (pregnancy test) [Presence] in Urine",
    "2112-1": "Choriogonadotropin.beta subunit (pregnancy test) [Presence] in Urine",
    "2110-5": "Choriogonadotropin.beta subunit (pregnancy test) [Presence] in Serum or Plasma",
    "2118-8": "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma",
    "80384-1": "Choriogonadotropin (pregnancy test) [Presence] in Urine by Rapid immunoassay",
    "80385-8": "Choriogonadotropin (pregnancy test) [Presence] in Serum by Rapid immunoassay",
}
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PREGNANCY_RESULTS = {
    (SNOMED, "10828004"): "positive",  # Positive (qualifier value)
    (SNOMED, "260385009"): "negative",  # Negative (qualifier value)
    (LOINC, "LA6576-8"): "positive",  # Positive
    (LOINC, "LA6577-6"): "negative",  # Negative
    (INTERPRETATION, "POS"): "positive",
    (INTERPRETATION, "NEG"): "negative",
}
PREGNANCY_WORDS = {
    "positive": "positive",
    "pos": "positive",
    "detected": "positive",
    "negative": "negative",
    "neg": "negative",
    "not detected": "negative",
}

# Pregnancy status (US Core's pregnancy status profile): the answer "pregnant", not a test result.
PREGNANCY_STATUS = {"82810-3": "Pregnancy status"}
PREGNANCY_STATUS_ANSWERS = {
    (SNOMED, "77386006"): True,  # Pregnant (finding)
    (SNOMED, "60001007"): False,  # Not pregnant (finding)
    (LOINC, "LA15173-0"): True,  # Pregnant
    (LOINC, "LA26683-5"): False,  # Not pregnant
}

SKIPPED_STATUSES = {"entered-in-error": "entered in error", "cancelled": "cancelled"}

_FIXED_CODES = {
    **{code: ("blood_pressure", None) for code in BLOOD_PRESSURE_PANELS},
    SYSTOLIC: ("blood_pressure_part", "systolic"),
    DIASTOLIC: ("blood_pressure_part", "diastolic"),
    **{code: ("weight", None) for code in BODY_WEIGHT},
    **{code: ("ecog", None) for code in ECOG_SCORE},
    **{code: ("pregnancy_test", None) for code in PREGNANCY_TESTS},
    **{code: ("pregnancy_status", None) for code in PREGNANCY_STATUS},
}


def _name(text):
    return " ".join(text.replace("\u200b", "").casefold().split()) if text else ""


def _tables(run):
    """The LOINC lookup and the names for this run's vocabulary, built once per run."""
    tables = run.pending.get("observation_tables")
    if tables is None:
        loinc = run.context.loinc
        known = set(loinc.values())
        codes = {code: ("lab", analyte) for code, analyte in ALTERNATE_LOINC.items() if analyte in known}
        codes.update((code, ("lab", analyte)) for code, analyte in loinc.items())
        codes.update(_FIXED_CODES)
        names = {name: analyte for name, analyte in LAB_NAMES.items() if analyte in known}
        tables = run.pending["observation_tables"] = (codes, names)
    return tables


def _when(resource):
    return first(
        resource.get("effectiveDateTime"),
        period_start(resource.get("effectivePeriod")),
        resource.get("effectiveInstant"),
        resource.get("issued"),
    )


def map_observation(resource, run):
    status = resource.get("status")
    if status in SKIPPED_STATUSES:
        run.skip(resource, SKIPPED_STATUSES[status])
        return
    codes, names = _tables(run)
    concept = resource.get("code")
    found = codings(concept)
    for system, code, coding in found:
        if system == LOINC and code in codes:
            kind, argument = codes[code]
            HANDLERS[kind](resource, run, coding, argument)
            return
    if names and not any(system == LOINC for system, _, _ in found):
        written = [concept.get("text")] if isinstance(concept, dict) else []
        for _system, _code, coding in found:
            written.append(coding.get("display"))
        for text in written:
            analyte = names.get(_name(text))
            if analyte:
                _lab(resource, run, found[0][2] if found else None, analyte)
                return
    run.skip(resource, "other codes")


def _no_value(resource, run, what):
    absent = resource.get("dataAbsentReason")
    if absent:
        reason = text_of(absent) or next((code for _, code, _ in codings(absent)), "")
        run.problem(resource, f"{what}: no value (data absent: {reason or 'no reason given'})")
        return
    other = next((key for key in resource if key.startswith("value") and key != "valueQuantity"), None)
    run.problem(resource, f"{what}: no value" + (f" as a quantity (it has {other})" if other else ""))


def _quantity(resource, run, what):
    """(value text, valueQuantity) of a measurement, or None after reporting why it cannot be used."""
    quantity = resource.get("valueQuantity")
    if resource.get("dataAbsentReason") or not isinstance(quantity, dict) or quantity.get("value") is None:
        _no_value(resource, run, what)
        return None
    text = number_text(quantity["value"])
    if text is None:
        run.problem(resource, f"{what}: the value {quantity['value']!r} is not a number")
        return None
    comparator = quantity.get("comparator")
    if comparator:
        run.problem(resource, f"{what}: the value is {comparator}{text}, not an exact value")
        return None
    return text, quantity


def _unit_written(quantity):
    return quantity.get("unit") or quantity.get("code") or ""


def _uln(resource, quantity):
    """The upper limit of normal reported with the result (referenceRange[0].high), in the value's unit."""
    ranges = resource.get("referenceRange")
    high = ranges[0].get("high") if ranges and isinstance(ranges[0], dict) else None
    if not isinstance(high, dict):
        return None
    text = number_text(high.get("value"))
    high_unit, value_unit = _unit_written(high), _unit_written(quantity)
    if text is None or (
        high_unit and value_unit and high_unit != value_unit and high.get("code") != quantity.get("code")
    ):
        return None
    return text


def _lab(resource, run, coding, analyte):
    read = _quantity(resource, run, analyte)
    if read is None:
        return
    text, quantity = read
    written = _unit_written(quantity)
    accepted = run.context.units(analyte, written)
    code = quantity.get("code")
    if accepted is None and code and code != written:
        accepted = run.context.units(analyte, code)
    if accepted is None:
        run.problem(resource, f"unit {written or '(none)'} not recognised for {analyte}")
        return
    when = _when(resource)
    collected = day(when)
    value = {"value": text, "unit": accepted, "uln": _uln(resource, quantity), "collected_on": collected}
    run.add(
        f"lab:{analyte}",
        value,
        collected,
        source(resource, when, coding, text_of(resource.get("code"), coding), written, text),
    )


def _mmhg(holder):
    """(mmHg as an int, the value as written) of a blood pressure value, or (None, why not)."""
    quantity = holder.get("valueQuantity")
    if holder.get("dataAbsentReason") or not isinstance(quantity, dict) or quantity.get("value") is None:
        return None, "no value"
    text = number_text(quantity["value"])
    if text is None:
        return None, f"the value {quantity['value']!r} is not a number"
    unit = quantity.get("code") if quantity.get("system") in (UCUM, None) and quantity.get("code") else None
    unit = unit or quantity.get("unit")
    if unit and unit not in MM_HG:
        return None, f"the unit is {unit}, not mm[Hg]"
    return int(Decimal(text).to_integral_value(rounding=ROUND_HALF_UP)), text


def _add_blood_pressure(run, resource, when, coding, systolic, diastolic, also=()):
    taken = day(when)
    written = source(resource, when, coding, text_of(resource.get("code"), coding), "mm[Hg]")
    written["value"] = f"{systolic[1]}/{diastolic[1]}"
    if also:
        written["also"] = list(also)
    run.add("blood_pressure", {"taken_on": taken, "systolic": systolic[0], "diastolic": diastolic[0]}, taken, written)


def _blood_pressure(resource, run, coding, _):
    values = {}
    for component in resource.get("component") or ():
        for system, code, _coding in codings(component.get("code")):
            if system == LOINC and code in (SYSTOLIC, DIASTOLIC) and code not in values:
                values[code] = _mmhg(component)
    missing = []
    for code, part in ((SYSTOLIC, "systolic"), (DIASTOLIC, "diastolic")):
        value, why = values.get(code, (None, "missing"))
        if value is None:
            missing.append(f"{part} {why}")
    if missing:
        run.problem(resource, f"blood pressure panel: {', '.join(missing)}")
        return
    when = _when(resource)
    if day(when) is None:
        run.problem(resource, "blood pressure reading has no date")
        return
    _add_blood_pressure(run, resource, when, coding, values[SYSTOLIC], values[DIASTOLIC])


def _blood_pressure_part(resource, run, coding, part):
    value, why = _mmhg(resource)
    if value is None:
        run.problem(resource, f"{part} blood pressure: {why}")
        return
    when = _when(resource)
    if day(when) is None:
        run.problem(resource, f"{part} blood pressure has no date")
        return
    key = when.replace("Z", "+00:00")
    parts = run.pending.setdefault("blood_pressure_parts", {}).setdefault(key, {"systolic": [], "diastolic": []})
    parts[part].append((resource, coding, (value, why), when))


def finish(run):
    """Pair separate systolic and diastolic Observations taken at the same date-time into one reading."""
    for parts in run.pending.pop("blood_pressure_parts", {}).values():
        systolics, diastolics = parts["systolic"], parts["diastolic"]
        for (resource, coding, systolic, when), (other, _, diastolic, _) in zip(systolics, diastolics, strict=False):
            _add_blood_pressure(run, resource, when, coding, systolic, diastolic, also=[str(other.get("id", ""))])
        paired = min(len(systolics), len(diastolics))
        for part, missing, rest in (("systolic", "diastolic", systolics), ("diastolic", "systolic", diastolics)):
            for resource, _, _, when in rest[paired:]:
                run.problem(resource, f"{part} blood pressure with no {missing} taken at the same time ({when})")


def _weight(resource, run, coding, _):
    read = _quantity(resource, run, "body weight")
    if read is None:
        return
    text, quantity = read
    code, written = quantity.get("code"), _unit_written(quantity)
    factor = WEIGHT_UNITS.get(code) if code else None
    if factor is None:
        factor = WEIGHT_UNITS.get(_name(quantity.get("unit") or ""))
    if factor is None:
        run.problem(resource, f"body weight in {written or 'no unit'}: not a unit of weight the import reads")
        return
    kg = (Decimal(text) * factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    when = _when(resource)
    run.add(
        "weight_kg",
        {"value": str(kg)},
        day(when),
        source(resource, when, coding, text_of(resource.get("code"), coding), written, text),
    )


def _ecog(resource, run, coding, _):
    score, written = None, ""
    if "valueInteger" in resource:
        score = resource["valueInteger"]
        written = str(score)
    elif isinstance(resource.get("valueCodeableConcept"), dict):
        concept = resource["valueCodeableConcept"]
        for system, code, answer in codings(concept):
            if (system, code) in ECOG_ANSWERS:
                score, written = ECOG_ANSWERS[system, code], text_of(concept, answer) or code
                break
        else:
            written = text_of(concept) or ", ".join(code for _, code, _ in codings(concept))
            run.problem(resource, f"ECOG: the answer {written or '(no code)'} is not an ECOG grade the import reads")
            return
    elif isinstance(resource.get("valueQuantity"), dict) and not resource.get("dataAbsentReason"):
        written = number_text(resource["valueQuantity"].get("value")) or ""
        number = Decimal(written) if written else None
        score = int(number) if number is not None and number == number.to_integral_value() else written
    else:
        _no_value(resource, run, "ECOG")
        return
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 5:
        run.problem(resource, f"ECOG: {written} is not a grade from 0 to 5")
        return
    when = _when(resource)
    run.add(
        "ecog",
        {"value": score},
        day(when),
        source(resource, when, coding, text_of(resource.get("code"), coding), "", written),
    )


def _pregnancy_test(resource, run, coding, _):
    result, written = None, ""
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict):
        for system, code, answer in codings(concept):
            if (system, code) in PREGNANCY_RESULTS:
                result, written = PREGNANCY_RESULTS[system, code], text_of(concept, answer) or code
                break
        else:
            written = text_of(concept)
            result = PREGNANCY_WORDS.get(_name(written))
    elif isinstance(resource.get("valueString"), str):
        written = resource["valueString"]
        result = PREGNANCY_WORDS.get(_name(written))
    else:
        _no_value(resource, run, "pregnancy test")
        return
    if result is None:
        run.problem(resource, f"pregnancy test: the result {written or '(not named)'} is neither positive nor negative")
        return
    when = _when(resource)
    run.add(
        "answer:pregnancy_test",
        {"value": result},
        day(when),
        source(resource, when, coding, text_of(resource.get("code"), coding), "", written),
    )


def _pregnancy_status(resource, run, coding, _):
    concept = resource.get("valueCodeableConcept")
    answers = [
        (PREGNANCY_STATUS_ANSWERS[system, code], answer)
        for system, code, answer in codings(concept)
        if (system, code) in PREGNANCY_STATUS_ANSWERS
    ]
    if not answers:
        written = text_of(concept) if isinstance(concept, dict) else ""
        run.problem(resource, f"pregnancy status: {written or 'no value'} is neither pregnant nor not pregnant")
        return
    pregnant, answer = answers[0]
    when = _when(resource)
    written = text_of(concept, answer)
    run.add(
        "answer:pregnant",
        {"value": pregnant},
        day(when),
        source(resource, when, coding, text_of(resource.get("code"), coding), "", written),
    )


HANDLERS = {
    "lab": _lab,
    "blood_pressure": _blood_pressure,
    "blood_pressure_part": _blood_pressure_part,
    "weight": _weight,
    "ecog": _ecog,
    "pregnancy_test": _pregnancy_test,
    "pregnancy_status": _pregnancy_status,
}
