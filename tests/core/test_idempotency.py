"""Idempotency-Key on API writes: replay, reuse, malformed keys, rollback, expiry, races.

Most tests go through Django's test client, against POST /api/v1/customers/ and a probe
viewset defined here (a create and an @action that write auth Groups, with switches to fail).
The retry storm at the end sends 10,000 requests over real HTTP to the live server from
eight threads of a client process; `retry_storm` takes any endpoint's path and a payload
factory, so other creates join by adding a StormEndpoint to its parameters.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import random
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.urls import include, path
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from kefu.core import idempotency
from kefu.core.errors import ValidationFailed
from kefu.core.idempotency import idempotent
from kefu.core.models import IdempotencyRecord
from kefu.core.tasks import idempotency_purge_expired
from kefu.customers.models import Customer
from kefu.gunicorn_conf import GC_THRESHOLDS

URL = "/api/v1/customers/"
PROBE = "/probe/"
STORM_CLIENT = Path(__file__).resolve().parents[2] / "bench" / "idempotency_storm.py"


# --- a probe viewset, routed only for the tests that ask for this module's urls ----------


class ProbeViewSet(viewsets.ViewSet):
    """Writes a Group per request; `fail` makes calls raise or return an error, `hold`
    keeps one waiting inside its transaction."""

    fail: str = ""  # "raise" | "return" | ""
    hold: threading.Event | None = None  # set: wait for it inside the transaction
    entered: threading.Event | None = None

    @idempotent
    def create(self, request):
        fail = ProbeViewSet.fail  # as it was when this request came in
        group = Group.objects.create(name=request.data["name"])
        if ProbeViewSet.entered is not None:
            ProbeViewSet.entered.set()
        if ProbeViewSet.hold is not None:
            ProbeViewSet.hold.wait(10)
        if fail == "raise":
            raise ValidationFailed("probe failure")
        if fail == "return":
            return Response({"code": "probe"}, status=status.HTTP_409_CONFLICT)
        return Response({"id": group.pk, "name": group.name}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    @idempotent
    def rename(self, request, pk):
        group = Group.objects.get(pk=pk)
        group.name = f"{group.name}+{request.data['suffix']}"
        group.save()
        return Response({"id": group.pk, "name": group.name})

    @action(detail=False, methods=["post"], permission_classes=[AllowAny])
    @idempotent
    def public(self, request):
        return Response({"ok": True}, status=status.HTTP_201_CREATED)


_router = SimpleRouter()
_router.register("probe", ProbeViewSet, basename="probe")
urlpatterns = [path("", include(_router.urls)), path("", include("kefu.urls"))]
probe_urls = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _probe_reset():
    yield
    ProbeViewSet.fail, ProbeViewSet.hold, ProbeViewSet.entered = "", None, None


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def api(db):
    """A client calling the API with the user's token; post(…, key=…) sends the header."""

    def build(user) -> KeyedClient:
        token, _ = Token.objects.get_or_create(user=user)
        return KeyedClient(token.key)

    return build


class KeyedClient(APIClient):
    def __init__(self, token: str):
        super().__init__()
        self.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def post(self, url, data=None, *, key=None, **extra):
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return super().post(url, data, format="json", **extra)


def _customer(org, name="孙丽", unit="county_a1", **more) -> dict:
    return {"kind": "individual", "name": name, "org_unit": org[unit].pk, **more}


# --- replay -------------------------------------------------------------------------------


def test_a_retry_gets_the_first_response_and_creates_nothing(api, agent_a, org):
    client = api(agent_a)
    body = _customer(org, phone="13900001111", tags=["新装"])
    first = client.post(URL, body, key="order-7f3a")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    for _ in range(3):
        again = client.post(URL, body, key="order-7f3a")
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.content == first.content  # byte for byte, key order included
    assert Customer.objects.filter(name="孙丽").count() == 1
    assert IdempotencyRecord.objects.get().user == agent_a


