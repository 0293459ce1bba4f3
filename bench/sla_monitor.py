"""Benchmark: one SLA monitor pass with 1,000,000 open work orders, of which 1,000 clocks are due.

    .venv/bin/python bench/sla_monitor.py [--orders 1000000] [--due 1000] [--db sqlite,postgres]

For each database (fresh, migrated, in a fresh process):
  1. bulk-load N open orders (in progress, each with a met first-contact clock and a running
     resolution clock due in the next 3 days) by COPY (PostgreSQL) / executemany (SQLite),
     plus the due clocks: 40 % reaching their warning time, 40 % their due time, 20 % owing
     escalation step 2; then ANALYZE, as autovacuum would soon;
  2. reference A: the bare indexed SELECT of the due rows (what any monitor must read);
  3. one `sla_monitor_pass()` (target ≤ 2 s): warnings, breaches with their timeline events,
     escalations to the county supervisor, every message in the outbox, orders' sla_state;
  4. reference B: the pass's writes by hand — the same UPDATEs and INSERTs as plain
     executemany statements in one transaction (rolled back): the floor for this work;
  5. a second pass, with nothing due: the cost every minute in the steady state.
Prints seconds and the ratios pass / reference.
PostgreSQL: KEFU_BENCH_PG (default postgres://postgres@127.0.0.1:5432); database
kefu_bench_sla is dropped and recreated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGET_SECONDS = 2.0
CHUNK = 20_000


def _setup_django(db_url: str | None, data_dir: str) -> None:
    os.environ["KEFU_DATA_DIR"] = data_dir
    if db_url:
        os.environ["KEFU_DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from kefu.web.management.commands.setup import load_secret_key

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`


def _org():
    """Province → prefecture → county → team; an agent, a handler, two supervisors."""
    from django.conf import settings

    from kefu.org import services as org
    from kefu.org.models import OrgLevel, Role

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    province = org.org_unit_create(name="省公司", code="P", level=OrgLevel.PROVINCE, parent=None)
    pref = org.org_unit_create(name="市公司", code="P1", level=OrgLevel.PREFECTURE, parent=province)
    county = org.org_unit_create(name="县公司", code="P11", level=OrgLevel.COUNTY, parent=pref)
    team = org.org_unit_create(name="装维班", code="P11T", level=OrgLevel.TEAM, parent=county)

    def staff(username, unit, role):
        return org.staff_create(
            username=username,
            display_name=username,
            employee_no=username,
            org_unit=unit,
            password="bench-password-1",
            roles=[(Role.objects.get(code=role), None)],
        )

    users = {
        "agent": staff("agent", county, "agent"),
        "handler": staff("handler", team, "handler"),
        "sup_county": staff("sup_county", county, "supervisor"),
        "sup_pref": staff("sup_pref", pref, "supervisor"),
    }
    return {"county": county, "team": team}, users


def _prepped_row(model, instance, connection) -> tuple[list[str], list]:
    """Column names and database values of every concrete field of `instance`."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if field.get_internal_type() == "JSONField":
            value = json.dumps(value)
        elif value is not None:
            value = field.get_db_prep_save(value, connection)
        columns.append(field.column)
        values.append(value)
    return columns, values


class Loader:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def load(self, table: str, columns: list[str], rows) -> int:
        count = 0
        cursor = self.connection.cursor().cursor  # the DB-API cursor under Django's wrapper
        if self.pg:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
        return count


