"""CTI screen-pop 来电弹屏: known, unknown and malformed callers, data scope, outages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.outages import services as outage_services
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrderType
from kefu.workorders.services import work_order_create
from tests.factories import make_customer

URL = "/api/v1/cti/screen-pop/"


def _order(actor, customer, *, title="宽带经常掉线", resolve=""):
    return work_order_create(
        actor=actor,
        order_type=WorkOrderType.objects.get(code="fault"),
        channel=Channel.HOTLINE,
        title=title,
        customer=customer,
        caller_phone=customer.phone,
        resolve_at_intake=resolve,
    )


def _pop(client, caller, url=URL):
    return client.get(url, {"caller": caller})


def test_known_caller_pops_customer_orders_and_workbench(client_for, agent_a, customer_a):
    open_order = _order(agent_a, customer_a)
    done = _order(agent_a, customer_a, title="咨询资费", resolve="已解答")
    cancelled = _order(agent_a, customer_a, title="重复报障")
    work_order_act(actor=agent_a, order=cancelled, action="cancel", data={"reason": "重复"})

    response = _pop(client_for(agent_a), "13912345678")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["caller"] == "13912345678"
    assert body["customer"]["id"] == customer_a.pk and body["customer"]["name"] == "王小明"
    assert body["customer"]["phone"] == "139****5678"
    assert "13912345678" not in str(body["customer"])
    assert [c["id"] for c in body["customers"]] == [customer_a.pk]
    assert [o["id"] for o in body["open_orders"]] == [open_order.pk]
    assert body["open_orders"][0]["caller_phone"] == "139****5678"
    assert [o["id"] for o in body["recent_orders"]] == [cancelled.pk, done.pk]
    assert body["outages"] == []
    assert body["workbench_url"] == "/workbench/?caller=13912345678"


@pytest.mark.parametrize("caller", ["+86 139 1234 5678", "139-1234-5678", "008613912345678"])
def test_the_number_is_normalised_as_the_cti_sends_it(client_for, agent_a, customer_a, caller):
    body = _pop(client_for(agent_a), caller).json()
    assert body["caller"] == "13912345678" and body["customer"]["id"] == customer_a.pk


def test_landline_caller(client_for, agent_a, org):
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], phone="010-62345678")
    body = _pop(client_for(agent_a), "01062345678").json()
    assert body["customer"]["id"] == customer.pk and body["caller"] == "010-62345678"
    assert body["workbench_url"] == "/workbench/?caller=010-62345678"


def test_unknown_caller_is_200_with_no_customer(client_for, agent_a, customer_a):
    response = _pop(client_for(agent_a), "13800000000")
    assert response.status_code == 200
    assert response.json() == {
        "caller": "13800000000",
        "customer": None,
        "customers": [],
        "open_orders": [],
        "recent_orders": [],
        "outages": [],
        "workbench_url": "/workbench/?caller=13800000000",
    }


@pytest.mark.parametrize("caller", ["abc", "12345", "", "1391234567899999", "２３４"])
def test_malformed_caller_is_400_naming_caller(client_for, agent_a, caller):
    response = _pop(client_for(agent_a), caller)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed" and "caller" in body["extra"]["errors"]


def test_missing_caller_is_400(client_for, agent_a):
    response = client_for(agent_a).get(URL)
    assert response.status_code == 400 and "caller" in response.json()["extra"]["errors"]


def test_caller_outside_the_scope_pops_as_unknown(client_for, agent_a, agent_b, customer_a):
    _order(agent_a, customer_a)
    body = _pop(client_for(agent_b), "13912345678").json()
    assert body["customer"] is None and body["customers"] == []
    assert body["open_orders"] == [] and body["recent_orders"] == []
    assert body["workbench_url"] == "/workbench/?caller=13912345678"


def test_several_customers_share_a_number(client_for, agent_a, customer_a, org):
    family = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="王小红", phone="13912345678"
    )
    body = _pop(client_for(agent_a), "13912345678").json()
    assert {c["id"] for c in body["customers"]} == {customer_a.pk, family.pk}
    assert body["customer"]["id"] == body["customers"][0]["id"]


def test_active_outage_in_the_customers_area_pops_up(
    client_for, agent_a, supervisor_a, customer_a, org
):
    now = timezone.now()
    here = outage_services.outage_register(
        actor=supervisor_a,
        title="A1县光缆中断",
        cause="施工挖断光缆",
        areas=[org["county_a1"]],
        expected_restore_at=now + timedelta(hours=4),
    )
    outage_services.outage_register(
        actor=supervisor_a,
        title="A2县机房停电",
        cause="市电中断",
        areas=[org["county_a2"]],
        expected_restore_at=now + timedelta(hours=4),
    )
    body = _pop(client_for(agent_a), "13912345678").json()
    assert [o["id"] for o in body["outages"]] == [here.pk]
    assert body["outages"][0]["title"] == "A1县光缆中断"
    assert body["outages"][0]["area_names"] == [org["county_a1"].name]


def test_path_without_trailing_slash_works_too(client_for, agent_a, customer_a):
    response = _pop(client_for(agent_a), "13912345678", url=URL.rstrip("/"))
    assert response.status_code == 200
    assert response.json()["customer"]["id"] == customer_a.pk


def test_screen_pop_needs_sign_in(db):
    from rest_framework.test import APIClient

    assert APIClient().get(URL, {"caller": "13912345678"}).status_code == 401
