"""Rule engine throughput on NCT00349206, against a hand-written function that decides the same criteria.

Run from the project root: `.venv/bin/python bench/engine.py`. No Django and no database: the vocabularies and the
criteria are read from the JSON fixtures. Before anything is timed, both decide every generated candidate and must
agree on every status, which is what makes the baseline a fair one. The last line printed is one JSON object.
"""

import calendar
import gc
import json
import math
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening.rules import (  # noqa: E402
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    UNKNOWN,
    BloodPressure,
    CandidateFacts,
    LabResult,
    Lesion,
    Medication,
    PriorTherapy,
    RuleSet,
    Verdict,
)
from screening.rules import facts as F  # noqa: E402
from screening.rules.shipped import load_criteria, load_vocabulary  # noqa: E402
from screening.rules.vocabulary import UnitError  # noqa: E402

FIXTURES = ROOT / "fixtures"
SCREENING_DATE = date(2026, 11, 27)
CANDIDATES = 10_000
SEED = 20060401
PASSES = 3
TARGET_PER_S = 5_000
TARGET_RATIO = 1 / 3
SHOWN_DIFFERENCES = 10


def attestation_questions(specs):
    """Attestation question -> the answer that passes, wherever it sits in the criteria's rule trees."""
    found, stack = {}, [spec.rule for spec in specs]
    while stack:
        rule = stack.pop()
        if rule["type"] == "attestation":
            found[rule["question"]] = rule["pass_answer"]
        stack.extend(rule.get("rules", ()))
        stack.extend(rule[key] for key in ("rule", "allowed_if") if key in rule)
    return found


# Candidates: every input the criteria read, spread around each threshold, some of it missing.

# analyte -> (threshold in its canonical unit, the multiples of it a typical candidate has, units with printed decimals)
ABSOLUTE_LABS = {
    "wbc": (3000, (1.3, 3.0), (("/mm3", 0), ("/uL", 0), ("cells/uL", 0), ("10^3/uL", 1), ("K/uL", 2), ("10^9/L", 1))),
    "anc": (1500, (1.3, 4.0), (("/uL", 0), ("cells/uL", 0), ("10^3/uL", 2), ("x10³/µL", 2), ("10^9/L", 1))),
    "platelets": (100_000, (1.3, 3.5), (("/mm3", 0), ("10^3/uL", 0), ("K/uL", 0), ("10^9/L", 0))),
    "cholesterol": (350, (0.4, 0.85), (("mg/dL", 0), ("mmol/L", 2))),
    "triglycerides": (400, (0.25, 0.8), (("mg/dL", 0), ("mmol/L", 2))),
    "creatinine_clearance": (60, (1.1, 2.0), (("mL/min", 0), ("mL/s", 2))),
}
# analyte -> (the criterion's multiple of the ULN, (unit, ULN in that unit, printed decimals) as labs report them)
ULN_LABS = {
    "bilirubin": (1, (("mg/dL", 1.2, 1), ("umol/L", 21, 0))),
    "creatinine": (1, (("mg/dL", 1.1, 2), ("umol/L", 97, 0))),
    "ast": (2.5, (("U/L", 40, 0), ("IU/L", 40, 0), ("ukat/L", 0.67, 2))),
    "alt": (2.5, (("U/L", 45, 0), ("IU/L", 45, 0), ("ukat/L", 0.75, 2))),
    "inr": (1.1, (("ratio", 1.1, 2), ("ratio", 1.2, 2))),
}
UNACCEPTED_UNITS = ("%", "g/L", "mEq/L")

# fact -> the answers a typical candidate gives; a troubled one may give any answer the fact accepts
USUAL_ANSWERS = {
    "histology_confirmed": (True,),
    "melanoma_stage": ("stage_3_unresectable", "stage_3_recurrent", "stage_4"),
    "primary_site": ("cutaneous", "acral", "mucosal", "unknown_primary"),
    "tumor_accessible_to_biopsy": (True, True, False),
    "agrees_to_provide_sample": (True,),
    "pregnant": (False,),
    "nursing": (False,),
    "pregnancy_test": ("negative",),
    "uses_contraception": (True,),
    "childbearing_potential": (True, False),
    "reproductive_potential": (True, False),
    "hiv_positive": (False, False, True),
    "target_lesions_in_regional_field": (True, False),
    "brain_metastases": (False, False, True),
    "brain_metastases_stable": (True,),
    "brain_metastases_symptomatic": (False,),
    "brain_metastases_on_steroids": (False,),
}

