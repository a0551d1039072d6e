"""In a real browser: an investigator starts a pre-screen run from the three NDJSON files of a small real export and
reads its de-identified summary (no patient named anywhere, the ranked results refused); a coordinator reads the
ranked patients, filters them by a failed criterion, and turns one into a draft screening prefilled from the records;
an upload that is not NDJSON is refused at its field.

The chunk tasks run in this process (eagerly), so the run is done by the time the upload's redirect is answered: the
live server's database is transactional, so `transaction.on_commit` fires on the real commit. The browser (Debian's
Chromium) and its `page` fixture come from screening/tests/test_browser.py."""

import re
from http import HTTPStatus

import pytest
from playwright.sync_api import expect

from prescreen.models import PrescreenResult, PrescreenRun
from prescreen.tests.conftest import REFERENCE_DATE, TOM
from screening.tests import test_browser

pytestmark = test_browser.pytestmark
page = test_browser.page
watched_page = test_browser.watched_page

NAMES = ("Tom Goodwin", "Fletcher Hyatt", "Cummings")


@pytest.fixture
def chunks_in_process():
    """The chunk tasks run eagerly, in the thread that commits the run (the live server's, for an upload)."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def refusing_page(page, django_db_serialized_rollback):
    """As watched_page, for a flow in which the server refuses on purpose (the 403 page, a form sent back with a 400):
    Chromium logs each such page as a console error, so the test adds each status it expects to `refused`, and the
    console must hold exactly those errors, in that order, and nothing else."""
    console_errors, refused = [], []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    yield page, refused
    expected = [
        f"Failed to load resource: the server responded with a status of {status} ({HTTPStatus(status).phrase})"
        for status in refused
    ]
    assert console_errors == expected, f"Errors in the browser console: {console_errors}"


@pytest.fixture
def done_run(chunks_in_process, start_run):
    """A run over the three-patient export, started by the investigator and done before the browser opens it."""
    run = start_run()
    run.refresh_from_db()
    assert (run.status, run.patients_done) == ("done", 3)
    return run


def standing(page, label):
    """The count of one standing in the run's summary table."""
    row = page.locator("#prescreen-standings tr").filter(has=page.get_by_role("rowheader", name=label, exact=True))
    return row.locator("td")


def funnel_failed(page, code):
    """The "Failed" cell of one criterion's row in the attrition table."""
    return page.locator(f"#prescreen-funnel tr[data-criterion='{code}'] td").nth(1)


def assert_no_patient_named(page):
    html = page.content()
    named = [name for name in NAMES if name in html]
    assert not named, f"{page.url} names {named}"


