"""The screen-fail log with 100,000 screenings on PostgreSQL: page time, queries per page, CSV export memory.

Run from the project root with DATABASE_URL pointing at PostgreSQL, as a role that may create databases:

    .ci/services.sh up && source .services/env && .venv/bin/python bench/log_page.py; .ci/services.sh down

`make bench` does exactly that. The script creates its own throwaway database (`trialscreen_bench_log`, next to the
one DATABASE_URL names), migrates it and loads the trial data, then writes screenings straight into the tables with
SQL (`INSERT ... SELECT generate_series(...)`, from a fixed seed): candidates, screenings, the 41 criterion outcomes of
every evaluated screening (the shipped criteria's codes, kinds, texts and summaries; ineligible screenings fail 1 to 3
criteria drawn with realistic frequencies), sign-offs and enrollment outcomes. First 1,000 screenings, then the rest
up to 100,000, so that the queries each page runs are counted at both sizes.

It measures in-process, with Django's test client and an investigator logged in (DEBUG off): the log's first page,
a filtered page and a deep page (warm-up requests, then timed ones; p50/p95 and the SQL statements per request), and
the CSV export of all rows and of about 10,000, consumed chunk by chunk, timed, with tracemalloc's peak of Python
memory. The database is dropped at the end, also on error. The last line printed is one JSON object:
{"rows": ..., "p95_ms": ..., "queries": ..., "export_peak_mb": ...}.
"""

import argparse
import gc
import json
import math
import re
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from throwaway import bench_environment, django_with_trial_data, run_on_throwaway_database

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "trialscreen_bench_log"
ROWS = 100_000
SMALL_ROWS = 1_000
WARMUP = 5
TIMED = 30
TARGET_P95_MS = 300
SEED = 0.20060401
END_DATE = date(2026, 11, 27)
DAYS = 3 * 365 + 1  # screening dates spread over the three years up to END_DATE
COORDINATORS = 6
HOST = "localhost"

# How often each criterion is the one an ineligible candidate fails (relative), and how often it is the one left
# unknown; labs and medications fail most. Criteria that apply to some people only (EX01, IN06, IN07, EX17) are left
# out of both draws, so that a criterion is never failed by someone it does not apply to.
FAIL_WEIGHTS = {
    "IN00": 0.3, "IN01": 1, "IN02": 2, "IN03": 5, "IN04": 5, "IN05": 5, "EX02": 0.5, "EX03": 3, "EX04": 1,
    "EX05": 1, "EX06": 2, "EX07": 0.5, "EX08": 4, "EX09": 3, "EX10": 0.5, "IN08": 1, "IN09": 3, "IN10": 1.5,
    "IN11": 0.1, "IN12": 0.1, "EX11": 6, "EX12": 2, "EX13": 1, "EX14": 3, "EX15": 5, "EX16": 1, "IN13": 2,
    "IN14": 4, "EX18": 4, "IN15": 5, "IN16": 8, "IN17": 6, "IN18": 3, "IN19": 4, "IN20": 6, "EX19": 2,
    "IN21": 1,
}  # fmt: skip
UNKNOWN_WEIGHTS = {
    "IN02": 3, "IN04": 4, "IN05": 4, "EX02": 3, "EX04": 3, "EX05": 3, "EX06": 3, "EX10": 3, "EX13": 3,
    "IN14": 2, "EX11": 2, "EX12": 1, "EX14": 1, "EX15": 2, "IN13": 2, "EX18": 1, "IN15": 4, "IN16": 4,
    "IN17": 4, "IN18": 4, "IN19": 4, "IN20": 4, "IN09": 1, "IN21": 1,
}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="screenings in all")
    parser.add_argument("--small-rows", type=int, default=SMALL_ROWS, help="screenings at the first count of queries")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed requests per page")
    parser.add_argument("--requests", type=int, default=TIMED, help="timed requests per page")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query even on target")
    args = parser.parse_args()

    return run_on_throwaway_database(
        "bench/log_page.py", BENCH_DB, lambda database_url, started: run(args, database_url, started)
    )


