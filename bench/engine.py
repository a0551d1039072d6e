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
from typing import NamedTuple

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


# Candidates: every input the criteria read, spread around each threshold, some of it missing or contradictory.

# analyte -> (threshold in its canonical unit, the multiples of it a typical candidate has, units with printed decimals)
ABSOLUTE_LABS = {
    "wbc": (
        3000,
        (1.3, 3.0),
        (("/mm3", 0), ("/uL", 0), ("cells/uL", 0), ("10^3/uL", 1), ("K/uL", 2), ("10^3/mm3", 1), ("10^9/L", 1)),
    ),
    "anc": (1500, (1.3, 4.0), (("/uL", 0), ("cells/uL", 0), ("10^3/uL", 2), ("x10³/µL", 2), ("10^9/L", 1))),
    "platelets": (100_000, (1.3, 3.5), (("/mm3", 0), ("10^3/uL", 0), ("K/uL", 0), ("10^3/mm3", 0), ("10^9/L", 0))),
    "cholesterol": (350, (0.4, 0.85), (("mg/dL", 0), ("mmol/L", 2))),
    "triglycerides": (400, (0.25, 0.8), (("mg/dL", 0), ("mmol/L", 2))),
    "creatinine_clearance": (60, (1.1, 2.0), (("mL/min", 0), ("mL/s", 2))),
}
# analyte -> (the criterion's multiple of the ULN, the multiples of the ULN a typical candidate has,
# (unit, ULN in that unit, printed decimals) as labs report them). Most INRs lie between 0.9 and 1.2.
ULN_LABS = {
    "bilirubin": (1, (0.3, 0.9), (("mg/dL", 1.2, 1), ("umol/L", 21, 0))),
    "creatinine": (1, (0.6, 0.95), (("mg/dL", 1.1, 2), ("umol/L", 97, 0))),
    "ast": (2.5, (0.4, 1.2), (("U/L", 40, 0), ("IU/L", 40, 0), ("ukat/L", 0.67, 2))),
    "alt": (2.5, (0.3, 1.2), (("U/L", 45, 0), ("IU/L", 45, 0), ("ukat/L", 0.75, 2))),
    "inr": (1.1, (0.8, 1.05), (("ratio", 1.1, 2), ("ratio", 1.2, 2))),
}
UNACCEPTED_UNITS = ("%", "g/L", "mEq/L")
ALIAS_SHARE = 0.15  # results printed in another spelling of an accepted unit ("K/cumm", "10*3/uL", "mg/dl")
UNUSUAL_SHARE = 0.02  # results outside the usual range, yet possible
CONFIRMED_SHARE = 0.5  # of the unusual results, those the coordinator has confirmed
IMPOSSIBLE_SHARE = 0.003  # results no one can have: a typo or a unit slip
ULN_SLIP_SHARE = 0.01  # ULNs copied from the lab's range for another unit, which makes them unusual or impossible
DIFFERENTIAL_SHARE = 0.1  # no ANC reported, only the WBC and the neutrophil %
SAME_COUNT_SHARE = 0.9  # of those, WBC and neutrophil % from one blood count
NEUTROPHILS_PCT = (40, 75)  # a typical differential

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
ANTICOAGULATION_ASKED = 0.3  # candidates whose chart states their anticoagulation
OTHER_REASON_ASKED = 0.05  # candidates asked whether a corticosteroid is for another reason, without one listed

# event -> (days back where its criterion changes its answer, days back a typical candidate's events lie within)
EVENTS = {
    "major_surgery": (21, (30, 2000)),
    "traumatic_injury": (21, (30, 2000)),
    "radiotherapy": (28, (40, 2000)),
    "tumor_sample": (92, (10, 85)),
}
LOCAL_BRAIN_TREATMENTS = ("resection", "whole_brain_rt", "radiosurgery", "combined")
BRAIN_TREATED_DAYS_AGO = (120, 1000)  # when a typical candidate's brain metastases were treated
STABLE_IMAGING_AFTER = 92  # days after the treatment by which 3 calendar months have passed

