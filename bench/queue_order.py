"""Benchmark: the first page of every queue in due-time order over N orders (PostgreSQL).

    .venv/bin/python bench/queue_order.py [--orders 5000000] [--n 40] [--keep] [--reuse]

Target (issue 10): "the due-time ordering is served by an index over 5,000,000 orders with
p95 ≤ 150 ms".

  1. A fresh PostgreSQL database kefu_bench_queue (server from KEFU_BENCH_PG) loaded the
     way bench/order_list.py loads it (`order_list._load`: demo org, routing, 100,000
     customers, the newest fifth of a year's orders from the demo generator — open
     orders, the stuck backlog, their due times and time-limit states — and four older
     fifths of closed orders copied back in SQL, COPY / INSERT … SELECT with the secondary
     indexes dropped and rebuilt, then VACUUM ANALYZE).
  2. For each queue (mine, unit, dispatch, warning, overdue, open) and a viewer whose
     queue it is (a county handler, a county dispatcher, a prefecture dispatcher and
     supervisor, the province supervisor): GET /api/v1/work-orders/?queue=… (the default
     order: due time, earliest first), first page, --n requests; p50 / p95.
  3. EXPLAIN (ANALYZE, BUFFERS) of the page's statement on work orders (the one with
     ORDER BY), and whether its plan reads one of the due-time indexes (wo_open_due,
     wo_dispatch_due, wo_open_sla_due) in order, with no Sort node above it. A small queue
     (mine, unit) is better served by its own indexes and a sort of its few rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import order_list  # noqa: E402  (the loader and helpers of the order-list bench)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kefu_bench_queue"
TARGET_MS = 150.0
DUE_INDEXES = ("wo_open_due", "wo_dispatch_due", "wo_open_sla_due")

# (viewer, queue)
CASES = (
    ("handler_jn0101", "mine"),
    ("handler_jn0101", "unit"),
    ("dispatcher_jn0101", "dispatch"),
    ("dispatcher_jn01", "dispatch"),
    ("supervisor_jn", "dispatch"),
    ("supervisor_jn01", "warning"),
    ("supervisor_jn01", "overdue"),
    ("supervisor_jn", "overdue"),
    ("supervisor_jn01", "open"),
    ("supervisor_jn", "open"),
)


def worker(db_url: str, data_dir: str, orders: int, n: int, load: bool = True) -> dict:
    os.environ["KEFU_DATA_DIR"] = data_dir
    os.environ["KEFU_ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("KEFU_THROTTLE_USER", "100000/min")
    os.environ["KEFU_DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kefu.web.management.commands.setup import load_secret_key
    from kefu.workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`
    timings = order_list._load(orders) if load else {}
    clients = {}
    results = {}
    for username, queue in CASES:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(get_user_model().objects.get(username=username))
        client = clients[username]

        def page(_i, client=client, queue=queue) -> dict:
            response = client.get("/api/v1/work-orders/", {"queue": queue})
            assert response.status_code == 200, response.content[:300]
            return response.json()

        body = page(0)  # warm-up
        with CaptureQueriesContext(connection) as captured:
            page(0)
        statement = next(
            q["sql"]
            for q in captured.captured_queries
            if "workorders_workorder" in q["sql"] and "ORDER BY" in q["sql"]
        )
        ms = order_list._timed(page, range(n))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            plan = [row[0] for row in cursor.fetchall()]
        due_index = next((i for i in DUE_INDEXES if any(i in line for line in plan)), None)
        sorted_above = any("Sort" in line and "Incremental" not in line for line in plan[:3])
        results[f"{username} · {queue}"] = {
            "count": body["count"],
            "p50": statistics.median(ms),
            "p95": order_list._p(ms, 0.95),
            "index": due_index,
            "sort_node": sorted_above,
            "sql": statement,
            "plan": plan,
        }
    return {"orders": WorkOrder.objects.count(), "timings": timings, "results": results}


def _pg_fresh(*, create: bool = True) -> str:
    import psycopg

    with psycopg.connect(f"{order_list.PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if create:
            con.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{order_list.PG_BASE}/{DB_NAME}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--n", type=int, default=40, help="requests per queue")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--quiet", action="store_true", help="no SQL or plans")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep, no load"
    )
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        report = worker(args.db_url, args.data, args.orders, args.n, load=not args.reuse)
        print(json.dumps(report))
        return
    data_dir = tempfile.mkdtemp(prefix="kefu-queue-")
    db_url = f"{order_list.PG_BASE}/{DB_NAME}" if args.reuse else _pg_fresh()
    cmd = [sys.executable, __file__, "--worker", "--data", data_dir, "--db-url", db_url]
    cmd += ["--orders", str(args.orders), "--n", str(args.n)]
    if args.reuse:
        cmd.append("--reuse")
    try:
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.keep:
            _pg_fresh(create=False)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    t = report["timings"]
    loaded = (
        f"generated {t['generate']:.0f} s, copied {t['copy']:.0f} s, indexes "
        f"{t['indexes']:.0f} s, settle {t['settle']:.0f} s"
        if t
        else "reused"
    )
    print(f"[postgres] {report['orders']:,} orders ({loaded})")
    for name, r in report["results"].items():
        ok = "OK" if r["p95"] <= TARGET_MS else "OVER TARGET"
        served = r["index"] or "NO DUE-TIME INDEX"
        sort = ", Sort above it" if r["sort_node"] else ""
        print(
            f"{name:<32} first page p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"({r['count']:,} rows; {served}{sort}) (target ≤ {TARGET_MS:.0f} ms) {ok}"
        )
        if not args.quiet:
            print("    " + r["sql"])
            print("    " + "\n    ".join(r["plan"]))


if __name__ == "__main__":
    main()