def run(args, database_url, started):
    env = bench_environment(database_url, BENCH_DB, HOST)
    django_with_trial_data(env, "bench/log_page.py")

    people = create_people()
    client = logged_in_client(people["investigator"])
    pages = page_urls()

    generate(people, 1, args.small_rows)
    small = {name: count_queries(client, url)[0] for name, url in pages.items()}
    print(f"Queries per request with {args.small_rows:,} screenings: {small}", flush=True)

    generate(people, args.small_rows + 1, args.rows)
    describe_data()

    results = {}
    for name, url in pages.items():
        results[name] = time_page(client, url, args.warmup, args.requests)
        results[name]["queries"], results[name]["captured"] = count_queries(client, url)
        print(
            f"  {name:10} {url}: p50 {results[name]['p50']:.1f} ms, p95 {results[name]['p95']:.1f} ms, "
            f"{results[name]['queries']} queries, {results[name]['matched']:,} screenings match",
            flush=True,
        )

    export_part = measure_export(client, "/review/log/export.csv?" + urlencode(EXPORT_PART_FILTER))
    export_full = measure_export(client, "/review/log/export.csv")
    return report(args, pages, small, results, export_full, export_part, time.perf_counter() - started)


def report(args, pages, small, results, export_full, export_part, elapsed):
    failures = []
    print(f"\nThe screen-fail log with {args.rows:,} screenings, PostgreSQL, Django test client in-process, DEBUG off;")
    print(f"{args.warmup} warm-up then {args.requests} timed requests per page, one after the other.")
    print(
        f"{'page':10}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'SQL ms':>8}{'queries':>9}"
        f"{'at ' + format(args.small_rows, ','):>10}{'matching':>10}"
    )
    for name, result in results.items():
        sql_ms = sum(float(query["time"]) for query in result["captured"]) * 1000
        print(
            f"{name:10}{result['p50']:>8.1f}{result['p95']:>8.1f}{result['max']:>8.1f}{sql_ms:>8.1f}"
            f"{result['queries']:>9}{small[name]:>10}{result['matched']:>10,}   {pages[name]}"
        )
        if result["errors"]:
            failures.append(f"{name}: {result['errors']} responses were not a 200 with the log table")
    print(
        "(SQL ms: the database's share of one more request, whose queries are counted; queries include the BEGIN and "
        "COMMIT around the session's save.)"
    )
    slowest = max(results, key=lambda name: results[name]["p95"])
    print(f"\nThe {results[slowest]['queries']} queries of one '{slowest}' request, slowest first:")
    captured = sorted(results[slowest]["captured"], key=lambda query: -float(query["time"]))
    for query in captured:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {shorten(query['sql'])}")

    print(f"\nCSV export{'':22}{'rows':>9}{'MB':>7}{'first s':>9}{'all s':>7}{'rows/s':>9}{'peak MB':>9}{'RSS +MB':>9}")
    for name, export in (("filtered (" + describe_filter() + ")", export_part), ("all screenings", export_full)):
        rss = "n/a" if export["rss_mb"] is None else f"{export['rss_mb']:.1f}"
        print(
            f"  {name:30}{export['rows']:>9,}{export['bytes'] / 1e6:>7.1f}{export['first_row']:>9.2f}"
            f"{export['seconds']:>7.2f}"
            f"{export['rows'] / export['seconds']:>9,.0f}{export['peak_mb']:>9.2f}{rss:>9}"
        )
        if not export["streaming"]:
            failures.append(f"the {name} export is not a StreamingHttpResponse")
    print(
        "(first s: until the first row arrives; peak MB: tracemalloc's peak of Python memory while the response "
        "is consumed chunk by chunk; RSS +MB: how far the process's peak RSS rose above its RSS before the export, "
        "in the untraced pass; the filtered export runs first.)"
    )
    if export_full["rows"] != args.rows:
        failures.append(f"the full export has {export_full['rows']:,} rows, not {args.rows:,}")

    p95 = max(result["p95"] for result in results.values())
    queries = max(result["queries"] for result in results.values())
    same = all(results[name]["queries"] == small[name] for name in results)
    history = sorted({name for name in results for query in results[name]["captured"] if "_historical" in query["sql"]})
    flat = export_full["peak_mb"] <= 1.5 * export_part["peak_mb"] + 2
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"\nPage p95 {p95:.1f} ms (worst of the three): target < {TARGET_P95_MS} ms {verdict}.")
    print(
        f"Queries per page {queries}: the same with {args.small_rows:,} and {args.rows:,} screenings: "
        f"{'met' if same else 'MISSED'}. Pages reading simple_history's tables (rows for them are not generated): "
        f"{', '.join(history) or 'none'}."
    )
    print(
        f"Export peak {export_full['peak_mb']:.2f} MB for {export_full['rows']:,} rows against "
        f"{export_part['peak_mb']:.2f} MB for {export_part['rows']:,}: memory does not grow with rows: "
        f"{'met' if flat else 'MISSED'}. Whole run {elapsed:.0f} s."
    )
    if args.explain or p95 >= TARGET_P95_MS:
        explain(captured[0]["sql"])
    for line in failures:
        print(f"FAILED: {line}")
    figures = {"rows": export_full["rows"], "p95_ms": round(p95, 1), "queries": queries}
    figures["export_peak_mb"] = round(export_full["peak_mb"], 2)
    print(json.dumps(figures))
    return 1 if failures else 0


