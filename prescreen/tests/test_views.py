"""The pages of pre-screen runs: upload, summary, ranked results, export, one click to a screening, cancel,
retention; who may see what, and the record of every look."""

import csv
import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ehr.models import EhrImport, EhrValue
from patients.models import Candidate
from prescreen.models import PrescreenAccess, PrescreenRun, RetentionPolicy
from prescreen.tests.conftest import FLETCHER, REFERENCE_DATE, TOM, run_of
from referrals.models import Referral

pytestmark = pytest.mark.django_db
NAMES = ("Tom Goodwin", "Fletcher Hyatt", "Cummings51")


@pytest.fixture(autouse=True)
def in_process_tasks():
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def uploads(folder):
    return [SimpleUploadedFile(path.name, path.read_bytes()) for path in sorted(folder.iterdir())]


def upload(client, files, **fields):
    data = {"files": files, "reference_date": REFERENCE_DATE.isoformat(), "cohort": "phase2", **fields}
    return client.post(reverse("prescreen:new"), data)


def text_of(response):
    """The page's words, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def body(response):
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def test_an_investigator_starts_a_run_by_upload_and_reads_only_its_de_identified_summary(
    client_for, investigator, active_version, export_folder, django_capture_on_commit_callbacks
):
    client = client_for(investigator)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, uploads(export_folder))
    run = PrescreenRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("prescreen:detail", args=[run.pk])
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "Done : 3 of 3 patients" in text_of(page)
    assert 'id="prescreen-standings"' in text
    assert 'id="prescreen-funnel"' in text
    assert not any(name in text for name in NAMES)
    assert "Patients, ranked" not in text
    assert client.get(reverse("prescreen:results", args=[run.pk])).status_code == 403
    assert client.get(reverse("prescreen:export", args=[run.pk])).status_code == 403
    actions = list(PrescreenAccess.objects.filter(run_number=run.pk).values_list("action", "user"))
    assert ("started", investigator.pk) in actions
    assert ("summary", investigator.pk) in actions


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"Patient.ndjson": b"not json\n"}, "is not NDJSON"),
        ({"notes.txt": b"{}"}, "Only .ndjson files or one .zip"),
        ({"export.zip": b"PK not really a zip"}, "The zip file cannot be read"),
        ({"Observation.ndjson": b'{"resourceType": "Observation", "id": "o"}\n'}, "no Patient resources"),
    ],
)
def test_an_upload_that_cannot_be_read_is_refused_at_its_field_and_nothing_is_saved(
    client_for, investigator, active_version, files, message
):
    response = upload(client_for(investigator), [SimpleUploadedFile(n, data) for n, data in files.items()])
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["files"])
    assert not PrescreenRun.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    client_for, investigator, active_version, export_folder, settings
):
    settings.PRESCREEN_UPLOAD_MAX_BYTES = 10_000
    response = upload(client_for(investigator), uploads(export_folder))
    assert response.status_code == 400
    assert "the limit is" in " ".join(response.context["form"].errors["files"])
    assert not PrescreenRun.objects.exists()


def test_a_reference_date_or_cohort_that_is_not_one_is_a_field_error(
    client_for, investigator, active_version, export_folder
):
    response = upload(client_for(investigator), uploads(export_folder), reference_date="2020-02-30", cohort="x")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"reference_date", "cohort"}


def test_the_coordinator_reads_the_ranked_results_and_each_look_is_recorded_with_its_filters(
    client_for, coordinator, run_in_process
):
    run = run_in_process()
    client = client_for(coordinator)
    text = client.get(reverse("prescreen:results", args=[run.pk])).content.decode()
    assert text.index("Tom Goodwin") < text.index("Fletcher Hyatt")
    filtered = client.get(reverse("prescreen:results", args=[run.pk]), {"criterion": "EX14", "status": "not_met"})
    assert [row.patient_id for row in filtered.context["page"]] == [FLETCHER]
    looks = PrescreenAccess.objects.filter(run_number=run.pk, action="results", user=coordinator).order_by("pk")
    assert [look.detail for look in looks] == [
        {"filters": {}, "page": 1, "rows": 3},
        {"filters": {"criterion": "EX14", "status": "not_met"}, "page": 1, "rows": 1},
    ]


@pytest.mark.parametrize(
    "query", [{"criterion": "EX99"}, {"status": "maybe"}, {"standing": "x"}, {"page": "-1"}, {"criterion": "a\x00b"}]
)
def test_filters_that_are_not_choices_never_break_the_page(client_for, coordinator, run_in_process, query):
    run = run_in_process()
    response = client_for(coordinator).get(reverse("prescreen:results", args=[run.pk]), query)
    assert response.status_code in (200, 400)


def test_the_export_is_recorded_and_no_cell_can_be_read_as_a_formula(client_for, coordinator, trial, tmp_path):
    hostile = [
        {
            "resourceType": "Patient",
            "id": f"p{i}",
            "name": [{"text": text}],
            "birthDate": "1960-01-01",
            "gender": "male",
        }
        for i, text in enumerate(['=HYPERLINK("http://x")', "+1+2", "-2", "@SUM(A1)", "\tTab"])
    ]
    run = run_of(trial=trial, user=coordinator, folder=tmp_path / "hostile", patients=hostile)
    response = client_for(coordinator).get(reverse("prescreen:export", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0][:3] == ["Rank", "Name", "Medical record number"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert {row[1] for row in rows[1:]} == {'\'=HYPERLINK("http://x")', "'+1+2", "'-2", "'@SUM(A1)", "'\tTab"}
    assert PrescreenAccess.objects.filter(run_number=run.pk, action="exported", user=coordinator).count() == 1


def test_one_click_makes_the_candidate_a_referral_and_a_draft_prefilled_from_the_records(
    client_for, coordinator, run_in_process
):
    run = run_in_process()
    tom = run.results.get(patient_id=TOM)
    client = client_for(coordinator)
    response = client.post(reverse("prescreen:screen", args=[tom.pk]))
    tom.refresh_from_db()
    screening = tom.screening
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:edit", args=[screening.pk])
    candidate = screening.candidate
    assert (candidate.initials, candidate.birth_date, candidate.sex) == ("TG", date(1968, 4, 30), "male")
    assert candidate.mrn == ""  # the export's is 36 characters long: never cut to the 30 a candidate's holds
    assert "Enter the site&#x27;s record number" in client.get(response["Location"]).content.decode()
    referral = Referral.objects.get(candidate=candidate)
    assert (referral.source, referral.status, referral.source_detail) == (
        "ehr_search",
        "screened",
        f"Pre-screen run {run.pk}",
    )
    assert (screening.status, screening.cohort) == ("draft", "phase2")
    # Screened today: his medication list is prefilled; his labs of 2020 are too old to prefill, and are offered.
    ehr = EhrImport.objects.get(screening=screening)
    assert ehr.values.filter(field="medication", use=EhrValue.Use.PREFILLED).exists()
    assert ehr.values.filter(field="lab:platelets", use=EhrValue.Use.CANDIDATE).exists()
    assert not ehr.values.filter(field__startswith="lab:", use=EhrValue.Use.PREFILLED).exists()
    assert PrescreenAccess.objects.filter(
        run_number=run.pk, action="screened", detail={"screening": screening.number}
    ).exists()
    # A second click (or a second coordinator) opens the same screening: no twin candidate.
    again = client.post(reverse("prescreen:screen", args=[tom.pk]))
    assert again["Location"] == response["Location"]
    assert Candidate.objects.count() == 1


def test_a_result_whose_record_number_is_registered_is_screened_as_that_candidate(
    client_for, coordinator, run_in_process, screening_for
):
    run = run_in_process()
    tom = run.results.get(patient_id=TOM)
    tom.mrn = "MRN-1968-TG"  # the site's own, as its export would write it
    tom.save()
    known = screening_for(initials="TG", birth_date=date(1968, 4, 30), sex="male", mrn=tom.mrn).candidate
    client_for(coordinator).post(reverse("prescreen:screen", args=[tom.pk]))
    tom.refresh_from_db()
    assert tom.screening.candidate == known
    assert Candidate.objects.count() == 1


def test_a_result_without_a_full_birth_date_is_refused_with_a_message_not_an_error(
    client_for, coordinator, trial, tmp_path
):
    run = run_of(
        trial=trial,
        user=coordinator,
        folder=tmp_path / "x",
        patients=[{"resourceType": "Patient", "id": "p", "birthDate": "1960"}],
    )
    result = run.results.get()
    response = client_for(coordinator).post(reverse("prescreen:screen", args=[result.pk]), follow=True)
    assert response.status_code == 200
    assert "register this patient by hand" in response.content.decode()
    assert not Candidate.objects.exists()


def test_investigators_cannot_turn_results_into_screenings(client_for, investigator, run_in_process):
    run = run_in_process()
    response = client_for(investigator).post(reverse("prescreen:screen", args=[run.results.first().pk]))
    assert response.status_code == 403
    assert not Candidate.objects.exists()


def test_the_investigator_cancels_a_running_run_and_the_coordinator_cannot(
    client_for, coordinator, investigator, start_run
):
    run = start_run()
    assert client_for(coordinator).post(reverse("prescreen:cancel", args=[run.pk])).status_code == 403
    response = client_for(investigator).post(reverse("prescreen:cancel", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert "cancelled" in response.content.decode()
    again = client_for(investigator).post(reverse("prescreen:cancel", args=[run.pk]), follow=True)
    assert "already cancelled" in again.content.decode()


def test_the_progress_polls_while_the_run_goes_on_and_stops_when_it_is_done(client_for, investigator, start_run):
    from prescreen import services

    run = start_run()
    client = client_for(investigator)
    running = client.get(reverse("prescreen:progress", args=[run.pk]))
    assert 'hx-trigger="every 2s"' in running.content.decode()
    assert "Running : 0 of 3 patients" in text_of(running)
    services.chunk_evaluate(chunk_id=run.chunks.get().pk)
    done = client.get(reverse("prescreen:progress", args=[run.pk]))
    assert "hx-trigger" not in done.content.decode()
    assert "Done : 3 of 3 patients" in text_of(done)
    assert "patients/s" in text_of(done)


def test_the_administrator_sets_the_retention_period_in_the_admin(client_for, administrator):
    client = client_for(administrator)
    assert client.get(reverse("admin:prescreen_retentionpolicy_changelist")).status_code == 200
    url = reverse("admin:prescreen_retentionpolicy_change", args=[1])
    assert client.post(url, {"retention_days": "0"}).status_code == 200  # refused: the form again, with the error
    assert RetentionPolicy.current().retention_days == 30
    assert client.post(url, {"retention_days": "90"}).status_code == 302
    assert RetentionPolicy.current().retention_days == 90


def test_the_record_of_looks_cannot_be_changed_or_deleted(client_for, investigator, run_in_process):
    from django.db import IntegrityError, InternalError, transaction

    run = run_in_process()
    access = PrescreenAccess.objects.filter(run_number=run.pk).first()
    for attempt in (lambda: PrescreenAccess.objects.filter(pk=access.pk).update(action="summary"), access.delete):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            attempt()