def _load(orders: int, due: int, units, users, now: datetime) -> dict:
    from django.db import connection, transaction

    from kefu.sla.models import ClockKind, ClockState, SlaClock, SlaPolicy
    from kefu.workorders.models import WorkOrder, WorkOrderType

    complaint = WorkOrderType.objects.get(code="complaint")
    policy = SlaPolicy.objects.get(code="complaint")
    agent, handler = users["agent"], users["handler"]
    proto_order = WorkOrder(
        number="",
        order_type=complaint,
        channel="hotline",
        status="in_progress",
        title="宽带经常掉线",
        description="客户反映宽带晚间经常掉线",
        customer_tier="silver",
        caller_phone="13800138000",
        area_unit=units["county"],
        owner=agent,
        accepting_unit=units["county"],
        dispatching_unit=units["county"],
        handling_unit=units["team"],
        handler=handler,
        created_at=now,
        updated_at=now,
        dispatched_at=now,
        first_contact_at=now,
    )
    order_cols, order_base = _prepped_row(WorkOrder, proto_order, connection)
    proto_clock = SlaClock(
        order_id=1,
        kind=ClockKind.RESOLUTION,
        policy=policy,
        calendar="24x7",
        budget_minutes=4320,
        warn_ratio=0.8,
        escalation_minutes=60,
        started_at=now,
    )
    clock_cols, clock_base = _prepped_row(SlaClock, proto_clock, connection)
    oc = {c: i for i, c in enumerate(order_cols)}
    cc = {c: i for i, c in enumerate(clock_cols)}

    naive_utc = connection.vendor == "sqlite"

    def prep(model, name, value):
        """A datetime as the backend stores it (what get_db_prep_save gives, minus its
        per-value checks: the loader prepares ten million values)."""
        if value is None or not naive_utc:
            return value
        return str(value.astimezone(UTC).replace(tzinfo=None))

    rng = random.Random(7)
    due_kinds = ["warn"] * (due * 4 // 10) + ["breach"] * (due * 4 // 10)
    due_kinds += ["step"] * (due - len(due_kinds))
    due_orders = dict(zip(rng.sample(range(1, orders + 1), due), due_kinds, strict=True))
    day = now.strftime("%Y%m%d")

    def order_rows():
        for pk in range(1, orders + 1):
            row = list(order_base)
            row[oc["id"]] = pk
            row[oc["number"]] = f"{day}{pk:08d}"
            kind = due_orders.get(pk)
            due_at = now + timedelta(minutes=60 + pk % 4000)
            state = {"breach": "warning", "step": "breached"}.get(kind, "")
            row[oc["due_at"]] = prep(WorkOrder, "due_at", due_at)
            row[oc["sla_state"]] = state
            yield row

    def clock_rows():
        for pk in range(1, orders + 1):
            first = list(clock_base)
            first[cc["id"]] = 2 * pk - 1
            first[cc["order_id"]] = pk
            first[cc["kind"]] = ClockKind.FIRST_CONTACT
            first[cc["budget_minutes"]] = 120
            first[cc["state"]] = ClockState.MET
            first[cc["due_at"]] = prep(SlaClock, "due_at", now + timedelta(minutes=120))
            first[cc["stopped_at"]] = prep(SlaClock, "stopped_at", now)
            yield first
            row = list(clock_base)
            row[cc["id"]] = 2 * pk
            row[cc["order_id"]] = pk
            kind = due_orders.get(pk)
            due_at = now + timedelta(minutes=60 + pk % 4000)
            warn_at = due_at - timedelta(minutes=30)
            state, step, next_step, check = ClockState.RUNNING, 0, None, warn_at
            if kind == "warn":
                warn_at, due_at = now - timedelta(minutes=1 + pk % 30), now + timedelta(hours=1)
                check = warn_at
            elif kind == "breach":
                state, due_at = ClockState.WARNING, now - timedelta(minutes=1 + pk % 30)
                warn_at, check = due_at - timedelta(minutes=30), due_at
            elif kind == "step":
                state, step = ClockState.BREACHED, 1
                due_at = now - timedelta(hours=2)
                warn_at = due_at - timedelta(minutes=30)
                next_step = check = now - timedelta(minutes=5)
                row[cc["breached_at"]] = prep(SlaClock, "breached_at", due_at)
            row[cc["state"]] = state
            row[cc["escalation_step"]] = step
            row[cc["due_at"]] = prep(SlaClock, "due_at", due_at)
            row[cc["warn_at"]] = prep(SlaClock, "warn_at", warn_at)
            row[cc["next_step_at"]] = prep(SlaClock, "next_step_at", next_step)
            row[cc["next_check_at"]] = prep(SlaClock, "next_check_at", check)
            yield row

    started = time.perf_counter()
    loader = Loader(connection)
    with transaction.atomic():
        loaded_orders = loader.load("workorders_workorder", order_cols, order_rows())
        loaded_clocks = loader.load("sla_slaclock", clock_cols, clock_rows())
        if loader.pg:  # COPY with explicit ids leaves the sequences behind
            with connection.cursor() as cursor:
                for table in ("workorders_workorder", "sla_slaclock"):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if loader.pg else "ANALYZE")
    return {
        "orders": loaded_orders,
        "clocks": loaded_clocks,
        "load_seconds": load_seconds,
        "due_kinds": {k: due_kinds.count(k) for k in ("warn", "breach", "step")},
    }