# event -> (days back where its criterion changes its answer, days back a typical candidate's events lie within)
EVENTS = {
    "major_surgery": (21, (30, 2000)),
    "traumatic_injury": (21, (30, 2000)),
    "radiotherapy": (28, (40, 2000)),
    "brain_metastases_treatment": (92, (100, 1000)),
    "tumor_sample": (92, (10, 85)),
}

AGENTS = {
    "systemic_chemotherapy": (
        ("dacarbazine",),
        ("temozolomide",),
        ("Temodar",),
        ("carmustine",),
        ("BCNU", "cisplatin"),
        ("mitomycin C",),
        ("XYZ-4471",),
        ("dacarbazine", "XYZ-4471"),
        (),
    ),
    "regional_chemotherapy": (("melphalan",), ("mitomycin C",), ()),
    "immunotherapy": (("ipilimumab",), ("interleukin-2",), ("nivolumab",), ("interferon alfa",)),
    "targeted_therapy": (
        ("vemurafenib",),
        ("sorafenib",),
        ("dabrafenib", "trametinib"),
        ("imatinib",),
        ("everolimus",),
    ),
    "other": (("XYZ-4471",), ("imatinib",)),
}
MODALITY_WEIGHTS = {
    "systemic_chemotherapy": 8,
    "regional_chemotherapy": 2,
    "immunotherapy": 5,
    "targeted_therapy": 4,
    "other": 1,
}
SETTING_CHOICES = ("metastatic", "metastatic", "adjuvant", "other_cancer")
THERAPY_BOUNDARIES = (28, 42, 1826)  # 4 weeks, 6 weeks and 5 years before the screening date

USUAL_MEDICATIONS = ("lisinopril 10 mg", "acetaminophen 500 mg", "Lovenox 40 mg SC daily")
ALL_MEDICATIONS = (
    *USUAL_MEDICATIONS,
    "Coumadin 5 mg PO daily",
    "DILANTIN 100 mg",
    "st. john's wort",
    "Neupogen",
    "Biktarvy",
    "heparin 5000 units SC",
    "grapefruit juice",
    "vemurafenib 960 mg PO BID",
    "Zorblatin 20 mg",
)
PURPOSE_CHOICES = (F.PROPHYLACTIC, F.THERAPEUTIC, None)

LESION_MINIMUM_MM = {"conventional": 20, "spiral_ct": 10, "cutaneous": 10}


def days_ago(n):
    return SCREENING_DATE - timedelta(days=n)


def generate(count, seed, vocabulary, questions):
    """(facts, cohort) pairs, reproducible; each candidate gets its own share of trouble, from none to a lot."""
    rng = random.Random(seed)
    return [_candidate(rng, rng.choice((0.01, 0.05, 0.2, 0.5)), vocabulary.analytes, questions) for _ in range(count)]


