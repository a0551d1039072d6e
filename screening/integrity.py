"""The content a signature covers, and its SHA-256: what the investigator saw, down to each value and rule."""

import hashlib
import json

from screening.models import ENTRY_FIELDS


def screening_content(screening):
    """Everything that decided the verdict, as plain data in a fixed order. Expects the rows prefetched."""
    candidate = screening.candidate
    version = screening.criteria_version
    return {
        "screening": {name: getattr(screening, name) for name in ("pk", "number", *ENTRY_FIELDS, "verdict")},
        "candidate": {
            "screening_number": candidate.screening_number,
            "initials": candidate.initials,
            "birth_date": candidate.birth_date,
            "sex": candidate.sex,
        },
        "answers": screening.answers,
        "labs": sorted(
            [lab.analyte.code, lab.value, lab.unit, lab.uln, lab.collected_on, lab.confirmed]
            for lab in screening.labs.all()
        ),
        "blood_pressures": sorted([r.taken_on, r.systolic, r.diastolic] for r in screening.blood_pressures.all()),
        "therapies": [[t.modality, t.setting, t.agents, t.started_on, t.ended_on] for t in screening.therapies.all()],
        "medications": [[m.name, m.dose, m.purpose, m.active] for m in screening.medications.all()],
        "lesions": [[x.site, x.size_mm, x.method] for x in screening.lesions.all()],
        "outcomes": [[o.code, o.status, o.reason] for o in screening.outcomes.all()],
        "criteria_version": {
            "pk": version.pk,
            "label": version.label,
            "criteria": [[c.code, c.text, c.rule] for c in version.criteria.order_by("order")],
        },
    }


def content_hash(screening):
    text = json.dumps(screening_content(screening), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