AGENTS = {
    "systemic_chemotherapy": (
        ("dacarbazine",),
        ("temozolomide",),
        ("Temodar",),
        ("carmustine",),
        ("BCNU", "cisplatin"),
        ("mitomycin C",),
        ("CVD",),
        ("Dartmouth",),
        ("chemo",),
        ("XYZ-4471",),
        ("dacarbazine", "XYZ-4471"),
        (),
    ),
    "regional_chemotherapy": (("melphalan",), ("mitomycin C",), ()),
    "immunotherapy": (
        ("ipilimumab",),
        ("interleukin-2",),
        ("nivolumab",),
        ("interferon alfa",),
        ("interleukin-2", "dacarbazine"),  # biochemotherapy recorded as immunotherapy
    ),
    "targeted_therapy": (
        ("vemurafenib",),
        ("sorafenib",),
        ("dabrafenib", "trametinib"),
        ("imatinib",),
        ("everolimus",),
    ),
    "other": (("XYZ-4471",), ("imatinib",), ("temozolomide",), ("chemo",), ()),
}
# The chemotherapy of another cancer, whatever type was chosen for it.
OTHER_CANCER_AGENTS = (("FOLFOX",), ("carboplatin", "paclitaxel"), ("AC-T",), ("chemo",), ())
MODALITY_WEIGHTS = {
    "systemic_chemotherapy": 8,
    "regional_chemotherapy": 2,
    "immunotherapy": 5,
    "targeted_therapy": 4,
    "other": 1,
}
SETTING_WEIGHTS = {"metastatic": 8, "adjuvant": 4, "other_cancer": 4, F.NOT_DOCUMENTED: 1}
THERAPY_BOUNDARIES = (28, 42, 1826)  # 4 weeks, 6 weeks and 5 years before the screening date

# medication line -> the purpose it is usually marked with
USUAL_MEDICATIONS = {
    "lisinopril 10 mg": F.THERAPEUTIC,
    "acetaminophen 500 mg": F.AS_NEEDED,
    "Lovenox 40 mg SC daily": F.PROPHYLACTIC,
    "ondansetron 8 mg PRN": F.AS_NEEDED,
    "vitamin D3 1000 IU daily": F.SUPPLEMENT,
}
ANTIRETROVIRALS = ("Biktarvy", "Genvoya 1 tab daily", "Triumeq")
ON_ANTIRETROVIRAL_SHARE = 0.5  # of HIV-positive candidates (those on combination therapy are excluded)
BRAIN_METASTASES_MEDICATIONS = {"dexamethasone 4 mg PO BID": 0.25, "Keppra 500 mg BID": 0.3}  # line -> share
ALL_MEDICATIONS = (
    *USUAL_MEDICATIONS,
    "Coumadin 5 mg PO daily",
    "Eliquis 5 mg BID",
    "DOAC",
    "DILANTIN 100 mg",
    "phenytion 100 mg TID",
    "AED",
    "st. john's wort",
    "Neupogen",
    "G-CSF injections",
    "Biktarvy",
    "heparin 5000 units SC",
    "dexamethasone 4 mg PO BID",
    "grapefruit juice",
    "vemurafenib 960 mg PO BID",
    "Zorblatin 20 mg",
)
PURPOSE_CHOICES = (*F.PURPOSES, None)

LESION_MINIMUM_MM = {"conventional": 20, "spiral_ct": 10, "cutaneous": 10}


def days_ago(n):
    return SCREENING_DATE - timedelta(days=n)


def generate(count, seed, vocabulary, questions):
    """(facts, cohort) pairs, reproducible; each candidate gets its own share of trouble, from none to a lot."""
    rng = random.Random(seed)
    return [_candidate(rng, rng.choice((0.01, 0.05, 0.2, 0.5)), vocabulary, questions) for _ in range(count)]


def _candidate(rng, trouble, vocabulary, questions):
    def troubled():
        return rng.random() < trouble

    def absent():
        return rng.random() < trouble / 3

    labs = _labs(rng, troubled, absent, vocabulary.analytes)

    grades = {}
    if not absent():
        grades["ecog"] = rng.randint(0, 3) if troubled() else rng.randint(0, 1)
    if not absent():
        grades["peripheral_neuropathy"] = rng.randint(0, 3) if troubled() else rng.randint(0, 2)

    answers = {}
    for fact, usual in USUAL_ANSWERS.items():
        if not absent():
            answers[fact] = rng.choice(_any_answer(fact) if troubled() else usual)
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
    if answers.get("brain_metastases"):
        _brain_metastases(rng, troubled, absent, answers, events)

    if absent():
        birth_date = None
    elif troubled():  # around the 18th birthday
        birth_date = SCREENING_DATE.replace(year=SCREENING_DATE.year - 18) + timedelta(days=rng.randint(-10, 10))
    else:
        birth_date = days_ago(rng.randint(19 * 365 + 5, 85 * 365))

    medications = None if absent() else _medications(rng, troubled, answers)
    if medications is not None:
        _answers_about_medications(rng, troubled, answers, medications, vocabulary.matcher.match)

    facts = CandidateFacts(
        birth_date=birth_date,
        sex=None if absent() else rng.choice((F.FEMALE, F.MALE)),
        weight_kg=None if absent() else round(rng.uniform(45, 120), 1),
        labs=labs,
        grades=grades,
        answers=answers,
        events=events,
        prior_therapies=None if absent() else _therapies(rng, troubled),
        medications=medications,
        blood_pressures=None if absent() else _blood_pressures(rng, troubled),
        lesions=None if absent() else _lesions(rng, troubled),
    )
    return facts, rng.choice(("phase1", "phase2"))