def test_the_same_json_encoded_differently_is_the_same_request(api, agent_a, org):
    client = api(agent_a)
    body = _customer(org)
    first = client.post(URL, body, key="k1")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.generic("POST", URL, reordered, "application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert Customer.objects.count() == 1


@probe_urls
def test_any_json_body_can_be_fingerprinted(api, agent_a):
    client = api(agent_a)
    odd = '{"name": "g", "note": "\\ud83d\\ude00 pair", "nested": {"b": [1, 2.5, null], "a": true}}'
    first = client.generic("POST", PROBE, odd, "application/json", HTTP_IDEMPOTENCY_KEY="odd")
    again = client.generic("POST", PROBE, odd, "application/json", HTTP_IDEMPOTENCY_KEY="odd")
    assert (first.status_code, again["Idempotent-Replayed"]) == (201, "true")
    # A lone surrogate is refused by the parser (400) and leaves no record to replay.
    lone = '{"name": "g", "note": "\\ud800 alone"}'
    refused = client.generic("POST", PROBE, lone, "application/json", HTTP_IDEMPOTENCY_KEY="lone")
    assert refused.status_code == 400 and "Idempotent-Replayed" not in refused


def test_without_the_header_every_request_writes(api, agent_a, org):
    client = api(agent_a)
    assert [client.post(URL, _customer(org)).status_code for _ in range(2)] == [201, 201]
    assert Customer.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@probe_urls
def test_action_methods_replay_too(api, agent_a):
    client = api(agent_a)
    group = Group.objects.create(name="g")
    url = f"{PROBE}{group.pk}/rename/"
    first = client.post(url, {"suffix": "x"}, key="rename-1")
    again = client.post(url, {"suffix": "x"}, key="rename-1")
    assert first.json() == again.json() == {"id": group.pk, "name": "g+x"}
    assert again["Idempotent-Replayed"] == "true"
    group.refresh_from_db()
    assert group.name == "g+x"  # renamed once


# --- keys belong to one user and one request ----------------------------------------------


def test_keys_are_per_user(api, agent_a, agent_b, org):
    mine = api(agent_a).post(URL, _customer(org, "甲"), key="shared-key")
    theirs = api(agent_b).post(URL, _customer(org, "乙", unit="county_b1"), key="shared-key")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["乙", "甲"]


@pytest.mark.parametrize(
    ("second_url", "second_body"),
    [
        (URL, {"name": "另一个人"}),
        (f"{URL}?dry=1", {}),
        (f"{PROBE}", {}),
    ],
    ids=["other-body", "other-query", "other-endpoint"],
)
@probe_urls
def test_a_key_reused_for_another_request_is_refused(api, agent_a, org, second_url, second_body):
    client = api(agent_a)
    assert client.post(URL, _customer(org), key="once").status_code == 201
    body = {**_customer(org), **second_body} if second_url != PROBE else {"name": "g"}
    response = client.post(second_url, body, key="once")
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["message"]
    assert error["extra"] == {"header": "Idempotency-Key"}
    assert Customer.objects.count() == 1 and not Group.objects.exists()


@pytest.mark.parametrize(
    "key",
    ["", "   ", "x" * 101, "tab\there", "del\x7f", "中文键", "é"],
    ids=["empty", "blank", "too-long", "tab", "control", "non-ascii", "latin-1"],
)
def test_a_malformed_key_is_refused_naming_the_header(api, agent_a, org, key):
    response = api(agent_a).post(URL, _customer(org), key=key)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "validation_failed"
    # "Idempotency-Key: …" in English, "Idempotency-Key：…" in Chinese.
    assert re.match(r"Idempotency-Key(: |：)", error["message"]), error["message"]
    assert list(error["extra"]["errors"]) == ["Idempotency-Key"]
    assert not Customer.objects.exists() and not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["a", "x" * 100, " spaced out ~!@#$%^&*() ", str(uuid.uuid4())])