def _candidate(rng, trouble, analytes, questions):
    def troubled():
        return rng.random() < trouble

    def absent():
        return rng.random() < trouble / 3

    labs = {}
    for code, (threshold, usual, units) in ABSOLUTE_LABS.items():
        if absent() or (code == "creatinine_clearance" and rng.random() < 0.8):  # clearance is rarely measured
            continue
        unit, decimals = rng.choice(units)
        canonical = threshold * (rng.uniform(0.8, 1.25) if troubled() else rng.uniform(*usual))
        if rng.random() < 0.05:
            canonical = threshold
        value = round(canonical / analytes[code].to_canonical(1.0, unit), decimals)
        labs[code] = LabResult(value, _maybe_unaccepted(rng, unit), collected_on=days_ago(rng.randint(0, 14)))
    for code, (multiple, units) in ULN_LABS.items():
        if absent():
            continue
        unit, uln, decimals = rng.choice(units)
        share = rng.uniform(0.85, 1.15) if troubled() else rng.uniform(0.3, 0.9)
        value = round(multiple * uln * (1.0 if rng.random() < 0.05 else share), decimals)
        labs[code] = LabResult(
            value,
            _maybe_unaccepted(rng, unit),
            uln=None if absent() else uln,
            collected_on=days_ago(rng.randint(0, 14)),
        )

    grades = {}
    if not absent():
        grades["ecog"] = rng.randint(0, 3) if troubled() else rng.randint(0, 1)
    if not absent():
        grades["peripheral_neuropathy"] = rng.randint(0, 3) if troubled() else rng.randint(0, 2)

    answers = {}
    for fact, usual in USUAL_ANSWERS.items():
        if not absent():
            choices = F.FACTS[fact].choices
            anything = (True, False) if choices is None else tuple(choices)
            answers[fact] = rng.choice(anything if troubled() else usual)
    for question, passing in questions.items():
        if not absent():
            flip = troubled() and rng.random() < 0.5
            answers[question] = (not passing) if flip else passing

    events = {}
    for event, (boundary, (low, high)) in EVENTS.items():
        if absent():
            continue
        if troubled():
            events[event] = tuple(
                days_ago(boundary + rng.randint(-3, 3) if rng.random() < 0.6 else rng.randint(-2, 400))
                for _ in range(rng.randint(0, 2))
            )
        else:
            events[event] = tuple(days_ago(rng.randint(low, high)) for _ in range(rng.choice((0, 0, 1))))

    if absent():
        birth_date = None
    elif troubled():  # around the 18th birthday
        birth_date = SCREENING_DATE.replace(year=SCREENING_DATE.year - 18) + timedelta(days=rng.randint(-10, 10))
    else:
        birth_date = days_ago(rng.randint(19 * 365 + 5, 85 * 365))

    facts = CandidateFacts(
        birth_date=birth_date,
        sex=None if absent() else rng.choice((F.FEMALE, F.MALE)),
        weight_kg=None if absent() else round(rng.uniform(45, 120), 1),
        labs=labs,
        grades=grades,
        answers=answers,
        events=events,
        prior_therapies=None if absent() else _therapies(rng, troubled),
        medications=None if absent() else _medications(rng, troubled),
        blood_pressures=None if absent() else _blood_pressures(rng, troubled),
        lesions=None if absent() else _lesions(rng, troubled),
    )
    return facts, rng.choice(("phase1", "phase2"))


def _maybe_unaccepted(rng, unit):
    return rng.choice(UNACCEPTED_UNITS) if rng.random() < 0.005 else unit


def _therapies(rng, troubled):
    return tuple(_therapy(rng, troubled) for _ in range(rng.choice((0, 1, 1, 2, 3) if troubled() else (0, 1))))


def _therapy(rng, troubled):
    modality = rng.choices(tuple(MODALITY_WEIGHTS), weights=tuple(MODALITY_WEIGHTS.values()))[0]
    setting = rng.choice(SETTING_CHOICES)
    roll = rng.random()
    if not troubled():
        ended = days_ago(rng.randint(1900, 4000) if setting == "other_cancer" else rng.randint(60, 1500))
    elif roll < 0.05:
        ended = None
    elif roll < 0.1:
        ended = days_ago(-rng.randint(1, 30))  # still going after the screening date
    elif roll < 0.7:
        ended = days_ago(rng.choice(THERAPY_BOUNDARIES) + rng.randint(-3, 3))
    else:
        ended = days_ago(rng.randint(1, 3000))
    started = None if ended is None else ended - timedelta(days=rng.randint(20, 200))
    return PriorTherapy(modality, setting, rng.choice(AGENTS[modality]), started, ended)


def _medications(rng, troubled):
    medications = []
    for _ in range(rng.randint(0, 4) if troubled() else rng.randint(0, 2)):
        if troubled():
            medications.append(
                Medication(rng.choice(ALL_MEDICATIONS), rng.choice(PURPOSE_CHOICES), active=rng.random() < 0.85)
            )
        else:
            medications.append(Medication(rng.choice(USUAL_MEDICATIONS), F.PROPHYLACTIC))
    return tuple(medications)


