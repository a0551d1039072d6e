"""Eighteen months of the demo site, replayed through the services in the order they happened: about 300 screenings
by four coordinators, signed by two investigators, with their outcomes; referrals before a quarter of them;
investigators' queries; rescreens after a screen failure; and Amendment 1 (the platelet limit lowered to 75,000/mm3)
published nine months ago, so that the older screenings are on the original protocol and the newer ones on the
amendment. Today's end is left open: drafts, screenings awaiting sign-off, queries waiting for an answer or answered.

Nothing is written to the database directly: every verdict is the engine's, every signature a sign-off through
`screening_sign`, the amendment a reviewed, previewed and signed publication. What makes that possible in a command:

- The clock. Each step runs with `timezone.now()` at the moment it happened (`Clock`, in office hours), so that every
  timestamp the services and the audit trail write (created, evaluated, signed, outcome recorded, query raised and
  answered, history dates) is as it would have been, and the publication's dates are checked against its own day.
- The user. The audit trail names who did each step, as the request middleware does for a page (`acting_as`).
- The passwords. Sign-off and publication ask for the signer's password again. The demo users' passwords are random
  and printed once by create_demo_users, so for the replay only, each signer's user object in memory carries a
  throwaway password, hashed with a fast hasher (`throwaway_passwords`); it is never saved, and the stored password
  is unchanged.

The same seed gives the same site; the dates move with today.
"""

import heapq
import math
import random
import secrets
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.models import HistoricalRecords

from amendments.services import impact_preview_request, impact_preview_run
from config.garbage import no_cyclic_garbage_collection
from referrals.models import Referral
from referrals.services import referral_close, referral_register, referral_start_screening
from review.services import query_answer, query_close, query_raise
from screening import services
from screening.models import Screening
from screening.selectors import screening_with_outcomes
from screening.signing import record_hash
from trials import roles
from trials.models import Analyte, Criterion
from trials.services import criteria_version_create_amendment, criteria_version_publish, draft_content_hash

DEMO_MRN_PREFIX = "DEMO-"
SEED = 349206
MONTHS = 18
AMENDMENT_MONTHS_AGO = 9
SCREENINGS = 300  # by default; the counts below are for 300, and scale with the number asked for
FIRST_SCREENINGS = 292  # and 8 rescreens of screen failures
RESCREENS = 8
REFERRALS_SCREENED = 62
REFERRALS_CLOSED = (9, 6)  # not approached, declined before screening
REFERRALS_OPEN = 3  # whatever the number: the coordinators' list of referrals to screen
MRN_START = 10001

Enrollment = Screening.Enrollment

# Colleagues of the demo logins, whose work fills the log: they have no password (an administrator can give them
# one). Coordinators by the months (ago) they worked on the trial.
COLLEAGUES = [
    ("mrivera", "Maria", "Rivera", roles.COORDINATOR),
    ("dchen", "Daniel", "Chen", roles.COORDINATOR),
    ("aosei", "Ama", "Osei", roles.COORDINATOR),
    ("elindqvist", "Erik", "Lindqvist", roles.INVESTIGATOR),
]
COORDINATOR_SPANS = {"coordinator": (99, 0, 4), "mrivera": (99, 0, 3), "dchen": (99, 7, 3), "aosei": (5, 0, 2)}
SIGNER_WEIGHTS = {"investigator": 65, "elindqvist": 35}

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
RECENT = timedelta(weeks=6)


class Clock:
    """`timezone.now()` as the replay says, while it runs: every timestamp written is that moment."""

    def __init__(self):
        self.moment = None

    def now(self):
        return self.moment.astimezone(UTC)

    @contextmanager
    def running(self):
        with mock.patch.object(timezone, "now", self.now):
            yield self


@contextmanager
def acting_as(user):
    """The audit trail names `user` for what is saved meanwhile, as the request middleware does for a page."""
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


@contextmanager
def throwaway_passwords(users):
    """A password for the replay's sign-offs and publication, on the given user objects in memory only."""
    password = secrets.token_urlsafe(16)
    kept = [(user, user.password) for user in users]
    with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        try:
            for user in users:
                user.password = make_password(password)
            yield password
        finally:
            for user, stored in kept:
                user.password = stored


def weighted_cycle(items):
    """The items of (item, weight) pairs, endlessly, each as often as its weight says and spread evenly (smooth
    weighted round-robin): in any run of draws, every item comes up about its share, the rare ones early."""
    total = sum(weight for _, weight in items)
    current = [0] * len(items)
    while True:
        for index, (_, weight) in enumerate(items):
            current[index] += weight
        best = max(range(len(items)), key=current.__getitem__)
        current[best] -= total
        yield items[best][0]


def months_before(day, months):
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue


def weekday(day):
    """The Friday before a Saturday, the Monday after a Sunday."""
    return day - timedelta(days=1) if day.weekday() == 5 else day + timedelta(days=1) if day.weekday() == 6 else day


