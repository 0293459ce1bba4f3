"""Benchmark: satisfaction statistics for one month over 1,000,000 callbacks, one prefecture.

    .venv/bin/python bench/callback_stats.py [--items 1000000] [--db postgres,sqlite] [--n 10]
                                             [--plans]

Target (issue): one month's statistics with 1,000,000 callbacks, scoped to a prefecture,
≤ 1 s on PostgreSQL and SQLite; printed with the ratio to one hand-written SQL aggregate of
the same figures.

For each database (fresh; PostgreSQL from KEFU_BENCH_PG, database kefu_bench_cbstats):
  1. demo org (`org_demo_seed`), then --items CallbackItem rows over the last 365 days
     (counties, levels 20/60/8 % very/satisfied/dissatisfied, 12 % not answered, 3 %
     cancelled, 4 % late, reasons for the dissatisfied, the demo's types, lines and staff),
     written in bulk (COPY on PostgreSQL, executemany on SQLite; not through the services),
     secondary indexes built after the load, then ANALYZE.
  2. `callback_stats(supervisor_jn01, one month)` — the whole figures with reasons (two
     queries) — --n times; and `by="unit"` grouped.
  3. Reference: a hand-written SQL aggregate of the same six figures on the bare cursor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_monitor import _pg_fresh, _setup_django  # noqa: E402  (the same preparation)

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "kefu_bench_cbstats"
TARGET_MS = 1000.0
SEED = 20261202
TODAY = date(2026, 11, 30)


def _load(count: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from order_rows import RowWriter  # benchmark data, bench/

    from kefu.callbacks.models import CallbackItem, CallbackTask, DissatisfactionReason
    from kefu.org.demo import org_demo_seed
    from kefu.org.models import OrgLevel, OrgUnit
    from kefu.workorders.models import BusinessLine, WorkOrderType

    started = time.perf_counter()
    org_demo_seed()
    counties = list(OrgUnit.objects.filter(level=OrgLevel.COUNTY).values_list("pk", flat=True))
    units = list(OrgUnit.objects.values_list("pk", flat=True))
    types = list(WorkOrderType.objects.values_list("pk", flat=True))
    lines = list(BusinessLine.objects.values_list("pk", flat=True))
    users = list(get_user_model().objects.values_list("pk", flat=True))
    reasons = list(DissatisfactionReason.objects.values_list("pk", flat=True)) or [None]
    rng = random.Random(SEED)
    pg = connection.vendor == "postgresql"
    table = CallbackItem._meta.db_table
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
        cursor.execute(
            "SET session_replication_role = replica" if pg else "PRAGMA foreign_keys = OFF"
        )
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        task = CallbackTask.objects.create(
            unit_id=counties[0], mode="sms", created_at=base, due_at=base, deadline_at=base
        )
    writer = RowWriter(CallbackItem, with_pk=False)

    def rows(n):
        for _ in range(n):
            day = TODAY - timedelta(days=rng.randrange(365))
            deadline = datetime(day.year, day.month, day.day, 10, tzinfo=UTC) + timedelta(days=3)
            r = rng.random()
            level = (
                "very_satisfied" if r < 0.2 else "satisfied" if r < 0.8
                else "dissatisfied" if r < 0.88 else ""
            )  # fmt: skip
            cancelled = rng.random() < 0.03
            late = rng.random() < 0.04
            answered = deadline + timedelta(days=1 if late else -2) if level else None
            yield {
                "task_id": task.pk,
                "order_id": None,
                "status": "cancelled" if cancelled else ("done" if level else "exhausted"),
                "due_on": day,
                "deadline_at": deadline,
                "area_unit_id": counties[rng.randrange(len(counties))],
                "unit_id": units[rng.randrange(len(units))],
                "order_type_id": types[rng.randrange(len(types))],
                "business_line_id": lines[rng.randrange(len(lines))],
                "handler_id": users[rng.randrange(len(users))],
                "agent_id": users[rng.randrange(len(users))],
                "level": level,
                "reason_id": reasons[rng.randrange(len(reasons))]
                if level == "dissatisfied"
                else None,
                "comment": "",
                "answered_at": answered,
                "on_time": (not late) if level else None,
                "follow_up_order_id": None,
            }

    left = count
    while left > 0:
        n = min(200_000, left)
        with transaction.atomic():
            writer.write(rows(n))
        left -= n
        print(f"  written {count - left:,}", file=sys.stderr, flush=True)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("PRAGMA foreign_keys = ON")
        for _, sql in indexes:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")
    return {"load": loaded, "indexes": time.perf_counter() - started}


REFERENCE_SQL = """
SELECT COUNT(*) FILTER (WHERE i.level = 'very_satisfied'),
       COUNT(*) FILTER (WHERE i.level = 'satisfied'),
       COUNT(*) FILTER (WHERE i.level = 'dissatisfied'),
       COUNT(*),
       COUNT(*) FILTER (WHERE i.level <> '' AND i.on_time)
