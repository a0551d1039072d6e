"""What the engine knows about a candidate, and the vocabularies of its fields.

`None` always means "not entered"; an empty tuple means "entered, and there is none". The engine never reads a
missing value as a pass.
"""

from dataclasses import dataclass, field
from datetime import date

FEMALE = "female"
MALE = "male"
SEXES = {FEMALE: "Female", MALE: "Male"}

PROPHYLACTIC = "prophylactic"
THERAPEUTIC = "therapeutic"
PURPOSES = {PROPHYLACTIC: "Prophylactic (low dose)", THERAPEUTIC: "Therapeutic (full dose)"}


@dataclass(frozen=True, slots=True)
class FactDef:
    """A yes/no or multiple-choice fact about the candidate that rules may test."""

    label: str
    choices: dict | None = None  # None: yes/no

    def accepts(self, value):
        return isinstance(value, bool) if self.choices is None else value in self.choices

    def show(self, value):
        if self.choices is None:
            return "yes" if value else "no"
        return self.choices.get(value, str(value))


FACTS = {
    "histology_confirmed": FactDef("Melanoma confirmed histologically or cytologically"),
    "melanoma_stage": FactDef(
        "Melanoma stage",
        {
            "stage_1_2": "Stage I-II",
            "stage_3_resectable": "Stage III, resectable and not recurrent",
            "stage_3_unresectable": "Stage III, unresectable",
            "stage_3_recurrent": "Stage III, recurrent",
            "stage_4": "Stage IV",
        },
    ),
    "primary_site": FactDef(
        "Primary site",
        {
            "cutaneous": "Cutaneous",
            "acral": "Acral",
            "mucosal": "Mucosal",
            "unknown_primary": "Unknown primary",
            "choroidal": "Choroidal (uveal)",
        },
    ),
    "tumor_accessible_to_biopsy": FactDef("Tumor accessible to biopsy"),
    "agrees_to_provide_sample": FactDef("Agrees to provide the archived tumor sample for this study"),
    "pregnant": FactDef("Pregnant"),
    "nursing": FactDef("Nursing (breastfeeding)"),
    "pregnancy_test": FactDef("Pregnancy test result", {"negative": "Negative", "positive": "Positive"}),
    "uses_contraception": FactDef("Agrees to effective contraception during and for 30 days after treatment"),
    "childbearing_potential": FactDef("Of childbearing potential"),
    "reproductive_potential": FactDef("Fertile (of reproductive potential, any sex)"),
    "hiv_positive": FactDef("HIV-positive"),
    "target_lesions_in_regional_field": FactDef("All target lesions lie within a prior regional treatment field"),
    "brain_metastases": FactDef("Known brain metastases"),
    "brain_metastases_stable": FactDef("Brain metastases stable, no radiographic recurrence since treatment"),
    "brain_metastases_symptomatic": FactDef("Brain metastases symptomatic"),
    "brain_metastases_on_steroids": FactDef("Needs steroids for brain metastases"),
}

SCALES = {
    "ecog": ("ECOG performance status", 0, 5),
    "peripheral_neuropathy": ("Peripheral neuropathy (CTCAE grade)", 0, 5),
}

EVENTS = {
    "major_surgery": "Major surgery",
    "radiotherapy": "Radiotherapy",
    "traumatic_injury": "Traumatic injury",
    "brain_metastases_treatment": "Treatment of brain metastases (resection, whole-brain RT or radiosurgery)",
    "tumor_sample": "Tumor sample collection",
}

MODALITIES = {
    "systemic_chemotherapy": "Systemic chemotherapy",
    "regional_chemotherapy": "Regional chemotherapy (e.g. isolated limb perfusion)",
    "immunotherapy": "Biologic or immunotherapy",
    "targeted_therapy": "Targeted therapy",
    "other": "Other anticancer therapy",
}

SETTINGS = {
    "metastatic": "Metastatic or unresectable melanoma",
    "adjuvant": "Adjuvant or neoadjuvant, melanoma",
    "other_cancer": "Another cancer",
}

MEASUREMENT_METHODS = {
    "conventional": "Conventional technique (CT, MRI, X-ray)",
    "spiral_ct": "Spiral CT",
    "cutaneous": "Visible cutaneous lesion, measured",
}


@dataclass(frozen=True, slots=True)
class LabResult:
    value: float
    unit: str
    uln: float | None = None  # upper limit of normal reported with this result, in the same unit
    collected_on: date | None = None


@dataclass(frozen=True, slots=True)
class BloodPressure:
    taken_on: date
    systolic: int
    diastolic: int


@dataclass(frozen=True, slots=True)
class PriorTherapy:
    modality: str
    setting: str
    agents: tuple[str, ...] = ()
    started_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    text: str
    purpose: str | None = None  # PROPHYLACTIC, THERAPEUTIC or None (not stated)
    active: bool = True


@dataclass(frozen=True, slots=True)
class Lesion:
    size_mm: float
    method: str


@dataclass(slots=True)
class CandidateFacts:
    birth_date: date | None = None
    sex: str | None = None
    weight_kg: float | None = None
    labs: dict[str, LabResult] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)  # FACTS and attestation questions, by code
    events: dict[str, tuple[date, ...]] = field(default_factory=dict)  # a key present = that history was taken
    prior_therapies: tuple[PriorTherapy, ...] | None = None
    medications: tuple[Medication, ...] | None = None
    blood_pressures: tuple[BloodPressure, ...] | None = None
    lesions: tuple[Lesion, ...] | None = None
