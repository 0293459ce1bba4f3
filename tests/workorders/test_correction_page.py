"""Correcting an order from its page (更正) and resolving a complaint from its page, which
asks for the cause and the 有理由/无理由 verdict."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create
from kefu.workorders.views import CONFLICT_MESSAGE
from tests.factories import complaint_verdict_ids, make_customer
from tests.workorders.queue_scenario import INTAKE


@pytest.fixture(autouse=True)
def _intake_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: INTAKE)


def _order(agent, customer, code="consultation"):
    return work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code=code),
        channel=Channel.HOTLINE,
        title="宽带资费咨询",
        customer=customer,
    )


def _post(client, order, action, fields: dict):
    url = reverse("workorders:workorder_act", args=[order.number, action])
    return client.post(url, {f"{action}-{k}": v for k, v in fields.items()})


def _correction(order, **changes) -> dict:
    fields = {
        "version": order.version,
        "order_type": order.order_type_id,
        "business_line": order.business_line_id or "",
        "customer": order.customer.code if order.customer_id else "",
        "title": order.title,
        "description": order.description,
    }
    return {**fields, **changes}


def test_the_owner_corrects_the_type_and_the_timeline_shows_old_and_new(
    client, agent_a, customer_a1
):
    order = _order(agent_a, customer_a1)
    client.force_login(agent_a)
    page = client.get(reverse("workorders:workorder_detail", args=[order.number]))
    assert 'id="action-correct"' in page.text
    assert f'value="{customer_a1.code}"' in page.text  # the form starts from what is recorded
    complaint = WorkOrderType.objects.get(code="complaint")
    response = _post(client, order, "correct", _correction(order, order_type=complaint.pk))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.order_type == complaint and order.is_complaint and order.version == 2
    page = client.get(reverse("workorders:workorder_detail", args=[order.number]))
    item = page.text.split('data-action="correct"')[1].split("</li>")[0]
    assert "咨询 → 投诉" in item


def test_a_stale_correction_form_is_a_409(client, agent_a, supervisor_a, customer_a1):
    order = _order(agent_a, customer_a1)
    form = _correction(order, title="坐席更正")
    work_order_act(actor=supervisor_a, order=order, action="urge", data={})
    client.force_login(agent_a)
    response = _post(client, order, "correct", form)
    assert response.status_code == 409
    assert str(CONFLICT_MESSAGE) in response.text
    assert WorkOrder.objects.get(pk=order.pk).title == "宽带资费咨询"


def test_a_customer_outside_the_scope_is_refused_at_the_field(
    client, org, agent_a, agent_b, customer_a1
):
    theirs = make_customer(
        actor=agent_b, org_unit=org["county_b1"], name="赵大海", phone="13698765432"
    )
    order = _order(agent_a, customer_a1)
    client.force_login(agent_a)
    response = _post(client, order, "correct", _correction(order, customer=theirs.code))
    assert response.status_code == 400
    field = response.text.split('id="id_correct-customer"')[1].split("</div>")[0]
    assert 'class="field-error"' in field
    assert WorkOrder.objects.get(pk=order.pk).customer == customer_a1


def test_a_handler_is_not_offered_the_correction(
    client, org, agent_a, dispatcher_a, handler_a1, customer_a1
):
    dispatcher, handler = dispatcher_a, handler_a1
    order = _order(agent_a, customer_a1)
    work_order_act(
        actor=dispatcher,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler},
    )
    client.force_login(handler)
    page = client.get(reverse("workorders:workorder_detail", args=[order.number]))
    assert 'id="action-correct"' not in page.text
    order.refresh_from_db()
    response = _post(client, order, "correct", _correction(order, title="处理人改的"))
    assert response.status_code == 400
    assert WorkOrder.objects.get(pk=order.pk).title == "宽带资费咨询"


def test_resolving_a_complaint_from_the_page_needs_cause_and_verdict(client, agent_a, customer_a1):
    order = _order(agent_a, customer_a1, code="complaint")
    client.force_login(agent_a)
    response = _post(client, order, "resolve", {"version": order.version, "resolution": "已解释"})
    assert response.status_code == 400
    for name in ("id_resolve-cause", "id_resolve-justified"):
        field = response.text.split(f'id="{name}"')[1].split("</div>")[0]
        assert 'class="field-error"' in field, name
    assert WorkOrder.objects.get(pk=order.pk).status == "accepted"
    verdict = complaint_verdict_ids(justified=False)
    response = _post(
        client,
        order,
        "resolve",
        {
            "version": order.version,
            "resolution": "已解释",
            "justified": "false",
            "cause": verdict["cause"],
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "resolved" and order.justified is False
    assert order.cause_id == verdict["cause"]


def test_a_complaint_resolved_on_the_spot_at_the_workbench_needs_cause_and_verdict(
    client, agent_a, customer_a1
):
    complaint = WorkOrderType.objects.get(code="complaint")
    form = {
        "caller": "13800138000",
        "customer": str(customer_a1.pk),
        "order_type": complaint.pk,
        "channel": "hotline",
        "title": "对资费解释不满",
        "resolve_at_intake": "当场解释清楚",
    }
    client.force_login(agent_a)
    page = client.post("/workbench/", form)
    assert not WorkOrder.objects.exists()
    for name in ("id_cause", "id_justified"):
        field = page.text.split(f'id="{name}"')[1].split("</div>")[0]
        assert 'class="field-error"' in field, name
    verdict = complaint_verdict_ids()
    response = client.post("/workbench/", {**form, "cause": verdict["cause"], "justified": "true"})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == "replied" and order.first_contact_resolution
    assert order.cause_id == verdict["cause"] and order.justified is True
