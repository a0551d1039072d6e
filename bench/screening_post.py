"""The screening form POST under gunicorn on PostgreSQL with 20 concurrent coordinators, against a logged-in GET of the
same screenings' result pages (the page the POST redirects to).

Run from the project root with DATABASE_URL pointing at PostgreSQL, as a role that may create databases:

    .ci/services.sh up && source .services/env && .venv/bin/python bench/screening_post.py; .ci/services.sh down

`make bench` does exactly that. The script creates its own throwaway database (`trialscreen_bench`, next to the one
DATABASE_URL names), migrates it, loads the trial data, creates 20 coordinators, each with a few screenings and one
full form payload per screening (built by `screening/tests/forms_data.py`: every field of the form filled in; some
candidates eligible, some not because of a low ANC or Dilantin, some with labs in other units). It then serves the
app with gunicorn on 127.0.0.1 and a free port, logs each coordinator in through the login page, and times two
loads with the same 20 concurrent users (threads, one keep-alive connection each) and the same duration:

- the baseline: GET /screenings/<pk>/, the result page of the same screenings, with the coordinator's session (what
  a save is followed by; a bare view that does nothing was withdrawn as the baseline: it compared a full save and
  evaluation with no work at all). Only a 200 counts;
- the screening: POST /screenings/<pk>/edit/ with the full form and action=evaluate, which saves and evaluates it.
  Only a 302 to /screenings/<pk>/ counts as a success; the redirect is not followed.

Both are warmed up first. Then the database is checked (every posted screening is evaluated, with the verdict its
payload calls for), gunicorn is stopped and the database dropped, also on error. Exit status 1 if more than 1% of
the requests of either load failed or a verdict is wrong; missing a target only shows in the summary. The last line
printed is one JSON object: {"p95_ms": ..., "rps": ..., "result_page_rps": ..., "ratio": ...}, ratio = rps /
result_page_rps. Targets: ratio >= 0.5 and p95 < 200 ms.
"""

import argparse
import http.client
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from throwaway import create_database, database_url_named, drop_database, step

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "trialscreen_bench"
USERS = 20
SCREENINGS_PER_USER = 8
SECONDS = 20
WARMUP_SECONDS = 5
MAX_REQUESTS_PER_USER = 20_000  # a bound on each measured load besides its duration
TARGET_P95_MS = 200
TARGET_RATIO = 0.5
MAX_ERROR_RATE = 0.01
WORKERS = 3  # as the README runs the app in production
WORKER_CLASS = "sync"
THREADS = 1
CONN_MAX_AGE = 60
HOST = "127.0.0.1"

