"""The one place that turns a screening's rows into the engine's CandidateFacts."""

from screening.rules import BloodPressure, CandidateFacts, LabResult, Lesion, Medication, PriorTherapy
from screening.rules import facts as F

ROW_SETS = ("labs", "blood_pressures", "therapies", "medications", "lesions")


def _dates(state, day):
    """None when the history was not taken (or "yes" without a date yet); () for none; else the date."""
    if state == "none":
        return ()
    if state == "yes" and day is not None:
        return (day,)
    return None


def candidate_facts(screening, rows):
    """`rows` maps each of the screening's row sets (labs, blood_pressures, therapies, medications, lesions) to its
    rows: those just saved, so that evaluating after a save reads nothing back; or plain rows with the same
    attributes (amendments/selectors.py reads thousands at a time)."""
    candidate = screening.candidate
    events = {}
    for event in F.EVENTS:
        dates = _dates(getattr(screening, event), getattr(screening, f"{event}_date"))
        if dates is not None:
            events[event] = dates
    therapies = None
    if screening.prior_therapy == "none":
        therapies = ()
    elif screening.prior_therapy == "yes":
        therapies = tuple(
            PriorTherapy(t.modality, t.setting, t.agent_list, t.started_on, t.ended_on) for t in rows["therapies"]
        )
    medications = None
    if screening.medications_taken == "none":
        medications = ()
    elif screening.medications_taken == "yes":
        medications = tuple(Medication(m.chart_text, m.purpose or None, m.active) for m in rows["medications"])
    readings = tuple(BloodPressure(r.taken_on, r.systolic, r.diastolic) for r in rows["blood_pressures"])
    lesions = tuple(Lesion(float(x.size_mm), x.method) for x in rows["lesions"])
    return CandidateFacts(
        birth_date=candidate.birth_date,
        sex=candidate.sex,
        weight_kg=float(screening.weight_kg) if screening.weight_kg is not None else None,
        labs={
            lab.analyte_code: LabResult(
                float(lab.value),
                lab.unit,
                float(lab.uln) if lab.uln is not None else None,
                lab.collected_on,
                lab.confirmed,
            )
            for lab in rows["labs"]
        },
        grades={
            scale: value
            for scale, value in (("ecog", screening.ecog), ("peripheral_neuropathy", screening.peripheral_neuropathy))
            if value is not None
        },
        answers=dict(screening.answers),
        events=events,
        prior_therapies=therapies,
        medications=medications,
        blood_pressures=readings or None,
        lesions=lesions or None,
    )


def stored_facts(screening):
    """The facts of the rows stored now, as loaded (prefetched) with the screening."""
    return candidate_facts(screening, {related: list(getattr(screening, related).all()) for related in ROW_SETS})


def derived_labs(screening, ruleset):
    """(analyte name, result) for each lab the engine worked out from others, from the stored entries."""
    found = ruleset.derived_labs(stored_facts(screening), screening.screening_date)
    return [(ruleset.vocabulary.analytes[code].name, lab) for code, lab in found.items()]