def weekday_before(day):
    """The Friday before a weekend day."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


# The chart of a candidate who meets every criterion; each profile below changes what makes them ineligible or leaves
# something unknown. Lab values are (value, unit, ULN or None); dates are days before the screening date.
ATTESTATIONS = {
    "allergy_similar_compounds": False,
    "bleeding_diathesis": False,
    "cannot_swallow_pills": False,
    "uncontrolled_illness": False,
    "surgery_affecting_absorption": False,
    "recovered_from_chemotherapy": True,
    "recovered_from_radiotherapy": True,
    "investigational_agents": False,
    "other_anticancer_therapy": False,
    "grapefruit": False,
}
MEDICATIONS = [
    ("Lisinopril", "10 mg daily", ""),
    ("Amlodipine", "5 mg daily", ""),
    ("Metformin", "500 mg BID", ""),
    ("Atorvastatin", "20 mg nightly", ""),
    ("Omeprazole", "20 mg daily", ""),
    ("Levothyroxine", "75 mcg daily", ""),
    ("Sertraline", "50 mg daily", ""),
    ("Aspirin", "81 mg daily", ""),
    ("Acetaminophen", "500 mg q6h PRN", "as_needed"),
    ("Oxycodone", "5 mg q4h PRN", "as_needed"),
    ("Ondansetron", "8 mg q8h PRN", "as_needed"),
    ("Vitamin D3", "2000 IU daily", "supplement"),
    ("Gabapentin", "300 mg TID", ""),
    ("Keppra", "500 mg BID", ""),
    ("Tamsulosin", "0.4 mg daily", ""),
]
SITES = [
    ("Liver, segment VI", "conventional"),
    ("Lung, right lower lobe", "spiral_ct"),
    ("Lung, left upper lobe", "spiral_ct"),
    ("Axillary lymph node", "conventional"),
    ("Inguinal lymph node", "conventional"),
    ("Adrenal, left", "conventional"),
    ("Subcutaneous nodule, left thigh", "cutaneous"),
    ("Skin, upper back", "cutaneous"),
]
IMMUNOTHERAPY = ["ipilimumab", "nivolumab", "pembrolizumab", "ipilimumab, nivolumab", "interleukin-2"]


@dataclass
class Chart:
    fields: dict
    answers: dict
    labs: dict
    blood_pressures: list
    therapies: list
    medications: list
    lesions: list
    # What is not in the chart yet at the first evaluation (lab codes, answer codes, "blood_pressures").
    pending: set = field(default_factory=set)

    def entry(self, screening_date, analytes, *, complete=True, labs=True):
        """The arguments of screening_update for this chart on `screening_date`."""
        pending = set() if complete else self.pending
        before = lambda days: screening_date - timedelta(days=days)  # noqa: E731
        fields = dict(self.fields)
        for name, value in list(fields.items()):
            if name.endswith("_date") and isinstance(value, int):
                fields[name] = before(value)
        return {
            "fields": fields,
            "answers": {code: value for code, value in self.answers.items() if code not in pending},
            "labs": {
                analytes[code]: {
                    "value": Decimal(value),
                    "unit": unit,
                    "uln": Decimal(uln) if uln else None,
                    "collected_on": before(days),
                }
                for code, (value, unit, uln, days) in self.labs.items()
                if labs and code not in pending
            },
            "blood_pressures": []
            if "blood_pressures" in pending
            else [{"taken_on": before(days), "systolic": s, "diastolic": d} for days, s, d in self.blood_pressures],
            "therapies": [
                {**t, "started_on": before(t["started_on"]), "ended_on": before(t["ended_on"])} for t in self.therapies
            ],
            "medications": [{"name": n, "dose": d, "purpose": p, "active": True} for n, d, p in self.medications],
            "lesions": [{"site": s, "size_mm": Decimal(str(mm)), "method": m} for s, mm, m in self.lesions],
        }


def base_chart(rng, *, sex, age, cohort):
    drawn = rng.randint(1, 6)
    chart = Chart(
        fields={
            "weight_kg": Decimal(rng.randint(52, 104)),
            "ecog": rng.choice([0, 0, 1, 1, 1]),
            "peripheral_neuropathy": rng.choice([0] * 8 + [1, 1]),
            "major_surgery": "none",
            "radiotherapy": "none",
            "traumatic_injury": "none",
            "tumor_sample": "none",
            "brain_metastases_treatment": "none",
            "prior_therapy": "none",
            "medications_taken": "none",
        },
        answers={
            "histology_confirmed": True,
            "melanoma_stage": rng.choice(["stage_4"] * 7 + ["stage_3_unresectable"] * 2 + ["stage_3_recurrent"]),
            "primary_site": rng.choice(["cutaneous"] * 12 + ["acral", "mucosal", "unknown_primary", "unknown_primary"]),
            "tumor_accessible_to_biopsy": True,
            "brain_metastases": False,
            "target_lesions_in_regional_field": False,
            "hiv_positive": False,
            "childbearing_potential": sex == "female" and age < 50,
            "reproductive_potential": age < 55,
            **ATTESTATIONS,
        },
        labs={
            "wbc": (f"{rng.uniform(4.0, 9.5):.1f}", "10^3/uL", None, drawn),
            "anc": (f"{rng.uniform(2.0, 6.5):.1f}", "10^3/uL", None, drawn),
            "platelets": (str(rng.randint(155, 380)), "10^3/uL", None, drawn),
            "cholesterol": (str(rng.randint(140, 260)), "mg/dL", None, drawn),
            "triglycerides": (str(rng.randint(70, 260)), "mg/dL", None, drawn),
            "bilirubin": (f"{rng.uniform(0.3, 1.1):.1f}", "mg/dL", "1.2", drawn),
            "creatinine": (f"{rng.uniform(0.6, 1.1):.2f}", "mg/dL", "1.1" if sex == "female" else "1.3", drawn),
            "ast": (str(rng.randint(14, 39)), "U/L", "40", drawn),
            "alt": (str(rng.randint(10, 44)), "U/L", "45", drawn),
            "inr": (f"{rng.uniform(0.9, 1.05):.2f}", "ratio", "1.1", drawn),
        },
        blood_pressures=sorted(
            [(rng.randint(1, 3), rng.randint(108, 138), rng.randint(64, 88)), (rng.randint(4, 6), 126, 80)]
        ),
        therapies=[],
        medications=[],
        lesions=[],
    )
    if chart.answers["childbearing_potential"] or chart.answers["reproductive_potential"]:
        chart.answers["uses_contraception"] = True
    if sex == "female":
        chart.answers |= {"pregnant": False, "nursing": False}
        if chart.answers["childbearing_potential"]:
            chart.answers["pregnancy_test"] = "negative"
    if rng.random() < 0.2:
        chart.fields |= {"major_surgery": "yes", "major_surgery_date": rng.randint(60, 700)}
    if rng.random() < 0.15:
        chart.fields |= {"radiotherapy": "yes", "radiotherapy_date": rng.randint(60, 500)}
    kind = rng.random()
    if kind < 0.55:
        ended = rng.randint(45, 420)
        agents = rng.choice(IMMUNOTHERAPY)
        chart.therapies.append(therapy("immunotherapy", "metastatic", agents, ended + rng.randint(60, 300), ended))
    elif kind < 0.7:
        ended = rng.randint(200, 900)
        agents = rng.choice(["nivolumab", "pembrolizumab", "interferon alfa-2b"])
        chart.therapies.append(therapy("immunotherapy", "adjuvant", agents, ended + 365, ended))
    elif kind < 0.8:
        ended = rng.randint(60, 300)
        chart.therapies.append(therapy("systemic_chemotherapy", "metastatic", "dacarbazine", ended + 120, ended))
    elif kind < 0.86 and cohort == "phase1":
        ended = rng.randint(40, 200)
        chart.therapies.append(
            therapy("targeted_therapy", "metastatic", "dabrafenib, trametinib", ended + rng.randint(150, 400), ended)
        )
    if chart.therapies:
        chart.fields["prior_therapy"] = "yes"
    chart.medications = rng.sample(MEDICATIONS, rng.choice([0, 1, 2, 2, 3, 3, 4]))
    if chart.medications:
        chart.fields["medications_taken"] = "yes"
    for site, method in rng.sample(SITES, rng.choice([1, 1, 2, 2, 3])):
        low = 21 if method == "conventional" else 11
        chart.lesions.append((site, rng.randint(low, 65), method))
    if rng.random() < 0.05:
        stable_brain_metastases(chart, rng, treated=rng.randint(200, 400), imaged=rng.randint(20, 80))
    return chart


def therapy(modality, setting, agents, started, ended):
    return {"modality": modality, "setting": setting, "agents": agents, "started_on": started, "ended_on": ended}


def stable_brain_metastases(chart, rng, *, treated, imaged, stable=True):
    chart.answers |= {
        "brain_metastases": True,
        "brain_metastases_treatment_type": rng.choice(["radiosurgery", "radiosurgery", "resection", "whole_brain_rt"]),
        "brain_metastases_stable": stable,
        "brain_metastases_symptomatic": False,
        "brain_metastases_on_steroids": False,
    }
    chart.fields |= {
        "brain_metastases_treatment": "yes",
        "brain_metastases_treatment_date": treated,
        "brain_metastases_imaging": "yes",
        "brain_metastases_imaging_date": imaged,
    }


def set_lab(chart, code, value):
    _, unit, uln, days = chart.labs[code]
    chart.labs[code] = (value, unit, uln, days)


# What makes a candidate ineligible, as a coordinator meets it: each changes an eligible chart.
def low_anc(chart, rng, cohort, age):
    set_lab(chart, "anc", f"{rng.uniform(0.6, 1.4):.1f}")
    set_lab(chart, "wbc", f"{rng.uniform(2.4, 3.6):.1f}")


def low_platelets(chart, rng, cohort, age):
    set_lab(chart, "platelets", str(rng.randint(55, 98)))


def high_creatinine(chart, rng, cohort, age):
    set_lab(chart, "creatinine", f"{rng.uniform(1.9, 2.8):.2f}")
    chart.fields["weight_kg"] = Decimal(rng.randint(50, 68))


def uncontrolled_blood_pressure(chart, rng, cohort, age):
    chart.blood_pressures = [(1, rng.randint(146, 172), rng.randint(88, 102)), (4, rng.randint(144, 168), 94)]
    chart.medications = [m for m in chart.medications if m[0] not in ("Lisinopril", "Amlodipine")] + [
        ("Lisinopril", "20 mg daily", ""),
        ("Amlodipine", "10 mg daily", ""),
    ]
    chart.fields["medications_taken"] = "yes"


def anticoagulant(chart, rng, cohort, age):
    chart.medications = [*chart.medications, rng.choice(ANTICOAGULANTS)]
    chart.fields["medications_taken"] = "yes"


ANTICOAGULANTS = [
    ("Warfarin", "5 mg daily", "therapeutic"),
    ("Coumadin", "4 mg daily", "therapeutic"),
    ("Enoxaparin", "1 mg/kg SC q12h", "therapeutic"),
    ("Eliquis", "5 mg BID", "therapeutic"),
]


def enzyme_inducer(chart, rng, cohort, age):
    chart.medications = [*chart.medications, rng.choice(INDUCERS)]
    chart.fields["medications_taken"] = "yes"


INDUCERS = [
    ("Dilantin", "100 mg PO TID", ""),
    ("Phenytoin", "300 mg nightly", ""),
    ("Tegretol", "200 mg BID", ""),
    ("Phenobarbital", "60 mg BID", ""),
    ("Rifampin", "600 mg daily", ""),
    ("St John's wort", "300 mg TID", "supplement"),
]


def brain_metastases_not_stable(chart, rng, cohort, age):
    if rng.random() < 0.5:  # imaged too soon after the radiosurgery
        stable_brain_metastases(chart, rng, treated=rng.randint(45, 70), imaged=rng.randint(5, 20))
    else:  # a new lesion on the latest MRI
        stable_brain_metastases(chart, rng, treated=rng.randint(150, 300), imaged=rng.randint(5, 25), stable=False)


def prior_therapy(chart, rng, cohort, age):
    chart.fields["prior_therapy"] = "yes"
    if cohort == "phase2" and rng.random() < 0.6:  # a raf inhibitor is what phase II excludes
        ended = rng.randint(30, 200)
        agents = rng.choice(["vemurafenib", "dabrafenib, trametinib", "encorafenib, binimetinib", "sorafenib"])
        chart.therapies.append(therapy("targeted_therapy", "metastatic", agents, ended + 200, ended))
    elif cohort == "phase2":  # two chemotherapy regimens for metastatic disease
        chart.therapies += [
            therapy("systemic_chemotherapy", "metastatic", "dacarbazine", 500, 380),
            therapy("systemic_chemotherapy", "metastatic", "carboplatin, paclitaxel", 300, 120),
        ]
    else:  # chemotherapy given too recently
        ended = rng.randint(7, 24)
        agents = rng.choice(["temozolomide", "dacarbazine", "carboplatin, paclitaxel"])
        chart.therapies.append(therapy("systemic_chemotherapy", "metastatic", agents, ended + 90, ended))


def poor_performance_status(chart, rng, cohort, age):
    chart.fields["ecog"] = rng.choice([2, 2, 2, 3])


def uveal_primary(chart, rng, cohort, age):
    chart.answers["primary_site"] = "choroidal"


def liver_enzymes(chart, rng, cohort, age):
    set_lab(chart, "ast", str(rng.randint(105, 180)))
    set_lab(chart, "alt", str(rng.randint(90, 170)))
    chart.lesions = [("Liver, segment VII", rng.randint(35, 80), "conventional"), *chart.lesions[1:]]


def not_measurable(chart, rng, cohort, age):
    chart.lesions = [("Lung, right middle lobe", rng.randint(5, 9), "spiral_ct")]


def neuropathy(chart, rng, cohort, age):
    chart.fields["peripheral_neuropathy"] = 3


def frail(chart, rng, cohort, age):
    poor_performance_status(chart, rng, cohort, age)
    rng.choice([low_platelets, low_anc, high_creatinine])(chart, rng, cohort, age)


INELIGIBLE = [
    (low_anc, 8),
    (low_platelets, 9),
    (high_creatinine, 6),
    (uncontrolled_blood_pressure, 7),
    (anticoagulant, 7),
    (enzyme_inducer, 6),
    (brain_metastases_not_stable, 8),
    (prior_therapy, 10),
    (poor_performance_status, 12),
    (uveal_primary, 5),
    (liver_enzymes, 5),
    (not_measurable, 4),
    (neuropathy, 3),
    (frail, 5),
]
# Why some screenings are incomplete at first: what is not in the chart yet.
PENDING = [
    {"inr", "cholesterol", "triglycerides"},
    {"bleeding_diathesis", "uncontrolled_illness", "allergy_similar_compounds"},
    {"brain_metastases"},
    {"blood_pressures"},
    {"creatinine", "bilirubin"},
]
TRANSIENT = {low_anc, low_platelets, uncontrolled_blood_pressure, prior_therapy}


@dataclass
class Plan:
    """One candidate's screening as it went: who, when, what the chart held, and what came of it."""

    start: datetime
    cohort: str
    coordinator: object
    signer: object
    sex: str
    birth_date: date
    chart: Chart
    profile: object  # the function that made the chart ineligible, or None
    outcome: str = ""  # how it ends if it stays incomplete (an eligible one's is dealt when it comes)
    reason: str = ""
    resolved: bool = True  # an incomplete chart completed before sign-off
    evaluate_after: timedelta = timedelta(hours=3)
    sign_after: timedelta = timedelta(days=2)
    outcome_after: timedelta = timedelta(days=7)  # after sign-off, if eligible (consent, a treatment slot...)
    failure_after: timedelta = timedelta(days=1)  # after sign-off, if not
    query: tuple | None = None  # (target, question, answer, raised after evaluation, answered after raised, closed)
    referral: dict | None = None
    rescreen_of: object = None  # the earlier Plan
    screening: object = None


