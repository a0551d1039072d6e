"""The PDF eligibility report: render time in-process, and end to end (request to done) through one real Celery worker.

Run from the project root with DATABASE_URL pointing at PostgreSQL (a role that may create databases) and REDIS_URL
at Redis:

    .ci/services.sh up && source .services/env && .venv/bin/python bench/report.py; .ci/services.sh down

`make bench` does exactly that. The script creates its own throwaway database (`trialscreen_bench_report`, next to
the one DATABASE_URL names), migrates it and runs `load_trial_data`, `create_demo_users` and
`create_demo_screenings`; then signs the eligible demo screening (fully entered) as an investigator and measures,
in this order and in this process (Django set up against the bench database, files in a temporary MEDIA_ROOT):

- render: `screening.pdf.render_report` on that screening, 50 times after one cold render (the screening is loaded
  again before each, outside the timer, as the task does);
- floor: WeasyPrint's `HTML(string="<p>x</p>").write_pdf()`, 50 times after one warm-up: what any PDF costs;
- end to end: one real worker (`celery -A config worker --pool=solo --concurrency=1 --prefetch-multiplier=1` on a
  queue of its own), then 50 times `reports.report_request` (committed, so sent on commit, as the view does) and
  the database polled every 5 ms until the report is done. Before each, the finished reports' content hash is
  cleared so that every one is rendered rather than reusing the previous file; 10 more then measure the reuse path.

- throughput: a second worker process joins (2 in all, as `--concurrency 2` would give) and 200 reports are
  requested at once; reports per second from the first request to the last done. The bench database has a trigger
  that blanks each finished report's content hash, so that every one of them is rendered (no reuse);
- recovery: beat starts (the sweeper, every REPORT_SWEEP_SECONDS as in production), Redis is stopped through
  `.ci/services.sh stop redis`, 20 reports are requested (each request returns at once; the rows wait as the
  outbox), Redis is started again, and the time from then until all 20 are done (each rendered, by the 2 workers)
  is the recovery time.

The workers and beat are stopped and the database dropped at the end, also on error or SIGTERM. Exit status 1 if a
report fails or takes longer than 60 s, 2 if DATABASE_URL is not PostgreSQL or REDIS_URL is unset; missing a target
only shows in the summary. The last line printed is one JSON object:
{"render_median_ms": ..., "floor_median_ms": ..., "e2e_median_ms": ..., "reports_per_s": ..., "recovery_s": ...}.
"""