def _blood_pressures(rng, troubled):
    readings = []
    for _ in range(rng.randint(0, 4) if troubled() else rng.randint(1, 3)):
        if troubled():
            readings.append(BloodPressure(days_ago(rng.randint(-1, 10)), rng.randint(128, 155), rng.randint(80, 98)))
        else:
            readings.append(BloodPressure(days_ago(rng.randint(0, 6)), rng.randint(105, 138), rng.randint(60, 88)))
    return tuple(readings)


def _lesions(rng, troubled):
    lesions = []
    for _ in range(rng.randint(0, 3) if troubled() else rng.randint(1, 2)):
        method = rng.choice(tuple(LESION_MINIMUM_MM))
        minimum = LESION_MINIMUM_MM[method]
        if troubled():
            size = minimum if rng.random() < 0.1 else round(minimum + rng.uniform(-4, 3), 1)
        else:
            size = round(minimum + rng.uniform(2, 40), 1)
        lesions.append(Lesion(size, method))
    return tuple(lesions)


# The baseline: NCT00349206 decided by hand with plain ifs.

STAGES = frozenset({"stage_3_unresectable", "stage_3_recurrent", "stage_4"})
NOT_CHOROIDAL = frozenset({"cutaneous", "acral", "mucosal", "unknown_primary"})
CHEMOTHERAPY = frozenset({"systemic_chemotherapy", "regional_chemotherapy"})
FOR_MELANOMA = frozenset({"metastatic", "adjuvant"})
SLOW_WASHOUT = frozenset({"nitrosourea", "mitomycin"})
PHASE2_EXCLUDED = frozenset({"raf_inhibitor", "vegf_inhibitor", "mtor_inhibitor"})
INDUCERS = frozenset({"enzyme_inducing_aed", "cyp3a4_inducer"})
ANTICANCER = frozenset(
    {"antineoplastic", "immunotherapy", "raf_inhibitor", "vegf_inhibitor", "mtor_inhibitor", "mek_inhibitor"}
)
CSF = frozenset({"colony_stimulating_factor"})
ANTICOAGULANT = frozenset({"anticoagulant"})
GRAPEFRUIT = frozenset({"grapefruit"})
ANTIRETROVIRAL = frozenset({"antiretroviral"})


def _equal(value, limit):
    """Equal up to float rounding from unit conversion, as the engine counts a value on the limit."""
    return math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12)


def _fact(value, allowed):
    return UNKNOWN if value is None else MET if value in allowed else NOT_MET


def _attested(answer, passing):
    return UNKNOWN if answer is None else MET if answer is passing else NOT_MET


def _lab(lab, analyte, limit, at_most):
    """A lab against a limit in the analyte's canonical unit, whatever unit it was reported in."""
    if lab is None:
        return UNKNOWN
    try:
        value = analyte.to_canonical(lab.value, lab.unit)
    except UnitError:
        return UNKNOWN
    if _equal(value, limit):
        return MET
    return MET if (value < limit if at_most else value > limit) else NOT_MET


def _within_uln(lab, multiple):
    if lab is None or lab.uln is None or lab.uln <= 0:
        return UNKNOWN
    limit = multiple * lab.uln
    return MET if lab.value <= limit or _equal(lab.value, limit) else NOT_MET


def _since(dates, on, cutoff, required=False):
    """The latest event must be on or before the cutoff; with none recorded, pass unless one is required."""
    if dates is None:
        return UNKNOWN
    if not dates:
        return NOT_MET if required else MET
    latest = max(dates)
    if latest > on:
        return UNKNOWN
    return NOT_MET if latest > cutoff else MET


