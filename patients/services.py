import uuid

from django.db import transaction

from patients.models import Candidate


@transaction.atomic
def candidate_create(*, initials, birth_date, sex, mrn="", created_by):
    """A candidate with the next screening number. The number comes from the row's own key, so two coordinators
    saving at the same moment can never get the same one."""
    candidate = Candidate.objects.create(
        screening_number=f"pending-{uuid.uuid4().hex[:12]}",
        initials=initials.upper(),
        birth_date=birth_date,
        sex=sex,
        mrn=mrn.strip(),
        created_by=created_by,
    )
    candidate.screening_number = f"SCR-{candidate.pk:04d}"
    candidate.save(update_fields=["screening_number"])
    return candidate