def test_any_printable_ascii_key_up_to_100_characters_is_accepted(api, agent_a, org, key):
    client = api(agent_a)
    assert client.post(URL, _customer(org), key=key).status_code == 201
    assert client.post(URL, _customer(org), key=key)["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get().key == key.strip(" ")


@probe_urls
def test_an_anonymous_caller_cannot_use_a_key(client, db):
    """Keys are kept per user: where anyone may write, the header is refused, not ignored."""
    response = client.post(f"{PROBE}public/", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert list(response.json()["extra"]["errors"]) == ["Idempotency-Key"]
    assert client.post(f"{PROBE}public/").status_code == 201


# --- failures are not stored --------------------------------------------------------------


def test_a_validation_failure_is_not_stored_and_the_corrected_retry_runs(api, agent_a, org):
    client = api(agent_a)
    bad = client.post(URL, {**_customer(org), "phone": "12345"}, key="fix-me")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    good = client.post(URL, _customer(org, phone="13900001111"), key="fix-me")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good
    again = client.post(URL, _customer(org, phone="13900001111"), key="fix-me")
    assert again["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


@probe_urls
def test_a_raising_view_rolls_back_its_writes_and_the_record(api, agent_a):
    client = api(agent_a)
    ProbeViewSet.fail = "raise"
    assert client.post(PROBE, {"name": "g"}, key="k").status_code == 400
    assert not Group.objects.exists() and not IdempotencyRecord.objects.exists()

    ProbeViewSet.fail = ""
    retry = client.post(PROBE, {"name": "g"}, key="k")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Group.objects.get().name == "g"


@probe_urls
def test_an_error_response_is_not_stored_and_the_views_writes_stand(api, agent_a):
    client = api(agent_a)
    ProbeViewSet.fail = "return"
    assert client.post(PROBE, {"name": "g"}, key="k").status_code == 409
    assert Group.objects.count() == 1  # as without the header: the view chose to keep it
    assert not IdempotencyRecord.objects.exists()

    ProbeViewSet.fail = ""
    Group.objects.all().delete()
    assert client.post(PROBE, {"name": "g"}, key="k").status_code == 201


@probe_urls
def test_a_key_seen_in_flight_gets_409_asking_to_retry(api, agent_a, monkeypatch):
    client = api(agent_a)
    assert client.post(PROBE, {"name": "g"}, key="k").status_code == 201
    # What a database that shows uncommitted rows would show of a request still running.
    IdempotencyRecord.objects.update(status_code=None)
    response = client.post(PROBE, {"name": "g"}, key="k")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert "Idempotency-Key" in response.json()["message"]

    # A database that refuses the insert at once, before the other request committed.
    IdempotencyRecord.objects.all().delete()
    monkeypatch.setattr(idempotency, "_run_once", _raise_key_taken)
    response = client.post(PROBE, {"name": "h"}, key="k2")
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_in_progress")


def _raise_key_taken(*args, **kwargs):
    raise idempotency._KeyTaken()


# --- expiry -------------------------------------------------------------------------------


def test_records_expire_and_are_purged(api, agent_a, org, settings):
    settings.KEFU_IDEMPOTENCY_TTL_HOURS = 2
    client = api(agent_a)
    client.post(URL, _customer(org, "旧"), key="old")
    client.post(URL, _customer(org, "新"), key="new")
    record = IdempotencyRecord.objects.get(key="new")
    assert record.expires_at - record.created_at == timedelta(hours=2)
    IdempotencyRecord.objects.filter(key="old").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert idempotency.purge_expired() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_purge_expired.call_local() == 0  # the hourly task: nothing left
    # The key is free again: the same request now creates a second customer.
    response = client.post(URL, _customer(org, "旧"), key="old")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Customer.objects.filter(name="旧").count() == 2


def test_an_expired_record_not_yet_purged_frees_its_key(api, agent_a, org):
    client = api(agent_a)
    client.post(URL, _customer(org), key="k")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(URL, _customer(org, "别人"), key="k")  # another body: no 422
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.get().expires_at > timezone.now()


def test_purge_works_in_batches(agent_a, monkeypatch):
    monkeypatch.setattr(idempotency, "_PURGE_BATCH", 3)
    past = timezone.now() - timedelta(hours=1)
    IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(user=agent_a, key=f"k{i}", fingerprint="f", expires_at=past)
        for i in range(7)
    )
    assert idempotency.purge_expired() == 7
    assert not IdempotencyRecord.objects.exists()


# --- schema -------------------------------------------------------------------------------


def test_the_schema_documents_the_header_on_customer_create(api, agent_a):
    schema = api(agent_a).get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/customers/"]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required")
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert {"409", "422"} <= set(create["responses"])


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs connections of their own; the SQLite test database is one shared connection",
)
@probe_urls
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_twin_waits_for_the_first_and_replays_it(agent_a):
    """PostgreSQL: the twin blocks on the unique index until the first commits."""
    token = Token.objects.create(user=agent_a).key
    ProbeViewSet.entered, ProbeViewSet.hold = threading.Event(), threading.Event()
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        try:
            answers[name] = KeyedClient(token).post(PROBE, {"name": "g"}, key="twin")
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert ProbeViewSet.entered.wait(10)  # the first holds its transaction open
    ProbeViewSet.entered = None
    twin = threading.Thread(target=send, args=("twin",))
    twin.start()
    twin.join(0.5)
    assert twin.is_alive(), "the twin should wait for the first request"
    ProbeViewSet.hold.set()
    first.join(10)
    twin.join(10)

    assert answers["first"].status_code == answers["twin"].status_code == 201
    assert answers["twin"]["Idempotent-Replayed"] == "true"
    assert answers["twin"].content == answers["first"].content
    assert Group.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs connections of their own; the SQLite test database is one shared connection",
)
@probe_urls
@pytest.mark.django_db(transaction=True)
def test_a_twin_of_a_failed_request_runs_afresh(agent_a):
    """PostgreSQL: when the first rolls back, the waiting twin's insert succeeds and it runs."""
    token = Token.objects.create(user=agent_a).key
    ProbeViewSet.entered, ProbeViewSet.hold = threading.Event(), threading.Event()
    ProbeViewSet.fail = "raise"
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        try:
            answers[name] = KeyedClient(token).post(PROBE, {"name": "g"}, key="twin")
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert ProbeViewSet.entered.wait(10)
    ProbeViewSet.entered = None
    twin = threading.Thread(target=send, args=("twin",))
    twin.start()
    twin.join(0.5)
    assert twin.is_alive()
    ProbeViewSet.fail = ""  # only the first fails
    ProbeViewSet.hold.set()
    first.join(10)
    twin.join(10)

    assert answers["first"].status_code == 400
    assert answers["twin"].status_code == 201 and "Idempotent-Replayed" not in answers["twin"]
    assert Group.objects.count() == 1