def _any_answer(fact):
    choices = F.FACTS[fact].choices
    return (True, False) if choices is None else tuple(choices)


def _labs(rng, troubled, absent, analytes):
    """Labs around each threshold, in the units (and spellings) labs print; a few unusual, rarely impossible."""
    labs, counts = {}, {}
    for code, (threshold, usual, units) in ABSOLUTE_LABS.items():
        if absent() or (code == "creatinine_clearance" and rng.random() < 0.8):  # clearance is rarely measured
            continue
        canonical = threshold * (rng.uniform(0.8, 1.25) if troubled() else rng.uniform(*usual))
        if rng.random() < 0.05:
            canonical = threshold
        if code == "anc" and "wbc" in labs and rng.random() < DIFFERENTIAL_SHARE:
            labs["neutrophils_pct"] = _differential(rng, troubled, analytes, labs["wbc"], counts["wbc"], canonical)
            continue
        unit, decimals = rng.choice(units)
        counts[code] = canonical
        labs[code] = _lab(rng, troubled, analytes[code], canonical, unit, decimals)
    for code, (multiple, usual, units) in ULN_LABS.items():
        if absent():
            continue
        unit, uln, decimals = rng.choice(units)
        share = multiple * rng.uniform(0.85, 1.15) if troubled() else rng.uniform(*usual)
        analyte = analytes[code]
        canonical = analyte.to_canonical(multiple * uln if rng.random() < 0.05 else share * uln, unit)
        printed_uln = rng.choice(units)[1] if rng.random() < ULN_SLIP_SHARE else uln  # maybe another unit's
        labs[code] = _lab(rng, troubled, analyte, canonical, unit, decimals, uln=None if absent() else printed_uln)
    return labs


def _lab(rng, troubled, analyte, canonical, unit, decimals, uln=None):
    """One result: the canonical value (now and then an unusual or an impossible one) as printed in `unit`."""
    confirmed, roll = False, rng.random()
    if roll < IMPOSSIBLE_SHARE:
        canonical = _impossible(rng, analyte)
    elif roll < IMPOSSIBLE_SHARE + UNUSUAL_SHARE:
        canonical, confirmed = _unusual(rng, analyte), rng.random() < CONFIRMED_SHARE
    value = round(canonical / analyte.to_canonical(1.0, unit), decimals)
    written = _maybe_unaccepted(rng, analyte, _spelling(rng, analyte, unit))
    return LabResult(value, written, uln=uln, collected_on=_collected_on(rng, troubled), confirmed=confirmed)


def _differential(rng, troubled, analytes, wbc, wbc_count, anc):
    """The neutrophil % that makes `anc` of the WBC count, or a typical one; mostly from the same blood count."""
    percent = anc / wbc_count * 100 if troubled() else rng.uniform(*NEUTROPHILS_PCT)
    same_count = rng.random() < SAME_COUNT_SHARE
    collected_on = wbc.collected_on if same_count else days_ago(rng.randint(0, 14))
    analyte = analytes["neutrophils_pct"]
    return LabResult(round(min(percent, 99.0), 1), _spelling(rng, analyte, "%"), collected_on=collected_on)


def _unusual(rng, analyte):
    """A canonical value outside the usual range but within the possible one."""
    (usual_low, usual_high), (low, high) = analyte.plausible, analyte.possible
    if usual_low and rng.random() < 0.5:
        return rng.uniform(max(low or 0, usual_low * 0.5), usual_low * 0.99)
    return rng.uniform(usual_high * 1.01, min(high, usual_high * 1.5))


def _impossible(rng, analyte):
    """A canonical value beyond the physiological limits."""
    low, high = analyte.possible
    if low and rng.random() < 0.5:
        return low * rng.uniform(0.2, 0.9)
    return high * rng.uniform(1.1, 5)


