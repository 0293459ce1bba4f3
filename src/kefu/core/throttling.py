"""API rate limits as fixed-window counters: one increment per request.

DRF's own throttles keep a sliding log of every request's timestamp per user (up to
6,000 at the default rate), read and rewritten whole on every request: on the file cache
that was 1.2 ms of compressing the log per API call. A counter per (user, window) costs
one `INCR` on Redis. The price is the usual one of fixed windows: a client can fit up to
twice the rate into the seconds around a window boundary, which is fine for a limit that
guards against runaway integrations, not for billing.

Clients are told apart by `kefu.core.http.client_ip`, the rule of the access log and the
sign-in lockout, not by DRF's own, which trusts a forgeable X-Forwarded-For by default.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings

from kefu.core.cache import count_hit
from kefu.core.http import client_ip


class ClientAddressMixin:
    def get_ident(self, request) -> str:
        # X-Forwarded-For only as far as KEFU_NUM_PROXIES trusts it: with no proxies set,
        # DRF would believe any client's header, and a new forged address per request
        # would start a new count every time.
        return client_ip(request)


class FixedWindowMixin(ClientAddressMixin):
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        # Kept a second past the window so a counter never expires while still counting.
        hits = count_hit(self.cache, f"{self.key}:{window}", self.duration + 1)
        return hits <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (`anon` rate)."""


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """Signed-in users, by user (`user` rate)."""


class ScreenPopRateThrottle(FixedWindowMixin, throttling.SimpleRateThrottle):
    """Scope `screen_pop`, per user: the lookups that confirm a whole phone number belongs to
    a customer (CTI screen-pop, customer search by phone or account) by design, at a rate a
    person answering calls never reaches (KEFU_THROTTLE_SCREEN_POP, 120/min by default) and
    far below the general `user` rate. Views add it on top of the default throttles."""

    scope = "screen_pop"

    def get_rate(self) -> str | None:
        # Read when the request comes, not when the class was imported (DRF's default).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous callers get 401 and the `anon` rate
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
