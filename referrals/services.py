"""Writes to referrals: each in one transaction, on the row locked, so two coordinators never both close one."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.services import candidate_register
from referrals.models import Referral
from screening.services import screening_start


@transaction.atomic
def referral_register(*, trial, user, initials, birth_date, sex, mrn, source, source_detail, referred_on, **identity):
    """A referral of a candidate not registered yet: the candidate and the referral together or not at all."""
    candidate = candidate_register(
        initials=initials, birth_date=birth_date, sex=sex, mrn=mrn, created_by=user, **identity
    )
    return referral_create(
        candidate=candidate, trial=trial, user=user, source=source, source_detail=source_detail, referred_on=referred_on
    )


@transaction.atomic
def referral_create(*, candidate, trial, user, source, source_detail, referred_on):
    if candidate.referrals.filter(trial=trial, status=Referral.Status.OPEN).exists():
        raise ValidationError(f"{candidate.screening_number} already has an open referral: screen or close that one.")
    return Referral.objects.create(
        candidate=candidate,
        trial=trial,
        source=source,
        source_detail=source_detail.strip(),
        referred_on=referred_on,
        referred_by=user,
    )


def _open(referral):
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != Referral.Status.OPEN:
        raise ValidationError(f"This referral is already closed: {referral.get_status_display().lower()}.")
    return referral


@transaction.atomic
def referral_close(*, referral, user, status, not_approached_reason="", reason="", closed_on=None):
    """Not approached (and why) or declined before screening: the referral ends without a screening."""
    referral = _open(referral)
    closed_on = closed_on or timezone.localdate()
    if status not in (Referral.Status.NOT_APPROACHED, Referral.Status.DECLINED):
        raise ValidationError({"status": "Choose not approached or declined before screening."})
    if status == Referral.Status.NOT_APPROACHED and not not_approached_reason:
        raise ValidationError({"not_approached_reason": "Say why the candidate was not approached."})
    if not_approached_reason == Referral.NotApproachedReason.OTHER and not reason.strip():
        raise ValidationError({"reason": "Describe the other reason."})
    if closed_on < referral.referred_on:
        raise ValidationError({"closed_on": "This is before the candidate was referred."})
    referral.status = status
    referral.not_approached_reason = not_approached_reason if status == Referral.Status.NOT_APPROACHED else ""
    referral.reason = reason.strip()
    referral.closed_on = closed_on
    referral.closed_by = user
    referral.save()
    return referral


@transaction.atomic
def referral_start_screening(*, referral, user, cohort, screening_date):
    """The referral becomes the candidate's screening, against the criteria version active now."""
    referral = _open(referral)
    if screening_date < referral.referred_on:
        raise ValidationError({"screening_date": "This is before the candidate was referred."})
    screening = screening_start(
        candidate=referral.candidate,
        trial=referral.trial,
        cohort=cohort,
        screening_date=screening_date,
        coordinator=user,
    )
    referral.status = Referral.Status.SCREENED
    referral.screening = screening
    referral.closed_on = screening_date
    referral.closed_by = user
    referral.save()
    return screening
