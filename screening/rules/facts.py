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
AS_NEEDED = "as_needed"
SUPPLEMENT = "supplement"
PURPOSES = {
    PROPHYLACTIC: "Prophylactic (low dose)",
    THERAPEUTIC: "Therapeutic (full dose)",
    AS_NEEDED: "As needed",
    SUPPLEMENT: "Supplement",
}
DOSE_PURPOSES = frozenset({PROPHYLACTIC, THERAPEUTIC})  # the purposes that say which dose a rule is about


@dataclass(frozen=True, slots=True)
class FactDef:
    """A yes/no or multiple-choice fact about the candidate that rules may test."""

    label: str
    choices: dict | None = None  # None: yes/no
    history: bool = False  # a recorded yes (or choice) stays true at a later screening, so it is copied to it

    def carries_over(self, value):
        return self.history and value is not None and (self.choices is not None or value is True)

    def accepts(self, value):
        return isinstance(value, bool) if self.choices is None else value in self.choices

    def show(self, value):
        if self.choices is None:
            return "yes" if value else "no"
        return self.choices.get(value, str(value))


FACTS = {
    "histology_confirmed": FactDef("Melanoma confirmed histologically or cytologically", history=True),
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
        history=True,
    ),
    "tumor_accessible_to_biopsy": FactDef("Tumor accessible to biopsy"),
    "agrees_to_provide_sample": FactDef("Agrees to provide the archived tumor sample for this study"),
    "pregnant": FactDef("Pregnant"),
    "nursing": FactDef("Nursing (breastfeeding)"),
    "pregnancy_test": FactDef("Pregnancy test result", {"negative": "Negative", "positive": "Positive"}),
    "uses_contraception": FactDef("Agrees to effective contraception during and for 30 days after treatment"),
    "childbearing_potential": FactDef("Of childbearing potential"),
    "reproductive_potential": FactDef("Fertile (of reproductive potential, any sex)"),
    "hiv_positive": FactDef("HIV-positive", history=True),
    "on_antiretroviral_therapy": FactDef("Receiving combination antiretroviral therapy (HIV-positive candidates)"),
    "anticoagulation": FactDef(
        "Anticoagulation, as the chart states it",
        {"none": "None", "prophylactic": "Prophylactic (low dose)", "therapeutic": "Therapeutic (full dose)"},
    ),
    "target_lesions_in_regional_field": FactDef("All target lesions lie within a prior regional treatment field"),
    "brain_metastases": FactDef("Known brain metastases", history=True),
    "brain_metastases_treatment_type": FactDef(
        "How the brain metastases were treated",
        {
            "resection": "Complete resection",
            "whole_brain_rt": "Whole-brain radiotherapy",
            "radiosurgery": "Stereotactic radiosurgery",
            "combined": "More than one of these",
            "other": "Other, or not treated locally",
        },
        history=True,
    ),
    "brain_metastases_stable": FactDef("Latest brain imaging shows them stable, with no recurrence"),
    "brain_metastases_symptomatic": FactDef("Brain metastases symptomatic"),
    "brain_metastases_on_steroids": FactDef("Needs steroids for brain metastases"),
    "corticosteroid_for_other_reason": FactDef(
        "A corticosteroid on the medication list is for another reason, not the brain metastases"
    ),
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
    "brain_metastases_imaging": "Brain imaging showing the metastases stable",
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
    "not_documented": "Not documented",
}
NOT_DOCUMENTED = "not_documented"

# What the drugs of a prior regimen can make it, whatever regimen type was chosen (DrugClass.therapy_kind).
CHEMOTHERAPY = "chemotherapy"
AGENT_KINDS = {
    CHEMOTHERAPY: "Chemotherapy",
    "targeted_therapy": "Targeted therapy",
    "immunotherapy": "Biologic or immunotherapy",
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
    confirmed: bool = False  # the coordinator checked an unusual value and its unit
    source: str | None = None  # how a value the lab did not report was worked out (e.g. ANC from WBC x neutrophil %)


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
    purpose: str | None = None  # a key of PURPOSES, or None (not stated)
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
