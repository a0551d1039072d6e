from collections import Counter
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from conftest import PASSWORD
from patients.models import Candidate
from referrals.models import Referral
from review.models import Query
from review.selectors import worklist
from screening.management.demo_population import DEMO_MRN_PREFIX, MONTHS, SCREENINGS, Replay, months_before
from screening.models import Screening
from screening.signing import verify
from trials.models import CriteriaVersion

FOUR = [f"{DEMO_MRN_PREFIX}{number:03d}" for number in range(1, 5)]
# The replay enters every screening through the services, ~0.1 s each: the test replays a third of make run's 300,
# which the same code, with every count scaled, plans and runs alike (test_the_demo_site_plans_300_screenings).
TESTED = 100


def the_four():
    return Screening.objects.filter(candidate__mrn__in=FOUR).order_by("candidate__screening_number")


def assert_the_four():
    screenings = the_four()
    assert [s.verdict for s in screenings] == ["eligible", "ineligible", "ineligible", "incomplete"]
    failed = [set(s.outcomes.filter(status="not_met").values_list("code", flat=True)) for s in screenings]
    assert failed[1] == {"IN16"}
    assert failed[2] == {"EX11"}
    assert all(s.screening_date == timezone.localdate() for s in screenings)


def test_demo_screenings_show_each_verdict_once(screening_for, investigator, administrator, capsys):
    """On a trial that has screenings already, only the four of today are added (the 18 months would not fit)."""
    screening_for()
    call_command("create_demo_screenings")
    assert "only the four demo screenings" in capsys.readouterr().out
    assert_the_four()
    assert Screening.objects.count() == 5
    call_command("create_demo_screenings")
    assert Screening.objects.count() == 5
    assert "already exist" in capsys.readouterr().out


def months_ago(today, days):
    return Counter((today.year - day.year) * 12 + today.month - day.month for day in days)


def test_the_demo_site_plans_300_screenings_over_18_months(active_version, coordinator, investigator, administrator):
    today = timezone.localdate()
    replay = Replay(
        trial=active_version.trial, coordinator=coordinator, investigator=investigator, administrator=administrator
    )
    plans = replay.plans()
    assert SCREENINGS - 10 <= len(plans) <= SCREENINGS  # and the rescreens of some screen failures
    days = [timezone.localdate(plan.start) for plan in plans]
    assert min(days) >= months_before(today, MONTHS)
    months = months_ago(today, days)
    assert all(months[m] >= 6 for m in range(1, MONTHS))
    assert sum(months[m] for m in range(1, 4)) > 2 * sum(months[m] for m in range(15, 18))
    assert sum(1 for plan in plans if plan.referral) == 62


