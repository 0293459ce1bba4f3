"""联系客户: the order's handler and its owner of record see the order's contact number,
each time logged in the access log naming the order; nobody else, and never out of scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.core.errors import PermissionDenied
from kefu.customers.models import AccessLog
from kefu.workorders.actions import work_order_act
from kefu.workorders.contact import work_order_contact_reveal
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create

pytestmark = pytest.mark.usefixtures("clock")

HTMX = {"HX-Request": "true"}


@pytest.fixture
def order(org, agent_a, dispatcher_a, handlers_a1, customer_a1, types):
    taken = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="宽带经常掉线",
        customer=customer_a1,
        caller_phone="15611112974",
    )
    return work_order_act(
        actor=dispatcher_a,
        order=taken,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handlers_a1[0]},
    )


def _api(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _url(order) -> str:
    return f"/api/v1/work-orders/{order.pk}/reveal-contact/"


def test_handler_reveals_the_caller_number_and_the_log_names_the_order(
    handlers_a1, order, customer_a1
):
    handler = handlers_a1[0]
    assert not handler.has_perm("customers.view_pii")  # the reason this reveal exists
    response = _api(handler).post(_url(order))
    assert response.status_code == 200, response.content
    assert response.json() == {"number": "15611112974", "work_order": order.number}
    assert response["Cache-Control"] == "no-store"
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.action, entry.customer, entry.work_order_number) == (
        handler,
        "reveal",
        customer_a1,
        order.number,
    )
    assert order.number in entry.reason


def test_owner_of_record_may_reveal_too_and_gets_the_customer_phone_without_a_caller(
    agent_a, customer_a1, types
):
    taken = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="没有来电号码",
        customer=customer_a1,
    )
    assert work_order_contact_reveal(actor=agent_a, order=taken) == "13800138000"
    assert AccessLog.objects.get().work_order_number == taken.number


def test_someone_who_is_neither_handler_nor_owner_is_refused_and_nothing_is_logged(
    handlers_a1, dispatcher_a, order
):
    colleague = handlers_a1[1]  # same team, sees the order, is not its handler
    assert _api(colleague).get(f"/api/v1/work-orders/{order.pk}/").status_code == 200
    assert _api(colleague).post(_url(order)).status_code == 403
    assert _api(dispatcher_a).post(_url(order)).status_code == 403
    with pytest.raises(PermissionDenied):
        work_order_contact_reveal(actor=colleague, order=order)
    assert not AccessLog.objects.exists()


def test_an_order_outside_the_scope_is_404(agent_b, order):
    assert _api(agent_b).post(_url(order)).status_code == 404
    assert not AccessLog.objects.exists()


def test_detail_page_has_the_button_for_the_handler_only_and_it_swaps_in_the_number(
    client, handlers_a1, order
):
    handler = handlers_a1[0]
    page_url = reverse("workorders:workorder_detail", args=[order.number])
    client.force_login(handlers_a1[1])
    assert 'id="wo-reveal-contact"' not in client.get(page_url).text
    client.force_login(handler)
    page = client.get(page_url).text
    assert 'id="wo-reveal-contact"' in page
    assert "156****2974" in page and "15611112974" not in page
    shown = client.post(
        reverse("workorders:workorder_reveal_contact", args=[order.number]), headers=HTMX
    )
    assert shown.status_code == 200
    assert 'href="tel:15611112974"' in shown.text
    assert AccessLog.objects.get().work_order_number == order.number


def test_a_finished_order_no_longer_reveals(agent_a, handlers_a1, order):
    order = work_order_act(actor=agent_a, order=order, action="cancel", data={"reason": "客户撤诉"})
    assert not order.is_open
    with pytest.raises(PermissionDenied):
        work_order_contact_reveal(actor=handlers_a1[0], order=order)
    assert not AccessLog.objects.exists()