FROM callbacks_callbackitem i
WHERE i.due_on BETWEEN %s AND %s AND i.status <> 'cancelled'
  AND i.area_unit_id IN (SELECT id FROM org_orgunit WHERE path LIKE %s)
"""


def worker(db_url, data_dir, items, n, plans) -> dict:
    _setup_django(db_url, data_dir)  # migrated, with its secret key
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.callbacks.stats import callback_stats
    from kefu.org.models import OrgUnit

    timings = _load(items)
    viewer = get_user_model().objects.get(username="supervisor_jn01")
    pref = OrgUnit.objects.get(code="JN01")
    month = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}

    def run():
        return callback_stats(viewer, **month)

    stats = run()
    with CaptureQueriesContext(connection) as captured:
        run()
    api = _timed(run, n)
    grouped = _timed(lambda: callback_stats(viewer, by="unit", reasons=False, **month), n)
    raw = connection.connection.cursor()
    sql = REFERENCE_SQL
    params = [month["date_from"].isoformat(), month["date_to"].isoformat(), pref.path + "%"]
    if connection.vendor != "postgresql":
        # SQLite: a boolean sums as 0/1 (its FILTER needs 3.30; the same figures either way).
        sql = re.sub(r"COUNT\(\*\) FILTER \(WHERE ([^\n]*?)\)(,?)$", r"SUM(\1)\2", sql, flags=re.M)
        sql = sql.replace("%s", "?")

    def reference():
        raw.execute(sql, params)
        return raw.fetchone()

    ref_row = reference()
    ref = _timed(reference, n)
    explained = []
    if plans:
        for q in [c["sql"] for c in captured.captured_queries] + [sql]:
            if connection.vendor == "postgresql":
                raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + q, params if q is sql else None)
            else:
                raw.execute("EXPLAIN QUERY PLAN " + q, params if q is sql else ())
            explained.append(q + "\n" + "\n".join(" ".join(map(str, r)) for r in raw.fetchall()))
    t = stats.total
    assert [t.very_satisfied, t.satisfied, t.dissatisfied, t.due, t.answered_on_time] == [
        int(v or 0) for v in ref_row
    ], (t, ref_row)
    return {
        "vendor": connection.vendor,
        "items": items,
        "timings": timings,
        "month_due": t.due,
        "figures": t.as_json(),
        "queries": len(captured.captured_queries),
        "stats_p50": statistics.median(api),
        "stats_max": max(api),
        "grouped_p50": statistics.median(grouped),
        "sql_p50": statistics.median(ref),
        "plans": explained,
    }


def _timed(fn, n) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgres,sqlite")
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        sys.path.insert(0, str(ROOT / "bench"))
        print(json.dumps(worker(args.db_url, args.data, args.items, args.n, args.plans)))
        return
    for db in args.db.split(","):
        data_dir = tempfile.mkdtemp(prefix=f"kefu-cbstats-{db}-")
        cmd = [sys.executable, __file__, "--worker", "--data", data_dir]
        cmd += ["--items", str(args.items), "--n", str(args.n)] + (
            ["--plans"] if args.plans else []
        )
        if db == "postgres":
            cmd += ["--db-url", _pg_fresh(DB_NAME)]
        try:
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                _pg_fresh(DB_NAME, create=False)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = "OK" if r["stats_max"] <= TARGET_MS else "OVER TARGET"
        print(
            f"[{db}] {r['items']:,} items (load {r['timings']['load']:.0f} s, indexes "
            f"{r['timings']['indexes']:.0f} s); one month, prefecture JN01: "
            f"{r['month_due']:,} due, "
            f"{r['figures']}"
        )
        print(
            f"[{db}] callback_stats p50 {r['stats_p50']:.1f} ms max {r['stats_max']:.1f} ms "
            f"({r['queries']} queries) | by unit p50 {r['grouped_p50']:.1f} ms | hand SQL p50 "
            f"{r['sql_p50']:.1f} ms | ratio {r['stats_p50'] / max(r['sql_p50'], 0.01):.2f}× "
            f"(target ≤ {TARGET_MS:.0f} ms) {ok}"
        )
        for plan in r["plans"]:
            print("    " + plan.replace("\n", "\n    "))


if __name__ == "__main__":
    main()
