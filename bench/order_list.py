"""Benchmark: the filtered work-order list over 5,000,000 orders, through the REST API.

    .venv/bin/python bench/order_list.py [--orders 5000000] [--db postgres,sqlite] [--n 50]
                                         [--plans]

Target (issue): filtered order list over 5,000,000 orders ≤ 150 ms.

For each database (fresh; PostgreSQL from KEFU_BENCH_PG, database kefu_bench_orders):
  1. demo org + demo routing + 100,000 demo customers; then N orders over a year: the
     newest 73 days from the benchmark generator (bench/order_rows.py: the demo's mix of
     types, channels, hours, routing, lifecycle truncated at now, the stuck backlog), the
     four older 73-day windows its closed and cancelled orders copied back in SQL (see
     `_load`). Loaded the fast way: COPY on PostgreSQL, executemany on SQLite, secondary
     indexes dropped during the load and built after it, then VACUUM ANALYZE / ANALYZE (the
     state autovacuum reaches within minutes). Events are not loaded: the list never reads them.
  2. GET /api/v1/work-orders/?queue=…&status=…&type=… through Django's test client (session
     auth, throttling, selectors, pagination with its count, serializer, JSON), --n requests
     per case (pages 1–3), as a county supervisor (JN0101) and a prefecture dispatcher
     (JN01). Prints p50/p95 per case.
  3. Reference: the SQL statements on work orders that one such request runs (the page and
     its count), replayed on the bare DB-API cursor; ratio = API p95 / SQL p95.
  4. --plans: EXPLAIN (ANALYZE, BUFFERS) of those statements (SQLite: EXPLAIN QUERY PLAN).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "kefu_bench_orders"
TARGET_MS = 150.0
SEED = 20261123

# (user, case label, query)
CASES = (
    ("county supervisor", "open faults in progress",
     {"queue": "open", "status": "in_progress", "type": "fault"}),
    ("county supervisor", "closed complaints",
     {"queue": "all", "status": "closed", "type": "complaint"}),
    ("county supervisor", "overdue complaints", {"queue": "overdue", "type": "complaint"}),
    ("prefecture dispatcher", "dispatch queue, faults",
     {"queue": "dispatch", "status": "accepted", "type": "fault"}),
    ("prefecture dispatcher", "dispatched installs",
     {"queue": "open", "status": "dispatched", "type": "install"}),
    ("prefecture dispatcher", "closed consultations",
     {"queue": "all", "status": "closed", "type": "consultation"}),
)  # fmt: skip
PAGES = (1, 1, 2, 1, 3)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- loading ----------------------------------------------------------------------------


WINDOWS = 5  # a year in five windows of 73 days: the newest generated, four copied back
CLOSED_SHARE = 0.95  # a little under the share of generated orders closed or cancelled (0.96)


def _load(orders: int) -> dict:
    """Demo org, customers and `orders` orders over a year, loaded without secondary indexes.

    The newest fifth of the year (73 days: every queue, open orders, the stuck backlog)
    comes from the demo generator. The four older fifths are its closed and cancelled
    orders copied back by 73, 146 … days in SQL (old history is all archived), with ids
    below the newer ones so that id order stays accept order; the oldest copy is cut to
    make exactly `orders`. Generating all five million in Python would take ~10 CPU
    minutes more for no different a distribution.
    """
    from django.db import connection, transaction
    from order_rows import RowWriter, World, number, order_rows  # benchmark data, bench/

    from kefu.customers.demo import demo_customers_create
    from kefu.org.demo import org_demo_seed
    from kefu.workorders.demo_world import demo_routing_seed
    from kefu.workorders.models import WorkOrder

    timings = {}
    started = time.perf_counter()
    org_demo_seed()
    demo_routing_seed()
    demo_customers_create(count=100_000, seed=SEED)
    timings["org_customers"] = time.perf_counter() - started

    table = WorkOrder._meta.db_table
    pg = connection.vendor == "postgresql"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if pg:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexdef NOT LIKE %s AND indexname NOT LIKE %s",
                [table, "%UNIQUE%", "%_pkey"],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL AND sql NOT LIKE %s",
                [table, "%UNIQUE%"],
            )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if pg:
            cursor.execute("SET session_replication_role = replica")  # no FK triggers
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")

    generated = min(orders, int(orders / (1 + (WINDOWS - 1) * CLOSED_SHARE)) + 1000)
    block = generated  # id distance between windows
    first_id = (WINDOWS - 1) * block + 1
    writer = RowWriter(WorkOrder)
    world = World.load()
    ids = iter(range(first_id, first_id + generated))
    days = 365 // WINDOWS

    def rows():
        for life in order_rows(count=generated, seed=SEED, days=days, world=world):
            number(life.o, next(ids))
            yield life.o

    loaded = 0
    stream = rows()
    while n := _write(writer, _take(stream, 200_000)):
        loaded += n
        print(f"  generated {loaded:,}", file=sys.stderr, flush=True)
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    for k in range(1, WINDOWS):
        left = orders - WorkOrder.objects.count()
        if left <= 0:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_copy_sql(pg, k * block, k * days, first_id, left))
        print(f"  copied window {k}", file=sys.stderr, flush=True)
    timings["copy"] = time.perf_counter() - started
    top = WorkOrder.objects.order_by("-id").values_list("id", flat=True).first()

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, top])
        else:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top])
        for _, sql in indexes:
            cursor.execute(sql)
    timings["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")
    timings["settle"] = time.perf_counter() - started
    return timings


def _write(writer, rows) -> int:
    from django.db import transaction

    with transaction.atomic():
        return writer.write(rows)


def _copy_sql(pg: bool, id_shift: int, day_shift: int, first_id: int, limit: int) -> str:
    """INSERT … SELECT of the generated closed/cancelled orders, `day_shift` days older."""
    from kefu.workorders.models import WorkOrder

    fields = WorkOrder._meta.concrete_fields
    table = WorkOrder._meta.db_table
    out = []
    for f in fields:
        col = f'"{f.column}"'
        if f.attname == "id":
            out.append(f"id - {id_shift}")
        elif f.attname == "number":
            if pg:
                day = f"(created_at - interval '{day_shift} days') AT TIME ZONE 'Asia/Shanghai'"
                out.append(f"to_char({day}, 'YYYYMMDD') || lpad((id - {id_shift})::text, 8, '0')")
            else:
                day = f"datetime(created_at, '-{day_shift} days', '+8 hours')"
                out.append(
                    f"strftime('%Y%m%d', {day}) || substr('0000000' || (id - {id_shift}), -8)"
                )
        elif f.get_internal_type() == "DateTimeField":
            shifted = (
                f"{col} - interval '{day_shift} days'"
                if pg
                else f"datetime({col}, '-{day_shift} days')"
            )
            out.append(shifted)
        else:
            out.append(col)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(out)} FROM {table} "
        f"WHERE id >= {first_id} AND status IN ('closed', 'cancelled') "
        f"ORDER BY id DESC LIMIT {limit}"
    )


def _take(stream, n: int):
    for _ in range(n):
        try:
            yield next(stream)
        except StopIteration:
            return


# --- measuring ----------------------------------------------------------------------------


def worker(db_url: str | None, data_dir: str, orders: int, n: int, plans: bool) -> dict:
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
    from django.test.utils import CaptureQueriesContext

    from kefu.gunicorn_conf import GC_THRESHOLDS
    from kefu.org.models import OrgUnit, Role
    from kefu.org.services import staff_create
    from kefu.web.management.commands.setup import load_secret_key
    from kefu.workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`
    timings = _load(orders)
    county = OrgUnit.objects.get(code="JN0101")
    supervisor = staff_create(
        username="supervisor_jn0101",
        display_name="县主管",
        employee_no="BENCH-SUP",
        org_unit=county,
        roles=[(Role.objects.get(code="supervisor"), "subtree")],
    )
    users = {
        "county supervisor": supervisor,
        "prefecture dispatcher": get_user_model().objects.get(username="dispatcher_jn01"),
    }
    clients = {}
    for label, user in users.items():
        clients[label] = Client()
        clients[label].force_login(user)

    def api(label: str, query: dict, page: int) -> dict:
        response = clients[label].get("/api/v1/work-orders/", {**query, "page": page})
        assert response.status_code in (200, 404), response.content[:300]
        return response.json()

    results = {}
    for label, case, query in CASES:
        body = api(label, query, 1)  # warm-up; also the row count of the case
        pages = [p for p in PAGES if p == 1 or body["count"] > 50 * (p - 1)]
        plan = [pages[i % len(pages)] for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            api(label, query, 1)
        statements = [
            q["sql"] for q in captured.captured_queries if "workorders_workorder" in q["sql"]
        ]
        api_ms = _timed(lambda p, label=label, query=query: api(label, query, p), plan)
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        tuned_ms = _timed(lambda p, label=label, query=query: api(label, query, p), plan)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        raw = connection.connection.cursor()

        def replay(_page, raw=raw, statements=statements):
            for sql in statements:
                raw.execute(sql)
                raw.fetchall()

        replay(1)
        raw_ms = _timed(replay, plan)
        explained = []
        if plans:
            for sql in statements:
                if connection.vendor == "postgresql":
                    raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                else:
                    raw.execute("EXPLAIN QUERY PLAN " + sql)
                lines = [" ".join(str(c) for c in row) for row in raw.fetchall()]
                explained.append(sql + "\n" + "\n".join(lines))
        raw.close()
        results[f"{label}: {case}"] = {
            "count": body["count"],
            "api_p50": statistics.median(api_ms),
            "api_p95": _p(api_ms, 0.95),
            "tuned_p50": statistics.median(tuned_ms),
            "tuned_p95": _p(tuned_ms, 0.95),
            "raw_p50": statistics.median(raw_ms),
            "raw_p95": _p(raw_ms, 0.95),
            "statements": len(statements),
            "plans": explained,
        }
    return {
        "vendor": connection.vendor,
        "orders": WorkOrder.objects.count(),
        "timings": timings,
        "results": results,
    }


def _timed(fn, args) -> list[float]:
    out = []
    for arg in args:
        started = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - started) * 1000)
    return out


# --- orchestration ------------------------------------------------------------------------


def _pg_fresh(*, create: bool = True) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if create:
            con.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_BASE}/{DB_NAME}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--db", default="postgres,sqlite")
    parser.add_argument("--n", type=int, default=50, help="requests per case")
    parser.add_argument("--plans", action="store_true", help="print query plans")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        report = worker(args.db_url, args.data, args.orders, args.n, args.plans)
        print(json.dumps(report))
        return
    for db in args.db.split(","):
        data_dir = tempfile.mkdtemp(prefix=f"kefu-orders-{db}-")
        cmd = [sys.executable, __file__, "--worker", "--data", data_dir]
        cmd += ["--orders", str(args.orders), "--n", str(args.n)]
        if args.plans:
            cmd.append("--plans")
        if db == "postgres":
            cmd += ["--db-url", _pg_fresh()]
        try:
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres" and not args.keep:
                _pg_fresh(create=False)
        _print(db, json.loads(out.stdout.strip().splitlines()[-1]), args.plans)


def _print(db: str, report: dict, plans: bool) -> None:
    t = report["timings"]
    print(
        f"[{db}] {report['orders']:,} orders: newest fifth generated in {t['generate']:.0f} s, "
        f"older copied in {t['copy']:.0f} s, indexes {t['indexes']:.0f} s, "
        f"settle {t['settle']:.0f} s (org + 100,000 customers {t['org_customers']:.0f} s)"
    )
    for name, r in report["results"].items():
        for label, p50, p95 in (
            ("API", r["api_p50"], r["api_p95"]),
            ("API, gc tuned", r["tuned_p50"], r["tuned_p95"]),
        ):
            ok = "OK" if p95 <= TARGET_MS else "OVER TARGET"
            print(
                f"[{db}] {name:<48} {label:<14} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                f"| SQL p95 {r['raw_p95']:6.2f} ms ({r['statements']} statements)  "
                f"| ratio {p95 / max(r['raw_p95'], 0.01):5.1f}×  ({r['count']:,} rows) "
                f"(target ≤ {TARGET_MS:.0f} ms) {ok}"
            )
        if plans:
            for plan in r["plans"]:
                print("    " + plan.replace("\n", "\n    "))


if __name__ == "__main__":
    main()