# --- the retry storm: 10,000 requests over real HTTP --------------------------------------


@dataclass
class Reply:
    status: int
    body: dict
    replayed: bool
    started: float
    ended: float
    waits: int  # sends repeated before this reply (409 in progress, connection closed)


def retry_storm(
    base_url: str,
    path: str,
    token: str,
    payload_for: Callable[[int], dict],
    *,
    keys: int = 2500,
    total: int = 10_000,
    threads: int = 8,
    seed: int = 20261123,
) -> dict[str, list[Reply]]:
    """POST `total` requests to base_url + path over `keys` Idempotency-Keys, 1–7 per key.

    Each key's sends are shuffled into the stream; for about a third of the keys some of
    them go out back to back, so the pool's threads send them at the same moment. The
    sending is done by bench/idempotency_storm.py in a process of its own (the live server
    runs in this one and needs the interpreter). Returns each key's replies.
    """
    rng = random.Random(seed)
    counts = [rng.randint(1, 7) for _ in range(keys)]
    while (surplus := sum(counts) - total) != 0:
        i = rng.randrange(keys)
        if surplus > 0 and counts[i] > 1:
            counts[i] -= 1
        elif surplus < 0 and counts[i] < 7:
            counts[i] += 1
    units: list[list[int]] = []
    for i, count in enumerate(counts):
        burst = rng.randint(2, count) if count > 1 and rng.random() < 0.35 else 1
        units.append([i] * burst)
        units.extend([i] for _ in range(count - burst))
    rng.shuffle(units)
    schedule = list(itertools.chain.from_iterable(units))
    assert len(schedule) == total

    key_names = [f"storm-{seed}-{i:05d}" for i in range(keys)]
    payloads = [payload_for(i) for i in range(keys)]
    job = {
        "url": base_url + path,
        "token": token,
        "threads": threads,
        "sends": [[key_names[i], payloads[i]] for i in schedule],
    }
    done = subprocess.run(
        [sys.executable, str(STORM_CLIENT)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    replies: dict[str, list[Reply]] = defaultdict(list)
    for i, row in zip(schedule, json.loads(done.stdout), strict=True):
        replies[key_names[i]].append(Reply(*row))
    assert len(replies) == keys
    return replies


def check_one_record_per_key(replies: dict[str, list[Reply]], created) -> dict[str, int]:
    """Every key: all replies 2xx with one body, exactly one not replayed, one row behind it.

    `created` is a queryset of the rows the endpoint made during the storm. Returns figures
    for the test's report.
    """
    failures = {
        key: [(r.status, r.body) for r in rs if not 200 <= r.status < 300]
        for key, rs in replies.items()
    }
    failures = {key: f for key, f in failures.items() if f}
    assert not failures, f"{len(failures)} keys failed, e.g. {next(iter(failures.items()))}"
    ids = {}
    for key, rs in replies.items():
        assert all(r.body == rs[0].body for r in rs), f"{key}: replies differ"
        assert sum(not r.replayed for r in rs) == 1, f"{key}: processed more than once"
        ids[key] = rs[0].body["id"]
    assert len(set(ids.values())) == len(replies), "two keys share a record"
    assert sorted(created.values_list("pk", flat=True)) == sorted(ids.values())
    overlapping = sum(1 for rs in replies.values() if _any_overlap(rs))
    return {
        "keys": len(replies),
        "requests": sum(len(rs) for rs in replies.values()),
        "keys_sent_concurrently": overlapping,
        "in_progress_waits": sum(r.waits for rs in replies.values() for r in rs),
    }


def _any_overlap(replies: list[Reply]) -> bool:
    spans = sorted((r.started, r.ended) for r in replies)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


@dataclass(frozen=True)
class StormEndpoint:
    """An endpoint for the storm: its path, a payload per key number, the rows it creates."""

    path: str
    payload: Callable[[dict, int], dict]  # (org units, key number) -> request body
    created: Callable[[], object]  # queryset of the rows made by the storm's payloads


CUSTOMER_CREATE = StormEndpoint(
    path=URL,
    payload=lambda org, i: {
        "kind": "individual",
        "name": f"风暴客户{i:05d}",
        "phone": f"139{i:08d}",
        "org_unit": org["county_a1"].pk,
    },
    created=lambda: Customer.objects.filter(name__startswith="风暴客户"),
)


@pytest.fixture
def storm_server(live_server):
    """pytest's live server, made fit for 10,000 requests.

    - TCP_NODELAY on its connections (gunicorn sets it too): the server writes headers and
      body separately, and without it every keep-alive response stalls ~40 ms on Nagle's
      algorithm meeting the client's delayed ACK.
    - On SQLite its threads share the test database's one connection (the database is in
      memory), where two transactions cannot run side by side; so it takes one request at a
      time, as SQLite's single writer would. Clients still send concurrently.
    - The garbage collector tuned as `kefu serve` tunes its workers (kefu.gunicorn_conf):
      full collections over the ~200,000 objects of Django and pytest cost ~10 % otherwise.
    """
    httpd = live_server.thread.httpd
    app, get_request = httpd.get_app(), httpd.get_request
    lock = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def accept():
        sock, address = get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def one_at_a_time(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    httpd.get_request = accept
    httpd.set_app(one_at_a_time)
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    yield live_server
    gc.set_threshold(*thresholds)
    gc.unfreeze()
    httpd.set_app(app)
    del httpd.get_request


@pytest.mark.parametrize("endpoint", [CUSTOMER_CREATE], ids=["customers"])
@pytest.mark.django_db(transaction=True)
def test_retry_storm_creates_exactly_one_record_per_key(
    endpoint, storm_server, org, agent_a, monkeypatch, capsys
):
    # 10,000 requests in well under a minute are far above the per-user rate limit.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": None}
    )
    token = Token.objects.create(user=agent_a).key
    started, cpu = time.perf_counter(), time.process_time()
    client_cpu = _children_cpu()
    replies = retry_storm(
        storm_server.url, endpoint.path, token, lambda i: endpoint.payload(org, i)
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    client_cpu = _children_cpu() - client_cpu

    figures = check_one_record_per_key(replies, endpoint.created())
    assert IdempotencyRecord.objects.filter(user=agent_a).count() == figures["keys"]
    assert figures["requests"] == 10_000
    assert figures["keys_sent_concurrently"] > 0  # the storm did race
    with capsys.disabled():
        print(
            f"\n{endpoint.path} on {connection.vendor}: {figures}; {seconds:.1f} s wall, "
            f"CPU {cpu:.1f} s server (this process) + {client_cpu:.1f} s client"
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