def _spelling(rng, analyte, unit):
    """The unit, or now and then another spelling of it that labs print."""
    if rng.random() >= ALIAS_SHARE:
        return unit
    spellings = [alias for alias, meant in analyte.aliases.items() if meant == unit]
    return rng.choice(spellings) if spellings else unit


def _maybe_unaccepted(rng, analyte, unit):
    if rng.random() >= 0.005:
        return unit
    return rng.choice([u for u in UNACCEPTED_UNITS if not analyte.accepts(u)])


def _collected_on(rng, troubled):
    """Within the last two weeks; rarely, for a troubled candidate, dated after the screening date."""
    if troubled() and rng.random() < 0.02:
        return days_ago(-rng.randint(1, 5))
    return days_ago(rng.randint(0, 14))


def _brain_metastases(rng, troubled, absent, answers, events):
    """How known brain metastases were treated, and when they were treated and then imaged stable."""
    if not absent():
        choices = _any_answer("brain_metastases_treatment_type") if troubled() else LOCAL_BRAIN_TREATMENTS
        answers["brain_metastases_treatment_type"] = rng.choice(choices)
    treated = days_ago(rng.randint(*BRAIN_TREATED_DAYS_AGO))
    if not absent():
        if troubled():
            events["brain_metastases_treatment"] = tuple(
                treated - timedelta(days=rng.randint(0, 400)) for _ in range(rng.randint(0, 2))
            )
        else:
            events["brain_metastases_treatment"] = (treated,)
    if not absent():
        stable_from = treated + timedelta(days=STABLE_IMAGING_AFTER)
        if not troubled():
            imaged = (stable_from + timedelta(days=rng.randint(3, (SCREENING_DATE - stable_from).days)),)
        elif rng.random() < 0.6:  # around 3 months after the treatment
            imaged = (stable_from + timedelta(days=rng.randint(-4, 4)),)
        else:
            imaged = tuple(days_ago(rng.randint(-2, 1100)) for _ in range(rng.randint(0, 2)))
        events["brain_metastases_imaging"] = imaged


def _answers_about_medications(rng, troubled, answers, medications, match):
    """The answers the medication list should agree with: antiretroviral therapy for an HIV-positive candidate,
    the anticoagulation the chart states, and whether a corticosteroid is for another reason than the brain
    metastases. A typical candidate's agree with the list; a troubled one's may not."""
    listed = {}
    for medication in medications:
        if medication.active:
            for found in match(medication.text):
                for drug_class in found.drug.classes:
                    listed.setdefault(drug_class, []).append(medication)

    if answers.get("hiv_positive") and not (troubled() and rng.random() < 0.3):
        on_therapy = rng.choice((True, False)) if troubled() else "antiretroviral" in listed
        answers["on_antiretroviral_therapy"] = on_therapy

    if rng.random() < ANTICOAGULATION_ASKED:
        if troubled():
            answers["anticoagulation"] = rng.choice(_any_answer("anticoagulation"))
        else:
            purposes = {m.purpose for m in listed.get("anticoagulant", ())}
            stated = F.THERAPEUTIC if F.THERAPEUTIC in purposes else F.PROPHYLACTIC
            answers["anticoagulation"] = stated if purposes else "none"

    if "corticosteroid" in listed and answers.get("brain_metastases"):
        if troubled():
            if rng.random() < 0.5:
                answers["corticosteroid_for_other_reason"] = rng.choice((True, False))
        elif rng.random() < 0.6:
            answers["brain_metastases_on_steroids"] = True
        else:
            answers["corticosteroid_for_other_reason"] = True
    elif rng.random() < OTHER_REASON_ASKED:
        answers["corticosteroid_for_other_reason"] = rng.choice((True, False))


def _therapies(rng, troubled):
    return tuple(_therapy(rng, troubled) for _ in range(rng.choice((0, 1, 1, 2, 3) if troubled() else (0, 1))))


def _therapy(rng, troubled):
    modality = rng.choices(tuple(MODALITY_WEIGHTS), weights=tuple(MODALITY_WEIGHTS.values()))[0]
    setting = rng.choices(tuple(SETTING_WEIGHTS), weights=tuple(SETTING_WEIGHTS.values()))[0]
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
    other_cancer_chemotherapy = setting == "other_cancer" and modality != "targeted_therapy" and rng.random() < 0.5
    agents = rng.choice(OTHER_CANCER_AGENTS if other_cancer_chemotherapy else AGENTS[modality])
    return PriorTherapy(modality, setting, agents, started, ended)


