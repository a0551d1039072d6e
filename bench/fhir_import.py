"""Importing a large real Synthea bundle (1,111 resources, fixtures/fhir/bench_synthea_fletcher_hyatt.json.gz) into a
screening on PostgreSQL, against the floor: parsing the same bytes with orjson and nothing else.

Run from the project root with DATABASE_URL pointing at PostgreSQL, as a role that may create databases:

    .ci/services.sh up && source .services/env && .venv/bin/python bench/fhir_import.py; .ci/services.sh down

`make bench` does exactly that. The script creates its own throwaway database (`trialscreen_bench_fhir`), migrates it,
loads the trial data, registers a candidate with the bundle's birth date and sex, and times `ehr_import` (reading,
validating the resource types the criteria use with fhir.resources, mapping, choosing, storing every value found with
its source, prefilling the screening) into a fresh draft screening each pass, interleaved with the floor, each the best
of --passes after one untimed warm-up of each (the first import also builds fhir.resources' models: reported as
cold_ms). The last line printed is one JSON object: {"resources", "import_ms", "parse_floor_ms", "ratio"},
ratio = import_ms / parse_floor_ms. Targets: ratio <= 5 and import < 1 s.
"""

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import orjson
from throwaway import bench_environment, django_with_trial_data, run_on_throwaway_database

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "fixtures" / "fhir" / "bench_synthea_fletcher_hyatt.json.gz"
BENCH_DB = "trialscreen_bench_fhir"
PASSES = 7
TARGET_RATIO = 5.0
TARGET_IMPORT_MS = 1000.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=PASSES)
    args = parser.parse_args()
    return run_on_throwaway_database("bench/fhir_import.py", BENCH_DB, lambda url, started: run(args, url, started))


def run(args, database_url, started):
    env = bench_environment(database_url, BENCH_DB, "localhost")
    django_with_trial_data(env, "bench/fhir_import.py")
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from ehr.services import ehr_import
    from screening.services import screening_register, screening_start
    from trials import roles
    from trials.selectors import trials_open_for_screening

    data = gzip.decompress(BUNDLE.read_bytes())
    document = orjson.loads(data)
    resources = len(document["entry"])
    patient = next(e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient")
    user = get_user_model().objects.create_user("bench_coordinator", password="x")
    user.groups.add(Group.objects.get(name=roles.COORDINATOR))
    trial = trials_open_for_screening().first()
    first = screening_register(
        trial=trial,
        initials="FH",
        birth_date=date.fromisoformat(patient["birthDate"]),
        sex=patient["gender"],
        mrn="",
        cohort="phase1",
        screening_date=date(2019, 6, 1),
        coordinator=user,
    )

    def new_screening():
        return screening_start(
            candidate=first.candidate, trial=trial, cohort="phase1", screening_date=date(2019, 6, 1), coordinator=user
        )

    def import_once():
        screening = new_screening()
        began = time.perf_counter()
        record = ehr_import(screening=screening, user=user, files=[("bundle.json", data)])
        return time.perf_counter() - began, record

    def parse_once():
        began = time.perf_counter()
        orjson.loads(data)
        return time.perf_counter() - began

    cold, record = import_once()
    parse_once()
    imports, parses = [], []
    for _ in range(args.passes):
        imports.append(import_once()[0])
        parses.append(parse_once())
    import_ms, floor_ms = min(imports) * 1000, min(parses) * 1000
    print(f"bundle: {BUNDLE.name}, {len(data) / 1024:.0f} KiB, {resources} resources")
    print(f"values found: {record.values.count()}; mapped {record.mapped}; skipped {len(record.problems)}")
    print(f"first import (cold, builds the fhir.resources models): {cold * 1000:.0f} ms")
    print(f"import, best of {args.passes}: {import_ms:.1f} ms (median {sorted(imports)[len(imports) // 2] * 1000:.1f})")
    print(f"orjson parse floor, best of {args.passes}: {floor_ms:.2f} ms")
    ratio = import_ms / floor_ms
    print(
        f"ratio {ratio:.1f} (target <= {TARGET_RATIO:g}): {'met' if ratio <= TARGET_RATIO else 'missed'}; "
        f"import {'<' if import_ms < TARGET_IMPORT_MS else '>='} {TARGET_IMPORT_MS:.0f} ms; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    print(
        json.dumps(
            {
                "resources": resources,
                "import_ms": round(import_ms, 1),
                "parse_floor_ms": round(floor_ms, 2),
                "ratio": round(ratio, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
