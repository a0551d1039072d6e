"""Demo candidates for `make run`: one screening for each verdict, entered and evaluated through the services."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from patients.models import Candidate
from screening import services
from trials.models import Analyte
from trials.selectors import trials_open_for_screening

DEMO_MRN_PREFIX = "DEMO-"
ATTESTED = {
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
ANSWERS = {
    "histology_confirmed": True,
    "melanoma_stage": "stage_4",
    "primary_site": "cutaneous",
    "tumor_accessible_to_biopsy": True,
    "brain_metastases": False,
    "target_lesions_in_regional_field": False,
    "hiv_positive": False,
    "childbearing_potential": False,
    "reproductive_potential": False,
    "pregnant": False,
    "nursing": False,
    **ATTESTED,
}
LABS = {
    "wbc": ("5.2", "10^3/uL", None),
    "anc": ("3.1", "10^3/uL", None),
    "platelets": ("210", "10^3/uL", None),
    "cholesterol": ("4.9", "mmol/L", None),
    "triglycerides": ("150", "mg/dL", None),
    "bilirubin": ("12", "umol/L", "21"),
    "creatinine": ("0.9", "mg/dL", "1.1"),
    "ast": ("30", "U/L", "40"),
    "alt": ("28", "U/L", "45"),
    "inr": ("1.0", "ratio", "1.1"),
}
# initials, sex, what differs from a candidate who meets everything
DEMOS = [
    ("AE", "female", {}),
    ("BL", "male", {"labs": {"anc": ("1.2", "10^3/uL", None)}}),
    ("CM", "female", {"medications": [{"name": "Dilantin", "dose": "100 mg PO TID", "purpose": "", "active": True}]}),
    ("DI", "male", {"skip_answers": ["bleeding_diathesis", "uncontrolled_illness"], "skip_labs": ["inr"]}),
]


class Command(BaseCommand):
    help = "Create 4 demo candidates: eligible, ineligible for a lab, ineligible for a medication, incomplete."

    @transaction.atomic
    def handle(self, *args, **options):
        if Candidate.objects.filter(mrn__startswith=DEMO_MRN_PREFIX).exists():
            self.stdout.write("Demo screenings already exist; nothing changed.")
            return
        coordinator = get_user_model().objects.filter(username="coordinator").first()
        trial = trials_open_for_screening().first()
        if coordinator is None or trial is None:
            raise CommandError("Run load_trial_data and create_demo_users first.")
        analytes = {a.code: a for a in Analyte.objects.all()}
        today = timezone.localdate()
        for number, (initials, sex, changes) in enumerate(DEMOS, 1):
            screening = services.screening_register(
                trial=trial,
                initials=initials,
                birth_date=today.replace(year=today.year - 50 - number),
                sex=sex,
                mrn=f"{DEMO_MRN_PREFIX}{number:03d}",
                cohort="phase1",
                screening_date=today,
                coordinator=coordinator,
            )
            labs = {**LABS, **changes.get("labs", {})}
            services.screening_update(
                screening=screening,
                fields={
                    "weight_kg": Decimal("72"),
                    "ecog": 1,
                    "peripheral_neuropathy": 0,
                    **dict.fromkeys(["major_surgery", "radiotherapy", "traumatic_injury", "tumor_sample"], "none"),
                    "brain_metastases_treatment": "none",
                    "prior_therapy": "yes",
                    "medications_taken": "yes",
                },
                answers={k: v for k, v in ANSWERS.items() if k not in changes.get("skip_answers", [])},
                labs={
                    analytes[code]: {
                        "value": Decimal(value),
                        "unit": unit,
                        "uln": Decimal(uln) if uln else None,
                        "collected_on": today - timedelta(days=3),
                    }
                    for code, (value, unit, uln) in labs.items()
                    if code not in changes.get("skip_labs", [])
                },
                blood_pressures=[
                    {"taken_on": today - timedelta(days=1), "systolic": 128, "diastolic": 82},
                    {"taken_on": today - timedelta(days=5), "systolic": 134, "diastolic": 86},
                ],
                therapies=[
                    {
                        "modality": "immunotherapy",
                        "setting": "metastatic",
                        "agents": "ipilimumab",
                        "started_on": today - timedelta(days=200),
                        "ended_on": today - timedelta(days=120),
                    }
                ],
                medications=[
                    {"name": "Lisinopril", "dose": "10 mg daily", "purpose": "", "active": True},
                    *changes.get("medications", []),
                ],
                lesions=[{"site": "Liver", "size_mm": Decimal("24"), "method": "conventional"}],
            )
            screening, result = services.screening_evaluate(screening=screening)
            self.stdout.write(f"{screening.number} ({initials}): {result.verdict.value}")