# The database.


# The people and the data.


def create_people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from trials import roles

    User = get_user_model()
    coordinators = []
    names = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan"]
    for number in range(1, COORDINATORS + 1):
        user = User(username=f"bench-coordinator-{number}", first_name=names[number % len(names)], last_name="Bench")
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=roles.COORDINATOR))
        coordinators.append(user.pk)
    investigator = User(username="bench-investigator", first_name="Ines", last_name="Investigator")
    investigator.set_unusable_password()
    investigator.save()
    investigator.groups.add(Group.objects.get(name=roles.INVESTIGATOR))
    return {"coordinators": coordinators, "investigator": investigator}


def logged_in_client(user):
    from django.test import Client

    client = Client(SERVER_NAME=HOST)
    client.force_login(user)
    return client


# A pseudo-random number in [0, 1) that depends only on (key, salt): what belongs to the candidate (sex, birth date,
# childbearing potential, HIV status) is the same on every screening of that candidate.
UNIFORM_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.uniform(key bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || substr(md5(key::text || ':' || salt::text), 1, 8))::bit(32)::bigint / 4294967296.0 $$
"""

# One row per screening to make, with everything decided: status and verdict, cohort, date, coordinator, which
# criteria failed or were unknown, sign-off and enrollment. Every 25th screening is a second screening of the
# candidate before it. Ids are given explicitly (screening i, candidate cand_key: the database is new, so they are
# free) and nothing needs joining back; the sequences are moved past them afterwards.
GEN_SQL = """
CREATE TEMP TABLE bench_gen AS
WITH r AS (
    SELECT i, CASE WHEN mod(i, 25) = 0 THEN i - 1 ELSE i END AS cand_key,
           random() AS r_status, random() AS r_verdict, random() AS r_failed, random() AS r_unknown,
           random() AS r_sign, random() AS r_enroll, random() AS r_date, random() AS r_cohort, random() AS r_coord,
           random() AS r_minute
    FROM generate_series(%(first)s, %(last)s) AS i
), s AS (
    SELECT r.*,
        CASE WHEN r_status < 0.05 THEN 'draft' ELSE 'evaluated' END AS status,
        CASE WHEN r_status < 0.05 THEN ''
             WHEN r_verdict < 0.46 THEN 'ineligible' WHEN r_verdict < 0.86 THEN 'eligible'
             ELSE 'incomplete' END AS verdict,
        CASE WHEN r_cohort < 0.45 THEN 'phase1' ELSE 'phase2' END AS cohort,
        %(start)s::date + floor(r_date * %(days)s)::int AS screening_date,
        (%(coordinators)s::int[])[1 + floor(r_coord * cardinality(%(coordinators)s::int[]))::int] AS coordinator_id,
        CASE WHEN pg_temp.uniform(cand_key, 1) < 0.48 THEN 'female' ELSE 'male' END AS sex
    FROM r
), t AS (
    SELECT s.*,
        CASE WHEN verdict <> 'ineligible' THEN 0 WHEN r_failed < 0.62 THEN 1 WHEN r_failed < 0.88 THEN 2
             ELSE 3 END AS n_failed,
        CASE WHEN verdict = 'incomplete' THEN 1 + floor(r_unknown * 4)::int
             WHEN verdict = 'ineligible' AND r_unknown < 0.2 THEN 1
             WHEN verdict = 'ineligible' AND r_unknown < 0.3 THEN 2 ELSE 0 END AS n_unknown,
        screening_date + time '08:00' + r_minute * interval '9 hours' AS created_at,
        sex = 'female' AND pg_temp.uniform(cand_key, 3) < 0.35 AS childbearing,
        pg_temp.uniform(cand_key, 4) < 0.45 AS reproductive,
        pg_temp.uniform(cand_key, 5) < 0.03 AS hiv
    FROM s
)
SELECT t.*,
    COALESCE((
        SELECT array_agg(w.code) FROM (
            SELECT code FROM bench_weights w WHERE w.fail > 0 AND w.cohorts IN ('both', t.cohort)
            ORDER BY -ln(1 - random()) / w.fail LIMIT t.n_failed
        ) w
    ), '{}') AS failed,
    COALESCE((
        SELECT array_agg(w.code) FROM (
            SELECT code FROM bench_weights w WHERE w.unknown > 0 AND w.cohorts IN ('both', t.cohort)
            ORDER BY -ln(1 - random()) / w.unknown LIMIT t.n_unknown
        ) w
    ), '{}') AS unknown,
    verdict IN ('eligible', 'ineligible') AND r_sign < 0.30 AS signed
