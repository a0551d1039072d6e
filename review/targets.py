"""Where on a screening a query can point: a criterion of its checklist, or an entry of the form, by the id of the
place the page shows it (so that the query is shown there), with the label a person reads."""

from django.utils.text import capfirst

from screening.models import ENTRY_FIELDS, Screening

SECTIONS = {
    "section-labs": "Labs",
    "section-blood_pressures": "Blood pressure readings",
    "section-therapies": "Prior anticancer therapy",
    "section-medications": "Concomitant medications",
    "section-lesions": "Measurable lesions",
    "section-disease": "Disease",
    "section-brain_metastases": "Brain metastases",
    "section-pregnancy": "Pregnancy and contraception",
    "section-attestations": "Attestations",
}
# Entry fields that are shown in a section of their own rather than as one field.
FIELDS_IN_SECTIONS = {"prior_therapy", "medications_taken"}


def query_targets(screening, analytes):
    """[(group, [(target, label), ...]), ...] for the query form, in the order of the pages."""
    criteria = [(f"criterion-{o.code}", f"{o.code}: {o.summary}") for o in screening.outcomes.all()]
    fields = [
        (f"field-{name}", capfirst(Screening._meta.get_field(name).verbose_name))
        for name in ENTRY_FIELDS
        if name not in FIELDS_IN_SECTIONS
    ]
    labs = [(f"lab-{analyte.code}", analyte.name) for analyte in analytes]
    groups = [
        ("Criteria", criteria),
        ("Entries", fields),
        ("Labs", labs),
        ("Sections", list(SECTIONS.items())),
    ]
    return [(group, targets) for group, targets in groups if targets]


def target_label(targets, target):
    """The label of `target` among the screening's targets, or None if it is not one of them."""
    return dict(choice for _, choices in targets for choice in choices).get(target)