def _medications(rng, troubled, answers):
    """Chart-style lines: a typical candidate's usual ones, a troubled one's anything, marked with any purpose or
    none, some stopped; then an antiretroviral for some HIV-positive candidates, and what brain metastases bring."""
    medications = []
    for _ in range(rng.randint(0, 4) if troubled() else rng.randint(0, 2)):
        if troubled():
            medications.append(
                Medication(rng.choice(ALL_MEDICATIONS), rng.choice(PURPOSE_CHOICES), active=rng.random() < 0.85)
            )
        else:
            text = rng.choice(tuple(USUAL_MEDICATIONS))
            medications.append(Medication(text, USUAL_MEDICATIONS[text]))
    if answers.get("hiv_positive") and rng.random() < ON_ANTIRETROVIRAL_SHARE:
        medications.append(Medication(rng.choice(ANTIRETROVIRALS), F.THERAPEUTIC))
    if answers.get("brain_metastases"):
        for text, share in BRAIN_METASTASES_MEDICATIONS.items():
            if rng.random() < share:
                medications.append(Medication(text, F.THERAPEUTIC))
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
SYSTEMIC_CHEMOTHERAPY = frozenset({"systemic_chemotherapy"})
REGIONAL_CHEMOTHERAPY = frozenset({"regional_chemotherapy"})
FOR_MELANOMA = frozenset({"metastatic", "adjuvant"})
FOR_METASTATIC_MELANOMA = frozenset({"metastatic"})
FOR_ANOTHER_CANCER = frozenset({"other_cancer"})
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
LOCAL_TREATMENTS = frozenset(LOCAL_BRAIN_TREATMENTS)
COUNTED, MAY_COUNT, NOT_COUNTED = "counted", "may count", "not counted"


def _equal(value, limit):
    """Equal up to float rounding from unit conversion, as the engine counts a value on the limit."""
    return math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12)


def _fact(value, allowed):
    return UNKNOWN if value is None else MET if value in allowed else NOT_MET


def _attested(answer, passing):
    return UNKNOWN if answer is None else MET if answer is passing else NOT_MET


def _usable(lab, analyte, on):
    """The lab's value in the analyte's canonical unit, or None when no rule may use it: not entered, dated after
    the screening, in a unit not accepted, impossible, or unusual (the value or its ULN) and not confirmed."""
    if lab is None or (lab.collected_on is not None and lab.collected_on > on):
        return None
    try:
        value = analyte.to_canonical(lab.value, lab.unit)
        uln = None if lab.uln is None else analyte.to_canonical(lab.uln, lab.unit)
    except UnitError:
        return None
    low, high = analyte.possible
    usual_low, usual_high = analyte.plausible
    for number in (value,) if uln is None else (value, uln):
        if (low is not None and number < low) or (high is not None and number > high):
            return None
        if not lab.confirmed and (
            (usual_low is not None and number < usual_low) or (usual_high is not None and number > usual_high)
        ):
            return None
    return value


def _against(value, limit, at_most):
    """A canonical value (None: unusable) against a limit in the same unit, the limit itself passing."""
    if value is None:
        return UNKNOWN
    if _equal(value, limit):
        return MET
    return MET if (value < limit if at_most else value > limit) else NOT_MET


def _within_uln(lab, analyte, on, multiple):
    """At most a multiple of the ULN the lab reported with the result."""
    if _usable(lab, analyte, on) is None or lab.uln is None or lab.uln <= 0:
        return UNKNOWN
    limit = multiple * lab.uln
    return MET if lab.value <= limit or _equal(lab.value, limit) else NOT_MET


def _below_uln(lab, analyte, on, multiple):
    """Below a multiple of the ULN the lab reported with the result, the limit itself failing."""
    if _usable(lab, analyte, on) is None or lab.uln is None or lab.uln <= 0:
        return UNKNOWN
    limit = multiple * lab.uln
    return MET if lab.value < limit and not _equal(lab.value, limit) else NOT_MET


def _anc(labs, analytes, on):
    """The ANC reported, or else WBC x neutrophil % / 100 from one blood count; None when unusable or missing."""
    if "anc" in labs:
        return _usable(labs["anc"], analytes["anc"], on)
    wbc, percent = labs.get("wbc"), labs.get("neutrophils_pct")
    if wbc is None or percent is None:
        return None
    count = _usable(wbc, analytes["wbc"], on)
    share = _usable(percent, analytes["neutrophils_pct"], on)
    if count is None or share is None or wbc.collected_on != percent.collected_on:
        return None
    return count * share / 100


def _since(dates, on, cutoff):
    """The latest event must be on or before the cutoff; with none recorded, pass."""
    if dates is None:
        return UNKNOWN
    if not dates:
        return MET
    latest = max(dates)
    if latest > on:
        return UNKNOWN
    return NOT_MET if latest > cutoff else MET


