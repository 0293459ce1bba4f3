"""The Redis cache backend, keeping one client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and redis-py
fills a table of ~200 response callbacks for each: a sixth of a trivial API request,
which reads the cache three or four times (throttle, permissions). A client is
thread-safe and holds no connection of its own (the pool does), so one per pool serves.
"""

from __future__ import annotations

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


def count_hit(cache: BaseCache, key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout` seconds to live) and return it.

    One round trip where the backend can (KefuRedisCache.count_hit); otherwise increment
    first, as the counter usually exists, and create it when it does not.
    """
    counter = getattr(cache, "count_hit", None)
    if counter is not None:
        return counter(key, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # another process created it in between


class _PooledClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class KefuRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _PooledClient

    def count_hit(self, key: str, timeout: int) -> int:
        """INCR and, for a new counter, its expiry, in one round trip. (Django's `incr`
        asks EXISTS first and cannot set an expiry.)"""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, timeout, nx=True)
            hits, _ = pipe.execute()
        return hits
