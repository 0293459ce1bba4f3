"""Benchmark: what the callback step (回访, pipeline step 5) adds to resolving an order.

    .venv/bin/python bench/resolve_callbacks.py [--orders 400] [--db postgres|sqlite]

Target (issue 12): creating callback tasks keeps order resolution within 10 % of its cost
without them, in the same run.

A fresh database (PostgreSQL: KEFU_BENCH_PG, kefu_bench_resolve; or SQLite in a temp
dir), migrated, with the demo org. --orders fault reports, each from a customer of its
own (no merging: every resolve with callbacks creates a task, an item, the SMS and its
attempt), are taken in, dispatched and taken on through the services. Then they are
resolved through `work_order_resolve` by their handler in alternating batches of 25:
one batch with the seeded policy (100 % called back), the next with the fault policy's
share set to 0 (the step finds nothing to do) — A B A B, so that a machine getting
slower or faster weighs on both. Prints the median time per resolve of each and the ratio,
then what the callback monitor's next pass costs to put those callbacks into calls and
send their SMS (off the resolve, in one batch).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_monitor import _pg_fresh, _setup_django  # noqa: E402  (the same preparation)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kefu_bench_resolve"
BATCH = 25
TARGET = 1.10


def _database(kind: str, data_dir: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    _setup_django(_pg_fresh(DB_NAME) if kind == "postgres" else None, data_dir)


def _orders(count: int) -> list:
    """`count` fault reports taken on by a handler, each from its own customer."""
    from kefu.customers.demo import demo_customers_create
    from kefu.org.demo import org_demo_seed
    from kefu.workorders import actions
    from kefu.workorders.demo_world import demo_routing_seed, staff_holding
    from kefu.workorders.models import WorkOrderType
    from kefu.workorders.services import work_order_create

    org_demo_seed()
    demo_routing_seed()
    demo_customers_create(count=count * 16, seed=1)  # the demo's 12 counties
    from django.contrib.auth import get_user_model

    from kefu.customers.selectors import customers_visible

    users = get_user_model().objects.select_related("staff__org_unit")
    agent = users.get(pk=staff_holding("add")[0][0].user_id)
    handler = users.get(pk=staff_holding("handle")[0][0].user_id)
    fault = WorkOrderType.objects.get(code="fault")
    orders = []
    for customer in customers_visible(agent).order_by("pk")[:count]:
        order = work_order_create(
            actor=agent, order_type=fault, channel="hotline", title="宽带断网", customer=customer
        )
        order = actions.work_order_dispatch(
            actor=None, order=order, unit=handler.staff.org_unit, handler=handler
        )
        orders.append(actions.work_order_accept(actor=handler, order=order))
    return orders, handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    _database(args.db, tempfile.mkdtemp(prefix="kefu-bench-resolve-"))
    from kefu.callbacks.models import CallbackItem, CallbackPolicy, CallbackTask
    from kefu.callbacks.monitor import callbacks_monitor_pass
    from kefu.workorders import actions

    started = time.perf_counter()
    orders, handler = _orders(args.orders)
    print(f"prepared {len(orders)} orders in {time.perf_counter() - started:.0f} s ({args.db})")
    policy = CallbackPolicy.objects.get(order_type__code="fault")
    times: dict[bool, list[float]] = {True: [], False: []}
    for n in range(0, len(orders), BATCH):
        with_callbacks = (n // BATCH) % 2 == 0
        policy.share = 100 if with_callbacks else 0
        policy.save(update_fields=["share"])
        for order in orders[n : n + BATCH]:
            t0 = time.perf_counter()
            actions.work_order_resolve(actor=handler, order=order, resolution="已修复")
            times[with_callbacks].append(time.perf_counter() - t0)
    with_cb, without = (statistics.median(times[k]) * 1000 for k in (True, False))
    items = CallbackItem.objects.count()
    print(
        f"resolve with callbacks:    {with_cb:6.2f} ms median ({len(times[True])} resolves, "
        f"{items} callbacks due)"
    )
    print(f"resolve without callbacks: {without:6.2f} ms median ({len(times[False])} resolves)")
    ratio = with_cb / without
    print(f"ratio {ratio:.3f} — target ≤ {TARGET:.2f}: {'OK' if ratio <= TARGET else 'NOT MET'}")
    # The monitor's next pass puts them into calls and sends their SMS, in one batch.
    t0 = time.perf_counter()
    callbacks_monitor_pass()
    spent = (time.perf_counter() - t0) * 1000
    tasks = CallbackTask.objects.count()
    print(
        f"then the monitor's pass: {tasks} tasks and their SMS in {spent:.0f} ms "
        f"({spent / max(tasks, 1):.2f} ms per callback, outside the resolve)"
    )
    if args.db == "postgres":
        from django.db import connections

        connections.close_all()
        _pg_fresh(DB_NAME, create=False)


if __name__ == "__main__":
    main()