def test_investigator_starts_a_run_and_sees_only_its_de_identified_summary(
    refusing_page, investigator, active_version, export_folder, chunks_in_process
):
    page, refused = refusing_page
    test_browser.log_in(page, investigator)
    page.get_by_role("link", name="Pre-screen").click()
    page.wait_for_url(re.compile(r"/prescreen/$"))
    expect(page.locator("h1")).to_have_text("Pre-screen runs")
    page.get_by_role("link", name="Start a pre-screen").click()
    page.wait_for_url(re.compile(r"/prescreen/new/$"))

    files = sorted(export_folder.iterdir())  # one NDJSON file per resource type, as a bulk export writes them
    assert "Patient.ndjson" in [path.name for path in files]
    page.locator("#id_files").set_input_files(files)
    page.locator("#id_reference_date").fill(REFERENCE_DATE.isoformat())
    page.get_by_role("button", name="Start the run").click()
    page.wait_for_url(re.compile(r"/prescreen/\d+/$"))
    run = PrescreenRun.objects.get()
    expect(page.locator(".alert-success")).to_contain_text(f"Pre-screen run {run.pk} started: 3 patients.")

    # The run was done before the redirect was answered.
    progress = page.locator("#prescreen-progress")
    expect(progress).to_contain_text("Done")
    expect(progress).to_contain_text("3 of 3 patients")
    expect(page.locator("main")).to_contain_text("as of 2020-06-09")
    expect(standing(page, "Nothing failed")).to_have_text("2")
    expect(standing(page, "Too little data")).to_have_text("0")
    expect(standing(page, "Failed")).to_have_text("1")
    expect(funnel_failed(page, "EX14")).to_have_text("1")

    # Counts only: the identified results are neither offered nor given.
    expect(page.get_by_text("Patients, ranked")).to_have_count(0)
    assert_no_patient_named(page)
    page.get_by_role("link", name="Pre-screen").click()
    page.wait_for_url(re.compile(r"/prescreen/$"))
    expect(page.locator("#prescreen-runs tbody tr")).to_have_count(1)
    expect(page.locator("#prescreen-runs tbody tr")).to_contain_text("3 of 3")
    assert_no_patient_named(page)

    refused.append(403)
    response = page.goto(f"/prescreen/{run.pk}/results/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("You don't have access to this page")
    assert_no_patient_named(page)


def test_coordinator_ranks_filters_and_screens_a_patient_of_the_run(watched_page, coordinator, done_run):
    page = watched_page
    run = done_run
    test_browser.log_in(page, coordinator)
    page.get_by_role("link", name="Pre-screen").click()
    page.get_by_role("link", name=f"Run {run.pk}", exact=True).click()
    page.wait_for_url(re.compile(rf"/prescreen/{run.pk}/$"))
    page.get_by_role("link", name="Patients, ranked").click()
    page.wait_for_url(re.compile(rf"/prescreen/{run.pk}/results/$"))
    results_url = page.url

    rows = page.locator("#prescreen-results tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#result-count")).to_have_text("3 patients.")
    expect(rows.last).to_contain_text("Fletcher Hyatt")
    expect(rows.last).to_contain_text("Failed")
    expect(rows.last.locator("td").nth(3)).to_contain_text(re.compile(r"EX14 .*DOCEtaxel"))

    # Only those whose records fail EX14.
    page.locator("#id_criterion").select_option("EX14")
    page.locator("#id_status").select_option(label="Not met")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]criterion=EX14(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Fletcher Hyatt")
    expect(page.locator("#result-count")).to_have_text("1 patient match.")
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(results_url)
    expect(rows).to_have_count(3)

    # What Tom Goodwin's chart does not say yet, then a draft screening made from his records.
    tom = rows.filter(has_text="Tom Goodwin")
    missing = tom.get_by_text("Melanoma confirmed histologically or cytologically")
    expect(missing).to_be_hidden()
    tom.locator("summary").click()
    expect(missing).to_be_visible()
    tom.get_by_role("button", name="Screen").click()
    page.wait_for_url(re.compile(r"/screenings/\d+/edit/(#[\w-]+)?$"))
    screening = PrescreenResult.objects.select_related("screening").get(run=run, patient_id=TOM).screening
    assert page.url.split("#")[0].endswith(f"/screenings/{screening.pk}/edit/")
    expect(page.locator(".alert-success")).to_contain_text(
        f"{screening.number} is ready as a draft: 1 value prefilled from the records as of today"
    )

    page.goto(results_url)
    expect(tom.get_by_role("link", name=screening.number)).to_be_visible()
    expect(tom.get_by_role("button", name="Screen")).to_have_count(0)
    expect(rows.get_by_role("button", name="Screen")).to_have_count(2)


def test_a_file_that_is_not_ndjson_is_refused_at_its_field(refusing_page, investigator, active_version, tmp_path):
    page, refused = refusing_page
    upload = tmp_path / "Patient.ndjson"
    upload.write_text("not json\n")
    test_browser.log_in(page, investigator)
    page.goto("/prescreen/new/")
    page.locator("#id_files").set_input_files(upload)
    page.locator("#id_reference_date").fill(REFERENCE_DATE.isoformat())
    refused.append(400)
    with page.expect_response(re.compile(r"/prescreen/new/$")) as answer:
        page.get_by_role("button", name="Start the run").click()
    assert answer.value.status == 400

    expect(page.locator("h1")).to_have_text("Start a pre-screen")
    expect(page.locator("#id_files")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#div_id_files .invalid-feedback")).to_have_text(
        "Patient.ndjson is not NDJSON: a line is not JSON."
    )
    expect(page.locator(".alert-danger")).to_have_count(0)
    assert not PrescreenRun.objects.exists()
    page.get_by_role("link", name="Pre-screen").click()
    expect(page.locator("main")).to_contain_text("No pre-screen run yet.")
