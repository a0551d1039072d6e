"""Where on the entry form each imported field is shown: the id of the element its source note goes beside."""

from screening.forms import input_anchor

# The import's field keys that the form names otherwise (see `input_anchor`).
FORM_KEYS = {
    "ecog": "grade:ecog",
    "blood_pressure": "blood_pressures",
    "medication": "medications",
    "therapy": "therapies",
}


def anchor_of(field):
    return input_anchor(FORM_KEYS.get(field, field))