def _reference_select(now: datetime, due: int) -> float:
    from django.db import connection

    ph = "%s" if connection.vendor == "postgresql" else "?"
    sql = (
        "SELECT id, order_id FROM sla_slaclock WHERE next_check_at <= "
        f"{ph} ORDER BY next_check_at LIMIT {ph}"
    )
    value = connection.ops.adapt_datetimefield_value(now)
    cursor = connection.connection.cursor()
    cursor.execute(sql, (value, due + 1))  # warm-up
    cursor.fetchall()
    started = time.perf_counter()
    cursor.execute(sql, (value, due + 1))
    rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    cursor.close()
    assert len(rows) == due, (len(rows), due)
    return seconds


def _reference_writes(now: datetime, counts: dict[str, int], users) -> float:
    """The pass's writes as plain statements, in one transaction rolled back afterwards."""
    from django.db import connection

    pg = connection.vendor == "postgresql"
    ph = "%s" if pg else "?"
    ts = connection.ops.adapt_datetimefield_value(now)
    events = counts.get("breached", 0) + counts.get("escalated", 0)
    messages = 2 * (counts.get("warned", 0) + counts.get("breached", 0))
    messages += counts.get("escalated", 0)
    clock_ids = list(range(2, 2 * sum(counts.values()) + 2, 2))
    raw = connection.connection
    cursor = raw.cursor()
    user = users["handler"].pk

    def writes():
        cursor.executemany(
            f"UPDATE sla_slaclock SET state = {ph}, next_check_at = {ph} WHERE id = {ph}",
            [("breached", ts, pk) for pk in clock_ids],
        )
        cursor.executemany(
            "INSERT INTO workorders_workorderevent (order_id, action, from_status, to_status, "
            f"note, data, created_at) VALUES ({ph}, 'escalate', 'in_progress', 'in_progress', "
            f"{ph}, {ph}, {ph})",
            [(n + 1, "超时升级", '{"step": 1}', ts) for n in range(events)],
        )
        cursor.executemany(
            "INSERT INTO notify_message (channel, recipient_id, address, template, subject, "
            "body, payload, status, attempts, next_attempt_at, sent_at, last_error, "
            f"dedupe_key, created_at) VALUES ('inbox', {ph}, '', 'sla_breached', {ph}, {ph}, "
            f"'{{}}', 'sent', 0, {ph}, {ph}, '', {ph}, {ph})",
            [
                (user, "已超时：工单", "工单已超过处理时限", ts, ts, f"bench:{n}", ts)
                for n in range(messages)
            ],
        )
        cursor.executemany(
            f"UPDATE workorders_workorder SET sla_state = {ph} WHERE id = {ph}",
            [("breached", pk // 2) for pk in clock_ids],
        )

    started = time.perf_counter()
    if pg:
        with raw.transaction(force_rollback=True):
            writes()
        seconds = time.perf_counter() - started
    else:
        cursor.execute("BEGIN IMMEDIATE")
        writes()
        seconds = time.perf_counter() - started
        cursor.execute("ROLLBACK")
    cursor.close()
    return seconds


def worker(db_url: str | None, data_dir: str, orders: int, due: int) -> dict:
    _setup_django(db_url, data_dir)
    from django.db import connection
    from django.utils import timezone

    from kefu.notify.models import Message
    from kefu.sla.monitor import sla_monitor_pass
    from kefu.workorders.models import WorkOrderEvent

    units, users = _org()
    now = timezone.now().astimezone(UTC)
    loaded = _load(orders, due, units, users, now)
    select_seconds = _reference_select(now, due)
    plan = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN SELECT id, order_id FROM sla_slaclock WHERE next_check_at <= %s "
                "ORDER BY next_check_at LIMIT 200",
                [now],
            )
            plan = "\n".join(r[0] for r in cursor.fetchall())
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN QUERY PLAN SELECT id, order_id FROM sla_slaclock "
                "WHERE next_check_at <= ? ORDER BY next_check_at LIMIT 200",
                [connection.ops.adapt_datetimefield_value(now)],
            )
            plan = "\n".join(str(r[-1]) for r in cursor.fetchall())

    started, cpu = time.perf_counter(), time.process_time()
    counts = sla_monitor_pass(now=now)
    pass_seconds = time.perf_counter() - started
    pass_cpu = time.process_time() - cpu
    started = time.perf_counter()
    idle_counts = sla_monitor_pass(now=now)
    idle_seconds = time.perf_counter() - started
    writes_seconds = _reference_writes(now, counts, users)
    return {
        "vendor": connection.vendor,
        **loaded,
        "counts": counts,
        "idle_counts": idle_counts,
        "events": WorkOrderEvent.objects.filter(action="escalate").count(),
        "messages": Message.objects.filter(template__startswith="sla_").count(),
        "pass_seconds": pass_seconds,
        "pass_cpu": pass_cpu,
        "load_average": os.getloadavg()[0],
        "idle_seconds": idle_seconds,
        "select_seconds": select_seconds,
        "writes_seconds": writes_seconds,
        "plan": plan,
    }


