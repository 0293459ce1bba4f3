"""Correcting an order after intake through the API (PATCH with `version`), and resolving
a complaint, which takes its cause and the 有理由/无理由 verdict."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kefu.workorders.models import WorkOrder
from tests.factories import complaint_verdict_ids
from tests.workorders.queue_scenario import INTAKE

URL = "/api/v1/work-orders/"


@pytest.fixture(autouse=True)
def _intake_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: INTAKE)


def _ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _create(client, customer, **extra) -> dict:
    body = {
        "order_type": "consultation",
        "channel": "hotline",
        "title": "宽带资费咨询",
        "customer": customer.pk,
        **extra,
    }
    return client.post(URL, body, format="json")


def test_owner_corrects_type_line_customer_and_text_with_one_event(
    client_for, org, agent_a, customer_a, make_user
):
    from tests.factories import make_customer

    other = make_customer(actor=agent_a, org_unit=org["team_a1"], name="李四", phone="13700001111")
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    body = _ok(
        client.patch(
            f"{URL}{order['id']}/",
            {
                "version": order["version"],
                "order_type": "complaint",
                "business_line": "broadband",
                "customer": other.pk,
                "title": "宽带经常掉线",
                "description": "晚上频繁断线",
            },
            format="json",
        )
    )
    assert body["version"] == order["version"] + 1
    assert body["order_type"] == "complaint" and body["is_complaint"] is True
    assert body["business_line"] == "broadband" and body["customer"] == other.pk
    assert body["title"] == "宽带经常掉线" and body["description"] == "晚上频繁断线"
    event = body["timeline"][-1]
    assert event["action"] == "correct" and event["actor"] == agent_a.pk
    changes = event["data"]["changes"]
    assert changes["order_type"] == {"from": "咨询", "to": "投诉"}
    assert changes["customer"] == {"from": "王小明", "to": "李四"}
    assert changes["title"] == {"from": "宽带资费咨询", "to": "宽带经常掉线"}
    assert changes["business_line"]["from"] == "—"
    assert "咨询 → 投诉" in event["note"]
    stored = WorkOrder.objects.get(pk=order["id"])
    assert stored.customer == other and stored.is_complaint


def test_a_stale_version_is_409_and_changes_nothing(client_for, agent_a, supervisor_a, customer_a):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    supervisor = client_for(supervisor_a)
    _ok(
        supervisor.patch(
            f"{URL}{order['id']}/",
            {"version": order["version"], "title": "主管更正"},
            format="json",
        )
    )
    late = client_for(agent_a).patch(
        f"{URL}{order['id']}/", {"version": order["version"], "title": "坐席更正"}, format="json"
    )
    assert _ok(late, 409)["code"] == "conflict"
    stored = WorkOrder.objects.get(pk=order["id"])
    assert stored.title == "主管更正" and stored.version == order["version"] + 1
    assert stored.events.filter(action="correct").count() == 1


def test_bad_corrections_are_400_naming_the_field(
    client_for, agent_a, customer_a, customer_a2, customer_b
):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    url = f"{URL}{order['id']}/"
    cases = [
        ({"title": "x"}, "version"),  # the version read is required
        ({"version": 1, "customer": customer_a2.pk}, "customer"),  # county A2: not agent A's
        ({"version": 1, "customer": customer_b.pk}, "customer"),
        ({"version": 1, "order_type": "no-such-type"}, "order_type"),
        ({"version": 1, "title": ""}, "title"),
        ({"version": 1, "title": "宽带资费咨询"}, "__all__"),  # nothing changed
    ]
    for body, field in cases:
        response = _ok(client.patch(url, body, format="json"), 400)
        assert field in response["extra"]["errors"], (body, response)
    stored = WorkOrder.objects.get(pk=order["id"])
    assert stored.version == 1 and stored.customer == customer_a


def test_only_owner_dispatcher_or_supervisor_may_correct(
    client_for, org, agent_a, customer_a, handler_a1, dispatcher_a
):
    dispatcher = dispatcher_a
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    url = f"{URL}{order['id']}/"
    _ok(
        client_for(dispatcher).post(
            f"{url}actions/dispatch/",
            {"unit": org["team_a1"].pk, "handler": handler_a1.pk},
            format="json",
        )
    )
    response = client_for(handler_a1).patch(
        url, {"version": 2, "title": "处理人改的"}, format="json"
    )
    assert response.status_code == 403
    body = _ok(
        client_for(dispatcher).patch(url, {"version": 2, "title": "派单员改的"}, format="json")
    )
    assert body["title"] == "派单员改的"


def test_resolving_a_complaint_needs_its_cause_and_verdict(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a, order_type="complaint"), 201)
    url = f"{URL}{order['id']}/actions/resolve/"
    body = _ok(client.post(url, {"resolution": "已解释"}, format="json"), 400)
    assert set(body["extra"]["errors"]) == {"cause", "justified"}
    body = _ok(
        client.post(
            url, {"resolution": "已解释", "cause": complaint_verdict_ids()["cause"]}, format="json"
        ),
        400,
    )
    assert set(body["extra"]["errors"]) == {"justified"}
    assert WorkOrder.objects.get(pk=order["id"]).status == "accepted"
    body = _ok(
        client.post(
            url, {"resolution": "已解释", **complaint_verdict_ids(justified=False)}, format="json"
        )
    )
    assert body["status"] == "resolved" and body["justified"] is False
    assert body["cause"] == complaint_verdict_ids()["cause"]
    # A consultation needs neither.
    other = _ok(_create(client, customer_a), 201)
    resolved = _ok(
        client.post(f"{URL}{other['id']}/actions/resolve/", {"resolution": "已答复"}, format="json")
    )
    assert resolved["status"] == "resolved"


def test_a_complaint_resolved_at_intake_carries_its_cause_and_verdict(
    client_for, agent_a, customer_a
):
    client = client_for(agent_a)
    body = _ok(
        _create(client, customer_a, order_type="complaint", resolve_at_intake="当场解释清楚"), 400
    )
    assert set(body["extra"]["errors"]) == {"cause", "justified"}
    assert not WorkOrder.objects.exists()
    body = _ok(
        _create(
            client,
            customer_a,
            order_type="complaint",
            resolve_at_intake="当场解释清楚",
            **complaint_verdict_ids(),
        ),
        201,
    )
    assert body["status"] == "replied" and body["justified"] is True  # answered on the line


def test_an_sla_escalation_makes_an_open_edit_stale(client_for, agent_a, customer_a, supervisor_a):
    """The monitor escalating the order bumps its version: an edit prepared before the
    escalation gets 409, not a silent overwrite of what it did not see."""
    from datetime import timedelta

    from kefu.sla.monitor import sla_monitor_pass

    client = client_for(agent_a)
    order = _ok(_create(client, customer_a, order_type="complaint"), 201)
    counts = sla_monitor_pass(now=INTAKE + timedelta(days=30))
    assert counts.get("escalated", 0) >= 1
    escalated = WorkOrder.objects.get(pk=order["id"])
    assert escalated.escalation_level >= 1 and escalated.version > order["version"]
    stale = client.patch(
        f"{URL}{order['id']}/", {"version": order["version"], "title": "改"}, format="json"
    )
    assert stale.status_code == 409, stale.content.decode()
    assert WorkOrder.objects.get(pk=order["id"]).title == escalated.title
