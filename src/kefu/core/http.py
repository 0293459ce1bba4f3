"""Request facts every edge needs, decided once."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address for the access log and login throttling.

    Without proxies (KEFU_NUM_PROXIES unset) this is the peer address: X-Forwarded-For is
    ignored because any client can forge it. With N trusted proxies in front, it is the
    address the outermost of them saw — the N-th entry from the right of X-Forwarded-For,
    the rule DRF's throttles use too — so the access log names the real client, not nginx.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if proxies and forwarded:
        candidate = forwarded[-min(proxies, len(forwarded))]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote
