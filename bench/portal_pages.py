"""Benchmark: customer portal pages, p95 (target ≤ 100 ms), on a database with many orders.

    .venv/bin/python bench/portal_pages.py [--others 20000] [--mine 50] [--n 300]
                                           [--db sqlite,postgres]

For each database (fresh; PostgreSQL from KEFU_BENCH_PG, database kefu_bench_portal):
  1. demo org and 2,000 demo customers; --others orders of other customers from the
     benchmark generator (bench/order_rows.py, written in bulk, not through the services);
     one customer with --mine orders taken in through the portal's own service, a third of
     them resolved by the team with their callback open (so the page offers the rating).
  2. That customer signs in with the SMS code (read from the outbox) and Django's test
     client, the whole middleware stack and templates, requests each page --n times:
     the home page (their orders), one order with its timeline and rating form, and the
     new-request form.
  3. Reference: the portal's sign-in page (no query of orders), in the same run.
Prints p50 and p95 per page in ms and each p95's ratio to the reference's.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_monitor import _pg_fresh, _setup_django  # noqa: E402  (the same preparation)

TARGET_MS = 100.0
DB_NAME = "kefu_bench_portal"
PHONE = "13955550001"


def _load(others: int, mine: int) -> str:
    from django.db import connection, transaction
    from order_rows import RowWriter, World, number, order_rows  # benchmark data, bench/

    from kefu.customers.demo import demo_customers_create
    from kefu.customers.models import Customer
    from kefu.org.demo import org_demo_seed
    from kefu.portal.services import portal_request_create
    from kefu.workorders import actions
    from kefu.workorders.models import WorkOrder

    org_demo_seed()
    demo_customers_create(count=2000, seed=7)
    with transaction.atomic():
        top = WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ids = iter(range(top + 1, top + others + 1))

        world = World.load()  # before the COPY: no other query fits inside one

        def rows():
            for life in order_rows(count=others, seed=5, days=120, world=world):
                number(life.o, next(ids))
                yield life.o

        RowWriter(WorkOrder).write(rows())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [WorkOrder._meta.db_table, top + others],
                )
    from django.contrib.auth import get_user_model

    supervisor = get_user_model().objects.get(username="supervisor_jn01")
    handler = (
        get_user_model()
        .objects.filter(
            role_assignments__role__code="handler",
            staff__org_unit__path__startswith=supervisor.staff.org_unit.path,
        )
        .select_related("staff__org_unit")
        .first()
    )
    team = handler.staff.org_unit
    customer = Customer.objects.filter(org_unit__path__startswith=team.parent.path).first()
    Customer.objects.filter(pk=customer.pk).update(phone=PHONE)
    number_ = ""
    for k in range(mine):
        order = portal_request_create(
            phone=PHONE, kind=("fault", "complaint", "consultation")[k % 3], title=f"宽带问题 {k}"
        )
        if k % 3 == 0:  # a fault: dispatched to the team, resolved, its callback open
            if order.status != "accepted":  # routed by a rule: taken back to dispatch
                continue
            order = actions.work_order_dispatch(
                actor=supervisor, order=order, unit=team, handler=handler
            )
            order = actions.work_order_accept(actor=handler, order=order)
            actions.work_order_resolve(actor=handler, order=order, resolution="已修复")
            number_ = order.number
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return number_


def _times(client, url: str, n: int) -> list[float]:
    client.get(url)  # warm: template compile, the first query plans
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def worker(db_url: str | None, data_dir: str, others: int, mine: int, n: int) -> dict:
    _setup_django(db_url, data_dir)
    from django.conf import settings
    from django.test import Client

    from kefu.notify.models import Message

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # as `kefu setup` does
    number = _load(others, mine)
    client = Client()
    client.post("/portal/login/", {"phone": PHONE})
    body = Message.objects.filter(address=PHONE, template="portal_otp").latest("pk").body
    client.post("/portal/login/code/", {"code": re.search(r"\d{6}", body).group(0)})
    pages = {
        "home": "/portal/",
        "order": f"/portal/orders/{number}/",
        "new": "/portal/new/",
    }
    assert "portal-rate-form" in client.get(pages["order"]).content.decode()
    reference = _times(Client(), "/portal/login/", n)
    figures = {"reference": reference}
    for name, url in pages.items():
        figures[name] = _times(client, url, n)

    def p95(values):
        return statistics.quantiles(values, n=20)[-1]

    return {
        name: {"p50": statistics.median(v), "p95": p95(v), "ratio": p95(v) / p95(reference)}
        for name, v in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--others", type=int, default=20_000)
    parser.add_argument("--mine", type=int, default=50)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        result = worker(args.db_url, args.data, args.others, args.mine, args.n)
        print(json.dumps(result))
        return
    for db in args.db.split(","):
        data = tempfile.mkdtemp(prefix="kefu-bench-portal-")
        url = _pg_fresh(DB_NAME) if db == "postgres" else None
        command = [sys.executable, __file__, "--worker", "--data", data]
        command += ["--others", str(args.others), "--mine", str(args.mine), "--n", str(args.n)]
        if url:
            command += ["--db-url", url]
        try:
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        finally:
            shutil.rmtree(data, ignore_errors=True)
            if url:
                _pg_fresh(DB_NAME, create=False)
        result = json.loads(out.strip().splitlines()[-1])
        print(f"{db}: {args.others:,} other orders, {args.mine} of the customer's, n={args.n}")
        for name, fig in result.items():
            verdict = (
                ""
                if name == "reference"
                else ("  OK" if fig["p95"] <= TARGET_MS else f"  OVER {TARGET_MS:.0f} ms")
            )
            print(
                f"  {name:<9} p50 {fig['p50']:6.1f} ms  p95 {fig['p95']:6.1f} ms"
                f"  ×{fig['ratio']:.2f} the sign-in page{verdict}"
            )


if __name__ == "__main__":
    main()
