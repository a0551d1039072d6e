import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

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


@transaction.atomic
def candidate_register(*, initials, birth_date, sex, mrn="", created_by, confirm_new_person=False):
    """A new candidate, unless the record number or (unconfirmed) the same person is already registered.

    Checked again inside the transaction under locks on the person and the record number, so that two coordinators
    registering at the same moment are told, one of them, that the other just did; never a 500, never twins.
    """
    mrn = mrn.strip()
    _lock(f"person|{initials.upper()}|{birth_date}|{sex}", *([f"mrn|{mrn}"] if mrn else []))
    if mrn and Candidate.objects.filter(mrn=mrn).exists():
        raise ValidationError({"mrn": f"This medical record number is already registered ({_owner_of(mrn)})."})
    same = Candidate.objects.filter(initials__iexact=initials, birth_date=birth_date, sex=sex).first()
    if same is not None and not confirm_new_person:
        raise ValidationError(
            {
                "confirm_new_person": f"{same.screening_number} has the same initials, date of birth and sex: open "
                "their page to screen them again, or tick this box if this is someone else."
            }
        )
    try:
        with transaction.atomic():
            return candidate_create(initials=initials, birth_date=birth_date, sex=sex, mrn=mrn, created_by=created_by)
    except IntegrityError:
        raise ValidationError({"mrn": "This medical record number is already registered."}) from None


def _owner_of(mrn):
    return Candidate.objects.filter(mrn=mrn).values_list("screening_number", flat=True).first()


def _lock(*names):
    """Transaction-scoped PostgreSQL advisory locks, one per name, taken in a fixed order so that two transactions
    never wait on each other's (SQLite serialises its writers anyway)."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True) for name in names)
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