def test_the_demo_site_has_18_months_of_screening(active_version, coordinator, investigator, administrator, capsys):
    call_command("create_demo_screenings", screenings=TESTED)
    assert "The last 18 months: " in capsys.readouterr().out
    today = timezone.localdate()
    population = Screening.objects.exclude(candidate__mrn__in=FOUR)
    assert 0.9 * TESTED <= population.count() <= 1.1 * TESTED
    assert not Candidate.objects.exclude(mrn__startswith=DEMO_MRN_PREFIX).exists()

    # Spread over the 18 months, every month, more at the end; each registered on its screening day.
    dates = list(population.values_list("screening_date", "created_at"))
    first = months_before(today, MONTHS)
    assert all(first <= day <= today for day, _ in dates)
    months = months_ago(today, [day for day, _ in dates])
    assert all(months[m] >= 1 for m in range(1, MONTHS))
    assert sum(months[m] for m in range(1, 7)) > sum(months[m] for m in range(12, 18))
    assert all(timezone.localdate(created) == day for day, created in dates)

    # Every verdict, every outcome, open work, two cohorts, several coordinators and both investigators.
    assert set(population.values_list("verdict", flat=True)) == {"eligible", "ineligible", "incomplete", ""}
    assert population.filter(status=Screening.Status.DRAFT).count() >= 3
    outcomes = Counter(population.values_list("enrollment", flat=True))
    assert set(outcomes) == {"", *Screening.Enrollment.values}
    assert 0.18 <= outcomes[Screening.Enrollment.ENROLLED] / population.count() <= 0.27
    assert not population.filter(enrollment="enrolled").exclude(verdict="eligible", signature__isnull=False).exists()
    assert (
        not population.filter(enrollment="screen_failure")
        .exclude(verdict="ineligible", signature__isnull=False)
        .exists()
    )
    assert population.filter(verdict="eligible", signature__isnull=False, enrollment="").exists()
    assert set(population.values_list("cohort", flat=True)) == {"phase1", "phase2"}
    assert len(set(population.values_list("coordinator__username", flat=True))) >= 3
    assert len(set(population.values_list("signature__signer__username", flat=True)) - {None}) == 2
    assert population.exclude(number__endswith="-1").exists()  # rescreened after a screen failure
    failing = set(population.filter(outcomes__status="not_met").values_list("outcomes__code", flat=True))
    # Low ANC or platelets, creatinine, blood pressure, anticoagulant or enzyme inducer, brain metastases, ECOG...
    assert {"IN03", "IN05", "IN16", "EX03", "EX11", "EX15", "EX18", "IN01", "IN20", "IN14", "EX19"} <= failing
    assert {"EX08", "EX09", "IN09"} & failing  # prior therapy

    # Two criteria versions: the older screenings on the original protocol, the newer on Amendment 1.
    amendment = CriteriaVersion.objects.get(status="active")
    assert amendment.label == "Amendment 1"
    assert amendment.published_by == administrator
    assert amendment.impact_preview.status == "done"
    assert today - timedelta(days=290) <= amendment.effective_date <= today - timedelta(days=260)
    on = dict(population.values_list("pk", "criteria_version"))
    for pk, day in population.values_list("pk", "screening_date"):
        if day != amendment.effective_date:  # that day, the ones started before it was published are on the original
            assert (on[pk] == amendment.pk) == (day > amendment.effective_date)
    assert population.filter(criteria_version=amendment).count() > TESTED / 3
    assert population.exclude(criteria_version=amendment).count() > TESTED / 4

    # Signed through the sign-off: the signatures verify; the demo users' own passwords are unchanged.
    signed = population.filter(signature__isnull=False).select_related("signature")
    assert signed.count() > 0.75 * TESTED
    assert all(verify(s).valid for s in signed.order_by("?")[:5])
    assert all(s.signature.signed_at > s.evaluated_at and s.signature.signed_at <= timezone.now() for s in signed)
    investigator.refresh_from_db()
    administrator.refresh_from_db()
    assert investigator.check_password(PASSWORD)
    assert administrator.check_password(PASSWORD)

    # Referrals in every status, most of them screened.
    referrals = Counter(Referral.objects.values_list("status", flat=True))
    assert set(referrals) == set(Referral.Status.values)
    assert 0.2 * TESTED <= referrals.total() <= 0.35 * TESTED
    assert referrals["screened"] > referrals.total() / 2

    # Queries: closed ones in the history, and work waiting in both worklists.
    queries = Counter(Query.objects.values_list("status", flat=True))
    assert queries["closed"] >= TESTED / 30
    assert len(worklist(user=coordinator)["to_answer"]) >= 2
    assert len(worklist(user=investigator)["answered"]) >= 2
    assert len(worklist(user=investigator)["awaiting_signoff"]) >= 4  # the four of today among them

    assert_the_four()
    assert the_four().get(verdict="eligible").criteria_version == amendment

    before = (
        Screening.objects.count(),
        Referral.objects.count(),
        Query.objects.count(),
        CriteriaVersion.objects.count(),
    )
    call_command("create_demo_screenings")
    assert "already exist" in capsys.readouterr().out
    assert before == (
        Screening.objects.count(),
        Referral.objects.count(),
        Query.objects.count(),
        CriteriaVersion.objects.count(),
    )