ELIGIBLE_OUTCOMES = [
    (Enrollment.ENROLLED, 62),
    (Enrollment.DECLINED, 11),
    (Enrollment.INVESTIGATOR_DECISION, 6),
    (Enrollment.OTHER_TRIAL, 5),
    (Enrollment.DIED, 4),
    (Enrollment.LOST, 5),
    (Enrollment.NOT_ENROLLED, 7),
]
INVESTIGATOR_REASONS = [
    "Rapidly progressing disease: referred for palliative radiotherapy first.",
    "Poor venous access for the pharmacokinetic sampling schedule.",
    "Not able to attend weekly visits for the first two cycles.",
    "Recent pulmonary embolism: the investigator judged the bleeding risk too high.",
]
NOT_ENROLLED_REASONS = [
    "No slot in the current dose cohort before the screening window closed.",
    "Insurance did not authorise the study visits in time.",
    "Moved out of state before the first dose.",
]
DECLINED_REASONS = ["Prefers standard-of-care immunotherapy.", "Did not want the research biopsy.", "", ""]
OTHER_TRIAL_REASONS = [
    "Enrolled in a TIL therapy study at another centre.",
    "Enrolled in an anti-PD-1 combination study.",
]
INCOMPLETE_ENDINGS = [
    (Enrollment.LOST, "Did not come back for the brain MRI."),
    (Enrollment.DECLINED, "Decided against the trial before the work-up was complete."),
    (Enrollment.DIED, ""),
    (Enrollment.NOT_ENROLLED, "The screening window closed before the missing results came back."),
]
QUERIES = [
    ("lab-platelets", "Platelets are from the first draw: was the count repeated?", "Repeated two days later, same."),
    ("lab-creatinine", "Was a measured creatinine clearance done?", "No: the Cockcroft-Gault estimate is all we have."),
    ("field-ecog", "The clinic note says ECOG 1, the nursing note 2: which?", "ECOG 1 at the visit, confirmed."),
    ("section-medications", "Is the aspirin still taken, and at what dose?", "Yes, 81 mg daily; it is on the list."),
    ("section-blood_pressures", "Were the readings on separate days?", "Yes, at two clinic visits."),
    (
        "section-therapies",
        "When was the last dose of the prior regimen?",
        "As entered: the infusion record confirms it.",
    ),
    ("section-lesions", "Which scan measured the target lesion?", "The CT of the screening week; report in the chart."),
]
REFERRAL_SOURCES = [
    (Referral.Source.CLINIC, "Tuesday melanoma clinic", 35),
    (Referral.Source.PHYSICIAN, "Dr. Okonkwo, Riverside Oncology", 15),
    (Referral.Source.PHYSICIAN, "Dr. Halvorsen, Lakeside Dermatology", 15),
    (Referral.Source.TUMOR_BOARD, "Cutaneous oncology tumor board", 15),
    (Referral.Source.EHR_SEARCH, "Monthly EHR query: stage IV melanoma, not on treatment", 12),
    (Referral.Source.SELF, "", 5),
    (Referral.Source.OTHER, "ClinicalTrials.gov listing", 3),
]
NOT_APPROACHED = [
    (Referral.NotApproachedReason.TOO_ILL, "Admitted with sepsis."),
    (Referral.NotApproachedReason.INVESTIGATOR, "Choroidal primary on review of the pathology."),
    (Referral.NotApproachedReason.LOGISTICS, "Lives four hours away, no transport."),
    (Referral.NotApproachedReason.CONSENT_CAPACITY, "Needs an interpreter for consent; none available that week."),
    (Referral.NotApproachedReason.NO_SLOT, "Dose cohort full."),
    (Referral.NotApproachedReason.OTHER, "Started hospice care."),
]
DECLINED_BEFORE = ["Not interested in a trial.", "Prefers treatment closer to home.", "Does not want more biopsies."]