# name -> (what eligible_payload is given, the verdict it must get, cohort, sex)
VARIANTS = {
    "eligible": ({}, "eligible", "phase1", "female"),
    "eligible, other units, several medications": (
        {
            "labs": {
                "wbc": ("5200", "/uL", ""),
                "anc": ("3.1", "10^9/L", ""),
                "platelets": ("210", "K/uL", ""),
                "cholesterol": ("4.9", "mmol/L", ""),
                "bilirubin": ("14", "umol/L", "21"),
                "ast": ("0.5", "ukat/L", "0.67"),
            },
            "medications": [
                {"name": "Lisinopril", "dose": "10 mg daily", "active": True},
                {"name": "Metformin", "dose": "500 mg BID", "active": True},
                {"name": "omeprazole", "dose": "20 mg daily", "active": True},
                {"name": "Ondansetron", "dose": "8 mg PRN nausea", "active": False},
            ],
        },
        "eligible",
        "phase2",
        "male",
    ),
    "low ANC": ({"labs": {"anc": ("0.9", "10^3/uL", "")}}, "ineligible", "phase1", "male"),
    "Dilantin": (
        {"medications": [{"name": "Dilantin", "dose": "100 mg TID", "active": True}]},
        "ineligible",
        "phase2",
        "female",
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="each measured load")
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS, help="each warm-up")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--worker-class", default=WORKER_CLASS, choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=THREADS, help="per worker (gthread)")
    parser.add_argument("--conn-max-age", type=int, default=CONN_MAX_AGE, help="DATABASE_CONN_MAX_AGE")
    parser.add_argument("--child", choices=["setup", "check"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return {"setup": child_setup, "check": child_check}[args.child](args)

    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql", "psql"):
        print(
            "bench/screening_post.py needs DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME (a role that may "
            "create databases), e.g. `.ci/services.sh up && source .services/env` first.",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    with tempfile.TemporaryDirectory(prefix="trialscreen-bench-") as tmp:
        return run(args, database_url, Path(tmp))


def run(args, database_url, tmp):
    started = time.perf_counter()
    env = bench_environment(database_url, args.conn_max_age)
    server = None
    create_database(database_url, BENCH_DB)
    try:
        step("migrate", [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        step("load_trial_data", [sys.executable, "manage.py", "load_trial_data"], env)
        setup_file = tmp / "setup.json"
        step(
            f"{args.users} coordinators and their screenings",
            [sys.executable, __file__, "--child", "setup", "--users", str(args.users), "--out", str(setup_file)],
            env,
        )
        setup = json.loads(setup_file.read_text())
        port = free_port()
        server = Gunicorn(args, port, env, tmp / "gunicorn.log")
        clients = [Client(port) for _ in range(args.users)]
        login_all(clients, setup)

        def result_page(client, index, counter):
            screening = setup["users"][index]["screenings"][counter % len(setup["users"][index]["screenings"])]
            status, _, body = client.request("GET", f"/screenings/{screening['pk']}/")
            return status == 200 and b"<title>Result " in body, status

        def screening_post(client, index, counter):
            screening = setup["users"][index]["screenings"][counter % len(setup["users"][index]["screenings"])]
            # As from the form reopened after the last save: each save moves the screening to its next revision.
            body = f"{screening['body']}&revision={screening['revision']}"
            body += f"&csrfmiddlewaretoken={client.cookies['csrftoken']}"
            status, headers, _ = client.request("POST", f"/screenings/{screening['pk']}/edit/", body)
            saved = status == 302 and headers.get("Location") == f"/screenings/{screening['pk']}/"
            screening["revision"] += saved
            return saved, status

        meter = CpuMeter(server.process.pid)
        load(clients, result_page, args.warmup, meter)
        load(clients, screening_post, args.warmup, meter)
        page_result = load(clients, result_page, args.seconds, meter)
        post_result = load(clients, screening_post, args.seconds, meter)
        server.stop()
        server = None

        check_file = tmp / "check.json"
        check_env = {**env, "DATABASE_CONN_MAX_AGE": "0"}
        check_command = [sys.executable, __file__, "--child", "check", "--out", str(check_file)]
        step("check verdicts, count queries", check_command, check_env)
        check = json.loads(check_file.read_text())
    finally:
        if server is not None:
            server.stop()
        drop_database(database_url, BENCH_DB)

    return report(args, setup, page_result, post_result, check, time.perf_counter() - started)


def report(args, setup, page_result, post_result, check, elapsed):
    server = f"gunicorn {args.worker_class}, {args.workers} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    print(
        f"\n{args.users} concurrent users on {HOST}, {server}, PostgreSQL, DATABASE_CONN_MAX_AGE={args.conn_max_age}, "
        f"{args.seconds:g} s per load after a {args.warmup:g} s warm-up; {os.cpu_count()} CPUs shared with the "
        "load generator."
    )
    print(f"{'':34}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, result in (("GET result page (logged in)", page_result), ("POST screening (save+evaluate)", post_result)):
        print(
            f"{name:34}{result['ok']:>9}{result['errors']:>8}{result['rps']:>9.1f}"
            f"{result['p50']:>9.1f}{result['p95']:>9.1f}{result['p99']:>9.1f}{result['max']:>9.1f}"
        )
    if page_result["cpu"] and post_result["cpu"]:
        print(f"CPU per request (ms){'gunicorn':>22}{'PostgreSQL':>12}{'load gen.':>11}   machine busy (cores), other")
        for name, result in (("result page", page_result), ("screening POST", post_result)):
            cpu, requests, seconds = result["cpu"], max(result["ok"] + result["errors"], 1), result["elapsed"]
            ours = cpu["gunicorn"] + cpu["postgres"] + cpu["client"]
            print(
                f"  {name:30}{cpu['gunicorn'] * 1000 / requests:>10.2f}{cpu['postgres'] * 1000 / requests:>12.2f}"
                f"{cpu['client'] * 1000 / requests:>11.2f}   {cpu['machine'] / seconds:.2f} of {os.cpu_count()}, "
                f"{max(cpu['machine'] - ours, 0) / seconds:.2f} by other processes"
            )
    for name, result in (("result page", page_result), ("screening POST", post_result)):
        if result["errors"]:
            print(f"{name} errors by status: {dict(result['statuses'])}")
    variants = ", ".join(f"{count} {name}" for name, count in Counter(s["variant"] for s in setup["all"]).items())
    print(f"Payloads: {len(setup['all'])} screenings ({variants}), {setup['fields']} form fields on average.")
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(check["verdicts"].items()))
    print(f"After the run: {check['evaluated']} screenings evaluated ({verdicts}); {check['wrong']} wrong verdicts.")
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(check["kinds"].items(), key=lambda item: -item[1]))
    print(
        f"One screening POST runs {check['queries']} SQL statements ({kinds}) in {check['commits']} transactions "
        f"(counted in-process afterwards; status {check['post_status']})."
    )

    ratio = post_result["rps"] / page_result["rps"] if page_result["rps"] else 0.0
    p95_met = post_result["p95"] < TARGET_P95_MS
    ratio_met = ratio >= TARGET_RATIO
    print(
        f"Screening POST p95 {post_result['p95']:.1f} ms: target < {TARGET_P95_MS} ms "
        f"{'met' if p95_met else 'MISSED'}. Ratio {post_result['rps']:.1f} / {page_result['rps']:.1f} req/s = "
        f"{ratio:.3f}: target >= {TARGET_RATIO} {'met' if ratio_met else 'MISSED'}. Whole run {elapsed:.0f} s."
    )
    failed = []
    for name, result in (("result page", page_result), ("screening POST", post_result)):
        total = result["ok"] + result["errors"]
        if not total or result["errors"] / total > MAX_ERROR_RATE:
            failed.append(f"{name}: {result['errors']} errors in {total} requests")
    if check["post_status"] != 302:
        failed.append(f"the in-process screening POST answered {check['post_status']}, not 302")
    if check["wrong"]:
        failed.append(f"{check['wrong']} screenings got a verdict their payload does not call for: {check['examples']}")
    for line in failed:
        print(f"FAILED: {line}")
    figures = {"p95_ms": (post_result["p95"], 1), "rps": (post_result["rps"], 1)}
    figures.update(result_page_rps=(page_result["rps"], 1), ratio=(ratio, 3))
    # NaN (no successful request) is not JSON: null instead.
    print(json.dumps({key: None if math.isnan(x) else round(x, digits) for key, (x, digits) in figures.items()}))
    return 1 if failed else 0


# The database and the app's processes.


def bench_environment(database_url, conn_max_age):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url_named(database_url, BENCH_DB),
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        ALLOWED_HOSTS=HOST,
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Gunicorn:
    def __init__(self, args, port, env, log_path):
        self.port, self.log_path = port, log_path
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{HOST}:{port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class,
            "--threads", str(args.threads),
            "--keep-alive", "5",
            "--log-level", "warning",
        ]  # fmt: skip
        self.log = open(log_path, "w")  # noqa: SIM115 -- closed in stop()
        began = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        print(f"gunicorn on {HOST}:{port}: {time.perf_counter() - began:.1f} s", flush=True)

    def wait_until_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/healthz/")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz/ on {HOST}:{self.port}:\n{self.log_path.read_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        errors = [line for line in self.log_path.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
        if errors:
            print(f"gunicorn logged {len(errors)} errors; the first: {errors[0]}", file=sys.stderr)


# The simulated coordinators.


class Client:
    """One user's browser: one keep-alive connection (reopened when the server closes it) and its cookies."""

    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies = {}

    def request(self, method, path, body=None, *, cookies=True):
        headers = {}
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, content

    def reconnect(self):
        self.connection.close()


def login_all(clients, setup):
    began = time.perf_counter()
    failures = []

    def login(client, user):
        client.request("GET", "/accounts/login/")
        body = urlencode(
            {
                "username": user["username"],
                "password": setup["password"],
                "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
            }
        )
        status, _, _ = client.request("POST", "/accounts/login/", body)
        if status != 302 or "sessionid" not in client.cookies:
            failures.append(f"{user['username']}: {status}")

    threads = [threading.Thread(target=login, args=pair) for pair in zip(clients, setup["users"], strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"bench/screening_post.py: login failed for {failures}")
    print(f"{len(clients)} logins: {time.perf_counter() - began:.1f} s", flush=True)


def load(clients, send, seconds, meter):
    """Every client sends requests back to back until the time is up or it has sent MAX_REQUESTS_PER_USER."""
    for client in clients:
        client.reconnect()  # no connection left idle since the last load
    latencies = [[] for _ in clients]
    statuses = [Counter() for _ in clients]
    finished = [0.0] * len(clients)
    start = threading.Barrier(len(clients) + 1)
    clock = {}

    def user(index):
        client = clients[index]
        start.wait()
        deadline = clock["deadline"]
        for counter in range(MAX_REQUESTS_PER_USER):
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                ok, status = send(client, index, counter)
            except (OSError, http.client.HTTPException) as error:
                ok, status = False, type(error).__name__
            if ok:
                latencies[index].append(time.perf_counter() - began)
            else:
                statuses[index][status] += 1
        finished[index] = time.perf_counter()

    threads = [threading.Thread(target=user, args=(index,), daemon=True) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    cpu_before = meter.sample()
    clock["began"] = time.perf_counter()
    clock["deadline"] = clock["began"] + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = max(finished) - clock["began"]
    cpu = meter.used_since(cpu_before)
    times = sorted(t * 1000 for user_latencies in latencies for t in user_latencies)
    errors = Counter()
    for user_statuses in statuses:
        errors.update(user_statuses)
    return {
        "ok": len(times),
        "errors": sum(errors.values()),
        "statuses": errors,
        "elapsed": elapsed,
        "rps": len(times) / elapsed,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "max": times[-1] if times else float("nan"),
        "cpu": cpu,
    }


class CpuMeter:
    """CPU seconds used by gunicorn's workers, the bench database's PostgreSQL backends, this process (the load
    generator) and the whole machine; Linux /proc only, else nothing is reported."""

    def __init__(self, gunicorn_pid):
        self.gunicorn_pid = gunicorn_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample(self):
        found = {"gunicorn": 0.0, "postgres": 0.0, "client": time.process_time(), "machine": None}
        try:
            with open("/proc/stat") as stat:
                fields = [int(x) for x in stat.readline().split()[1:]]
            found["machine"] = (sum(fields) - fields[3] - fields[4]) / self.tick  # all but idle and iowait
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/stat") as stat:
                        parts = stat.read().rsplit(")", 1)[1].split()
                    seconds = (int(parts[11]) + int(parts[12])) / self.tick
                    if int(parts[1]) == self.gunicorn_pid or int(entry.name) == self.gunicorn_pid:
                        found["gunicorn"] += seconds
                    elif f" {BENCH_DB} ".encode() in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                        found["postgres"] += seconds
                except (OSError, IndexError, ValueError):
                    continue
        except OSError:
            pass
        return found

    def used_since(self, before):
        after = self.sample()
        if after["machine"] is None or before["machine"] is None:
            return None
        return {key: after[key] - before[key] for key in after}


def percentile(ordered, p):
    """Nearest rank."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# What runs inside Django (in a subprocess, against the bench database).


def child_setup(args):
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from screening import services
    from screening.tests.forms_data import eligible_payload
    from trials import roles
    from trials.models import Trial

    trial = Trial.objects.get(nct_id="NCT00349206")
    coordinators = Group.objects.get(name=roles.COORDINATOR)
    password = secrets.token_urlsafe(16)
    hashed = make_password(password)  # once: every coordinator has the same throwaway password
    names = list(VARIANTS)
    setup = {"password": password, "users": [], "all": []}
    fields = 0
    for number in range(1, args.users + 1):
        user = get_user_model().objects.create(
            username=f"bench-coordinator-{number:02d}", password=hashed, first_name="Bench", last_name=f"{number:02d}"
        )
        user.groups.add(coordinators)
        screenings = []
        for index in range(SCREENINGS_PER_USER):
            name = names[(number + index) % len(names)]
            kwargs, verdict, cohort, sex = VARIANTS[name]
            screening = services.screening_register(
                trial=trial,
                initials="BN",
                birth_date=date(1950 + (number * 7 + index) % 50, 1 + index % 12, 1 + number % 28),
                sex=sex,
                mrn="",
                cohort=cohort,
                screening_date=timezone.localdate(),
                coordinator=user,
            )
            payload = {**eligible_payload(screening, **kwargs), "action": "evaluate"}
            fields += len(payload)
            revision = payload.pop("revision")
            entry = {
                "pk": screening.pk,
                "variant": name,
                "verdict": verdict,
                "body": urlencode(payload),
                "revision": revision,
            }
            screenings.append(entry)
            setup["all"].append({key: entry[key] for key in ("pk", "variant", "verdict")})
        setup["users"].append({"username": user.username, "screenings": screenings})
    setup["fields"] = round(fields / len(setup["all"]))
    Path(args.out).write_text(json.dumps(setup))
    return 0


def child_check(args):
    import django

    django.setup()
    from screening.models import Screening

    setup = json.loads((Path(args.out).parent / "setup.json").read_text())
    expected = {s["pk"]: s["verdict"] for s in setup["all"]}
    verdicts, wrong, examples, evaluated = Counter(), 0, [], 0
    for pk, status, verdict in Screening.objects.filter(pk__in=expected).values_list("pk", "status", "verdict"):
        if status != Screening.Status.EVALUATED:
            continue
        evaluated += 1
        verdicts[verdict] += 1
        if verdict != expected[pk]:
            wrong += 1
            examples.append(f"#{pk}: {verdict}, expected {expected[pk]}")
    queries = queries_per_post(setup)
    Path(args.out).write_text(
        json.dumps({"evaluated": evaluated, "verdicts": verdicts, "wrong": wrong, "examples": examples[:5], **queries})
    )
    return 0


def queries_per_post(setup):
    """The SQL one screening POST runs, counted in-process (Django's test client) once the load is over."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from screening.models import Screening

    user, screening = setup["users"][0], setup["users"][0]["screenings"][0]
    client = Client(SERVER_NAME=HOST)
    client.force_login(get_user_model().objects.get(username=user["username"]))
    url, form = f"/screenings/{screening['pk']}/edit/", "application/x-www-form-urlencoded"
    revision = Screening.objects.get(pk=screening["pk"]).revision
    first = f"{screening['body']}&revision={revision}"
    client.post(url, first, content_type=form)  # the first compiles the criteria, once per process
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, f"{screening['body']}&revision={revision + 1}", content_type=form)
    statements = [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]
    kinds = Counter(statement for statement in statements if statement not in ("BEGIN", "COMMIT", "ROLLBACK"))
    return {
        "post_status": response.status_code,
        "queries": sum(kinds.values()),
        "kinds": kinds,
        "commits": statements.count("COMMIT"),
    }


if __name__ == "__main__":
    sys.exit(main())
