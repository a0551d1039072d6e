"""Demo data for `make run`, entered through the services: 18 months of the site (about 300 screenings with their
outcomes, referrals, queries and Amendment 1; see demo_population.py), then four hand-made screenings of today, one
for each verdict."""

import os
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from patients.models import Candidate
from screening import services
from screening.management import demo_population
from screening.management.demo_population import DEMO_MRN_PREFIX
from screening.models import Screening
from trials.models import Analyte
from trials.selectors import trials_open_for_screening

ATTESTED = demo_population.ATTESTATIONS  # what a candidate who meets every criterion attests
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


def years_before(day, years):
    """The same day `years` earlier; 28 February for a 29th that year does not have."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Command(BaseCommand):
    help = (
        "Create the demo site's last 18 months (about 300 screenings, referrals, queries, an amendment), then 4 demo "
        "candidates of today: eligible, ineligible for a lab, ineligible for a medication, incomplete."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--screenings",
            type=int,
            default=demo_population.SCREENINGS,
            help="About how many screenings the 18 months hold (default %(default)s; fewer load faster).",
        )

    @transaction.atomic
    def handle(self, *args, screenings=demo_population.SCREENINGS, **options):
        if Candidate.objects.filter(mrn__startswith=DEMO_MRN_PREFIX).exists():
            self.stdout.write("Demo screenings already exist; nothing changed.")
            return
        users = get_user_model().objects.in_bulk(
            ["coordinator", "investigator", "administrator"], field_name="username"
        )
        trial = trials_open_for_screening().first()
        if len(users) < 3 or trial is None:
            raise CommandError("Run load_trial_data and create_demo_users first.")
        coordinator = users["coordinator"]
        if trial.screenings.exists() or trial.criteria_versions.count() > 1:
            self.stdout.write(
                "The trial already has screenings or amendments: only the four demo screenings are added."
            )
        else:
            self.population(trial, users, screenings)
        analytes = {a.code: a for a in Analyte.objects.all()}
        today = timezone.localdate()
        for number, (initials, sex, changes) in enumerate(DEMOS, 1):
            screening = services.screening_register(
                trial=trial,
                initials=initials,
                birth_date=years_before(today, 50 + number),
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

    def population(self, trial, users, screenings):
        demo_population.replay(
            screenings=screenings,
            trial=trial,
            coordinator=users["coordinator"],
            investigator=users["investigator"],
            administrator=users["administrator"],
        )
        screenings = Screening.objects.filter(trial=trial)
        verdicts = [f"{screenings.filter(verdict=v).count()} {v}" for v in Screening.Verdict.values]
        self.stdout.write(
            f"The last {demo_population.MONTHS} months: {screenings.count()} screenings ({', '.join(verdicts)}, "
            f"{screenings.filter(status=Screening.Status.DRAFT).count()} drafts), "
            f"{screenings.filter(signature__isnull=False).count()} signed, "
            f"{screenings.filter(enrollment=Screening.Enrollment.ENROLLED).count()} enrolled; "
            f"{trial.referrals.count()} referrals; Amendment 1 in effect since "
            f"{trial.criteria_versions.get(status='active').effective_date}."
        )
        if not os.environ.get("SECRET_KEY") and not os.environ.get("SIGNATURE_KEYS"):
            self.stdout.write(
                "Note: no SECRET_KEY or SIGNATURE_KEYS is set, so the sign-offs were keyed with this process's random "
                "key: give this command the server's SECRET_KEY for them to verify in the app."
            )
