from django.core.management import call_command

from screening.models import Screening


def test_demo_screenings_show_each_verdict_once(active_version, coordinator, capsys):
    call_command("create_demo_screenings")
    screenings = Screening.objects.order_by("candidate__screening_number")
    assert [s.verdict for s in screenings] == ["eligible", "ineligible", "ineligible", "incomplete"]
    failed = [set(s.outcomes.filter(status="not_met").values_list("code", flat=True)) for s in screenings]
    assert failed[1] == {"IN16"}
    assert failed[2] == {"EX11"}
    call_command("create_demo_screenings")
    assert Screening.objects.count() == 4
    assert "already exist" in capsys.readouterr().out
