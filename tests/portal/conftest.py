"""A customer signed in to the portal the way they would be: a code by SMS, read from the
outbox, typed in."""

from __future__ import annotations

import re

import pytest

from kefu.notify.models import Message


def last_code(phone: str) -> str:
    body = Message.objects.filter(address=phone, template="portal_otp").latest("pk").body
    return re.search(r"\d{6}", body).group(0)


def sign_in(client, phone: str, *, ip: str = "10.0.0.1") -> None:
    response = client.post("/portal/login/", {"phone": phone}, REMOTE_ADDR=ip)
    assert response.status_code == 302, response.content.decode()
    response = client.post("/portal/login/code/", {"code": last_code(phone)}, REMOTE_ADDR=ip)
    assert response.status_code == 302 and response["Location"] == "/portal/"


@pytest.fixture
def portal_a(client, customer_a, clock):
    """customer_a (王小明, 13912345678) signed in."""
    sign_in(client, customer_a.phone)
    return client


def portal_routes() -> list[tuple[str, str]]:
    """(name, route) of every portal URL, as /portal/… with its <parameters> left in:
    read from the URLconf, so a page added later is probed without anyone listing it."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield p.name, prefix + str(p.pattern)

    portal = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "portal")
    return list(walk(portal.url_patterns, "/" + str(portal.pattern)))


def filled(route: str, **values: str) -> str:
    """`route` with each <parameter> replaced by values[name]; a parameter the test does not
    know fails it, so a new page's object is probed too."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in values, f"{route}: the isolation probe needs a value for <{name}>"
        return values[name]

    return re.sub(r"<(?:\w+:)?(\w+)>", value, route)
