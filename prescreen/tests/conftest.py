"""A small real bulk export for the pre-screen tests: three real Synthea patients (fixtures/fhir/), written as a bulk
export writes them, one NDJSON file per resource type, references `Patient/<id>`:

- Tom Goodwin, male, born 1968-04-30 (synthea_tom_goodwin.json, a Bundle: 154 resources);
- Fletcher Hyatt, male, born 1915-07-03 (bench_synthea_fletcher_hyatt.json.gz, a Bundle: 1,111 resources);
- Yvone Cummings, female, born 1963-07-15 (bulk_one_patient/, already a bulk export).
"""

import gzip
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from prescreen import services
from prescreen.partition import sources_from_paths

FHIR = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
TOM, FLETCHER, YVONE = (
    "da2c7b0a-791a-4b8f-9a30-dc3d8cf1ec75",
    "c5ed5d78-5b3f-4a75-bdfb-5f318b068a20",
    "6a4160eb-a793-2f86-2302-378626f46cce",
)
REFERENCE_DATE = date(2020, 6, 9)  # Tom Goodwin's labs of 2020-05-12 fall within the 30 days before it


def bundle_resources(path):
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    for entry in json.loads(data)["entry"]:
        resource = entry["resource"]
        for key in ("subject", "patient"):
            reference = resource.get(key)
            if isinstance(reference, dict) and "reference" in reference:
                reference["reference"] = "Patient/" + reference["reference"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        yield resource


def write_export(folder, resources):
    """`resources` as NDJSON files, one per type, into `folder`; returns the folder."""
    by_type = defaultdict(list)
    for resource in resources:
        by_type[resource["resourceType"]].append(resource)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, items in by_type.items():
        (folder / f"{kind}.ndjson").write_text("".join(json.dumps(item) + "\n" for item in items))
    return folder


def three_patient_resources():
    yield from bundle_resources(FHIR / "synthea_tom_goodwin.json")
    yield from bundle_resources(FHIR / "bench_synthea_fletcher_hyatt.json.gz")
    for path in sorted((FHIR / "bulk_one_patient").glob("*.ndjson")):
        for line in path.read_text().splitlines():
            yield json.loads(line)


@pytest.fixture
def export_folder(tmp_path):
    return write_export(tmp_path / "export", three_patient_resources())


@pytest.fixture
def start_run(trial, active_version, investigator, export_folder):
    """A function: a run over the three-patient export (or `folder`), started by the investigator."""

    def start(folder=None, *, reference_date=REFERENCE_DATE, cohort="phase2", user=None):
        return services.prescreen_start(
            user=user or investigator,
            trial=trial,
            sources=sources_from_paths([folder or export_folder]),
            reference_date=reference_date,
            cohort=cohort,
        )

    return start


@pytest.fixture
def run_in_process(start_run, django_capture_on_commit_callbacks):
    """A function: a run started and done in this process (its chunk tasks run eagerly once it is committed)."""
    from config.celery import app

    def run(*args, **kwargs):
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                started = start_run(*args, **kwargs)
        finally:
            app.conf.task_always_eager = eager
        started.refresh_from_db()
        return started

    return run


def run_of(*, trial, user, folder, patients, reference_date=REFERENCE_DATE):
    """A run over an export of `patients` (Patient resources) alone, done in this process: for tests that need a run
    and its results, not the path to them."""
    write_export(folder, patients)
    run = services.prescreen_start(
        user=user, trial=trial, sources=sources_from_paths([folder]), reference_date=reference_date, cohort="phase2"
    )
    for chunk_id in run.chunks.values_list("pk", flat=True):
        services.chunk_evaluate(chunk_id=chunk_id)
    run.refresh_from_db()
    return run