FROM t
"""

CANDIDATES_SQL = """
INSERT INTO patients_candidate (id, screening_number, initials, birth_date, sex, mrn, created_by_id, created_at)
SELECT cand_key,
       'SCR-' || CASE WHEN cand_key < 10000 THEN lpad(cand_key::text, 4, '0') ELSE cand_key::text END,
       chr(65 + floor(pg_temp.uniform(cand_key, 6) * 26)::int)
           || chr(65 + floor(pg_temp.uniform(cand_key, 7) * 26)::int),
       date '1936-01-01' + floor(pg_temp.uniform(cand_key, 2) * 365.25 * 64)::int,
       sex, '', coordinator_id, created_at - interval '5 minutes'
FROM bench_gen WHERE cand_key = i
"""

SCREENINGS_SQL = """
INSERT INTO screening_screening (
    id, candidate_id, number, trial_id, criteria_version_id, cohort, screening_date, coordinator_id, status, verdict,
    evaluated_at, created_at, updated_at, revision, answers, warnings, major_surgery, radiotherapy, traumatic_injury,
    tumor_sample, brain_metastases_treatment, brain_metastases_imaging, prior_therapy, medications_taken,
    enrollment, enrollment_reason, enrollment_recorded_at, enrollment_recorded_by_id
)
SELECT i, cand_key,
       'SCR-' || CASE WHEN cand_key < 10000 THEN lpad(cand_key::text, 4, '0') ELSE cand_key::text END
           || CASE WHEN cand_key = i THEN '-1' ELSE '-2' END,
       %(trial)s, %(version)s, cohort, screening_date, coordinator_id, status,
       verdict, CASE WHEN status = 'evaluated' THEN created_at + interval '25 minutes' END, created_at,
       created_at + interval '25 minutes', 1, '{}', '[]', '', '', '', '', '', '', '', '',
       e.enrollment, CASE WHEN e.enrollment = 'not_enrolled' THEN 'No slot open in the cohort' ELSE '' END,
       CASE WHEN e.enrollment <> '' THEN created_at + interval '10 days' END,
       CASE WHEN e.enrollment <> '' THEN %(investigator)s END
FROM bench_gen
CROSS JOIN LATERAL (
    SELECT CASE WHEN NOT signed OR verdict <> 'eligible' THEN '' WHEN r_enroll < 0.55 THEN 'enrolled'
                WHEN r_enroll < 0.70 THEN 'declined' WHEN r_enroll < 0.85 THEN 'not_enrolled' ELSE '' END
) AS e (enrollment)
ORDER BY i
"""

OUTCOMES_SQL = """
INSERT INTO screening_criterionoutcome
    ("order", code, kind, text, summary, status, reason, evidence, missing, screening_id)
SELECT c."order", c.code, c.kind, c.text, c.summary, o.status,
       CASE o.status
           WHEN 'met' THEN 'Met: ' || c.summary || ' (as recorded on the screening form).'
           WHEN 'not_met' THEN 'Not met: ' || c.summary || '; the recorded value is outside the limit.'
           WHEN 'unknown' THEN 'Unknown: ' || c.summary || '; the information it needs is missing.'
           ELSE 'Not applicable to this candidate or cohort.' END,
       CASE WHEN o.status IN ('met', 'not_met') THEN jsonb_build_array(c.code || ' checked') ELSE '[]' END,
       CASE WHEN o.status = 'unknown'
            THEN jsonb_build_array(jsonb_build_object('field', lower(c.code), 'label', c.summary))
            ELSE '[]' END,
       g.i