def _pg_fresh(name: str, *, create: bool = True) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            con.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--plans", action="store_true", help="print the due query's plan")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(worker(args.db_url, args.data, args.orders, args.due)))
        return
    for db in args.db.split(","):
        data_dir = tempfile.mkdtemp(prefix=f"kefu-sla-{db}-")
        cmd = [sys.executable, __file__, "--worker", "--data", data_dir]
        cmd += ["--orders", str(args.orders), "--due", str(args.due)]
        if db == "postgres":
            cmd += ["--db-url", _pg_fresh("kefu_bench_sla")]
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        except subprocess.CalledProcessError as exc:
            print(exc.stdout, exc.stderr, file=sys.stderr)
            raise
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
            if db == "postgres":
                _pg_fresh("kefu_bench_sla", create=False)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = "OK" if r["pass_seconds"] <= TARGET_SECONDS else "OVER TARGET"
        print(
            f"[{db}] {r['orders']:,} open orders, {r['clocks']:,} clocks "
            f"(bulk-loaded in {r['load_seconds']:.0f} s); due: {r['due_kinds']}"
        )
        print(
            f"[{db}] monitor pass {r['pass_seconds']:.2f} s (this process's CPU "
            f"{r['pass_cpu']:.2f} s; load average {r['load_average']:.1f})  {r['counts']}  "
            f"→ {r['events']} events, {r['messages']} messages  "
            f"(target ≤ {TARGET_SECONDS:.0f} s) {ok}"
        )
        print(
            f"[{db}]   reference A, bare indexed SELECT of the due rows: "
            f"{r['select_seconds'] * 1000:.2f} ms  "
            f"| ratio {r['pass_seconds'] / r['select_seconds']:.0f}×"
        )
        print(
            f"[{db}]   reference B, the same writes as plain executemany: "
            f"{r['writes_seconds']:.2f} s  | ratio {r['pass_seconds'] / r['writes_seconds']:.1f}×"
        )
        print(
            f"[{db}] idle pass (nothing due): {r['idle_seconds'] * 1000:.1f} ms {r['idle_counts']}"
        )
        if args.plans:
            print("    " + r["plan"].replace("\n", "\n    "))


if __name__ == "__main__":
    main()