def _months_before(day, months):
    """Calendar months back, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _takes(active, classes, purpose=None):
    """(takes an active drug of the classes for the purpose, some medication needs review first)."""
    takes = review = False
    for medication, matches in active:
        if not matches:
            review = True
        elif any(match.drug.classes & classes for match in matches):
            if purpose is None or medication.purpose == purpose:
                takes = True
            elif medication.purpose is None:
                review = True
    return takes, review


def baseline_evaluate(facts, screening_date, cohort, vocabulary):
    """[(code, status)] in protocol order, and the verdict."""
    on = screening_date
    analytes = vocabulary.analytes
    match = vocabulary.matcher.match
    answers = facts.answers
    labs = facts.labs
    events = facts.events
    therapies = facts.prior_therapies
    medications = facts.medications
    sex = facts.sex
    three_weeks_ago = on - timedelta(weeks=3)
    four_weeks_ago = on - timedelta(weeks=4)
    six_weeks_ago = on - timedelta(weeks=6)
    three_months_ago = _months_before(on, 3)
    five_years_ago = _months_before(on, 60)
    born = facts.birth_date
    age = None if born is None else on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    active = [] if medications is None else [(m, match(m.text)) for m in medications if m.active]
    out = []

    out.append(("IN00", UNKNOWN if age is None else NOT_MET if age < 18 else MET))

    parts = (
        _fact(answers.get("histology_confirmed"), (True,)),
        _fact(answers.get("melanoma_stage"), STAGES),
        _fact(answers.get("primary_site"), NOT_CHOROIDAL),
    )
    out.append(("IN01", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    accessible = _fact(answers.get("tumor_accessible_to_biopsy"), (True,))
    if accessible != MET:  # any-of: the archived sample is looked at only when biopsy access does not settle it
        sample = events.get("tumor_sample")
        if sample is None:
            recent_sample = UNKNOWN
        elif not sample:
            recent_sample = NOT_MET
        else:
            latest = max(sample)
            recent_sample = UNKNOWN if latest > on else NOT_MET if latest < three_months_ago else MET
        parts = (recent_sample, _fact(answers.get("agrees_to_provide_sample"), (True,)))
        provided = NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET
    parts = (accessible, provided) if accessible != MET else (MET,)
    out.append(("IN02", MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET))

    ecog = facts.grades.get("ecog")
    out.append(("IN03", UNKNOWN if ecog is None else NOT_MET if ecog > 1 else MET))

    out.append(("IN04", _within_uln(labs.get("bilirubin"), 1)))

    creatinine = labs.get("creatinine")
    normal_creatinine = _within_uln(creatinine, 1)
    measured = labs.get("creatinine_clearance")
    if normal_creatinine == MET:
        clearance = MET
    elif measured is not None:
        clearance = _lab(measured, analytes["creatinine_clearance"], 60, at_most=False)
    elif age is None or facts.weight_kg is None or sex is None or creatinine is None:
        clearance = UNKNOWN
    else:
        try:
            mg_dl = analytes["creatinine"].to_canonical(creatinine.value, creatinine.unit)
        except UnitError:
            clearance = UNKNOWN
        else:
            estimate = (140 - age) * facts.weight_kg / (72 * mg_dl)  # Cockcroft-Gault
            if sex == F.FEMALE:
                estimate *= 0.85
            clearance = MET if estimate >= 60 or _equal(estimate, 60) else NOT_MET
    parts = (normal_creatinine, clearance)
    out.append(("IN05", MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET))

    if sex is not None and sex != F.FEMALE:
        status = NOT_APPLICABLE
    else:
        parts = (_fact(answers.get("pregnant"), (False,)), _fact(answers.get("nursing"), (False,)))
        status = NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET
        if sex is None and status == NOT_MET:
            status = UNKNOWN
    out.append(("EX01", status))

    potential = answers.get("childbearing_potential")
    if potential is not None and not potential:
        status = NOT_APPLICABLE
    else:
        status = _fact(answers.get("pregnancy_test"), ("negative",))
        if potential is None and status == NOT_MET:
            status = UNKNOWN
    out.append(("IN06", status))

    potential = answers.get("reproductive_potential")
    if potential is not None and not potential:
        status = NOT_APPLICABLE
    else:
        status = _fact(answers.get("uses_contraception"), (True,))
        if potential is None and status == NOT_MET:
            status = UNKNOWN
    out.append(("IN07", status))

    out.append(("EX02", _attested(answers.get("allergy_similar_compounds"), False)))

    readings = facts.blood_pressures
    if readings is None:
        status = UNKNOWN
    else:
        week_start = on - timedelta(days=6)
        measured_days, high_systolic, high_diastolic = set(), set(), set()
        for reading in readings:
            if week_start <= reading.taken_on <= on:
                measured_days.add(reading.taken_on)
                if reading.systolic > 140:
                    high_systolic.add(reading.taken_on)
                if reading.diastolic > 90:
                    high_diastolic.add(reading.taken_on)
        if not measured_days:
            status = UNKNOWN
        elif len(high_systolic) >= 2 or len(high_diastolic) >= 2:
            status = NOT_MET
        elif (high_systolic or high_diastolic) and len(measured_days) < 2:
            status = UNKNOWN  # one high day and no other day measured
        else:
            status = MET
    out.append(("EX03", status))

    out.append(("EX04", _attested(answers.get("bleeding_diathesis"), False)))
    out.append(("EX05", _attested(answers.get("cannot_swallow_pills"), False)))
    out.append(("EX06", _attested(answers.get("uncontrolled_illness"), False)))
    out.append(("EX07", _since(events.get("traumatic_injury"), on, three_weeks_ago)))

    if cohort != "phase2":
        out.append(("EX08", NOT_APPLICABLE))
        out.append(("EX09", NOT_APPLICABLE))
    elif therapies is None:
        out.append(("EX08", UNKNOWN))
        out.append(("EX09", UNKNOWN))
    else:
        regimens = sum(t.modality == "systemic_chemotherapy" and t.setting == "metastatic" for t in therapies)
        out.append(("EX08", NOT_MET if regimens > 1 else MET))
        excluded = unrecognised = False
        for therapy in therapies:
            unrecognised = unrecognised or not therapy.agents  # an unnamed agent could have been sorafenib
            for agent in therapy.agents:
                matches = match(agent)
                if not matches:
                    unrecognised = True
                elif any(m.drug.classes & PHASE2_EXCLUDED for m in matches):
                    excluded = True
        out.append(("EX09", NOT_MET if excluded else UNKNOWN if unrecognised else MET))

    out.append(("EX10", _attested(answers.get("surgery_affecting_absorption"), False)))
    out.append(("IN08", _since(events.get("major_surgery"), on, three_weeks_ago)))

    if therapies is None:
        washout = UNKNOWN
    else:
        washout = MET
        for therapy in therapies:
            if therapy.modality not in CHEMOTHERAPY or therapy.setting not in FOR_MELANOMA:
                continue
            ended = therapy.ended_on
            if ended is None:
                status = UNKNOWN
            elif ended > four_weeks_ago:
                status = NOT_MET
            elif ended <= six_weeks_ago:
                status = MET
            else:  # between 4 and 6 weeks: it depends on the agents
                # With no agent named, a nitrosourea or mitomycin C cannot be ruled out any more than with an
                # unrecognised one.
                slow, unrecognised = False, not therapy.agents
                for agent in therapy.agents:
                    matches = match(agent)
                    unrecognised = unrecognised or not matches
                    slow = slow or any(m.drug.classes & SLOW_WASHOUT for m in matches)
                status = NOT_MET if slow else UNKNOWN if unrecognised else MET
            if status == NOT_MET or washout == MET:
                washout = status
    parts = (washout, _attested(answers.get("recovered_from_chemotherapy"), True))
    out.append(("IN09", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    parts = (
        _since(events.get("radiotherapy"), on, four_weeks_ago),
        _attested(answers.get("recovered_from_radiotherapy"), True),
    )
    out.append(("IN10", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    out.append(("IN11", MET))

    if therapies is None:
        regional = UNKNOWN
    else:
        count = sum(t.modality == "regional_chemotherapy" and t.setting in FOR_MELANOMA for t in therapies)
        regional = NOT_MET if count > 1 else MET
    parts = (regional, _fact(answers.get("target_lesions_in_regional_field"), (False,)))
    out.append(("IN12", MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET))

    if medications is None:
        inducers = csf = anticancer = therapeutic_anticoagulant = grapefruit = antiretroviral = UNKNOWN
        prophylactic_anticoagulant = UNKNOWN
    else:
        takes, review = _takes(active, INDUCERS)
        inducers = NOT_MET if takes else UNKNOWN if review else MET
        takes, review = _takes(active, CSF, F.PROPHYLACTIC)
        csf = NOT_MET if takes else UNKNOWN if review else MET
        takes, review = _takes(active, ANTICANCER)
        anticancer = NOT_MET if takes else UNKNOWN if review else MET
        takes, review = _takes(active, ANTICOAGULANT, F.THERAPEUTIC)
        therapeutic_anticoagulant = NOT_MET if takes else UNKNOWN if review else MET
        takes, review = _takes(active, GRAPEFRUIT)
        grapefruit = NOT_MET if takes else UNKNOWN if review else MET
        takes, review = _takes(active, ANTIRETROVIRAL)
        antiretroviral = NOT_MET if takes else UNKNOWN if review else MET
        # Prophylactic anticoagulation is allowed only with PT INR below 1.1 x ULN.
        takes, review = _takes(active, ANTICOAGULANT, F.PROPHYLACTIC)
        inr = labs.get("inr")
        if not takes:
            inr_ok = MET
        elif inr is None or inr.uln is None or inr.uln <= 0:
            inr_ok = UNKNOWN
        else:
            limit = 1.1 * inr.uln
            inr_ok = MET if inr.value < limit and not _equal(inr.value, limit) else NOT_MET
        prophylactic_anticoagulant = inr_ok if inr_ok == NOT_MET or not review else UNKNOWN

    out.append(("EX11", inducers))
    out.append(("EX12", csf))
    out.append(("EX13", _attested(answers.get("investigational_agents"), False)))
    parts = (anticancer, _attested(answers.get("other_anticancer_therapy"), False))
    out.append(("EX14", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))
    out.append(("EX15", therapeutic_anticoagulant))
    parts = (grapefruit, _attested(answers.get("grapefruit"), False))
    out.append(("EX16", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    hiv = answers.get("hiv_positive")
    if hiv is not None and not hiv:
        out.append(("EX17", NOT_APPLICABLE))
    else:
        out.append(("EX17", UNKNOWN if hiv is None and antiretroviral == NOT_MET else antiretroviral))

    out.append(("IN13", prophylactic_anticoagulant))

    lesions = facts.lesions
    if lesions is None:
        status = UNKNOWN
    else:
        status = NOT_MET
        for lesion in lesions:
            minimum = LESION_MINIMUM_MM[lesion.method]
            if lesion.size_mm >= minimum or _equal(lesion.size_mm, minimum):
                status = MET
    out.append(("IN14", status))

    no_brain_metastases = _fact(answers.get("brain_metastases"), (False,))
    if no_brain_metastases == MET:
        parts = (MET,)
    else:
        parts = (
            _since(events.get("brain_metastases_treatment"), on, three_months_ago, required=True),
            _fact(answers.get("brain_metastases_stable"), (True,)),
            _fact(answers.get("brain_metastases_symptomatic"), (False,)),
            _fact(answers.get("brain_metastases_on_steroids"), (False,)),
        )
        controlled = NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET
        parts = (no_brain_metastases, controlled)
    out.append(("EX18", MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET))

    out.append(("IN15", _lab(labs.get("wbc"), analytes["wbc"], 3000, at_most=False)))
    out.append(("IN16", _lab(labs.get("anc"), analytes["anc"], 1500, at_most=False)))
    out.append(("IN17", _lab(labs.get("platelets"), analytes["platelets"], 100_000, at_most=False)))
    out.append(("IN18", _lab(labs.get("cholesterol"), analytes["cholesterol"], 350, at_most=True)))
    out.append(("IN19", _lab(labs.get("triglycerides"), analytes["triglycerides"], 400, at_most=True)))

    parts = (_within_uln(labs.get("ast"), 2.5), _within_uln(labs.get("alt"), 2.5))
    out.append(("IN20", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    neuropathy = facts.grades.get("peripheral_neuropathy")
    out.append(("EX19", UNKNOWN if neuropathy is None else NOT_MET if neuropathy > 2 else MET))

    if therapies is None:
        status = UNKNOWN
    else:
        status = MET
        for therapy in therapies:
            if therapy.modality in CHEMOTHERAPY and therapy.setting == "other_cancer":
                ended = therapy.ended_on
                this = UNKNOWN if ended is None else NOT_MET if ended > five_years_ago else MET
                if this == NOT_MET or status == MET:
                    status = this
    out.append(("IN21", status))

    statuses = {status for _, status in out}
    if NOT_MET in statuses:
        return out, Verdict.INELIGIBLE
    return out, Verdict.INCOMPLETE if UNKNOWN in statuses else Verdict.ELIGIBLE


# The run


def cross_check(ruleset, vocabulary, candidates):
    """Every disagreement between engine and baseline, the engine's verdicts, and which statuses each code reached."""
    differences, verdicts, reached = [], Counter(), {}
    for index, (facts, cohort) in enumerate(candidates):
        result = ruleset.evaluate(facts, SCREENING_DATE, cohort)
        statuses, verdict = baseline_evaluate(facts, SCREENING_DATE, cohort, vocabulary)
        baseline = dict(statuses)
        for criterion in result.criteria:
            reached.setdefault(criterion.code, set()).add(criterion.status)
            mine = baseline.pop(criterion.code, None)
            if mine != criterion.status:
                differences.append((index, criterion.code, criterion.status, criterion.reason, mine))
        differences.extend(
            (index, code, None, "not a criterion of the engine", mine) for code, mine in baseline.items()
        )
        if verdict != result.verdict:
            differences.append((index, "verdict", result.verdict.value, "", verdict.value))
        verdicts[result.verdict.value] += 1
    return differences, verdicts, reached


