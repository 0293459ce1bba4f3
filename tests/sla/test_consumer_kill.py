"""Killing the Huey consumer in the middle of an escalation run loses nothing and doubles
nothing: after a restart every breached clock has exactly one event per ladder step.

A real `kefu run_huey` process works a real queue (SqliteHuey in the test's data dir, or
Redis when KEFU_TEST_REDIS_URL is set) against a database of its own: a SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL. The test SIGKILLs it while
escalation events are being written, restarts it and polls the database until the ladder
is done (with a timeout, no fixed sleeps).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
KEFU = str(Path(sys.executable).parent / "kefu")
# 200 clocks × 3 steps: the first batch (200 breaches) commits long before the last.
ORDERS = 100
TIMEOUT = 180.0


class Environment:
    """A data dir, a database and a queue that only this test's processes use."""

    def __init__(self, tmp_path: Path):
        self.env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path), "KEFU_LOG_LEVEL": "ERROR"}
        for name in ("KEFU_DATABASE_URL", "KEFU_REDIS_URL", "KEFU_HUEY_IMMEDIATE"):
            self.env.pop(name, None)
        paths = [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        self.tmp_path = tmp_path
        self.pg_admin_url = self.pg_name = None
        db = settings.DATABASES["default"]
        if db["ENGINE"] == "django.db.backends.postgresql":
            self.pg_name = f"kefu_sla_kill_{uuid.uuid4().hex[:8]}"
            host, port, user = db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["USER"]
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            base = f"postgres://{user}{password}@{host}:{port}"
            self.pg_admin_url = f"{base}/postgres"
            self._pg(f'CREATE DATABASE "{self.pg_name}"')
            self.env["KEFU_DATABASE_URL"] = f"{base}/{self.pg_name}"
        self.redis_url = os.environ.get("KEFU_TEST_REDIS_URL", "")
        self.huey_name = f"kefu-sla-kill-{uuid.uuid4().hex[:8]}"
        if self.redis_url:
            self.env["KEFU_REDIS_URL"] = self.redis_url
            self.env["KEFU_HUEY_NAME"] = self.huey_name

    def _pg(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def scalar(self, sql: str) -> int:
        """One number from the consumer's database, read directly (fast polling)."""
        if self.pg_name:
            import psycopg

            with psycopg.connect(self.env["KEFU_DATABASE_URL"]) as connection:
                return connection.execute(sql).fetchone()[0]
        with sqlite3.connect(self.tmp_path / "kefu.sqlite3", timeout=30) as connection:
            return connection.execute(sql).fetchone()[0]

    def scenario(self, *args: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "tests.sla.consumer_scenario", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def consumer(self, log_name: str) -> subprocess.Popen:
        log = (self.tmp_path / log_name).open("w")
        return subprocess.Popen(
            [KEFU, "run_huey"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches every thread
        )

    def close(self) -> None:
        if self.redis_url:
            from huey import RedisHuey

            RedisHuey(self.huey_name, url=self.redis_url).flush()
        if self.pg_name:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def wait_for(condition: Callable[[], bool], what: str, *, process=None, log=None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            output = log.read_text() if log else ""
            pytest.fail(f"the consumer exited ({process.returncode}) before {what}:\n{output}")
        time.sleep(0.01)  # a polling interval, not a wait for something to happen
    pytest.fail(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)  # the group of the consumer this test started
    process.wait(timeout=60)


@pytest.fixture
def environment(tmp_path):
    env = Environment(tmp_path)
    yield env
    env.close()


ESCALATIONS = "SELECT COUNT(*) FROM workorders_workorderevent WHERE action = 'escalate'"
STILL_DUE = "SELECT COUNT(*) FROM sla_slaclock WHERE next_check_at IS NOT NULL"


def test_killed_consumer_escalates_every_breach_exactly_once_after_restart(environment):
    setup = environment.scenario("setup", str(ORDERS))
    clocks = setup["clocks"]
    assert clocks == 2 * ORDERS
    total = 3 * clocks

    first = environment.consumer("consumer-1.log")
    try:
        environment.scenario("enqueue")
        wait_for(
            lambda: environment.scalar(ESCALATIONS) > 0,
            "the first escalations",
            process=first,
            log=environment.tmp_path / "consumer-1.log",
        )
    finally:
        stop(first, signal.SIGKILL)  # mid-run: no chance to finish or clean up
    done_at_kill = environment.scalar(ESCALATIONS)
    assert 0 < done_at_kill < total, "the run finished before the kill: raise ORDERS"

    second = environment.consumer("consumer-2.log")
    try:
        # The minute tick re-queues the monitor; a duplicate delivery must change nothing.
        environment.scenario("enqueue")
        environment.scenario("enqueue")
        wait_for(
            lambda: environment.scalar(STILL_DUE) == 0,
            "the ladder to finish",
            process=second,
            log=environment.tmp_path / "consumer-2.log",
        )
    finally:
        stop(second, signal.SIGTERM)

    report = environment.scenario("report")
    assert report["ladder"] == [3]
    expected = {f"{clock}:{step}": 1 for clock in report["clocks"] for step in (1, 2, 3)}
    assert report["steps"] == expected  # every step of every clock, each exactly once
    # Step 1 tells the handler and the owner; steps 2 and 3 one supervisor each.
    assert report["messages"] == {"sla_breached": 2 * clocks, "sla_escalated": 2 * clocks}
