"""Nothing of another customer's on any portal page, whatever number is guessed; no portal
page without the portal sign-in (a staff session is not one); and hostile requests —
a wrong method, no CSRF token, NUL bytes, huge text — are refused cleanly, never a 500.

Every test walks the portal's URLconf (tests.portal.conftest.portal_routes), so a page
added later is probed without anyone remembering to list it."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.callbacks.models import CallbackItem
from kefu.portal.models import OtpCode
from kefu.portal.services import portal_request_create
from kefu.workorders import actions
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from tests.factories import PASSWORD
from tests.portal.conftest import filled, last_code, portal_routes, sign_in

pytestmark = pytest.mark.usefixtures("clock")

# Reachable signed out: the two sign-in steps, and signing out. Every other portal URL
# must send a visitor without the portal sign-in to /portal/login/.
PUBLIC = {"login", "code", "logout"}
TITLE, PLACE = "A 的故障：光猫坏了", "幸福路 1 号"
FORM = {"kind": "fault", "level": "satisfied", "comment": "好"}  # (no title: B files nothing)


@pytest.fixture
def a_resolved(customer_a, dispatcher_a, handler_a1, org):
    """Customer A's fault report, resolved: its callback waits for A's rating."""
    order = portal_request_create(
        phone=customer_a.phone, kind="fault", title=TITLE, description=PLACE
    )
    order = actions.work_order_dispatch(
        actor=dispatcher_a, order=order, unit=org["team_a1"], handler=handler_a1
    )
    order = actions.work_order_accept(actor=handler_a1, order=order)
    order = actions.work_order_resolve(actor=handler_a1, order=order, resolution="已修复")
    assert CallbackItem.objects.get(order=order).status == "open"
    return order


def _guesses(order: WorkOrder) -> list[str]:
    n = order.number
    near = [str(int(n) + d) for d in (-1, 1)]
    return [n, str(order.pk), *near, n + "0", n[:-1], "1", "-1", "0" * 16, "x" * 500, "%00"]


def test_customer_b_sees_nothing_of_customer_a_on_any_portal_page(client, customer_b, a_resolved):
    sign_in(client, customer_b.phone, ip="10.0.0.2")
    events = WorkOrderEvent.objects.filter(order=a_resolved).count()
    probed = 0
    for name, route in portal_routes():
        urls = [filled(route, number=g) for g in _guesses(a_resolved)] if "<" in route else [route]
        for url in urls:
            for method in ("get", "post"):
                if name == "logout" and method == "post":
                    continue  # B would only sign out
                response = getattr(client, method)(url, FORM, follow=True)
                body = response.content.decode()
                assert response.status_code < 500, (url, method)
                assert TITLE not in body and PLACE not in body, (url, method)  # (a 404 page
                # echoes the URL asked for, a guessed number among it: nothing learnt)
                if "<" in route:
                    assert response.status_code in (404, 405), (url, method)
                probed += 1
    assert probed > 40
    item = CallbackItem.objects.get(order=a_resolved)
    assert (item.status, item.level) == ("open", "")  # B's "satisfied" rated nothing of A's
    assert WorkOrderEvent.objects.filter(order=a_resolved).count() == events
    assert client.get("/portal/").status_code == 200  # B stayed signed in throughout


@pytest.mark.parametrize("who", ["nobody", "staff"])
def test_no_portal_page_opens_without_the_portal_sign_in(client, agent_a, a_resolved, who):
    if who == "staff":
        client.login(username=agent_a.username, password=PASSWORD)
    for name, route in portal_routes():
        if name in PUBLIC:
            continue
        url = filled(route, number=a_resolved.number)
        codes = []
        for method in ("get", "post"):
            response = getattr(client, method)(url, FORM)
            assert TITLE not in response.content.decode(), url
            codes.append(response.status_code)
            if response.status_code == 302:
                assert response["Location"] == "/portal/login/", url
        assert 302 in codes and set(codes) <= {302, 405}, (url, codes)
    assert CallbackItem.objects.get(order=a_resolved).status == "open"
    assert WorkOrder.objects.count() == 1


def test_a_wrong_method_is_405_on_every_portal_url(portal_a, a_resolved):
    for _name, route in portal_routes():
        url = filled(route, number=a_resolved.number)
        for method in ("put", "patch", "delete", "options"):
            assert getattr(portal_a, method)(url).status_code == 405, (url, method)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(customer_a, a_resolved):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/portal/login/", {"phone": customer_a.phone}).status_code == 403
    assert not OtpCode.objects.exists()
    browser.get("/portal/login/")
    token = browser.cookies["csrftoken"].value
    browser.post("/portal/login/", {"phone": customer_a.phone, "csrfmiddlewaretoken": token})
    code = {"code": last_code(customer_a.phone), "csrfmiddlewaretoken": token}
    assert browser.post("/portal/login/code/", code).status_code == 302
    assert browser.cookies["csrftoken"].value != token  # a new token with the sign-in
    for url in ("/portal/new/", f"/portal/orders/{a_resolved.number}/rate/", "/portal/logout/"):
        data = {**FORM, "csrfmiddlewaretoken": token}  # the old token, or none, is refused
        assert browser.post(url, data).status_code == 403, url
        assert browser.post(url, FORM).status_code == 403, url
    assert WorkOrder.objects.count() == 1
    assert CallbackItem.objects.get(order=a_resolved).status == "open"
    assert browser.get("/portal/").status_code == 200  # still signed in


def test_nul_bytes_in_any_field_are_never_a_500(client, clock, customer_a, a_resolved):
    nul = "\x00"
    assert client.post("/portal/login/", {"phone": nul + customer_a.phone}).status_code == 302
    assert client.post("/portal/login/code/", {"code": nul}).status_code == 400
    clock.advance(minutes=1)
    sign_in(client, customer_a.phone, ip="10.0.0.3")
    fields = {"kind": f"fa{nul}ult", "title": f"断{nul}网", "description": nul}
    fields["business_line"] = f"broad{nul}band"
    assert client.post("/portal/new/", fields).status_code == 302
    order = WorkOrder.objects.latest("pk")
    assert (order.title, order.business_line.code) == ("断网", "broadband")
    rate = f"/portal/orders/{a_resolved.number}/rate/"
    assert client.post(rate, {"level": nul + "satisfied", "comment": nul}).status_code == 302
    assert CallbackItem.objects.get(order=a_resolved).level == "satisfied"
    for url in ("/portal/?page=%00", "/portal/new/?kind=%00", "/portal/orders/%00/"):
        assert client.get(url).status_code in (200, 404), url


def test_huge_text_is_refused_naming_the_field(portal_a, a_resolved):
    response = portal_a.post(
        "/portal/new/", {"kind": "fault", "title": "断网", "description": "长" * 100_000}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "详细情况：最多 5000 个字符" in page
    too_big = portal_a.post("/portal/new/", {"kind": "fault", "title": "x" * 3_000_000})
    assert too_big.status_code == 400  # past Django's upload limit
    rate = f"/portal/orders/{a_resolved.number}/rate/"
    page = portal_a.post(rate, {"level": "satisfied", "comment": "好" * 10_000}, follow=True)
    assert "最多 500 个字符" in page.content.decode()
    assert CallbackItem.objects.get(order=a_resolved).status == "open"
    assert WorkOrder.objects.count() == 1
