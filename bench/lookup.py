"""Benchmark: customer lookups among 1,000,000 customers, through the REST API.

    .venv/bin/python bench/lookup.py [--customers 1000000] [--db sqlite,postgres] [--n 300]

For each database (fresh, loaded with `kefu demo --customers N`), as demo users:
  - by phone      GET /api/v1/customers/?phone=…      a county agent        target p95 ≤ 20 ms
  - name prefix   GET /api/v1/customers/?name=王小      a province inspector  target p95 ≤ 50 ms
  - subtree list  GET /api/v1/customers/?org_unit=<prefecture>&page_size=50
                                                       a prefecture supervisor target ≤ 100 ms
through Django's test client (the whole stack: auth, throttling, selectors, serializers),
each against its reference: the same rows fetched by one raw SQL statement. Prints p50/p95,
the ratio of the p95s and (--plans) the query plan of each selector query (indexes used?).
After loading, the database is settled as autovacuum would within minutes (VACUUM ANALYZE on
PostgreSQL, ANALYZE on SQLite); --no-settle measures straight after the load.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGETS = {"phone": 20.0, "name_prefix": 50.0, "subtree_list": 100.0}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _timed(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        started = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - started) * 1000)
    return out


def worker(db_url: str | None, data_dir: str, customers: int, n: int, settle: bool) -> dict:
    os.environ["KEFU_DATA_DIR"] = data_dir
    os.environ["KEFU_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("KEFU_THROTTLE_USER", "100000/min")
    if db_url:
        os.environ["KEFU_DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kefu.customers import selectors
    from kefu.customers.models import Customer
    from kefu.gunicorn_conf import GC_THRESHOLDS
    from kefu.org.models import OrgUnit
    from kefu.web.management.commands.setup import load_secret_key

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`
    started = time.perf_counter()
    call_command("demo", customers=customers, seed=1, no_progress=True, verbosity=0)
    load_seconds = time.perf_counter() - started
    if settle:
        # The steady state a live system reaches within minutes (autovacuum on PostgreSQL:
        # statistics and the visibility map that lets COUNT(*) read only the index).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    users = get_user_model().objects
    agent = users.get(username="agent_jn0101")
    inspector = users.get(username="inspector_jn")
    supervisor = users.get(username="supervisor_jn02")
    prefecture = OrgUnit.objects.get(code="JN02")
    rng = random.Random(5)
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first()

    def sample(field: str, viewer, count: int) -> list[str]:
        values = []
        visible = selectors.customers_visible(viewer)
        while len(values) < count:
            pk = rng.randint(1, max_id)
            value = visible.filter(pk__gte=pk).order_by("pk").values_list(field, flat=True)[:1]
            if value:
                values.append(value[0])
        return values

    phones = sample("phone", agent, n)
    prefixes = [name[:2] for name in sample("name", inspector, n)]

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def api(client: Client, query: dict, expect_rows: bool) -> None:
        response = client.get("/api/v1/customers/", query)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert not expect_rows or body["results"], query

    cases = {
        "phone": (client_for(agent), [({"phone": p}, True) for p in phones]),
        "name_prefix": (client_for(inspector), [({"name": p}, True) for p in prefixes]),
        "subtree_list": (
            client_for(supervisor),
            [({"org_unit": prefecture.pk, "page_size": 50, "page": 1 + i % 5}, True)
             for i in range(n)],
        ),
    }  # fmt: skip
    plans = {
        "phone": selectors.customer_list(viewer=agent, filters={"phone": phones[0]}),
        "name_prefix": selectors.customer_list(viewer=inspector, filters={"name": prefixes[0]}),
        "subtree_list": selectors.customer_list(
            viewer=supervisor, filters={"org_unit": str(prefecture.pk)}
        )[:50],
    }
    sqlite = connection.vendor == "sqlite"
    ph = "?" if sqlite else "%s"
    # The reference: the same rows by one raw statement on the same connection, assuming
    # the caller already knows the scope (unit ids / path) — what a hand-written query does.
    agent_units = list(
        OrgUnit.objects.filter(path__startswith=OrgUnit.objects.get(code="JN0101").path)
        .values_list("pk", flat=True)
    )  # fmt: skip
    unit_list = ",".join(str(u) for u in agent_units)
    raw = {
        "phone": (
            f"SELECT * FROM customers_customer WHERE phone = {ph} AND org_unit_id IN ({unit_list}) "
            "ORDER BY id DESC LIMIT 50",
            [(p,) for p in phones],
        ),
        "name_prefix": (
            f"SELECT * FROM customers_customer WHERE name >= {ph} AND name < {ph} "
            "ORDER BY name, id LIMIT 50",
            [(p, p + "\U0010ffff") for p in prefixes],
        ),
        "subtree_list": (
            "SELECT c.* FROM customers_customer c JOIN org_orgunit u ON u.id = c.org_unit_id "
            f"WHERE u.path LIKE {ph} ORDER BY c.id DESC LIMIT 50 OFFSET {ph}",
            [(prefecture.path + "%", 50 * (i % 5)) for i in range(n)],
        ),
    }
    results = {}
    for name, (client, queries) in cases.items():
        api(client, *queries[0])  # warm up
        api_ms = _timed(lambda q, e, c=client: api(c, q, e), queries)
        # Same requests with the garbage collector tuned as a long-running server should be
        # (gc.freeze() after warm-up, a larger first generation): full collections over
        # Django's ~110,000 long-lived objects otherwise add 50–100 ms to every ~20th request.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)  # as `kefu serve` runs its workers
        tuned_ms = _timed(lambda q, e, c=client: api(c, q, e), queries)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        sql, params = raw[name]
        raw_cursor = connection.connection.cursor()  # the DB-API cursor, no Django on top

        def run(*p, rc=raw_cursor, sql=sql):
            rc.execute(sql, p)
            rc.fetchall()

        run(*params[0])
        raw_ms = _timed(run, params)
        raw_cursor.close()
        results[name] = {
            "api_p50": statistics.median(api_ms),
            "api_p95": _p(api_ms, 0.95),
            "tuned_p50": statistics.median(tuned_ms),
            "tuned_p95": _p(tuned_ms, 0.95),
            "raw_p50": statistics.median(raw_ms),
            "raw_p95": _p(raw_ms, 0.95),
            "plan": plans[name].explain(),
        }
    return {
        "vendor": connection.vendor,
        "customers": Customer.objects.count(),
        "load_seconds": load_seconds,
        "results": results,
    }


def _pg_fresh(name: str, *, create: bool = True) -> str:
    """Drop the database and (unless create=False) create it empty."""
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            con.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--n", type=int, default=300, help="requests per case")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    parser.add_argument("--plans", action="store_true", help="print query plans")
    parser.add_argument(
        "--no-settle", action="store_true", help="measure right after loading (no VACUUM ANALYZE)"
    )
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        report = worker(args.db_url, args.data, args.customers, args.n, not args.no_settle)
        print(json.dumps(report))
        return
    for db in args.db.split(","):
        data_dir = tempfile.mkdtemp(prefix=f"kefu-lookup-{db}-")
        cmd = [sys.executable, __file__, "--worker", "--data", data_dir]
        cmd += ["--customers", str(args.customers), "--n", str(args.n)]
        if args.no_settle:
            cmd.append("--no-settle")
        if db == "postgres":
            cmd += ["--db-url", _pg_fresh("kefu_bench_lookup")]
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                _pg_fresh("kefu_bench_lookup", create=False)
        report = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"[{db}] {report['customers']:,} customers (loaded by kefu demo in "
            f"{report['load_seconds']:.0f} s)"
        )
        for name, r in report["results"].items():
            target = TARGETS[name]
            for label, p50, p95 in (
                ("API", r["api_p50"], r["api_p95"]),
                ("API, gc tuned", r["tuned_p50"], r["tuned_p95"]),
            ):
                ok = "OK" if p95 <= target else "OVER TARGET"
                print(
                    f"[{db}] {name:<13} {label:<14} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
                    f"  | raw SQL p95 {r['raw_p95']:5.2f} ms  | ratio {p95 / r['raw_p95']:6.1f}×"
                    f"  (target p95 ≤ {target:.0f} ms) {ok}"
                )
            if args.plans:
                print("    " + r["plan"].replace("\n", "\n    "))


if __name__ == "__main__":
    main()
