"""A pre-screen run over a bulk export of 10,000 patients, end to end through 2 real Celery workers, against the
floor: reading and parsing the same NDJSON with orjson, no mapping, no engine.

Run from the project root with DATABASE_URL pointing at PostgreSQL (a role that may create databases) and REDIS_URL
at Redis:

    .ci/services.sh up && source .services/env && .venv/bin/python bench/prescreen.py; .ci/services.sh down

`make bench` does exactly that. The script

- makes the population (`--patients`, 10,000; `--seed`) by resampling the real Synthea records the FHIR import's
  tests use (fixtures/fhir: Tom Goodwin's bundle, Fletcher Hyatt's, the bulk export of one patient): each synthetic
  patient is one of those three with a new id, name, MRN and identifiers, 40 to 60 of its resources (the labs well
  represented, the most recent ones first) with new ids and references, every date moved by one offset of its own so
  that its chart ends 0 to 90 days before the reference date 2026-11-15, and every valueQuantity jittered by up to
  10%. It is written as a bulk export (one NDJSON file per resource type) in a temporary folder, one patient at a
  time;
- times the floor: every line of every file of that folder read and parsed with `orjson.loads`, best of 3;
- creates its own throwaway database (`trialscreen_bench_prescreen`, next to the one DATABASE_URL names), migrates
  it, loads the trial data and makes a principal investigator; starts 2 workers (`celery -A config worker
  --pool=solo --concurrency=1` on a queue of its own) and times `manage.py prescreen <folder> --user ...
  --reference-date 2026-11-15 --cohort phase2 --wait` from start to exit; then the same with 1 fresh worker;
- reads the peak resident set (VmHWM) of each worker just before stopping it, and the command's from wait4;
- prints, for each run, the command's lines with their times, the chunk tasks' durations from the workers' logs, the
  machine's CPU during the run (the workers', the command's, the rest) and, from the run's rows, its standings.

Each patient's birth date moves with its chart (and is then jittered by up to 5 years either way), so that the ages
at the records stay Synthea's: Fletcher Hyatt's records end in 1996, and a birth date only jittered would make a
third of the population over 100.

The workers are stopped and the database dropped at the end, also on error or SIGTERM. Exit status 1 if the command
fails or does not finish within --timeout or a worker dies, 2 if DATABASE_URL is not PostgreSQL or REDIS_URL is
unset; missing a target only shows in the summary. The last line printed is one JSON object: {"patients", "run_s",
"floor_s", "ratio", "peak_rss_mb", "speedup_2_vs_1_worker"}, ratio = floor_s / run_s (the run's patients/s as a share
of the floor's). Targets: ratio >= 1/3, run_s < 60 s on 2 cores, no process above 500 MB resident.
"""

import argparse
import bisect
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from throwaway import bench_environment, celery_worker, django_with_trial_data, run_on_throwaway_database, tidy_queue

ROOT = Path(__file__).resolve().parents[1]
FHIR = ROOT / "fixtures" / "fhir"
BENCH_DB = "trialscreen_bench_prescreen"
BENCH_USER = "bench-investigator"
PATIENTS = 10_000
SEED = 20261115
REFERENCE_DATE = date(2026, 11, 15)
COHORT = "phase2"
RESOURCES_PER_PATIENT = (40, 60)  # the Patient included
LAB_SHARE = (0.3, 0.5)  # of the other resources, labs
LATEST_LAB_DATES = 3  # a chart is cut at one of its source's last few lab dates
CHART_ENDS_DAYS = (0, 90)  # the last record this many days before the reference date
BIRTH_JITTER_DAYS = 5 * 365
VALUE_JITTER = 0.10
FLOOR_PASSES = 3
COMMAND_TIMEOUT = 600
SCRIPT = "bench/prescreen.py"
TARGET_RATIO = 1 / 3
TARGET_RUN_S = 60.0
TARGET_RSS_MB = 500.0
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TASK_DONE = re.compile(r"Task prescreen\.tasks\.evaluate_chunk\[[^\]]*\] succeeded in ([0-9.]+)s")
LAST_LINE = re.compile(r"Run (\d+): done, (\d+) patients")

