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
