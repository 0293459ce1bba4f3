"""Login throttling: too many failed sign-ins for one (username, client IP) lock the pair.

Kept in Django's cache (file cache by default, Redis when configured). The entry stores
its own expiry because some cache backends reset the timeout on `incr`; the window opens
at the first failure and the lock lasts until the window closes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class LoginAttempts:
    failures: int
    until: float  # epoch seconds when the window (and any lock) ends

    def retry_after(self, now: float) -> int:
        return max(int(self.until - now + 0.999), 0)


def _key(username: str, ip: str) -> str:
    raw = f"{(username or '').strip().lower()}\x00{ip or ''}".encode()
    return "kefu:login-fail:" + hashlib.sha256(raw).hexdigest()


def _read(key: str, now: float) -> LoginAttempts | None:
    value = cache.get(key)
    if not value:
        return None
    failures, until = value
    if until <= now:
        return None
    return LoginAttempts(failures=failures, until=until)


def login_locked(*, username: str, ip: str) -> LoginAttempts | None:
    """The attempts record if this pair is locked out now, else None."""
    now = time.time()
    attempts = _read(_key(username, ip), now)
    if attempts and attempts.failures >= settings.KEFU_LOGIN_MAX_FAILURES:
        return attempts
    return None


def login_failed(*, username: str, ip: str) -> LoginAttempts:
    """Count one failure; the first failure opens a window of KEFU_LOGIN_LOCK_SECONDS."""
    now = time.time()
    key = _key(username, ip)
    previous = _read(key, now)
    if previous:
        attempts = LoginAttempts(failures=previous.failures + 1, until=previous.until)
    else:
        attempts = LoginAttempts(failures=1, until=now + settings.KEFU_LOGIN_LOCK_SECONDS)
    cache.set(key, (attempts.failures, attempts.until), timeout=attempts.retry_after(now) + 1)
    return attempts


def login_succeeded(*, username: str, ip: str) -> None:
    cache.delete(_key(username, ip))