# Names for the new patients, drawn at random (the sources' Synthea names carry digits).
MALE_NAMES = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew Anthony Mark Paul Steven "
    "Andrew Kenneth Joshua Kevin Brian George Omar Luis Wei Hiroshi Ahmed Ivan Kwame Rafael"
)
FEMALE_NAMES = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Betty Margaret Sandra Ashley "
    "Emily Donna Michelle Carol Amanda Aisha Mei Yuki Fatima Olga Ama Lucia Priya Ingrid"
)
FAMILY_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson "
    "Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Kowalski Okafor Tanaka Schmidt Rossi Haddad Novak Larsen Chen Patel"
)
GIVEN = {"male": MALE_NAMES.split(), "female": FEMALE_NAMES.split()}
FAMILY = FAMILY_NAMES.split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=int, default=COMMAND_TIMEOUT, help="seconds one run of the command may take")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql", "psql") or not broker_url:
        print(
            "bench/prescreen.py needs DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME (a role that may create "
            "databases) and REDIS_URL=redis://HOST:PORT/DB, e.g. `.ci/services.sh up && source .services/env` first.",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup runs
    with tempfile.TemporaryDirectory(prefix="trialscreen-bench-prescreen-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        folder = tmp / "export"
        population = generate(folder, args.patients, args.seed)
        floor = time_floor(folder)
        return run_on_throwaway_database(
            "bench/prescreen.py",
            BENCH_DB,
            lambda url, _: end_to_end(args, url, tmp, folder, population, floor, started),
        )


# The population: the real Synthea records, resampled.


class Source:
    """One real patient's records, ready to be copied: each resource serialized once, with the places of its dates,
    quantities and references."""

    def __init__(self, name, resources):
        self.name = name
        self.patient = next(r for r in resources if r["resourceType"] == "Patient")
        self.patient_id = self.patient["id"]
        types = {r["id"]: r["resourceType"] for r in resources if "id" in r}
        labs, others = [], []
        for resource in resources:
            if resource is self.patient:
                continue
            template = Template(resource, self.patient_id, types)
            (labs if is_lab(resource) else others).append(template)
        labs.sort(key=lambda t: t.latest)
        others.sort(key=lambda t: t.latest)  # undated ones ("") first: in every chart
        self.labs, self.lab_latest = labs, [t.latest for t in labs]
        self.others, self.other_latest = others, [t.latest for t in others]
        lab_dates = sorted({t.latest for t in labs})
        other_dates = sorted({t.latest for t in others if t.latest})
        # Where a chart may end: one of the last few lab dates, or (no labs at all) of the last dates of its records.
        self.cut_dates = lab_dates[-LATEST_LAB_DATES:] or other_dates[-max(1, len(other_dates) // 10) :]

    def __len__(self):
        return 1 + len(self.labs) + len(self.others)


class Template:
    __slots__ = ("dates", "latest", "old_id", "quantities", "raw", "references")

    def __init__(self, resource, patient_id, types):
        self.old_id = uuid_int(resource.get("id"))
        self.raw = orjson.dumps(resource)
        self.dates, self.quantities, self.references = [], [], []
        walk(resource, (), self.dates, self.quantities, self.references, patient_id, types)
        self.latest = max((get(resource, path)[:10] for path in self.dates), default="")


def is_lab(resource):
    if resource["resourceType"] != "Observation":
        return False
    return any(
        coding.get("code") == "laboratory"
        for category in resource.get("category") or []
        for coding in category.get("coding") or []
    )


def uuid_int(text):
    try:
        return uuid.UUID(text).int
    except (TypeError, ValueError, AttributeError):
        return None


def walk(node, path, dates, quantities, references, patient_id, types):
    """Collect the paths of date strings, valueQuantity values and references (each reference with what it becomes:
    the patient, another resource of this chart by its old id, or left as written)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        here = (*path, key)
        if isinstance(value, str):
            if key == "reference":
                target = reference_target(value, patient_id, types)
                if target:
                    references.append((here, target))
            elif DATE.match(value):
                dates.append(here)
        elif key == "valueQuantity" and isinstance(value, dict):
            number = value.get("value")
            if isinstance(number, int | float) and not isinstance(number, bool):
                quantities.append((*here, "value"))
        elif isinstance(value, dict | list):
            walk(value, here, dates, quantities, references, patient_id, types)


def reference_target(reference, patient_id, types):
    """None (kept as written: contained, conditional or not an id), "patient", or (type, old id as an int)."""
    if reference.startswith("urn:uuid:"):
        key = reference[len("urn:uuid:") :]
        kind = "Patient" if key == patient_id else types.get(key)
    elif reference.count("/") == 1 and "?" not in reference:
        kind, key = reference.split("/")
    else:
        return None
    if kind == "Patient":
        return "patient"
    number = uuid_int(key)
    return (kind, number) if kind and number is not None else None


def get(node, path):
    for key in path:
        node = node[key]
    return node


def put(node, path, value):
    get(node, path[:-1])[path[-1]] = value


def load_sources():
    tom = orjson.loads((FHIR / "synthea_tom_goodwin.json").read_bytes())
    fletcher = orjson.loads(gzip.decompress((FHIR / "bench_synthea_fletcher_hyatt.json.gz").read_bytes()))
    bulk = [
        orjson.loads(line)
        for path in sorted((FHIR / "bulk_one_patient").glob("*.ndjson"))
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]
    return [
        Source("Tom Goodwin (Bundle)", [entry["resource"] for entry in tom["entry"]]),
        Source("Fletcher Hyatt (Bundle)", [entry["resource"] for entry in fletcher["entry"]]),
        Source("bulk export of one patient", bulk),
    ]


def shift(text, days):
    return (date.fromisoformat(text[:10]) + timedelta(days=days)).isoformat() + text[10:]


def reshaped(text, rng):
    """An identifier value of the same shape: each digit and letter drawn again."""
    return "".join(
        str(rng.randrange(10)) if c.isdigit() else chr(65 + rng.randrange(26)) if c.isalpha() else c for c in text
    )


def new_patient(source, rng, patient_id, mrn, days):
    patient = orjson.loads(orjson.dumps(source.patient))
    patient["id"] = patient_id
    gender = patient.get("gender") if patient.get("gender") in GIVEN else rng.choice(list(GIVEN))
    family, given = rng.choice(FAMILY), rng.choice(GIVEN[gender])
    patient["name"] = [{"use": "official", "family": family, "given": [given]}]
    for identifier in patient.get("identifier") or []:
        codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding") or []}
        if "MR" in codes:
            identifier["value"] = mrn
        elif identifier.get("system") == "https://github.com/synthetichealth/synthea":
            identifier["value"] = patient_id
        elif "value" in identifier:
            identifier["value"] = reshaped(identifier["value"], rng)
    for key in ("deceasedDateTime", "deceasedBoolean"):  # alive on the day the chart ends
        patient.pop(key, None)
    # Born as long before the chart's end as the source was, give or take 5 years: the ages at each record hold.
    jitter = rng.randint(-BIRTH_JITTER_DAYS, BIRTH_JITTER_DAYS)
    patient["birthDate"] = (date.fromisoformat(patient["birthDate"]) + timedelta(days=days + jitter)).isoformat()
    return patient


def copy(template, rng, patient_ref, mask, days):
    resource = orjson.loads(template.raw)
    if template.old_id is not None:
        resource["id"] = str(uuid.UUID(int=template.old_id ^ mask))
    for path in template.dates:
        put(resource, path, shift(get(resource, path), days))
    for path in template.quantities:
        value = get(resource, path)
        jittered = value * (1 + rng.uniform(-VALUE_JITTER, VALUE_JITTER))
        put(resource, path, round(jittered) if isinstance(value, int) else round(jittered, 2))
    for path, target in template.references:
        if target == "patient":
            put(resource, path, patient_ref)
        else:
            kind, number = target
            put(resource, path, f"{kind}/{uuid.UUID(int=number ^ mask)}")
    return resource


def generate(folder, patients, seed):
    """Write the population as a bulk export in `folder`, one patient at a time; returns its figures."""
    began = time.perf_counter()
    rng = random.Random(seed)
    sources = load_sources()
    folder.mkdir()
    files, counts, sizes = {}, {}, {}
    by_source = dict.fromkeys(range(len(sources)), 0)
    with_recent_labs = no_labs = 0
    mrns = rng.sample(range(10_000_000, 100_000_000), patients)
    try:
        for number in range(patients):
            which = rng.randrange(len(sources))
            source = sources[which]
            by_source[which] += 1
            patient_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            mask = rng.getrandbits(128)
            # The chart as of one of its source's last dates: what is dated after it is left out.
            cut = rng.choice(source.cut_dates)
            labs = source.labs[: bisect.bisect_right(source.lab_latest, cut)]
            others = source.others[: bisect.bisect_right(source.other_latest, cut)]
            size = rng.randint(*RESOURCES_PER_PATIENT) - 1
            lab_count = min(len(labs), round(size * rng.uniform(*LAB_SHARE)))
            chosen = rng.sample(labs[-2 * lab_count :], lab_count) if lab_count else []  # the most recent first
            chosen += rng.sample(others, min(len(others), size - lab_count))
            days = (REFERENCE_DATE - date.fromisoformat(cut)).days - rng.randint(*CHART_ENDS_DAYS)
            patient = new_patient(source, rng, patient_id, f"{mrns[number]}", days)
            resources = [patient, *(copy(t, rng, f"Patient/{patient_id}", mask, days) for t in chosen)]
            latest_lab = max((t.latest for t in chosen[:lab_count]), default="")
            if not latest_lab:
                no_labs += 1
            elif (REFERENCE_DATE - date.fromisoformat(latest_lab)).days - days <= 30:
                with_recent_labs += 1
            for resource in resources:
                kind = resource["resourceType"]
                if kind not in files:
                    files[kind] = open(folder / f"{kind}.ndjson", "wb", buffering=1 << 20)  # noqa: SIM115 (closed below)
                    counts[kind] = sizes[kind] = 0
                line = orjson.dumps(resource, option=orjson.OPT_APPEND_NEWLINE)
                files[kind].write(line)
                counts[kind] += 1
                sizes[kind] += len(line)
    finally:
        for handle in files.values():
            handle.close()
    resources, size = sum(counts.values()), sum(sizes.values())
    print(
        f"population: {patients} patients, {resources} resources ({resources / patients:.1f} a patient), "
        f"{size / 1e6:.0f} MB of NDJSON in {len(files)} files; made in {time.perf_counter() - began:.1f} s "
        f"(seed {seed})",
        flush=True,
    )
    print("  from " + ", ".join(f"{sources[i].name} ({len(sources[i])} resources): {n}" for i, n in by_source.items()))
    print(
        f"  a lab within 30 days of {REFERENCE_DATE}: {with_recent_labs} patients; labs older: "
        f"{patients - with_recent_labs - no_labs}; no lab at all: {no_labs}"
    )
    print("  " + ", ".join(f"{kind} {counts[kind]}" for kind in sorted(counts, key=counts.get, reverse=True)))
    return {"patients": patients, "resources": resources, "bytes": size, "counts": counts}


# The floor: the same files, read and parsed, nothing else.


def parse_all(folder):
    loads = orjson.loads
    lines = 0
    for path in sorted(folder.glob("*.ndjson")):
        with open(path, "rb") as handle:
            for line in handle:
                loads(line)
                lines += 1
    return lines


def time_floor(folder):
    times = []
    for _ in range(FLOOR_PASSES):
        began = time.perf_counter()
        lines = parse_all(folder)
        times.append(time.perf_counter() - began)
    print(f"floor: {lines} lines read and parsed with orjson, best of {FLOOR_PASSES}: {min(times):.2f} s", flush=True)
    return min(times)


# End to end: the management command, with real workers.


def end_to_end(args, database_url, tmp, folder, population, floor_s, started):
    queue = f"trialscreen-bench-prescreen-{uuid.uuid4().hex[:12]}"
    env = bench_environment(database_url, BENCH_DB, "localhost")
    media_root = tmp / "media"
    media_root.mkdir()
    env.update(CELERY_QUEUE=queue, MEDIA_ROOT=str(media_root), PYTHONUNBUFFERED="1")
    django_with_trial_data(env, "bench/prescreen.py")
    try:
        return measure(args, env, queue, tmp, folder, population, floor_s, started)
    finally:
        settle_database()


def measure(args, env, queue, tmp, folder, population, floor_s, started):
    make_investigator()
    peaks = {}
    runs = {}
    for count in (2, 1):
        workers = []
        try:
            workers = [
                celery_worker(env, queue, name=f"w{i}-{count}", log_path=tmp / f"w{i}-{count}.log", script=SCRIPT)
                for i in range(1, count + 1)
            ]
            for worker in workers:
                worker.wait_ready()
            runs[count] = run_command(args, env, folder, workers, tmp / f"command-{count}.log")
        finally:
            for worker in workers:
                peaks[f"worker {worker.name}"] = worker.stop()
            tidy_queue(env.get("CELERY_BROKER_URL") or env["REDIS_URL"], queue)
        peaks[f"command ({count} worker{'s' if count > 1 else ''})"] = runs[count]["rss_mb"]
        report_run(runs[count], count, population["patients"], workers)

    run_s, single_s = runs[2]["seconds"], runs[1]["seconds"]
    peak = max(value for value in peaks.values() if value is not None)
    ratio = floor_s / run_s
    patients = population["patients"]
    print("peak resident set (MB): " + ", ".join(f"{name} {mb:.0f}" for name, mb in peaks.items() if mb is not None))
    print(
        f"floor {floor_s:.2f} s ({patients / floor_s:,.0f} patients/s); run with 2 workers {run_s:.1f} s "
        f"({patients / run_s:,.0f} patients/s); with 1 worker {single_s:.1f} s: speedup {single_s / run_s:.2f}; "
        f"{os.cpu_count()} CPUs; whole benchmark {time.perf_counter() - started:.0f} s"
    )
    print(
        f"ratio {ratio:.3f} (target >= {TARGET_RATIO:.3f}): {'met' if ratio >= TARGET_RATIO else 'MISSED'}; "
        f"run {run_s:.1f} s (target < {TARGET_RUN_S:.0f} s): {'met' if run_s < TARGET_RUN_S else 'MISSED'}; "
        f"peak RSS {peak:.0f} MB (target < {TARGET_RSS_MB:.0f} MB): {'met' if peak < TARGET_RSS_MB else 'MISSED'}"
    )
    figures = {
        "patients": patients,
        "run_s": round(run_s, 2),
        "floor_s": round(floor_s, 3),
        "ratio": round(ratio, 4),
        "peak_rss_mb": round(peak, 1),
        "speedup_2_vs_1_worker": round(single_s / run_s, 2),
    }
    print(json.dumps(figures))
    return 0


def make_investigator():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from trials import roles

    user = get_user_model().objects.create_user(BENCH_USER, password=None, first_name="Bench", last_name="Investigator")
    user.groups.add(Group.objects.get(name=roles.INVESTIGATOR))


def run_command(args, env, folder, workers, log_path):
    """`manage.py prescreen ... --wait`, timed from start to exit; its output lines with the time each came."""
    command = [
        sys.executable, "manage.py", "prescreen", str(folder), "--user", BENCH_USER,
        "--reference-date", REFERENCE_DATE.isoformat(), "--cohort", COHORT, "--wait",
    ]  # fmt: skip
    lines = []
    load = os.getloadavg()[0]
    machine, in_workers, processes = machine_busy_seconds(), [worker.cpu_seconds() for worker in workers], cpu_by_pid()
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )

    def read():
        with open(log_path, "wb") as log:
            for line in process.stdout:
                lines.append((time.perf_counter() - began, line.decode(errors="replace").rstrip()))
                log.write(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    exited = threading.Event()

    def watch():  # the command is killed if it takes too long or a worker dies (it would wait for ever)
        while not exited.wait(0.5):
            if time.perf_counter() - began > args.timeout or any(w.process.poll() is not None for w in workers):
                os.killpg(process.pid, signal.SIGKILL)
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        _, status, usage = os.wait4(process.pid, 0)  # the command's own peak RSS, exactly
    finally:
        exited.set()
    seconds = time.perf_counter() - began
    machine = machine_busy_seconds() - machine
    in_workers = sum(worker.cpu_seconds() - cpu for worker, cpu in zip(workers, in_workers, strict=True))
    others = other_processes(processes, cpu_by_pid(), {worker.process.pid for worker in workers})
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    for worker in workers:
        worker.check_alive()
    if process.returncode:
        tail = "\n".join(text for _, text in lines[-30:])
        logs = "\n".join(f"--- {worker.name}\n{worker.output()[-3000:]}" for worker in workers)
        what = f"killed after {args.timeout} s" if process.returncode == -signal.SIGKILL else "failed"
        raise SystemExit(f"bench/prescreen.py: manage.py prescreen {what} ({process.returncode}):\n{tail}\n{logs}")
    last = next((LAST_LINE.search(text) for _, text in reversed(lines) if LAST_LINE.search(text)), None)
    return {
        "seconds": seconds,
        "rss_mb": usage.ru_maxrss / 1024,
        "cpu": {
            "load": load,
            "machine": machine,
            "workers": in_workers,
            "command": usage.ru_utime + usage.ru_stime,
            "available": seconds * os.cpu_count(),
            "others": others,
        },
        "lines": lines,
        "run": int(last.group(1)) if last else None,
        "done": int(last.group(2)) if last else None,
    }


def report_run(run, count, patients, workers):
    label = f"{count} worker{'s' if count > 1 else ''}"
    print(f"run with {label}: {run['seconds']:.1f} s, {patients / run['seconds']:,.0f} patients/s", flush=True)
    cpu = run["cpu"]
    rest = cpu["machine"] - cpu["workers"] - cpu["command"]
    print(
        f"  CPU: the machine busy {cpu['machine']:.1f} of {cpu['available']:.1f} core-seconds "
        f"({100 * cpu['machine'] / cpu['available']:.0f}%): the workers {cpu['workers']:.1f} s, the command "
        f"{cpu['command']:.1f} s, everything else (PostgreSQL, Redis, other processes) {rest:.1f} s; load average "
        f"before the run {cpu['load']:.2f}"
    )
    if cpu["others"]:
        print("  of which processes that outlived the run: " + ", ".join(f"{n} {s:.1f} s" for n, s in cpu["others"]))
    lines = run["lines"]
    shown = lines if len(lines) <= 14 else [*lines[:5], (None, "..."), *lines[-8:]]
    for at, text in shown:
        print(f"  {at:6.1f} s  {text}" if at is not None else f"  {text}")
    if run["done"] != patients:
        print(f"  warning: the command's last line does not say {patients} patients done")
    tasks = [task_seconds(worker) for worker in workers]
    every = sorted(seconds for times in tasks for seconds in times)
    if every:
        firsts = ", ".join(f"{times[0]:.2f}" for times in tasks if times)
        print(
            f"  chunks: {len(every)} tasks ({', '.join(str(len(times)) for times in tasks)} a worker), "
            f"median {every[len(every) // 2]:.2f} s, longest {every[-1]:.2f} s; the first of each worker {firsts} s; "
            f"{sum(every):.1f} s in tasks in all"
        )
    phases = run_phases(run["run"])
    if phases:
        print("  " + phases)


def task_seconds(worker):
    """How long each chunk task took in the worker, in order, from its log ("... succeeded in 0.61s: ...")."""
    return [float(x) for x in TASK_DONE.findall(worker.output())]


def run_phases(number):
    """From the run's rows, if the prescreen models have them: how its time went (best effort)."""
    if number is None:
        return ""
    try:
        from django.db.models import Max, Min

        from prescreen.models import PrescreenChunk, PrescreenResult, PrescreenRun

        run = PrescreenRun.objects.get(pk=number)
        chunks = PrescreenChunk.objects.filter(run=run).aggregate(first=Min("done_at"), last=Max("done_at"))
        results = PrescreenResult.objects.filter(run=run)
        counts = {
            PrescreenResult.Standing(s).label: results.filter(standing=s).count() for s in PrescreenResult.Standing
        }
        first = (chunks["first"] - run.started_at).total_seconds() if chunks["first"] else float("nan")
        last = (chunks["last"] - run.started_at).total_seconds() if chunks["last"] else float("nan")
        finished = (run.finished_at - run.started_at).total_seconds() if run.finished_at else float("nan")
        return (
            f"run {number}: {run.chunks_total} chunks, {run.resources_read} resources read, {run.resources_kept} kept; "
            f"from the run's row: first chunk done {first:.1f} s, last {last:.1f} s, finished {finished:.1f} s; "
            + ", ".join(f"{label.lower()} {n}" for label, n in counts.items())
        )
    except Exception as error:  # the figures above are what counts
        return f"(the run's rows could not be read: {error})"


def machine_busy_seconds():
    """CPU time all cores spent on anything but idling, since boot (/proc/stat)."""
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in handle.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_by_pid():
    """pid -> (what it is, user and system CPU seconds so far), for every process there is."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found[int(entry.name)] = (cmdline, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return found


def other_processes(before, after, workers):
    """The CPU the other processes took during a run, grouped (PostgreSQL by database), the largest first; only the
    processes still there at its end are seen (the workers' short-lived database connections are not)."""
    groups = {}
    for pid, (cmdline, cpu) in after.items():
        if pid in workers or pid == os.getpid():
            continue
        spent = cpu - before[pid][1] if pid in before else cpu
        if spent < 0.05:
            continue
        if cmdline.startswith("postgres: "):
            words = cmdline.split()
            name = f"PostgreSQL ({words[3] if len(words) > 4 else 'its own processes'})"
        else:
            name = " ".join(Path(word).name if i == 0 else word for i, word in enumerate(cmdline.split()[:4]))[:60]
        groups[name] = groups.get(name, 0.0) + spent
    return sorted(((name, spent) for name, spent in groups.items() if spent >= 0.3), key=lambda x: -x[1])[:5]


def settle_database():
    """Before the database is dropped: no autovacuum worker may be in it (DROP DATABASE ... WITH (FORCE) cannot end
    one for a role that is not a superuser). Autovacuum is switched off for its tables, and the running workers are
    waited for (30 s at most)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'autovacuum worker'"
            )
            if not cursor.fetchone()[0]:
                return
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