def best_time(evaluate, candidates):
    """The fastest of PASSES full passes: the least disturbed by everything else on the machine."""
    best = math.inf
    for _ in range(PASSES):
        gc.collect()
        start = time.perf_counter()
        for facts, cohort in candidates:
            evaluate(facts, cohort)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    vocabulary = load_vocabulary()
    specs = load_criteria()
    ruleset = RuleSet(specs, vocabulary)
    candidates = generate(CANDIDATES, SEED, vocabulary, attestation_questions(specs))
    print(f"NCT00349206: {len(specs)} criteria; {len(candidates):,} candidates (seed {SEED}) on {SCREENING_DATE}")

    differences, verdicts, reached = cross_check(ruleset, vocabulary, candidates)
    if differences:
        print(f"\nCross-check FAILED: {len(differences):,} disagreement(s) between engine and baseline. First ones:")
        for index, code, engine_status, reason, baseline_status in differences[:SHOWN_DIFFERENCES]:
            print(f"  candidate {index} {code}: engine {engine_status} ({reason}); baseline {baseline_status}")
        print("By code: " + ", ".join(f"{code} {n}" for code, n in Counter(d[1] for d in differences).most_common()))
        return 1
    total = sum(verdicts.values())
    print(
        f"Cross-check passed: engine and baseline agree on all {total * len(specs):,} statuses and {total:,} verdicts"
    )
    print("Verdicts: " + ", ".join(f"{verdict} {verdicts[verdict]:,}" for verdict in Verdict))
    labels = {MET: "met", NOT_MET: "not met", UNKNOWN: "unknown", NOT_APPLICABLE: "not applicable"}
    print(
        "Criteria that reached each status: "
        + ", ".join(f"{label} {sum(status in s for s in reached.values())}" for status, label in labels.items())
    )

    engine_s = best_time(lambda facts, cohort: ruleset.evaluate(facts, SCREENING_DATE, cohort), candidates)
    baseline_s = best_time(
        lambda facts, cohort: baseline_evaluate(facts, SCREENING_DATE, cohort, vocabulary), candidates
    )
    engine_per_s, baseline_per_s = len(candidates) / engine_s, len(candidates) / baseline_s
    ratio = engine_per_s / baseline_per_s
    print(f"\nBest of {PASSES} passes over {len(candidates):,} candidates:")
    print(f"  engine    {engine_s:8.3f} s  {engine_per_s:10,.0f} candidates/s")
    print(f"  baseline  {baseline_s:8.3f} s  {baseline_per_s:10,.0f} candidates/s")
    print(f"  ratio     {ratio:8.3f}    engine throughput as a share of the baseline's")
    print(f"Target engine >= {TARGET_PER_S:,} candidates/s: {'met' if engine_per_s >= TARGET_PER_S else 'NOT met'}")
    print(f"Target ratio >= 1/3: {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    print(
        json.dumps(
            {
                "engine_per_s": round(engine_per_s, 1),
                "baseline_per_s": round(baseline_per_s, 1),
                "ratio": round(ratio, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
