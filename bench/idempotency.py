"""Benchmark: an Idempotency-Key retry storm against gunicorn, on SQLite and PostgreSQL.

    .venv/bin/python bench/idempotency.py [--db sqlite,postgres] [--requests 10000]
                                          [--keys 2500] [--threads 8] [--workers 3]
                                          [--no-reference]

What pytest's live server cannot show: several gunicorn worker processes (as `kefu serve`
runs them), each with its own database connection, racing on the same keys. On SQLite that
is separate connections to one WAL file, BEGIN IMMEDIATE and busy_timeout; on PostgreSQL
the unique (user, key) index making a twin wait for the first request's commit.

For each database (fresh, migrated): one agent with a token; bench/idempotency_storm.py
sends N POST /api/v1/customers/ over K keys, 1–7 sends per key, shuffled, a third of the
keys partly back to back. Checked: every reply 201, one reply per key not replayed, the
same body for every reply of a key, exactly K customers. Reference: the same N requests
without the header, i.e. N creates (what a retrying client without keys would cause).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DB = "kefu_bench_idempotency"
STORM = ROOT / "bench" / "idempotency_storm.py"


def schedule(keys: int, total: int, seed: int = 7) -> list[int]:
    """Key numbers in send order: each key 1–7 times, some of them back to back."""
    rng = random.Random(seed)
    counts = [rng.randint(1, 7) for _ in range(keys)]
    while (surplus := sum(counts) - total) != 0:
        i = rng.randrange(keys)
        if surplus > 0 and counts[i] > 1:
            counts[i] -= 1
        elif surplus < 0 and counts[i] < 7:
            counts[i] += 1
    units = []
    for i, count in enumerate(counts):
        burst = rng.randint(2, count) if count > 1 and rng.random() < 0.35 else 1
        units.append([i] * burst)
        units.extend([i] for _ in range(count - burst))
    rng.shuffle(units)
    return [i for unit in units for i in unit]


def worker(args) -> dict:
    """One database: migrate, seed a user, serve with gunicorn, storm, check, reference."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from kefu.customers.models import Customer
    from kefu.org import services as org_services
    from kefu.org.models import OrgLevel, Role
    from kefu.web.management.commands.setup import load_secret_key

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`
    unit = org_services.org_unit_create(
        name="基准县分公司", code="BENCH", level=OrgLevel.COUNTY, parent=None
    )
    agent = org_services.staff_create(
        username="bench_agent",
        display_name="bench_agent",
        employee_no="B00001",
        org_unit=unit,
        password="Bench-pass-2026-x",
        roles=[(Role.objects.get(code="agent"), None)],
    )
    token = Token.objects.create(user=agent).key
    order = schedule(args.keys, args.requests)

    def body(tag: str, i: int) -> dict:
        return {"kind": "individual", "name": f"{tag}{i:05d}", "org_unit": unit.pk}

    with _gunicorn(args.workers) as base:
        url = f"{base}/api/v1/customers/"
        storm_job = [[f"key-{i:05d}", body("幂等", i)] for i in order]
        started = time.perf_counter()
        replies = _storm(url, token, args.threads, storm_job)
        storm_s = time.perf_counter() - started
        # The reference: the same sends without the header (every one creates).
        plain = [[None, body("无键", n)] for n in range(len(order) if args.reference else 0)]
        started = time.perf_counter()
        plain_replies = _storm(url, token, args.threads, plain)
        plain_s = time.perf_counter() - started

    by_key: dict[str, list] = {}
    for (key, _), reply in zip(storm_job, replies, strict=True):
        by_key.setdefault(key, []).append(reply)
    problems = []
    for key, rs in by_key.items():
        if any(r[0] != 201 for r in rs):
            problems.append(f"{key}: {[r[0] for r in rs]}")
        elif sum(not r[2] for r in rs) != 1 or any(r[1] != rs[0][1] for r in rs):
            problems.append(f"{key}: processed {sum(not r[2] for r in rs)} times")
    overlapping = sum(1 for rs in by_key.values() if _overlap(rs))
    return {
        "vendor": django.db.connection.vendor,
        "keys": len(by_key),
        "requests": len(replies),
        "customers_from_storm": Customer.objects.filter(name__startswith="幂等").count(),
        "customers_from_reference": Customer.objects.filter(name__startswith="无键").count(),
        "plain_failures": sum(r[0] != 201 for r in plain_replies),
        "keys_sent_concurrently": overlapping,
        "resends": sum(r[5] for r in replies),
        "problems": problems[:5],
        "storm_s": storm_s,
        "plain_s": plain_s,
    }


def _overlap(replies: list) -> bool:
    """Were two of a key's requests in flight at the same time?"""
    spans = sorted((r[3], r[4]) for r in replies)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def _storm(url: str, token: str, threads: int, sends: list) -> list:
    job = {"url": url, "token": token, "threads": threads, "sends": sends}
    done = subprocess.run(
        [sys.executable, str(STORM)], input=json.dumps(job), capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout)


class _gunicorn:
    """gunicorn with `workers` sync workers on a free port, as `kefu serve` runs it."""

    def __init__(self, workers: int):
        self.workers = workers

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "kefu.wsgi:application",
                "--config",
                "python:kefu.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/schema/", timeout=5)  # noqa: S310
                return base
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _pg_fresh(*, create: bool = True) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        if create:
            con.execute(f'CREATE DATABASE "{PG_DB}"')
    return f"{PG_BASE}/{PG_DB}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=2500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-reference", dest="reference", action="store_false")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args), ensure_ascii=False))
        return
    for db in args.db.split(","):
        data_dir = tempfile.mkdtemp(prefix=f"kefu-idem-{db}-")
        env = {
            **os.environ,
            "KEFU_DATA_DIR": data_dir,
            "KEFU_ALLOWED_HOSTS": "127.0.0.1",
            "KEFU_THROTTLE_USER": "1000000/min",
            "KEFU_TESTING": "1",  # no collectstatic manifest needed
        }
        env.pop("KEFU_DATABASE_URL", None)
        if db == "postgres":
            env["KEFU_DATABASE_URL"] = _pg_fresh()
        cmd = [sys.executable, __file__, "--worker", *sys.argv[1:]]
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                _pg_fresh(create=False)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = (
            not r["problems"]
            and r["customers_from_storm"] == r["keys"]
            and r["customers_from_reference"] == (r["requests"] if args.reference else 0)
        )
        print(
            f"[{db}] {r['requests']:,} requests over {r['keys']:,} keys "
            f"({r['keys_sent_concurrently']:,} keys sent concurrently, {r['resends']} resends): "
            f"{r['storm_s']:.1f} s = {r['requests'] / r['storm_s']:.0f} req/s, "
            f"{r['customers_from_storm']:,} customers {'OK' if ok else 'FAILED'} "
            f"{r['problems'] or ''}"
        )
        if args.reference:
            print(
                f"[{db}] reference, same requests without the header ({r['requests']:,} "
                f"creates): {r['plain_s']:.1f} s | ratio {r['storm_s'] / r['plain_s']:.2f}×"
            )


if __name__ == "__main__":
    main()
