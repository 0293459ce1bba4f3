"""The production cache backend on a real Redis: a revoked role must reach every worker
through it (kefu.org.actor), so it has to behave exactly like Django's own."""

from __future__ import annotations

import os
import uuid

import pytest

from kefu.core.cache import KefuRedisCache

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not REDIS_URL,
    reason="KEFU_TEST_REDIS_URL is not set (CI sets redis://127.0.0.1:6379/15)",
)


@pytest.fixture
def cache():
    backend = KefuRedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    backend.delete_many(["generation", "user:7", "counter"])


def test_values_round_trip_and_expire_like_djangos_backend(cache):
    assert cache.get("user:7") is None
    assert cache.add("generation", "g1") is True
    assert cache.add("generation", "g2") is False  # add never overwrites
    cache.set("user:7", ("g1", {"perms": frozenset({"workorders.add_workorder"})}), 60)
    assert cache.get_many(["generation", "user:7"]) == {
        "generation": "g1",
        "user:7": ("g1", {"perms": frozenset({"workorders.add_workorder"})}),
    }
    cache.set("counter", 1)
    assert cache.incr("counter") == 2
    cache.set("user:7", "gone", 0)  # a zero timeout deletes, as in Django
    assert cache.get("user:7") is None


def test_one_client_serves_every_call(cache):
    first = cache._cache.get_client(write=True)
    cache.set("counter", 5)
    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client() is first  # one server: reads share the pool


def test_a_counter_counts_in_one_round_trip_and_expires(cache):
    assert [cache.count_hit("counter", 61) for _ in range(3)] == [1, 2, 3]
    assert cache.get("counter") == 3
    ttl = cache._cache.get_client().ttl(cache.make_and_validate_key("counter"))
    assert 0 < ttl <= 61  # set once, by the first hit, and not pushed back by later ones
