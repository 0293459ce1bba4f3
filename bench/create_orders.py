"""Benchmark: creating work orders through the REST API on PostgreSQL, from another process.

    .venv/bin/python bench/create_orders.py [--seconds 30] [--rate 300] [--clients 8]
                                            [--workers 3] [--redis redis://127.0.0.1:6379/5]

Target (issue): ≥ 300 orders/s sustained on this 2-core machine with p99 ≤ 150 ms.

1. A fresh PostgreSQL database (KEFU_BENCH_PG, default postgres://postgres@127.0.0.1:5432;
   database kefu_bench_create is dropped and recreated), prepared as ./run does
   (`kefu setup`), then `kefu demo` (demo org, 20,000 customers, 20,000 orders of history)
   and an API token for each of the twelve county agents.
2. The real server as ./run starts it: `kefu serve` (gunicorn, default 3 sync workers, and
   the Huey consumer); without --redis, Huey and the cache (throttling) on files as ./run
   has them, with --redis on Redis as a scaled installation would.
3. From this process (asyncio, standard library, one TCP connection per request as the
   sync workers close them): POST /api/v1/work-orders/ with the documented payload
   {"order_type": "complaint", "channel": "hotline", "title": …, "customer": id,
   "business_line": "broadband"}, token auth, each agent for the customers of their county:
     - open loop: requests scheduled at --rate per second for --seconds; latency counts from
       the scheduled time, so a server falling behind shows up in p99 (no coordinated
       omission);
     - closed loop: --clients clients, each sending the next as soon as the last returned:
       the most the server sustains.
   Reference in the same run, same server, same ways: GET /api/v1/business-lines/ (token
   auth, permission check, one small query) — what a trivial authenticated request costs.
   Prints orders/s, p50/p95/p99 and the ratios create / reference, and the CPU time one
   request costs in the server's processes, in its PostgreSQL backends and in this client
   (from /proc): the capacity of two dedicated cores, whatever else shares the machine.
4. Checks that every 201 left exactly one new order in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "kefu_bench_create"
TARGET_RATE, TARGET_P99 = 300.0, 150.0
HOST = "127.0.0.1"
GRACE = 10.0  # seconds an open-loop run waits for stragglers


def _pg(sql: str, db: str = "postgres") -> list[tuple]:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/{db}", autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- preparation (a Django process of its own) ------------------------------------------


def _history(count: int) -> None:
    """`count` orders of history in bulk (bench/order_rows.py: the demo's mix, benchmark
    data; the demo itself makes its orders through the services, too slow for 20,000)."""
    from django.db import connection, transaction
    from order_rows import RowWriter, World, _next_ids, number, order_rows

    from kefu.workorders.demo_world import demo_routing_seed
    from kefu.workorders.models import WorkOrder

    demo_routing_seed()
    with transaction.atomic():
        ids = _next_ids(count)
        lives = order_rows(count=count, seed=1, world=World.load())
        RowWriter(WorkOrder).write(number(life.o, next(ids)) or life.o for life in lives)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = WorkOrder._meta.db_table
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "(SELECT max(id) FROM " + table + "))",  # noqa: S608 (model's table)
                    [table],
                )


def prepare(history: int) -> dict:
    """`history` orders written in bulk; tokens for the county agents and, for each,
    customers of their county."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from kefu.customers.selectors import customers_visible

    _history(history)

    clients = []
    for agent in get_user_model().objects.filter(username__startswith="agent_").order_by("id"):
        token, _ = Token.objects.get_or_create(user=agent)
        ids = list(customers_visible(agent).order_by("id").values_list("id", flat=True)[:500])
        if ids:
            clients.append({"user": agent.username, "token": token.key, "customers": ids})
    return {"clients": clients}


# --- the load (this process: no Django) ---------------------------------------------------


def _post(path: str, token: str, body: dict) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + payload


