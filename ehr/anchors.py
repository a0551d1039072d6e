"""Where on the entry form each imported field is shown: the id of the element its source note goes beside."""


def anchor_of(field):
    kind, _, code = field.partition(":")
    if kind == "lab":
        return f"lab-{code}"
    if kind == "answer":
        return f"answer-{code}"
    if kind == "history":
        return f"field-{code}"
    if kind in ("weight_kg", "ecog"):
        return f"field-{kind}"
    return {"blood_pressure": "section-blood_pressures", "medication": "section-medications"}.get(
        kind, "section-therapies"
    )