import argparse
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from throwaway import CeleryProcess, celery_worker, create_database, database_url_named, drop_database, step, tidy_queue

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "trialscreen_bench_report"
REPORTS = 50
REUSE_REPORTS = 10
THROUGHPUT_REPORTS = 200
OUTAGE_REPORTS = 20
TARGET_RENDER_MS = 500
TARGET_E2E_MS = 2000
POLL_SECONDS = 0.005
REPORT_TIMEOUT = 60
BENCH_INVESTIGATOR = "bench-investigator"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=REPORTS, help="renders, floors and end-to-end reports each")
    parser.add_argument("--pool", default="solo", choices=["solo", "prefork"], help="the worker's pool")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql", "psql") or not broker_url:
        print(
            "bench/report.py needs DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME (a role that may create "
            "databases) and REDIS_URL=redis://HOST:PORT/DB, e.g. `.ci/services.sh up && source .services/env` first.",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    with tempfile.TemporaryDirectory(prefix="trialscreen-bench-report-") as tmp:
        return run(args, database_url, Path(tmp))


def run(args, database_url, tmp):
    started = time.perf_counter()
    media_root = tmp / "media"
    media_root.mkdir()
    queue = f"trialscreen-bench-report-{uuid.uuid4().hex[:12]}"
    env = bench_environment(database_url, media_root, queue)
    workers = []
    create_database(database_url, BENCH_DB)
    try:
        step("migrate", [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        step("load_trial_data", [sys.executable, "manage.py", "load_trial_data"], env)
        step("create_demo_users", [sys.executable, "manage.py", "create_demo_users"], env, show_output=False)
        step("create_demo_screenings", [sys.executable, "manage.py", "create_demo_screenings"], env)

        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        screening, coordinator = signed_demo_screening()
        render = time_render(screening, coordinator, args.reports)
        floor = time_floor(args.reports)

        worker = worker_process(env, queue, args.pool, tmp / "worker.log")
        workers.append(worker)
        e2e = time_end_to_end(screening, coordinator, args.reports, worker)
        workers.append(worker_process(env, queue, args.pool, tmp / "worker-2.log"))
        workers[-1].wait_ready()
        with every_report_rendered(screening):
            throughput = time_throughput(screening, coordinator, workers)
            workers.append(beat_process(env, tmp))
            recovery = time_recovery(screening, coordinator, workers)
    finally:
        for process in workers:
            process.stop()
        tidy_queue(env.get("CELERY_BROKER_URL") or env["REDIS_URL"], queue)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database(database_url, BENCH_DB)
    return report(args, render, floor, e2e, throughput, recovery, worker, time.perf_counter() - started)


def report(args, render, floor, e2e, throughput, recovery, worker, elapsed):
    def line(name, times):
        return (
            f"{name:44}{len(times):>4}{statistics.median(times):>10.1f}{percentile(times, 90):>10.1f}"
            f"{min(times):>10.1f}{max(times):>10.1f}"
        )

    print(f"\n{'':44}{'n':>4}{'median':>10}{'p90':>10}{'min':>10}{'max':>10}   (ms)")
    print(line("render_report, full signed report", render["times"]))
    print(line('floor: HTML("<p>x</p>").write_pdf()', floor["times"]))
    print(line("end to end: request to done, rendered", e2e["times"]))
    print(line("  request to task started (queue)", e2e["queue"]))
    print(line("  task started to finished (in the worker)", e2e["task"]))
    print(line("end to end: request to done, file reused", e2e["reuse"]))
    print(
        f"Cold: first render {render['cold']:.0f} ms in this process; first report in the fresh worker "
        f"{e2e['cold']:.0f} ms end to end (worker ready {worker.ready_after:.1f} s after start, pool {args.pool}, "
        f"concurrency 1). The full report has {render['pages']} pages and {render['bytes'] / 1024:.0f} KiB; "
        f"{render['outcomes']} criteria; {os.cpu_count()} CPUs."
    )
    render_median, floor_median, e2e_median = (
        statistics.median(x) for x in (render["times"], floor["times"], e2e["times"])
    )
    print(
        f"Render median {render_median:.0f} ms: target < {TARGET_RENDER_MS} ms "
        f"{'met' if render_median < TARGET_RENDER_MS else 'MISSED'} ({render_median / floor_median:.1f} x the floor "
        f"of {floor_median:.0f} ms). End-to-end median {e2e_median:.0f} ms: target < {TARGET_E2E_MS} ms "
        f"{'met' if e2e_median < TARGET_E2E_MS else 'MISSED'}. Whole run {elapsed:.0f} s."
    )
    print(
        f"Throughput: {throughput['count']} reports, every one rendered, with 2 worker processes in "
        f"{throughput['seconds']:.1f} s: {throughput['per_s']:.1f} reports/s. Recovery: {recovery['count']} reports "
        f"requested with Redis down (each request {recovery['request_ms_max']:.0f} ms at most, none failed); all done "
        f"{recovery['seconds']:.1f} s after Redis was back (sweeper every {recovery['sweep_seconds']:g} s)."
    )
    figures = {
        "render_median_ms": render_median,
        "floor_median_ms": floor_median,
        "e2e_median_ms": e2e_median,
        "reports_per_s": throughput["per_s"],
        "recovery_s": recovery["seconds"],
    }
    print(json.dumps({key: round(value, 1) for key, value in figures.items()}))
    return 0


# What runs inside Django (this process, against the bench database, once the commands above have run).


def signed_demo_screening():
    """The eligible demo screening, fully entered, signed by a bench investigator; and the demo coordinator."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from screening import services
    from screening.models import Screening, Signature
    from screening.selectors import screening_with_outcomes
    from screening.signing import record_hash
    from trials import roles

    User = get_user_model()
    screening = Screening.objects.get(candidate__mrn="DEMO-001")
    if screening.verdict != Screening.Verdict.ELIGIBLE:
        raise SystemExit(f"bench/report.py: the first demo screening is {screening.verdict}, not eligible")
    password = secrets.token_urlsafe(16)
    investigator = User.objects.create_user(
        BENCH_INVESTIGATOR, password=password, first_name="Bench", last_name="Investigator"
    )
    investigator.groups.add(Group.objects.get(name=roles.INVESTIGATOR))
    shown = screening_with_outcomes(pk=screening.pk)
    services.screening_sign(
        screening=shown,
        signer=investigator,
        password=password,
        meaning=Signature.Meaning.CONFIRM_ELIGIBLE,
        comment="Benchmark sign-off.",
        reviewed_hash=record_hash(shown),
    )
    return screening, User.objects.get(username="coordinator")


def time_render(screening, user, count):
    import io

    from django.utils import timezone
    from pypdf import PdfReader

    from screening.pdf import render_report
    from screening.selectors import screening_with_outcomes

    def once():
        loaded = screening_with_outcomes(pk=screening.pk)
        began = time.perf_counter()
        _, _, pdf = render_report(loaded, generated_by=user, generated_at=timezone.now())
        return (time.perf_counter() - began) * 1000, pdf, loaded

    cold, pdf, loaded = once()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    outcomes = loaded.outcomes.count()
    if not pdf.startswith(b"%PDF") or loaded.signature is None:
        raise SystemExit("bench/report.py: render_report did not make a PDF of a signed screening")
    times = []
    for _ in range(count):
        elapsed, _, _ = once()
        times.append(elapsed)
    print(f"render: {count} full reports, median {statistics.median(times):.0f} ms", flush=True)
    return {"times": times, "cold": cold, "pages": pages, "bytes": len(pdf), "outcomes": outcomes}


def time_floor(count):
    from weasyprint import HTML

    HTML(string="<p>x</p>").write_pdf()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        HTML(string="<p>x</p>").write_pdf()
        times.append((time.perf_counter() - began) * 1000)
    print(f"floor: {count} one-line PDFs, median {statistics.median(times):.0f} ms", flush=True)
    return {"times": times}


def time_end_to_end(screening, user, count, worker):
    from screening import reports
    from screening.models import Report

    worker.wait_ready()

    def once(reuse=False):
        if not reuse:  # every report is rendered: none finds a finished file of the same content
            Report.objects.filter(screening=screening).exclude(content_hash="").update(content_hash="")
        began = time.perf_counter()
        report = reports.report_request(screening=screening, user=user)
        while True:
            status = Report.objects.filter(pk=report.pk).values_list("status", flat=True).get()
            if status in (Report.Status.DONE, Report.Status.FAILED):
                break
            if time.perf_counter() - began > REPORT_TIMEOUT:
                raise SystemExit(
                    f"bench/report.py: report {report.pk} still {status} after {REPORT_TIMEOUT} s\n"
                    + worker.output()[-4000:]
                )
            worker.check_alive()
            time.sleep(POLL_SECONDS)
        elapsed = (time.perf_counter() - began) * 1000
        report.refresh_from_db()
        if report.status != Report.Status.DONE:
            raise SystemExit(f"bench/report.py: report {report.pk} failed: {report.error}\n{worker.output()[-4000:]}")
        queued = (report.started_at - report.created_at).total_seconds() * 1000
        task = (report.finished_at - report.started_at).total_seconds() * 1000
        return elapsed, queued, task

    cold, _, _ = once()
    times, queue, task = [], [], []
    for _ in range(count):
        elapsed, queued, in_task = once()
        times.append(elapsed)
        queue.append(queued)
        task.append(in_task)
    reuse = [once(reuse=True)[0] for _ in range(REUSE_REPORTS)]
    print(f"end to end: {count} reports through the worker, median {statistics.median(times):.0f} ms", flush=True)
    return {"times": times, "queue": queue, "task": task, "reuse": reuse, "cold": cold}


def wait_all_done(report_ids, began, workers):
    from screening.models import Report

    while True:
        statuses = dict(Report.objects.filter(pk__in=report_ids).values_list("pk", "status"))
        failed = [pk for pk, status in statuses.items() if status == Report.Status.FAILED]
        if failed:
            raise SystemExit(f"bench/report.py: reports {failed} failed\n{workers[0].output()[-4000:]}")
        if all(status == Report.Status.DONE for status in statuses.values()):
            return time.perf_counter() - began
        if time.perf_counter() - began > REPORT_TIMEOUT * 3:
            raise SystemExit(
                f"bench/report.py: reports not done after {REPORT_TIMEOUT * 3} s\n{workers[0].output()[-4000:]}"
            )
        for process in workers:
            process.check_alive()
        time.sleep(0.02)


@contextlib.contextmanager
def every_report_rendered(screening):
    """In the bench database only: a trigger blanks each finished report's content hash, so that no report reuses
    another's file and every one is rendered."""
    from django.db import connection

    from screening.models import Report

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION bench_no_reuse() RETURNS trigger AS $$ BEGIN NEW.content_hash := ''; RETURN NEW; END $$ "
            "LANGUAGE plpgsql; CREATE TRIGGER bench_no_reuse BEFORE UPDATE ON screening_report FOR EACH ROW "
            "EXECUTE FUNCTION bench_no_reuse();"
        )
    Report.objects.filter(screening=screening).update(content_hash="")  # nor a file of the runs before
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER bench_no_reuse ON screening_report; DROP FUNCTION bench_no_reuse();")


def assert_each_rendered(ids):
    from screening.models import Report

    files = Report.objects.filter(pk__in=ids).values("file").distinct().count()
    if files != len(ids):
        raise SystemExit(f"bench/report.py: {len(ids)} reports made only {files} files: some were reused")


def time_throughput(screening, user, workers):
    from screening import reports

    began = time.perf_counter()
    ids = [reports.report_request(screening=screening, user=user).pk for _ in range(THROUGHPUT_REPORTS)]
    seconds = wait_all_done(ids, began, workers)
    assert_each_rendered(ids)
    per_s = THROUGHPUT_REPORTS / seconds
    print(f"throughput: {THROUGHPUT_REPORTS} reports, 2 workers, {per_s:.1f} reports/s", flush=True)
    return {"count": THROUGHPUT_REPORTS, "seconds": seconds, "per_s": per_s}


def time_recovery(screening, user, workers):
    from django.conf import settings

    from screening import reports

    services("stop", "redis")
    try:
        requests, ids = [], []
        for _ in range(OUTAGE_REPORTS):
            began = time.perf_counter()
            ids.append(reports.report_request(screening=screening, user=user).pk)
            requests.append((time.perf_counter() - began) * 1000)
    finally:
        services("start", "redis")
    back = time.perf_counter()
    seconds = wait_all_done(ids, back, workers)
    assert_each_rendered(ids)
    print(f"recovery: {OUTAGE_REPORTS} reports asked for during an outage, done {seconds:.1f} s after it", flush=True)
    return {
        "count": OUTAGE_REPORTS,
        "seconds": seconds,
        "request_ms_max": max(requests),
        "sweep_seconds": settings.REPORT_SWEEP_SECONDS,
    }


def services(action, service):
    subprocess.run([str(ROOT / ".ci" / "services.sh"), action, service], cwd=ROOT, check=True, capture_output=True)


# The database, the workers and beat.


def worker_process(env, queue, pool, log_path):
    return celery_worker(env, queue, name=queue, log_path=log_path, script="bench/report.py", pool=pool)


def beat_process(env, tmp):
    """`celery -A config beat`: the sweeper, every REPORT_SWEEP_SECONDS."""
    arguments = ["beat", "-s", str(tmp / "beat-schedule"), "--loglevel=INFO"]
    return CeleryProcess(env, arguments, name="beat", log_path=tmp / "beat.log", script="bench/report.py")


def bench_environment(database_url, media_root, queue):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        CELERY_QUEUE=queue,  # the app's tasks go there, and the workers and beat of this run use it
        DATABASE_URL=database_url_named(database_url, BENCH_DB),
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        MEDIA_ROOT=str(media_root),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def percentile(values, p):
    """Nearest rank."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


if __name__ == "__main__":
    sys.exit(main())