class Replay:
    """Plans the site's history from the seed, then runs it step by step in the order of its moments."""

    def __init__(self, *, trial, coordinator, investigator, administrator, screenings=SCREENINGS):
        self.rng = random.Random(SEED)
        self.scale = screenings / SCREENINGS
        # The mix is dealt evenly rather than drawn: every kind of screening and outcome comes up, in its proportion,
        # whatever the number of screenings; the seeded generator decides the rest.
        self.kinds = weighted_cycle([("ineligible", 58), ("eligible", 42)])
        self.profiles = weighted_cycle(INELIGIBLE)
        self.outcomes = weighted_cycle(ELIGIBLE_OUTCOMES)
        self.trial = trial
        self.administrator = administrator
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.first_day = months_before(self.today, MONTHS)
        self.amendment_day = weekday(months_before(self.today, AMENDMENT_MONTHS_AGO))
        self.users = {"coordinator": coordinator, "investigator": investigator, **self._colleagues()}
        self.analytes = {a.code: a for a in Analyte.objects.all()}
        self.clock = Clock()
        self.queue = []
        self.count = 0
        self.mrn = MRN_START
        self.initials = {"AE", "BL", "CM", "DI"}  # the four demo screenings of today, registered after
        self.rescreens = 0
        self.versions = {}

    def _colleagues(self):
        User = get_user_model()
        users = {}
        for username, first_name, last_name, role in COLLEAGUES:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name, "last_name": last_name}
            )
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    # Planning: only the seeded generator decides, in a fixed order.

    def days_between(self, first, last, count):
        """`count` weekdays from `first` to `last`, in order, spread evenly but three times as many a month at the end
        as at the start (the trial screens more as it becomes known): the i-th is drawn within the i-th of `count`
        equal shares of that density, so that no month is left thin by chance."""
        span, start, rise = (last - first).days, 1.0, 2.0  # density start + rise * x over x in [0, 1]
        days = []
        for i in range(count):
            share = (i + self.rng.random()) / count * (start + rise / 2)
            x = (math.sqrt(start**2 + 2 * rise * share) - start) / rise
            days.append(min(weekday(first + timedelta(days=round(x * span))), self.today))
        return days

    def coordinator_on(self, day):
        months_ago = (self.today - day).days / 30.44
        working = [(u, w) for u, (since, until, w) in COORDINATOR_SPANS.items() if until <= months_ago <= since]
        return self.users[self.rng.choices([u for u, _ in working], [w for _, w in working])[0]]

    def plan(self, day, *, rescreen_of=None, kind=None):
        """A screening on `day`; `kind` (eligible or ineligible, and complete) if it must be, else as dealt."""
        rng = self.rng
        cohort_phase1 = 0.75 if day < self.amendment_day else 0.3
        cohort = "phase1" if rng.random() < cohort_phase1 else "phase2"
        if rescreen_of:
            sex, birth_date, cohort = rescreen_of.sex, rescreen_of.birth_date, rescreen_of.cohort
            age = (day - birth_date).days // 365
        else:
            sex = "male" if rng.random() < 0.6 else "female"
            age = rng.choice([rng.randint(34, 60), rng.randint(55, 82), rng.randint(55, 82)])
            birth_date = day - timedelta(days=age * 365 + rng.randint(30, 330))
        chart = base_chart(rng, sex=sex, age=age, cohort=cohort)
        profile = None
        if rescreen_of is None and (kind or next(self.kinds)) == "ineligible":
            profile = next(self.profiles)
            if profile is high_creatinine:
                age = max(age, 66)
                birth_date = day - timedelta(days=age * 365 + 100)
            profile(chart, rng, cohort, age)
        if rng.random() < (0.08 if profile else 0.3):
            chart.pending = set() if kind else set(rng.choice(PENDING))
        start = at(day, rng.randint(8, 11), rng.choice([0, 10, 15, 20, 30, 40, 45, 50]))
        plan = Plan(
            start=start,
            cohort=cohort,
            coordinator=self.coordinator_on(day),
            signer=self.users[rng.choices(list(SIGNER_WEIGHTS), list(SIGNER_WEIGHTS.values()))[0]],
            sex=sex,
            birth_date=birth_date,
            chart=chart,
            profile=profile,
            rescreen_of=rescreen_of,
            evaluate_after=timedelta(hours=rng.randint(2, 6))
            if rng.random() < 0.6
            else timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 4)),
            sign_after=timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 5)),
            outcome_after=timedelta(days=rng.randint(3, 21)),
            failure_after=timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 6)),
        )
        if chart.pending:
            plan.resolved = rng.random() < 0.6
            if not plan.resolved:
                plan.outcome, plan.reason = rng.choice(INCOMPLETE_ENDINGS)
        if rng.random() < 0.14:
            target, question, answer = rng.choice(QUERIES)
            raised, answered = timedelta(hours=rng.randint(4, 30)), timedelta(hours=rng.randint(3, 40))
            plan.query = (target, question, answer, raised, answered, rng.random() < 0.3)
            plan.sign_after = raised + answered + timedelta(hours=rng.randint(2, 48))
        return plan

    def share(self, count):
        """`count` (for 300 screenings) for the number of screenings asked for; at least one."""
        return max(1, round(count * self.scale))

    def eligible_outcome(self):
        """How a signed, eligible screening ends, and why."""
        outcome = next(self.outcomes)
        reasons = {
            Enrollment.DECLINED: DECLINED_REASONS,
            Enrollment.INVESTIGATOR_DECISION: INVESTIGATOR_REASONS,
            Enrollment.OTHER_TRIAL: OTHER_TRIAL_REASONS,
            Enrollment.NOT_ENROLLED: NOT_ENROLLED_REASONS,
        }
        return outcome, self.rng.choice(reasons[outcome]) if outcome in reasons else ""

    def plans(self):
        """Every screening and referral, planned: screenings by day, a quarter of them referred first, and the open
        work of today."""
        rng = self.rng
        scripted = self.scripted_plans()
        days = self.days_between(self.first_day, self.today - timedelta(days=1), self.share(FIRST_SCREENINGS))
        plans = [self.plan(day) for day in days[: len(days) - len(scripted)]]
        for plan in rng.sample(plans, self.share(REFERRALS_SCREENED)):
            referred = plan.start.date() - timedelta(days=rng.randint(2, 20))
            plan.referral = self.referral(max(referred, self.first_day))
        return sorted(plans + scripted, key=lambda plan: plan.start)

    def referral(self, day, ending=None):
        source, detail, _ = self.rng.choices(REFERRAL_SOURCES, [w for *_, w in REFERRAL_SOURCES])[0]
        return {
            "referred_at": at(weekday_before(day), 14, self.rng.choice([0, 15, 30])),
            "source": source,
            "detail": detail,
            **(ending or {}),
        }

    def scripted_plans(self):
        """What the worklists show today, whatever the number of screenings: three drafts whose labs are not back,
        two queries waiting for the demo coordinator's answer, two answered and back with the demo investigator (none
        of those four signed yet), two eligible candidates signed off whose enrollment visit is still to come."""
        days_ago = lambda days: weekday_before(self.today - timedelta(days=days))  # noqa: E731
        drafts = [self.plan(days_ago(2)), self.plan(self.today), self.plan(self.today)]
        for plan in drafts:
            plan.start = timezone.localtime(min(plan.start, self.now - timedelta(hours=1)))
            plan.evaluate_after = self.now - plan.start + timedelta(days=1)
        waiting = [self.plan(days_ago(12), kind="eligible"), self.plan(days_ago(9), kind="ineligible")]
        answered = [self.plan(days_ago(10), kind="ineligible"), self.plan(days_ago(7), kind="eligible")]
        for number, plan in enumerate(waiting + answered):
            target, question, answer = QUERIES[number]
            plan.signer = self.users["investigator"]
            plan.evaluate_after = timedelta(hours=3)
            evaluated = plan.start + plan.evaluate_after
            raised = self.now - timedelta(days=2 + number) - evaluated
            answer_after = timedelta(days=9) if plan in waiting else timedelta(days=1, hours=3)
            plan.query = (target, question, answer, raised, answer_after, False)
            plan.sign_after = raised + timedelta(days=12)
        for plan in waiting:
            plan.coordinator = self.users["coordinator"]
        signed = [self.plan(days_ago(20), kind="eligible"), self.plan(days_ago(16), kind="eligible")]
        for plan in signed:
            plan.query = None
            plan.sign_after = timedelta(days=3, hours=2)
            plan.outcome_after = self.now - plan.start + timedelta(days=5)
        return drafts + waiting + answered + signed

    # Running.

    def schedule(self, moment, story):
        self.count += 1
        heapq.heappush(self.queue, (moment, self.count, story))

    def run(self):
        plans = self.plans()
        for plan in plans:
            self.schedule(plan.referral["referred_at"] if plan.referral else plan.start, self.screening_story(plan))
        self.closed_referrals()
        self.schedule(at(self.amendment_day - timedelta(days=21), 10), self.amendment_story())
        signers = [self.users[name] for name in SIGNER_WEIGHTS] + [self.administrator]
        with self.clock.running(), throwaway_passwords(signers) as self.password, no_cyclic_garbage_collection():
            while self.queue:
                moment, _, story = heapq.heappop(self.queue)
                if moment > self.now:
                    continue  # what has not happened yet: the story stays where it is today
                self.clock.moment = moment
                with suppress(StopIteration):
                    self.schedule(self.next_moment(next(story), after=moment), story)
        return plans

    def next_moment(self, moment, *, after):
        """A story's next step: never before its last one, and in office hours on a weekday (a step that falls at
        night or on a weekend happens on the next working day, at a time spread over the day), unless that would put
        what has happened already after today's now."""
        moment = max(moment, after + timedelta(minutes=5))
        local = timezone.localtime(moment)
        if local.weekday() < 5 and 8 <= local.hour < 18:
            return moment
        day = local.date() + timedelta(days=1 if local.hour >= 18 else 0)
        if day.weekday() >= 5:
            day += timedelta(days=2)
        minutes = 8 * 60 + (local.hour * 60 + local.minute) * 10 // 24
        working = at(day, minutes // 60, minutes % 60)
        return working if working <= self.now else moment

    def closed_referrals(self):
        rng = self.rng
        not_approached, declined = map(self.share, REFERRALS_CLOSED)
        endings = [
            {"status": Referral.Status.NOT_APPROACHED, "why": rng.choice(NOT_APPROACHED)} for _ in range(not_approached)
        ]
        endings += [
            {"status": Referral.Status.DECLINED, "why": ("", rng.choice(DECLINED_BEFORE))} for _ in range(declined)
        ]
        endings += [{"status": Referral.Status.OPEN, "why": None} for _ in range(REFERRALS_OPEN)]
        for ending in endings:
            if ending["status"] == Referral.Status.OPEN:
                day = weekday_before(self.today - timedelta(days=rng.randint(1, 5)))
            else:
                day = self.days_between(self.first_day, self.today - timedelta(days=14), 1)[0]
            referral = self.referral(day, {"ending": ending, "close_after": timedelta(days=rng.randint(2, 9))})
            self.schedule(referral["referred_at"], self.referral_story(referral, self.coordinator_on(day)))

    def register_referral(self, referral, user):
        with acting_as(user):
            return referral_register(
                trial=self.trial,
                user=user,
                source=referral["source"],
                source_detail=referral["detail"],
                referred_on=referral["referred_at"].date(),
                confirm_new_person=True,
                **self.identity(referral.get("sex"), referral.get("birth_date")),
            )

    def identity(self, sex=None, birth_date=None):
        rng = self.rng
        while True:
            initials = "".join(rng.choice("ABCDEFGHJKLMNPRSTVW") for _ in range(rng.choice([2, 2, 3])))
            if initials not in self.initials:
                break
        self.initials.add(initials)
        self.mrn += 1
        return {
            "initials": initials,
            "birth_date": birth_date or self.today - timedelta(days=rng.randint(40, 80) * 365),
            "sex": sex or rng.choice(["male", "female"]),
            "mrn": f"{DEMO_MRN_PREFIX}{self.mrn}",
        }

    def referral_story(self, referral, user):
        yield referral["referred_at"]
        registered = self.register_referral(referral, user)
        ending = referral["ending"]
        if ending["status"] == Referral.Status.OPEN:
            return
        yield referral["referred_at"] + referral["close_after"]
        reason_code, text = ending["why"]
        with acting_as(user):
            referral_close(
                referral=registered,
                user=user,
                status=ending["status"],
                not_approached_reason=reason_code,
                reason=text,
                closed_on=timezone.localdate(),
            )

    def screening_story(self, plan):
        """The screening from registration to its outcome; the replay stops it wherever today falls."""
        coordinator, chart, day = plan.coordinator, plan.chart, plan.start.date()
        if plan.referral:
            yield plan.referral["referred_at"]
            referral = self.register_referral(
                plan.referral | {"sex": plan.sex, "birth_date": plan.birth_date}, coordinator
            )
            yield plan.start
            with acting_as(coordinator):
                screening = referral_start_screening(
                    referral=referral, user=coordinator, cohort=plan.cohort, screening_date=day
                )
        elif plan.rescreen_of:
            yield plan.start
            earlier = plan.rescreen_of.screening
            with acting_as(coordinator):
                screening = services.screening_start(
                    candidate=earlier.candidate,
                    trial=self.trial,
                    cohort=plan.cohort,
                    screening_date=day,
                    coordinator=coordinator,
                    copy_from=earlier,
                )
        else:
            yield plan.start
            with acting_as(coordinator):
                screening = services.screening_register(
                    trial=self.trial,
                    cohort=plan.cohort,
                    screening_date=day,
                    coordinator=coordinator,
                    confirm_new_person=True,
                    **self.identity(plan.sex, plan.birth_date),
                )
        plan.screening = screening
        if plan.evaluate_after >= timedelta(days=1) and self.now - plan.start < RECENT:
            # The history and medications saved first; the labs come back another day. (Only in the recent weeks,
            # where it shows: the drafts of today. Older screenings are entered at once, which keeps the load fast.)
            yield plan.start + timedelta(minutes=25)
            with acting_as(coordinator):
                services.screening_update(screening=screening, **chart.entry(day, self.analytes, labs=False))
        yield plan.start + plan.evaluate_after
        with acting_as(coordinator):
            services.screening_update(
                screening=screening, **chart.entry(day, self.analytes, complete=not chart.pending), evaluate=True
            )
        if chart.pending:
            # Incomplete (unless something else already fails): the rest comes in, or the candidate is gone first.
            if screening.verdict == Screening.Verdict.INCOMPLETE and not plan.resolved:
                yield plan.start + plan.evaluate_after + plan.outcome_after + timedelta(days=7)
                self.record_outcome(screening, plan.outcome, plan.reason, coordinator)
                return
            yield plan.start + plan.evaluate_after + plan.outcome_after / 2 + timedelta(hours=2)
            with acting_as(coordinator):
                services.screening_update(screening=screening, **chart.entry(day, self.analytes), evaluate=True)
        evaluated = timezone.now()
        if plan.query:
            target, question, answer, raised, answered, closed = plan.query
            yield evaluated + raised
            with acting_as(plan.signer):
                query = query_raise(screening=screening, user=plan.signer, target=target, text=question)
            yield evaluated + raised + answered
            with acting_as(coordinator):
                query_answer(query=query, user=coordinator, text=answer)
            if closed:
                yield evaluated + raised + answered + timedelta(hours=2)
                with acting_as(plan.signer):
                    query_close(query=query, user=plan.signer, text="Thank you, that settles it.")
        yield evaluated + plan.sign_after
        with acting_as(plan.signer):
            self.sign(screening, plan.signer)
        if screening.verdict == Screening.Verdict.ELIGIBLE:
            yield timezone.now() + plan.outcome_after
            self.record_outcome(screening, *self.eligible_outcome(), coordinator)
        else:
            yield timezone.now() + plan.failure_after
            self.record_outcome(screening, Enrollment.SCREEN_FAILURE, "", coordinator)
            if plan.profile in TRANSIENT and self.rescreens < self.share(RESCREENS):
                self.rescreens += 1
                later = weekday(timezone.localdate() + timedelta(days=self.rng.randint(21, 45)))
                again = self.plan(later, rescreen_of=plan)
                again.chart.pending = set()
                self.schedule(again.start, self.screening_story(again))

    def sign(self, screening, signer):
        """As the sign page does: the record as shown there, the meaning of its verdict, the password again."""
        shown = screening_with_outcomes(pk=screening.pk)
        # A published version never changes: its vocabulary (86 KB of JSON) is read once, not at every sign-off.
        shown.criteria_version = self.versions.setdefault(shown.criteria_version_id, shown.criteria_version)
        services.screening_sign(
            screening=shown,
            signer=signer,
            password=self.password,
            meaning="confirm_eligible" if shown.verdict == "eligible" else "confirm_not_eligible",
            reviewed_hash=record_hash(shown),
        )

    def record_outcome(self, screening, outcome, reason, user):
        with acting_as(user):
            services.screening_record_enrollment(screening=screening, outcome=outcome, reason=reason, user=user)

    def amendment_story(self):
        """Amendment 1: the platelet limit lowered to 75,000/mm3, previewed, then published by the administrator."""
        admin = self.administrator
        with acting_as(admin):
            draft = criteria_version_create_amendment(
                source=self.trial.criteria_versions.get(status="active"),
                label="Amendment 1",
                note="Protocol amendment 1: the platelet count for entry lowered from 100,000 to 75,000/mm3 (IN17).",
            )
            criterion = Criterion.objects.get(version=draft, code="IN17")
            criterion.text = "Platelet count >= 75,000/mm³"
            criterion.summary = "Platelets at least 75,000/mm3"
            criterion.rule = {**criterion.rule, "value": 75000}
            criterion.save()
        yield at(self.amendment_day - timedelta(days=2), 15)
        with acting_as(admin):
            preview = impact_preview_request(version=draft, user=admin)
            impact_preview_run(preview_id=preview.pk)
        yield at(self.amendment_day, 8, 30)
        with acting_as(admin):
            criteria_version_publish(
                version=draft,
                publisher=admin,
                password=self.password,
                reviewed_hash=draft_content_hash(draft),
                irb_approved_on=self.amendment_day - timedelta(days=9),
                effective_date=self.amendment_day,
            )


def replay(*, trial, coordinator, investigator, administrator, screenings=SCREENINGS):
    """The demo site's 18 months, replayed; returns the plans of the first screenings."""
    return Replay(
        trial=trial,
        coordinator=coordinator,
        investigator=investigator,
        administrator=administrator,
        screenings=screenings,
    ).run()
