"""Benchmark: customers' SMS replies through the signed endpoint, on PostgreSQL.

    .venv/bin/python bench/sms_inbound.py [--seconds 20] [--clients 8] [--workers 3]
                                          [--tasks 20000]

Target (issue 12): ≥ 200 replies/s sustained (gateways deliver in bursts after a mass
send) through POST /api/v1/sms/inbound, each signed with HMAC-SHA256.

1. A fresh PostgreSQL database (KEFU_BENCH_PG; kefu_bench_sms is dropped and recreated),
   prepared as ./run does (`kefu setup`, the demo org and customers), then --tasks orders
   of history in bulk (bench/order_rows.py), the archived ones taken back to "replied",
   and one open callback per resolved or replied order, each with a phone number of its
   own, written in bulk.
2. The real server (`kefu serve`: gunicorn and the Huey consumer on files, as ./run).
3. From this process: signed deliveries in a closed loop of --clients clients, the mix a
   mass send brings back — 60 % "1", 25 % "2", 5 % "3 <reason>" (the whole path: the
   callback answered, a satisfied order archived through the close action, a dissatisfied
   one handed to a person), 5 % unreadable (the review queue) and 5 % redeliveries of an
   earlier message id (counted once). Reference in the same run, same server and load
   client: the same endpoint with a wrong signature (401: the request, parsing nothing).
   Then one pass of the callback monitor, timed: it archives the orders the satisfied
   replies left to it (the gateway's request does not wait for each close).
4. Checks that the database holds one inbound row per distinct message id answered 201.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from create_orders import (  # noqa: E402  (the same server harness)
    BIN,
    HOST,
    PG_BASE,
    ROOT,
    _env,
    _free_port,
    _line,
    _loadavg,
    _pg,
    _send,
    closed_loop,
)

DB_NAME = "kefu_bench_sms"
SECRET = "bench-gateway-secret"
TARGET = 200.0


def prepare(tasks: int) -> dict:
    """`tasks` orders of history and an open callback for each one resolved or replied."""
    import django

    django.setup()
    from create_orders import _history
    from django.db import transaction
    from django.utils import timezone

    from kefu.callbacks.models import CallbackItem, CallbackTask, Mode
    from kefu.workorders.models import WorkOrder

    _history(tasks)
    now = timezone.now()
    # Most history is archived by now: as benchmark data, the archived orders are taken back
    # to "replied", waiting for their callback.
    WorkOrder.objects.filter(status="closed").update(status="replied", closed_at=None)
    orders = list(
        WorkOrder.objects.filter(status__in=("resolved", "replied")).values_list(
            "pk", "area_unit_id", "handling_unit_id", "accepting_unit_id", "order_type_id"
        )
    )
    phones = [f"139{n:08d}" for n in range(len(orders))]
    with transaction.atomic():
        rows = CallbackTask.objects.bulk_create(
            CallbackTask(
                phone=phone,
                unit_id=handling or accepting,
                mode=Mode.SMS,
                created_at=now,
                due_at=now + timezone.timedelta(hours=8),
                deadline_at=now + timezone.timedelta(days=3),
                sms_sent_at=now,
            )
            for phone, (_, _area, handling, accepting, _type) in zip(phones, orders, strict=True)
        )
        CallbackItem.objects.bulk_create(
            CallbackItem(
                task=task,
                order_id=pk,
                due_on=now.date(),
                deadline_at=task.deadline_at,
                area_unit_id=area,
                unit_id=handling or accepting,
                order_type_id=type_id,
            )
            for task, (pk, area, handling, accepting, type_id) in zip(rows, orders, strict=True)
        )
    return {"phones": phones}


def monitor_pass() -> dict:
    """One pass of the callback monitor, timed: it archives the satisfied replies' orders."""
    import django

    django.setup()
    from kefu.callbacks.models import CallbackItem
    from kefu.callbacks.monitor import callbacks_monitor_pass

    waiting = CallbackItem.objects.filter(to_archive=True).count()
    started = time.perf_counter()
    callbacks_monitor_pass()
    return {"archived": waiting, "seconds": time.perf_counter() - started}


