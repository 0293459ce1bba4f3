"""Signing in with a one-time SMS code: 6 digits, 5 minutes, single use, 5 wrong tries,
throttled per phone and per address, and never telling who is a customer."""

from __future__ import annotations

import pytest

from kefu.notify.models import Message
from kefu.portal.models import OtpCode
from tests.factories import PASSWORD
from tests.portal.conftest import last_code, sign_in

pytestmark = pytest.mark.usefixtures("clock")


def _ask(client, phone, ip="10.0.0.1"):
    return client.post("/portal/login/", {"phone": phone}, REMOTE_ADDR=ip)


def _enter(client, code, ip="10.0.0.1"):
    return client.post("/portal/login/code/", {"code": code}, REMOTE_ADDR=ip)


def test_the_code_signs_the_customer_in_and_their_orders_show(client, customer_a):
    assert client.get("/portal/").status_code == 302  # not yet
    _ask(client, "+86 139-1234-5678")  # as people type it
    body = Message.objects.get(template="portal_otp").body
    assert "5 分钟内有效" in body and OtpCode.objects.get().code_hash not in body
    assert _enter(client, last_code("13912345678")).status_code == 302
    page = client.get("/portal/")
    assert page.status_code == 200 and "139****5678" in page.content.decode()


def test_a_wrong_code_is_refused_and_the_fifth_wrong_try_spends_the_code(client, customer_a):
    _ask(client, customer_a.phone)
    code = last_code(customer_a.phone)
    wrong = "000000" if code != "000000" else "111111"
    response = _enter(client, wrong)
    assert response.status_code == 400 and "验证码错误或已过期" in response.content.decode()
    for _ in range(4):
        _enter(client, wrong)
    assert _enter(client, code).status_code == 400  # spent by the wrong tries
    assert client.get("/portal/").status_code == 302


def test_the_code_expires_after_5_minutes(client, clock, customer_a):
    _ask(client, customer_a.phone)
    clock.advance(minutes=5, seconds=1)
    assert _enter(client, last_code(customer_a.phone)).status_code == 400


def test_a_code_works_once(client, clock, customer_a):
    sign_in(client, customer_a.phone)
    code = last_code(customer_a.phone)
    client.post("/portal/logout/")
    assert client.get("/portal/").status_code == 302
    clock.advance(minutes=2)
    assert _ask(client, customer_a.phone).status_code == 302  # a fresh sign-in page …
    assert _enter(client, code).status_code == 400  # … does not take the old code


def test_one_code_a_minute_and_five_an_hour_per_phone(client, clock, customer_a):
    assert _ask(client, customer_a.phone).status_code == 302
    too_soon = _ask(client, customer_a.phone)
    assert too_soon.status_code == 429 and "一分钟" in too_soon.content.decode()
    for _ in range(4):
        clock.advance(minutes=2)
        assert _ask(client, customer_a.phone).status_code == 302
    clock.advance(minutes=2)
    assert _ask(client, customer_a.phone).status_code == 429  # the sixth in the hour
    assert Message.objects.filter(template="portal_otp").count() == 5
    clock.advance(minutes=60)
    assert _ask(client, customer_a.phone).status_code == 302


def test_twenty_codes_an_hour_per_address(client, clock, customer_a):
    for n in range(20):
        assert _ask(client, f"1370000{n:04d}", ip="10.9.9.9").status_code == 302
    assert _ask(client, customer_a.phone, ip="10.9.9.9").status_code == 429
    assert not Message.objects.filter(address=customer_a.phone).exists()
    assert _ask(client, customer_a.phone, ip="10.9.9.8").status_code == 302


def test_an_unknown_number_gets_the_same_answer_but_no_sms_and_no_way_in(client, customer_a):
    known = _ask(client, customer_a.phone)
    client.session.flush()
    unknown = _ask(client, "13800000000", ip="10.0.0.2")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    page = client.get("/portal/login/code/").content.decode()
    assert "138****0000" in page and "如果" in page  # "if it is a number we know"
    assert not Message.objects.filter(address="13800000000").exists()
    for code in ("000000", "123456"):
        assert _enter(client, code, ip="10.0.0.2").status_code == 400


@pytest.mark.parametrize("phone", ["", "12345", "abc", "1" * 5000, "０１２"])
def test_a_malformed_number_names_the_field(client, db, phone):
    response = _ask(client, phone)
    assert response.status_code == 400 and "11 位手机号" in response.content.decode()
    assert not OtpCode.objects.exists()


def test_a_staff_session_opens_no_portal_page_and_a_portal_session_no_staff_page(
    client, agent_a, customer_a
):
    client.login(username=agent_a.username, password=PASSWORD)
    assert client.get("/portal/").status_code == 302
    client.logout()
    sign_in(client, customer_a.phone)
    assert client.get("/workorders/").status_code == 302  # to the staff sign-in
    assert client.get("/api/v1/work-orders/").status_code in (401, 403)


def test_signing_in_changes_the_session_id(client, customer_a):
    _ask(client, customer_a.phone)
    before = client.cookies["sessionid"].value
    _enter(client, last_code(customer_a.phone))
    assert client.cookies["sessionid"].value != before
