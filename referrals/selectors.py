"""Reads for referrals: the coordinators' open list and the pre-screening box of the CONSORT flow."""

from django.db.models import Count, Q

from referrals.models import Referral


def referrals_open():
    return Referral.objects.filter(status=Referral.Status.OPEN).select_related("candidate").order_by("referred_on")


def referrals_closed_recently(limit=50):
    return (
        Referral.objects.exclude(status=Referral.Status.OPEN)
        .select_related("candidate", "screening")
        .order_by("-closed_on", "-id")[:limit]
    )


def referral_flow(*, date_from=None, date_to=None):
    """The pre-screening counts for referrals made in the period: referred, not screened (not approached with each
    reason, declined before screening, still awaiting) and screened."""
    referrals = Referral.objects.all()
    if date_from:
        referrals = referrals.filter(referred_on__gte=date_from)
    if date_to:
        referrals = referrals.filter(referred_on__lte=date_to)
    S = Referral.Status
    counts = referrals.aggregate(
        referred=Count("id"),
        screened=Count("id", filter=Q(status=S.SCREENED)),
        not_approached=Count("id", filter=Q(status=S.NOT_APPROACHED)),
        declined=Count("id", filter=Q(status=S.DECLINED)),
        open=Count("id", filter=Q(status=S.OPEN)),
    )
    labels = dict(Referral.NotApproachedReason.choices)
    reasons = (
        referrals.filter(status=S.NOT_APPROACHED)
        .values("not_approached_reason")
        .annotate(count=Count("id"))
        .order_by("-count", "not_approached_reason")
    )
    counts["reasons"] = [{"reason": labels[row["not_approached_reason"]], "count": row["count"]} for row in reasons]
    counts["not_screened"] = counts["not_approached"] + counts["declined"] + counts["open"]
    return counts