def _get(path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Token {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


async def _send(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()  # the sync worker closes the connection after replying
    finally:
        writer.close()
    return (int(data[9:12]) if len(data) > 12 else 0), data


class Requests:
    """An endless supply of requests: creates spread over the agents, or the reference."""

    def __init__(self, clients: list[dict], kind: str, seed: int = 1):
        self.clients, self.kind = clients, kind
        self.rng = random.Random(seed)
        self.n = 0

    def next(self) -> bytes:
        client = self.clients[self.n % len(self.clients)]
        self.n += 1
        if self.kind == "reference":
            return _get("/api/v1/business-lines/", client["token"])
        body = {
            "order_type": "complaint",
            "channel": "hotline",
            "title": f"宽带网速慢，晚高峰卡顿（压测 {self.n}）",
            "customer": self.rng.choice(client["customers"]),
            "business_line": "broadband",
        }
        return _post("/api/v1/work-orders/", client["token"], body)


async def open_loop(port: int, requests: Requests, rate: float, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    results: list[tuple[float, float, int]] = []
    errors: list[bytes] = []
    gate = asyncio.Semaphore(1000)  # file descriptors, should the server stall

    async def one(at: float, raw: bytes) -> None:
        await asyncio.sleep(max(0.0, at - loop.time()))
        async with gate:
            try:
                status, body = await _send(port, raw)
            except OSError as exc:
                status, body = 0, str(exc).encode()
        if status >= 300 or status == 0:
            errors.append(body[:400])
        results.append((at, loop.time(), status))

    count = int(rate * seconds)
    tasks = [asyncio.create_task(one(start + i / rate, requests.next())) for i in range(count)]
    # A server that cannot keep up would take ages to drain the backlog: what has not
    # been answered GRACE seconds after the last scheduled send counts as failed.
    _, pending = await asyncio.wait(tasks, timeout=seconds + 0.2 + GRACE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    summary = _summary(results, errors, start)
    summary["errors"] += len(pending)
    summary["sent"] += len(pending)
    if pending and not summary["first_error"]:
        summary["first_error"] = f"{len(pending)} requests unanswered {GRACE:.0f} s after the run"
    return summary


async def closed_loop(port: int, requests: Requests, clients: int, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + seconds
    results: list[tuple[float, float, int]] = []
    errors: list[bytes] = []

    async def client() -> None:
        while loop.time() < end:
            sent = loop.time()
            try:
                status, body = await _send(port, requests.next())
            except OSError as exc:
                status, body = 0, str(exc).encode()
            if status >= 300 or status == 0:
                errors.append(body[:400])
            results.append((sent, loop.time(), status))

    await asyncio.gather(*(client() for _ in range(clients)))
    return _summary(results, errors, start)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def _summary(results, errors, start) -> dict:
    ok = [(s, e) for s, e, status in results if 200 <= status < 300]
    latencies = [(e - s) * 1000 for s, e in ok]
    span = max(e for _, e, _ in results) - start if results else 1.0
    return {
        "sent": len(results),
        "ok": len(ok),
        "errors": len(errors),
        "first_error": errors[0].decode(errors="replace") if errors else "",
        "rate": len(ok) / span,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": _p(latencies, 0.95),
        "p99": _p(latencies, 0.99),
        "max": max(latencies, default=0.0),
    }


# --- orchestration ------------------------------------------------------------------------


def _env(db_url: str, data_dir: str, port: int, redis: str | None, workers: int) -> dict:
    env = dict(os.environ)
    for key in ("KEFU_REDIS_URL", "KEFU_HUEY_IMMEDIATE", "KEFU_DEBUG"):
        env.pop(key, None)
    env.update(
        KEFU_DATABASE_URL=db_url,
        KEFU_DATA_DIR=data_dir,
        KEFU_HOST=HOST,
        KEFU_PORT=str(port),
        KEFU_WEB_WORKERS=str(workers),
        DJANGO_SETTINGS_MODULE="kefu.settings",
    )
    if redis:
        env.update(KEFU_REDIS_URL=redis, KEFU_HUEY_NAME=f"bench-create-{port}")
    return env


def _wait_ready(port: int, token: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = asyncio.run(_send(port, _get("/api/v1/business-lines/", token)))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not come up")


def _line(label: str, r: dict) -> str:
    return (
        f"{label:<38} {r['rate']:7.1f}/s  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
        f"p99 {r['p99']:6.1f}  max {r['max']:7.1f} ms  ({r['ok']} ok, {r['errors']} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open-loop rate")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--redis", help="Huey and cache on this Redis (default: files)")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=20_000, help="demo orders beforehand")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(prepare(args.history)))
        return

    _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{DB_NAME}"')
    db_url = f"{PG_BASE}/{DB_NAME}"
    data_dir = tempfile.mkdtemp(prefix="kefu-bench-create-")
    port = _free_port()
    env = _env(db_url, data_dir, port, args.redis, args.workers)
    server = None
    try:
        started = time.perf_counter()
        kefu = str(BIN / "kefu")
        quiet = {"env": env, "cwd": ROOT, "check": True, "capture_output": True, "text": True}
        subprocess.run([kefu, "setup", "--no-demo"], **quiet)
        demo = ["demo", f"--customers={args.customers}", "--work-orders=0"]
        subprocess.run([kefu, *demo, "--seed=1", "--no-progress"], **quiet)
        prep = [sys.executable, __file__, "--prepare", f"--history={args.history}"]
        out = subprocess.run(prep, **quiet).stdout
        clients = json.loads(out.strip().splitlines()[-1])["clients"]
        print(
            f"prepared in {time.perf_counter() - started:.0f} s: {args.customers:,} customers, "
            f"{args.history:,} orders of history, {len(clients)} agents with tokens"
        )
        server = subprocess.Popen(
            [kefu, "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data_dir) / "server.log", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        _wait_ready(port, clients[0]["token"])
        before = _pg("SELECT count(*) FROM workorders_workorder", DB_NAME)[0][0]
        results = asyncio.run(_measure(port, clients, args, server.pid))
        after = _pg("SELECT count(*) FROM workorders_workorder", DB_NAME)[0][0]
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log = Path(data_dir) / "server.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        # The first traceback, if the server failed a request.
        tail = text[text.find("Traceback") :].splitlines()[:60] if "Traceback" in text else []
        shutil.rmtree(data_dir, ignore_errors=True)
        _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _report(results, before, after, args, tail)


# --- CPU accounting: what a request costs, whatever else runs on the machine -------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0  # utime + stime


def _tree(root: int) -> list[int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(int(name))):
            parents[int(name)] = int(fields[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return found


def _snapshot(server_pid: int) -> dict:
    """CPU seconds so far of the server's processes (gunicorn, Huey), of the database's
    backends serving it, and of this client."""
    backends = _pg(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB_NAME}' AND pid <> pg_backend_pid()"
    )
    return {
        "web": {pid: _cpu(pid) for pid in _tree(server_pid)},
        "db": {pid: _cpu(pid) for (pid,) in backends},
        "client": time.process_time(),
    }


def _is_worker(pid: int) -> bool:
    """The Huey consumer (`kefu run_huey`), as opposed to gunicorn."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"run_huey" in fh.read()
    except OSError:
        return False


def _cpu_per_request(before: dict, after: dict, requests: int) -> dict:
    db = sum(cpu - before["db"].get(pid, 0.0) for pid, cpu in after["db"].items())
    spent = {pid: cpu - before["web"].get(pid, 0.0) for pid, cpu in after["web"].items()}
    worker = sum(cpu for pid, cpu in spent.items() if _is_worker(pid))
    n = max(requests, 1)
    return {
        "web_ms": sum(spent.values()) * 1000 / n,
        "worker_ms": worker * 1000 / n,
        "db_ms": db * 1000 / n,
        "client_ms": (after["client"] - before["client"]) * 1000 / n,
    }


async def _drain(port: int, token: str, timeout: float = 180.0) -> None:
    """Wait until the server answers a trivial request within a second again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        sent = loop.time()
        with contextlib.suppress(OSError):
            await _send(port, _get("/api/v1/business-lines/", token))
        if loop.time() - sent < 1.0:
            return
        await asyncio.sleep(1.0)


async def _measure(port: int, clients: list[dict], args, server_pid: int) -> dict:
    """Closed loops first (they find the most the server sustains without overloading
    it), then open loops at the target rate — or, when the closed loop showed that rate
    out of reach, at 80 % of what it reached, so that p99 still means something."""
    creates, reference = Requests(clients, "create"), Requests(clients, "reference")
    token = clients[0]["token"]
    out = {}
    # Warm-up: imports, caches, query plans.
    out["warm"] = await closed_loop(port, creates, args.clients, 5.0)
    await closed_loop(port, reference, args.clients, 2.0)

    async def phase(name, run, requests, load):
        before = _snapshot(server_pid)
        out[name] = await run(port, requests, load, args.seconds)
        out[name]["cpu"] = _cpu_per_request(before, _snapshot(server_pid), out[name]["sent"])
        await _drain(port, token)

    await phase("ref_closed", closed_loop, reference, args.clients)
    await phase("create_closed", closed_loop, creates, args.clients)
    reachable = out["create_closed"]["rate"] >= 0.9 * args.rate
    out["open_rate"] = args.rate if reachable else max(1.0, 0.8 * out["create_closed"]["rate"])
    await phase("create_open", open_loop, creates, out["open_rate"])
    await phase("ref_open", open_loop, reference, out["open_rate"])
    return out


def _report(r: dict, before: int, after: int, args, server_tail: list[str]) -> None:
    setup = f"{args.workers} gunicorn workers, Huey/cache on {'Redis' if args.redis else 'files'}"
    print(f"PostgreSQL, {setup}, {args.seconds:.0f} s per phase, load {_loadavg()}")
    rate = r["open_rate"]
    rc, cc, co, ro = r["ref_closed"], r["create_closed"], r["create_open"], r["ref_open"]
    print(_line(f"reference GET, closed loop {args.clients} clients", rc))
    print(_line(f"create, closed loop {args.clients} clients", cc))
    print(_line(f"create, open loop {rate:.0f}/s", co))
    print(_line(f"reference GET, open loop {rate:.0f}/s", ro))
    print(
        f"ratio create/reference: most sustained {rc['rate'] / max(cc['rate'], 0.01):.1f}× "
        f"fewer creates than trivial GETs; p99 at {rate:.0f}/s "
        f"{co['p99'] / max(ro['p99'], 0.01):.1f}× the GET's"
    )
    sustained = rate >= TARGET_RATE and co["rate"] >= 0.98 * rate and co["errors"] == 0
    verdict = "OK" if sustained and co["p99"] <= TARGET_P99 else "NOT MET"
    print(
        f"target ≥ {TARGET_RATE:.0f} orders/s with p99 ≤ {TARGET_P99:.0f} ms: {verdict} "
        f"(most sustained {cc['rate']:.0f}/s at p99 {cc['p99']:.0f} ms; at {rate:.0f}/s "
        f"offered: {co['rate']:.0f}/s, p99 {co['p99']:.0f} ms)"
    )
    for label, result in (("reference GET", rc), ("create", cc)):
        cpu = result["cpu"]
        total = cpu["web_ms"] + cpu["db_ms"] + cpu["client_ms"]
        print(
            f"CPU per {label}: web {cpu['web_ms']:.1f} ms (of which the Huey consumer "
            f"{cpu['worker_ms']:.1f} ms) + PostgreSQL {cpu['db_ms']:.1f} ms "
            f"+ load client {cpu['client_ms']:.1f} ms = {total:.1f} ms → two dedicated cores "
            f"could serve at most {2000 / total:.0f}/s"
        )
    ok = r["warm"]["ok"] + co["ok"] + cc["ok"]
    check = "OK" if after - before == ok else "MISMATCH"
    print(f"database: {after - before:,} new orders for {ok:,} answers 201 — {check}")
    if check != "OK" or co["errors"] or cc["errors"]:
        print("first error:", co["first_error"] or cc["first_error"])
        print("server log:", *server_tail, sep="\n  ")


def _loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


if __name__ == "__main__":
    main()