def _signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Replies:
    """Signed deliveries, each phone answering once, in a mass send's mix."""

    def __init__(self, phones: list[str], *, secret=SECRET, seed=1, prefix="bench"):
        self.phones, self.secret, self.prefix = phones, secret, prefix
        self.rng = random.Random(seed)
        self.n = 0
        self.ids: list[str] = []

    def next(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.05 and self.ids:
            message_id = self.rng.choice(self.ids)  # a redelivery
            phone = "13000000000"
        else:
            message_id = f"{self.prefix}-{self.n}"
            self.ids.append(message_id)
            phone = self.phones[self.n % len(self.phones)]
            self.n += 1
        text = (
            "1"
            if roll < 0.65
            else "2"
            if roll < 0.90
            else "3 师傅迟到"
            if roll < 0.95
            else "还行吧"
        )
        body = json.dumps(
            {
                "from": phone,
                "text": text,
                "message_id": message_id,
                "received_at": "2026-12-02T10:00:00+08:00",
            },
            ensure_ascii=False,
        ).encode()
        head = (
            f"POST /api/v1/sms/inbound HTTP/1.1\r\nHost: {HOST}\r\n"
            f"X-Kefu-Signature: {_signed(body, self.secret)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body


class BadlySigned(Replies):
    def __init__(self, phones):
        super().__init__(phones, secret="not-the-key", seed=2, prefix="refused")


async def _ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    probe = BadlySigned(["13000000000"])
    while time.monotonic() < deadline:
        try:
            status, _ = await _send(port, probe.next())
            if status == 401:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit("the server did not come up")


async def _measure(port: int, phones: list[str], args) -> dict:
    await _ready(port)
    reference, replies = BadlySigned(phones), Replies(phones)
    warm, out = Replies(phones[-2000:], seed=3, prefix="warm"), {}
    await closed_loop(port, warm, args.clients, 3.0)  # imports, caches, plans
    refused = await closed_loop(port, reference, args.clients, args.seconds)
    # closed_loop counts 401 as an error; the reference's rate is its answered requests.
    refused["rate"] = refused["sent"] / args.seconds
    out["reference"] = refused
    out["replies"] = await closed_loop(port, replies, args.clients, args.seconds)
    out["distinct"] = len(set(replies.ids)) + len(set(warm.ids))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--tasks", type=int, default=20_000, help="orders of history")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--monitor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(prepare(args.tasks)))
        return
    if args.monitor:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(monitor_pass()))
        return

    _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{DB_NAME}"')
    db_url = f"{PG_BASE}/{DB_NAME}"
    data_dir = tempfile.mkdtemp(prefix="kefu-bench-sms-")
    port = _free_port()
    env = {**_env(db_url, data_dir, port, None, args.workers), "KEFU_SMS_INBOUND_SECRET": SECRET}
    server = None
    try:
        kefu = str(BIN / "kefu")
        quiet = {"env": env, "cwd": ROOT, "check": True, "capture_output": True, "text": True}
        subprocess.run([kefu, "setup", "--no-demo"], **quiet)
        demo = ["demo", f"--customers={args.customers}", "--work-orders=0", "--seed=1"]
        subprocess.run([kefu, *demo, "--no-progress"], **quiet)
        prep = [sys.executable, __file__, "--prepare", f"--tasks={args.tasks}"]
        phones = json.loads(subprocess.run(prep, **quiet).stdout.strip().splitlines()[-1])["phones"]
        print(f"prepared: {len(phones):,} open callbacks awaiting an SMS reply")
        server = subprocess.Popen(
            [kefu, "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data_dir) / "server.log", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        results = asyncio.run(_measure(port, phones, args))
        server.send_signal(signal.SIGTERM)  # the worker's own minute must not race ours
        server.wait(timeout=30)
        server = None
        # The archiving the satisfied replies left to the monitor's next pass.
        monitor = [sys.executable, __file__, "--monitor"]
        results["monitor"] = json.loads(subprocess.run(monitor, **quiet).stdout.splitlines()[-1])
        stored = _pg("SELECT count(*) FROM callbacks_inboundsms", DB_NAME)[0][0]
        archived = _pg(
            "SELECT count(*) FROM workorders_workorder WHERE status = 'closed' AND id IN "
            "(SELECT order_id FROM callbacks_callbackitem WHERE level IN "
            "('very_satisfied', 'satisfied'))",
            DB_NAME,
        )[0][0]
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        log = Path(data_dir) / "server.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        tail = text[text.find("Traceback") :].splitlines()[:40] if "Traceback" in text else []
        shutil.rmtree(data_dir, ignore_errors=True)
        _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    ref, rep = results["reference"], results["replies"]
    print(f"PostgreSQL, {args.workers} gunicorn workers, {args.clients} clients, load {_loadavg()}")
    print(
        f"{'reference: wrong signature (401)':<38} {ref['rate']:7.1f}/s  p50 {ref['p50']:6.1f} ms"
    )
    print(_line("signed replies", rep))
    print(f"ratio replies/reference: {rep['rate'] / max(ref['rate'], 0.01):.2f}")
    verdict = "OK" if rep["rate"] >= TARGET and rep["errors"] == 0 else "NOT MET"
    print(f"target ≥ {TARGET:.0f} replies/s: {verdict}")
    check = "OK" if stored == results["distinct"] else "MISMATCH"
    mon = results["monitor"]
    print(
        f"then one monitor pass archived the {mon['archived']:,} satisfied orders in "
        f"{mon['seconds']:.1f} s ({mon['seconds'] * 1000 / max(mon['archived'], 1):.1f} ms each)"
    )
    print(
        f"database: {stored:,} inbound rows for {results['distinct']:,} distinct ids — {check}; "
        f"{archived:,} orders archived by a satisfied reply"
    )
    if tail:
        print("server log:", *tail, sep="\n  ")


if __name__ == "__main__":
    main()
