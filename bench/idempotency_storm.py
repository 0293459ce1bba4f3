"""Retry-storm client: POSTs with Idempotency-Keys from a pool of threads, over HTTP.

    python bench/idempotency_storm.py < job.json > replies.json

job: {"url": "http://127.0.0.1:8000/api/v1/customers/", "token": "…", "threads": 8,
      "sends": [["key" or null, {body}], …]}    (sent in this order, `threads` at a time)
replies: [[status, body, replayed, started, ended, waits], …]   (one per send, same order)

Standard library only, and run as a process of its own: the server under test (pytest's
live server shares the test's interpreter) keeps its core and its GIL to itself. Used by
tests/core/test_idempotency.py and bench/idempotency.py.

A client told 409 idempotency_in_progress waits 50 ms and sends again, as a real client
should; so does one whose keep-alive connection the server closed (safe: the request
carries its key). Each reply counts those extra sends in `waits`.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

MAX_WAITS = 200  # 10 s of "in progress" for one key means something is stuck


def run(job: dict) -> list[list]:
    url = urlsplit(job["url"])
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        return local.conn

    def send(item: list) -> list:
        key, body = item
        payload = json.dumps(body).encode()
        headers = {"Authorization": f"Token {job['token']}", "Content-Type": "application/json"}
        if key is not None:  # null: send without the header (a reference run)
            headers["Idempotency-Key"] = key
        started, waits = time.perf_counter(), 0
        while True:
            try:
                conn = connection()
                conn.request("POST", url.path, payload, headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                local.conn.close()
                local.conn = None
                waits += 1
                if waits > MAX_WAITS:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                local.conn = None
            data = json.loads(raw) if raw else None
            in_progress = isinstance(data, dict) and data.get("code") == "idempotency_in_progress"
            if response.status == 409 and in_progress and waits < MAX_WAITS:
                waits += 1
                time.sleep(0.05)
                continue
            replayed = response.getheader("Idempotent-Replayed") == "true"
            return [response.status, data, replayed, started, time.perf_counter(), waits]

    with ThreadPoolExecutor(max_workers=job.get("threads", 8)) as pool:
        return list(pool.map(send, job["sends"]))


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout, ensure_ascii=False)