FROM bench_gen g
CROSS JOIN trials_criterion c
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN c.code = ANY (g.failed) THEN 'not_met'
        WHEN c.code = ANY (g.unknown) THEN 'unknown'
        WHEN c.cohorts NOT IN ('both', g.cohort)
          OR (c.applies_to = 'female' AND g.sex <> 'female')
          OR (c.applies_to = 'childbearing_potential' AND NOT g.childbearing)
          OR (c.applies_to = 'reproductive_potential' AND NOT g.reproductive)
          OR (c.applies_to = 'hiv_positive' AND NOT g.hiv) THEN 'not_applicable'
        ELSE 'met' END
) AS o (status)
WHERE g.status = 'evaluated' AND c.version_id = %(version)s
"""

SIGNATURES_SQL = """
INSERT INTO screening_signature
    (screening_id, signer_id, signer_name, meaning, comment, signed_at, key_id, content_hash)
SELECT i, %(investigator)s, 'Ines Investigator',
       CASE verdict WHEN 'eligible' THEN 'confirm_eligible' ELSE 'confirm_not_eligible' END, '',
       created_at + interval '2 days', '', md5(i::text) || md5(i::text || ':')
FROM bench_gen WHERE signed ORDER BY i
"""


def generate(people, first, last):
    """Screenings first..last (numbered from 1 over the whole run) written with SQL, then VACUUM (ANALYZE)."""
    from django.db import connection

    began = time.perf_counter()
    timings = []
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT setseed(%s)", [(SEED * first) % 1])
        cursor.execute(UNIFORM_FUNCTION)
        cursor.execute("SELECT id, trial_id FROM trials_criteriaversion WHERE status = 'active'")
        version, trial = cursor.fetchone()
        cursor.execute("DROP TABLE IF EXISTS bench_weights, bench_gen")
        codes = sorted(FAIL_WEIGHTS.keys() | UNKNOWN_WEIGHTS.keys())
        cursor.execute("CREATE TEMP TABLE bench_weights (code text, cohorts text, fail float8, unknown float8)")
        cursor.execute(
            "INSERT INTO bench_weights SELECT c.code, c.cohorts, COALESCE(w.fail, 0), COALESCE(w.unknown, 0) "
            "FROM trials_criterion c JOIN unnest(%s::text[], %s::float8[], %s::float8[]) AS w (code, fail, unknown) "
            "USING (code) WHERE c.version_id = %s AND c.applies_to = 'everyone'",
            [
                codes,
                [FAIL_WEIGHTS.get(code, 0) for code in codes],
                [UNKNOWN_WEIGHTS.get(code, 0) for code in codes],
                version,
            ],
        )
        params = {
            "first": first,
            "last": last,
            "start": END_DATE - timedelta(days=DAYS - 1),
            "days": DAYS,
            "coordinators": people["coordinators"],
            "investigator": people["investigator"].pk,
            "trial": trial,
            "version": version,
        }
        for name, sql in (
            ("plan", GEN_SQL),
            ("candidates", CANDIDATES_SQL),
            ("screenings", SCREENINGS_SQL),
            ("outcomes", OUTCOMES_SQL),
            ("signatures", SIGNATURES_SQL),
        ):
            step_began = time.perf_counter()
            cursor.execute(sql, params)
            timings.append(f"{name} {cursor.rowcount:,} in {time.perf_counter() - step_began:.1f} s")
        for table in ("patients_candidate", "screening_screening"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("DROP TABLE bench_weights, bench_gen")
        # What autovacuum would have done by the time anyone reads the log: statistics for the planner, and the
        # visibility map (index-only scans); done now so that autovacuum does not start during the timings.
        step_began = time.perf_counter()
        cursor.execute(
            "VACUUM (ANALYZE) patients_candidate, screening_screening, screening_criterionoutcome, screening_signature"
        )
        timings.append(f"VACUUM (ANALYZE) in {time.perf_counter() - step_began:.1f} s")
    print(
        f"Generated screenings {first:,} to {last:,} in {time.perf_counter() - began:.1f} s: {'; '.join(timings)}",
        flush=True,
    )


def describe_data():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'draft'), count(*) FILTER (WHERE verdict = 'eligible'), "
            "count(*) FILTER (WHERE verdict = 'ineligible'), count(*) FILTER (WHERE verdict = 'incomplete'), "
            "count(*) FILTER (WHERE enrollment = 'enrolled'), min(screening_date), max(screening_date), "
            "count(DISTINCT candidate_id) FROM screening_screening"
        )
        total, drafts, eligible, ineligible, incomplete, enrolled, first, last, candidates = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM screening_signature")
        signed = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('screening_criterionoutcome')) "
            "FROM screening_criterionoutcome"
        )
        outcomes, size = cursor.fetchone()
        cursor.execute(
            "SELECT code, count(*) FROM screening_criterionoutcome WHERE status = 'not_met' "
            "GROUP BY code ORDER BY count(*) DESC LIMIT 6"
        )
        top = ", ".join(f"{code} {count:,}" for code, count in cursor.fetchall())
    print(
        f"Data: {total:,} screenings of {candidates:,} candidates from {first} to {last}: {drafts:,} drafts, "
        f"{eligible:,} eligible, {ineligible:,} ineligible, {incomplete:,} incomplete; {signed:,} signed, "
        f"{enrolled:,} enrolled; {outcomes:,} criterion outcomes ({size} with indexes). Failed most: {top}.",
        flush=True,
    )


# The measurements.

FILTERED = {
    "failed": "IN16",
    "verdict": "ineligible",
    "date_from": (END_DATE - timedelta(days=730)).isoformat(),
    "date_to": (END_DATE - timedelta(days=365)).isoformat(),
    "cohort": "phase1",
}
EXPORT_PART_FILTER = {"date_from": (END_DATE - timedelta(days=109)).isoformat()}


def describe_filter():
    return ", ".join(f"{key}={value}" for key, value in EXPORT_PART_FILTER.items())


def page_urls():
    return {
        "first": "/review/log/",
        "filtered": "/review/log/?" + urlencode(FILTERED),
        "deep": "/review/log/?page=50",
    }


MATCHED = re.compile(rb"(\d+) screenings? in all")


def get_page(client, url):
    response = client.get(url)
    ok = response.status_code == 200 and b'id="log-table"' in response.content
    found = MATCHED.search(response.content) if ok else None
    return ok, int(found.group(1)) if found else 0


def time_page(client, url, warmup, requests):
    for _ in range(warmup):
        get_page(client, url)
    times, errors, matched = [], 0, 0
    for _ in range(requests):
        began = time.perf_counter()
        ok, matched = get_page(client, url)
        times.append((time.perf_counter() - began) * 1000)
        errors += not ok
    times.sort()
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": times[-1],
        "errors": errors,
        "matched": matched,
    }


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get_page(client, url)  # uncounted: the first request after logging in also writes the session, once a minute
    with CaptureQueriesContext(connection) as captured:
        ok, _ = get_page(client, url)
    if not ok:
        raise SystemExit(f"bench/log_page.py: {url} did not answer 200 with the log table")
    return len(captured.captured_queries), list(captured.captured_queries)


def measure_export(client, url):
    """Rows, bytes, seconds and RSS growth (a pass without tracing), and peak Python memory (a pass under
    tracemalloc, which slows Python down and has its own bookkeeping)."""
    timed = consume_export(client, url, trace=False)
    traced = consume_export(client, url, trace=True)
    if (timed["rows"], timed["bytes"]) != (traced["rows"], traced["bytes"]):
        raise SystemExit(f"bench/log_page.py: two exports of {url} differ")
    return {**timed, "peak_mb": traced["peak_mb"]}


def consume_export(client, url, *, trace):
    gc.collect()
    rss_before = reset_peak_rss()
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(url)
    lines = size = 0
    first_row = None
    streaming = response.streaming
    if response.status_code != 200:
        raise SystemExit(f"bench/log_page.py: {url} answered {response.status_code}")
    for chunk in response.streaming_content if streaming else [response.content]:
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines > 1:  # the header comes first, before any query
            first_row = time.perf_counter() - began
    response.close()
    seconds = time.perf_counter() - began
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss_peak = peak_rss()
    rss = None if rss_before is None or rss_peak is None else (rss_peak - rss_before) / 2**20
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": seconds,
        "first_row": first_row or seconds,
        "streaming": streaming,
        "peak_mb": peak / 2**20,
        "rss_mb": rss,
    }


def reset_peak_rss():
    """Reset the kernel's high-water mark of this process's RSS (Linux); return the RSS now, in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return status_kb("VmRSS") * 1024
    except OSError:
        return None


def peak_rss():
    try:
        return status_kb("VmHWM") * 1024
    except OSError:
        return None


def status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def explain(sql):
    from django.db import connection

    print("\nEXPLAIN (ANALYZE, BUFFERS) of that slowest query:")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        for (line,) in cursor.fetchall():
            print("  " + line)


def shorten(sql, width=150):
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 3] + "..."


def percentile(ordered, p):
    """Nearest rank."""
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(len(ordered) * p / 100))
    return ordered[rank - 1]


if __name__ == "__main__":
    sys.exit(main())