def _imaged_after_treatment(events, on):
    """The latest brain imaging at least 3 calendar months after the latest treatment of the brain metastases."""
    for event in ("brain_metastases_treatment", "brain_metastases_imaging"):
        dates = events.get(event)
        if dates is None:
            return UNKNOWN
        if not dates:
            return NOT_MET
        if max(dates) > on:
            return UNKNOWN
    treated, imaged = max(events["brain_metastases_treatment"]), max(events["brain_metastases_imaging"])
    return NOT_MET if treated > _months_before(imaged, 3) else MET  # imaging before the treatment included


def _months_before(day, months):
    """Calendar months back, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class Regimen(NamedTuple):
    """A prior regimen as the baseline reads it: the regimen types it counts as (the one chosen and every type its
    agents' classes make it), the classes its agents are and may be in, whether an agent is no known drug, and whether
    its chemotherapy has no route (chemotherapy agents in a regimen typed neither systemic nor regional)."""

    therapy: object
    types: set
    classes: set
    possible: set
    unrecognised: bool
    route_open: bool


def _regimen(therapy, vocabulary):
    types, classes, possible, unrecognised, route_open = {therapy.modality}, set(), set(), False, False
    for agent in therapy.agents:
        matches = vocabulary.matcher.match_agent(agent)
        if not matches:
            unrecognised = True
        for match in matches:
            classes |= match.drug.classes
            possible |= match.drug.possible_classes
            for kind in vocabulary.kinds_of(match.drug):
                if kind != F.CHEMOTHERAPY:
                    types.add(kind)
                elif therapy.modality not in CHEMOTHERAPY:
                    route_open = True
    return Regimen(therapy, types, classes, possible, unrecognised, route_open)


def _counted(regimen, modalities, settings):
    """Whether a rule about these regimen types and settings counts a regimen, or the chart leaves it open."""
    therapy = regimen.therapy
    if therapy.setting not in settings and therapy.setting != F.NOT_DOCUMENTED:
        return NOT_COUNTED
    counted = bool(regimen.types & modalities) or (regimen.route_open and modalities >= CHEMOTHERAPY)
    open_type = not counted and (
        (regimen.route_open and bool(CHEMOTHERAPY & modalities))
        or regimen.unrecognised
        or (not therapy.agents and therapy.modality == "other")
    )
    if not counted and not open_type:
        return NOT_COUNTED
    if open_type or therapy.setting not in settings:
        return MAY_COUNT
    return COUNTED


def _at_most_regimens(regimens, modalities, settings, maximum):
    if regimens is None:
        return UNKNOWN
    counted = may_count = 0
    for regimen in regimens:
        scope = _counted(regimen, modalities, settings)
        counted += scope == COUNTED
        may_count += scope == MAY_COUNT
    return NOT_MET if counted > maximum else UNKNOWN if counted + may_count > maximum else MET


def _takes(active, classes, purpose=None):
    """(takes an active drug certainly of the classes, for the purpose if one is given; some medication leaves that
    open: it matched no drug, it names a class that may be one of them, or its purpose says no dose)."""
    takes = review = False
    for medication, matches in active:
        if not matches:
            review = True
        elif not any(match.drug.classes & classes for match in matches):
            review = review or any(match.drug.possible_classes & classes for match in matches)
        elif purpose is None or medication.purpose == purpose:
            takes = True
        elif medication.purpose not in F.DOSE_PURPOSES:
            review = True
    return takes, review


def _listed(active, drug_class):
    """The active medications certainly in a class."""
    return [m for m, matches in active if any(drug_class in match.drug.classes for match in matches)]


def _full_dose_anticoagulation(active):
    takes, review = _takes(active, ANTICOAGULANT, F.THERAPEUTIC)
    return NOT_MET if takes else UNKNOWN if review else MET


def _low_dose_anticoagulation(active, labs, analytes, on):
    """Prophylactic anticoagulation is allowed only with PT INR below 1.1 x ULN."""
    takes, review = _takes(active, ANTICOAGULANT, F.PROPHYLACTIC)
    if not takes:
        return UNKNOWN if review else MET
    inr = _below_uln(labs.get("inr"), analytes["inr"], on, 1.1)
    return inr if inr == NOT_MET or not review else UNKNOWN


def _antiretrovirals(active):
    takes, review = _takes(active, ANTIRETROVIRAL)
    return NOT_MET if takes else UNKNOWN if review else MET


def _a_drug_of(drug_class, vocabulary, purpose=None):
    """An active medication (and its matches) standing for "some drug of this class", as the engine adds it."""
    drug = vocabulary.a_member_of(drug_class)
    return (Medication(drug.generic_name, purpose), vocabulary.matcher.match(drug.generic_name))


def _anticoagulation_otherwise(answer, active, vocabulary):
    """The active medications as the anticoagulation answer says they are, when it contradicts them; else None."""
    if answer is None:
        return None
    listed = _listed(active, "anticoagulant")
    if answer == "none":
        return [(m, found) for m, found in active if m not in listed] if listed else None
    if not listed:
        return [*active, _a_drug_of("anticoagulant", vocabulary, answer)]
    if not any(m.purpose in F.DOSE_PURPOSES and m.purpose != answer for m in listed):
        return None
    return [
        (Medication(m.text, answer, m.active) if m in listed and m.purpose in F.DOSE_PURPOSES else m, found)
        for m, found in active
    ]


def _antiretroviral_otherwise(answer, active, vocabulary):
    """The active medications as the antiretroviral answer says they are, when it contradicts them; else None."""
    listed = _listed(active, "antiretroviral")
    if answer is False and listed:
        return [(m, found) for m, found in active if m not in listed]
    if answer is not False and not listed:  # said yes, or not asked yet: on therapy is the other possibility
        return [*active, _a_drug_of("antiretroviral", vocabulary)]
    return None


def _brain_metastases_controlled(answers, events, on):
    """EX18 from the answers and dated events, before any contradiction with the medication list."""
    no_brain_metastases = _fact(answers.get("brain_metastases"), (False,))
    if no_brain_metastases == MET:
        return MET
    parts = (
        _fact(answers.get("brain_metastases_treatment_type"), LOCAL_TREATMENTS),
        _imaged_after_treatment(events, on),
        _fact(answers.get("brain_metastases_stable"), (True,)),
        _fact(answers.get("brain_metastases_symptomatic"), (False,)),
        _fact(answers.get("brain_metastases_on_steroids"), (False,)),
    )
    controlled = NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET
    parts = (no_brain_metastases, controlled)
    return MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET


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
    regimens = None if therapies is None else [_regimen(therapy, vocabulary) for therapy in therapies]
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

    out.append(("IN04", _within_uln(labs.get("bilirubin"), analytes["bilirubin"], on, 1)))

    creatinine = labs.get("creatinine")
    normal_creatinine = _within_uln(creatinine, analytes["creatinine"], on, 1)
    if normal_creatinine == MET:
        clearance = MET
    elif "creatinine_clearance" in labs:
        measured = _usable(labs["creatinine_clearance"], analytes["creatinine_clearance"], on)
        clearance = _against(measured, 60, at_most=False)
    else:
        mg_dl = _usable(creatinine, analytes["creatinine"], on)
        if age is None or facts.weight_kg is None or sex is None or mg_dl is None:
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
    elif regimens is None:
        out.append(("EX08", UNKNOWN))
        out.append(("EX09", UNKNOWN))
    else:
        out.append(("EX08", _at_most_regimens(regimens, SYSTEMIC_CHEMOTHERAPY, FOR_METASTATIC_MELANOMA, 1)))
        excluded = unresolved = False
        for therapy, _, classes, possible, unrecognised, _ in regimens:
            # An unnamed agent could have been sorafenib, and so could a class word that names no drug.
            unresolved = unresolved or not therapy.agents or unrecognised or bool(possible & PHASE2_EXCLUDED)
            excluded = excluded or bool(classes & PHASE2_EXCLUDED)
        out.append(("EX09", NOT_MET if excluded else UNKNOWN if unresolved else MET))

    out.append(("EX10", _attested(answers.get("surgery_affecting_absorption"), False)))
    out.append(("IN08", _since(events.get("major_surgery"), on, three_weeks_ago)))

    if regimens is None:
        washout = UNKNOWN
    else:
        washout = MET
        for regimen in regimens:
            therapy, _, classes, possible, unrecognised, _ = regimen
            scope = _counted(regimen, CHEMOTHERAPY, FOR_MELANOMA)
            if scope == NOT_COUNTED:
                continue
            slow = bool(classes & SLOW_WASHOUT)  # a nitrosourea or mitomycin C: 6 weeks, not 4
            cutoff = six_weeks_ago if slow else four_weeks_ago
            # With no agent named, or one not recognised, or a class word, 6 weeks cannot be ruled out.
            unsure = not therapy.agents or unrecognised or (not slow and bool(possible & SLOW_WASHOUT))
            ended = therapy.ended_on
            if scope == MAY_COUNT:  # it may not be melanoma chemotherapy: unknown while recent enough to matter
                status = UNKNOWN if ended is None or ended > (six_weeks_ago if unsure else cutoff) else MET
            elif ended is None:
                status = UNKNOWN
            elif ended > cutoff:  # too recent, or still going after the screening date
                status = NOT_MET
            elif unsure and ended > six_weeks_ago:
                status = UNKNOWN
            else:
                status = MET
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

    regional = _at_most_regimens(regimens, REGIONAL_CHEMOTHERAPY, FOR_MELANOMA, 1)
    if regional != MET:
        parts = (regional, _fact(answers.get("target_lesions_in_regional_field"), (False,)))
        regional = MET if MET in parts else UNKNOWN if UNKNOWN in parts else NOT_MET
    out.append(("IN12", regional))

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
        takes, review = _takes(active, GRAPEFRUIT)
        grapefruit = NOT_MET if takes else UNKNOWN if review else MET
        therapeutic_anticoagulant = _full_dose_anticoagulation(active)
        prophylactic_anticoagulant = _low_dose_anticoagulation(active, labs, analytes, on)
        antiretroviral = _antiretrovirals(active)

        # Answers that contradict the medication list leave a criterion they guard unknown when resolving them the
        # other way (the list taken as the answer says it) would change it.
        otherwise = _anticoagulation_otherwise(answers.get("anticoagulation"), active, vocabulary)
        if otherwise is not None:
            if _full_dose_anticoagulation(otherwise) != therapeutic_anticoagulant:
                therapeutic_anticoagulant = UNKNOWN
            if _low_dose_anticoagulation(otherwise, labs, analytes, on) != prophylactic_anticoagulant:
                prophylactic_anticoagulant = UNKNOWN
        if answers.get("hiv_positive") is True:
            otherwise = _antiretroviral_otherwise(answers.get("on_antiretroviral_therapy"), active, vocabulary)
            if otherwise is not None and _antiretrovirals(otherwise) != antiretroviral:
                antiretroviral = UNKNOWN

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
    elif hiv is None and antiretroviral == NOT_MET:
        out.append(("EX17", UNKNOWN))
    else:
        out.append(("EX17", antiretroviral))

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

    status = _brain_metastases_controlled(answers, events, on)
    steroids_contradicted = (
        answers.get("brain_metastases") is True
        and answers.get("brain_metastases_on_steroids") is False
        and answers.get("corticosteroid_for_other_reason") is not True
        and bool(_listed(active, "corticosteroid"))
    )
    if (
        steroids_contradicted
        and _brain_metastases_controlled({**answers, "brain_metastases_on_steroids": True}, events, on) != status
    ):
        status = UNKNOWN
    out.append(("EX18", status))

    out.append(("IN15", _against(_usable(labs.get("wbc"), analytes["wbc"], on), 3000, at_most=False)))
    out.append(("IN16", _against(_anc(labs, analytes, on), 1500, at_most=False)))
    out.append(("IN17", _against(_usable(labs.get("platelets"), analytes["platelets"], on), 100_000, at_most=False)))
    cholesterol = _usable(labs.get("cholesterol"), analytes["cholesterol"], on)
    out.append(("IN18", _against(cholesterol, 350, at_most=True)))
    triglycerides = _usable(labs.get("triglycerides"), analytes["triglycerides"], on)
    out.append(("IN19", _against(triglycerides, 400, at_most=True)))

    parts = (
        _within_uln(labs.get("ast"), analytes["ast"], on, 2.5),
        _within_uln(labs.get("alt"), analytes["alt"], on, 2.5),
    )
    out.append(("IN20", NOT_MET if NOT_MET in parts else UNKNOWN if UNKNOWN in parts else MET))

    neuropathy = facts.grades.get("peripheral_neuropathy")
    out.append(("EX19", UNKNOWN if neuropathy is None else NOT_MET if neuropathy > 2 else MET))

    if regimens is None:
        status = UNKNOWN
    else:
        status = MET
        for regimen in regimens:
            therapy = regimen.therapy
            scope = _counted(regimen, CHEMOTHERAPY, FOR_ANOTHER_CANCER)
            ended = therapy.ended_on
            if scope == NOT_COUNTED:
                continue
            if ended is None:
                this = UNKNOWN
            elif ended > five_years_ago:  # within 5 years (or after the screening date)
                this = NOT_MET if scope == COUNTED else UNKNOWN
            else:
                this = MET
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
