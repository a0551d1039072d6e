"""What of a candidate each role may see: one rule for every page, history, export, PDF and error. A field listed
here needs its permission; the rest of a candidate is for anyone who may view candidates."""

RESTRICTED_FIELDS = {"mrn": "patients.view_identifiers"}


def candidate_fields_hidden_from(user):
    return {field for field, permission in RESTRICTED_FIELDS.items() if not user.has_perm(permission)}
