"""Build the POST a coordinator's browser sends from the screening form, so tests change only what they test."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from screening import services
from screening.forms import ScreeningEntry
from screening.selectors import screening_for_evaluation, screening_with_outcomes
from screening.signing import record_hash
from trials.ruleset import screening_form_vocabulary

ELIGIBLE_ANSWERS = {
    "histology_confirmed": "yes",
    "melanoma_stage": "stage_4",
    "primary_site": "cutaneous",
    "tumor_accessible_to_biopsy": "yes",
    "brain_metastases": "no",
    "target_lesions_in_regional_field": "no",
    "hiv_positive": "no",
    "childbearing_potential": "no",
    "reproductive_potential": "no",
    "pregnant": "no",
    "nursing": "no",
    "allergy_similar_compounds": "no",
    "bleeding_diathesis": "no",
    "cannot_swallow_pills": "no",
    "uncontrolled_illness": "no",
    "surgery_affecting_absorption": "no",
    "recovered_from_chemotherapy": "yes",
    "recovered_from_radiotherapy": "yes",
    "investigational_agents": "no",
    "other_anticancer_therapy": "no",
    "grapefruit": "no",
}

ELIGIBLE_LABS = {
    "wbc": ("5.2", "10^3/uL", ""),
    "anc": ("3.1", "10^3/uL", ""),
    "platelets": ("210", "10^3/uL", ""),
    "cholesterol": ("190", "mg/dL", ""),
    "triglycerides": ("150", "mg/dL", ""),
    "bilirubin": ("0.8", "mg/dL", "1.2"),
    "creatinine": ("0.9", "mg/dL", "1.1"),
    "ast": ("30", "U/L", "40"),
    "alt": ("28", "U/L", "45"),
    "inr": ("1.0", "ratio", "1.1"),
}


def blank_payload(screening):
    """What the form posts untouched: every field at its current value, each row list with its rows."""
    screening = screening_for_evaluation(pk=screening.pk)
    entry = ScreeningEntry(screening, *screening_form_vocabulary(screening.criteria_version))
    data = {}
    for form in [entry.main, entry.answers, *entry.labs]:
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else value
    for prefix, formset in entry.rows.items():
        rows = [{f.name: f.value() for f in form if f.name != "DELETE"} for form in formset.initial_forms]
        set_rows(data, prefix, rows, existing=len(rows))
    return data


def set_rows(data, prefix, rows, existing=0):
    for key in [k for k in data if k.startswith(f"{prefix}-")]:
        del data[key]
    data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": existing, f"{prefix}-MIN_NUM_FORMS": 0})
    data[f"{prefix}-MAX_NUM_FORMS"] = 1000
    for index, row in enumerate(rows):
        for name, value in row.items():
            if value is True:
                value = "on"
            if value not in (False, None):
                data[f"{prefix}-{index}-{name}"] = value
    return data


def eligible_payload(screening, *, medications=None, labs=None, answers=None):
    """Everything a candidate who meets every criterion would have entered."""
    today = timezone.localdate()
    data = blank_payload(screening)
    data.update(
        {
            "weight_kg": "68",
            "ecog": "1",
            "peripheral_neuropathy": "0",
            "major_surgery": "none",
            "radiotherapy": "none",
            "traumatic_injury": "none",
            "tumor_sample": "none",
            "brain_metastases_treatment": "none",
            "prior_therapy": "none",
            "medications_taken": "yes",
        }
    )
    for code, value in {**ELIGIBLE_ANSWERS, **(answers or {})}.items():
        data[f"answer-{code}"] = value
    for code, (value, unit, uln) in {**ELIGIBLE_LABS, **(labs or {})}.items():
        data.update(
            {
                f"lab-{code}-value": value,
                f"lab-{code}-unit": unit,
                f"lab-{code}-collected_on": today - timedelta(days=2),
            }
        )
        if uln:
            data[f"lab-{code}-uln"] = uln
    set_rows(
        data,
        "bp",
        [
            {"taken_on": today - timedelta(days=1), "systolic": 128, "diastolic": 80},
            {"taken_on": today - timedelta(days=4), "systolic": 132, "diastolic": 84},
        ],
    )
    set_rows(data, "lesion", [{"site": "liver", "size_mm": "24", "method": "conventional"}])
    set_rows(data, "therapy", [])
    meds = medications if medications is not None else [{"name": "Lisinopril", "dose": "10 mg daily", "active": True}]
    set_rows(data, "medication", meds)
    return data


def sign_as(investigator, screening, *, meaning=None, comment=""):
    """Sign as an investigator does from the sign page: the record as shown there, the meaning of its verdict."""
    shown = screening_with_outcomes(pk=screening.pk)
    confirmed = "confirm_eligible" if shown.verdict == "eligible" else "confirm_not_eligible"
    return services.screening_sign(
        screening=shown,
        signer=investigator,
        password=PASSWORD,
        meaning=meaning or confirmed,
        comment=comment,
        reviewed_hash=record_hash(shown),
    )


def reviewed_on_sign_page(client, screening):
    """The fingerprint the sign page puts in its form: what the investigator has in front of them."""
    page = client.get(reverse("screening:sign", args=[screening.pk])).content.decode()
    found = re.search(r'name="reviewed" value="([0-9a-f]{64})"', page)
    return found.group(1) if found else ""
