"""The outages API: register, list, link, restore, report, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kefu.outages.models import Outage
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create


@pytest.fixture
def api():
    return APIClient()


def _as(api, user):
    api.force_authenticate(user)
    return api


def _register(api, org, headers=None, **extra):
    body = {
        "title": "A1县光缆中断",
        "cause": "市政施工挖断主干光缆",
        "areas": [org["county_a1"].pk],
        "business_line": "broadband",
        "expected_restore_at": (timezone.now() + timedelta(hours=4)).isoformat(),
        **extra,
    }
    return api.post("/api/v1/outages/", body, format="json", headers=headers)


def test_register_list_and_retrieve(api, org, supervisor_a, agent_a, agent_b):
    response = _register(_as(api, supervisor_a), org, is_major=True)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active" and body["is_major"] and body["business_line"] == "broadband"
    assert [a["name"] for a in body["areas"]] == ["A1县分公司"]
    outage_id = body["id"]
    listed = _as(api, agent_a).get("/api/v1/outages/", {"unit": org["team_a1"].pk}).json()
    assert [o["id"] for o in listed["results"]] == [outage_id]
    assert _as(api, agent_a).get(f"/api/v1/outages/{outage_id}/").status_code == 200
    assert _as(api, agent_b).get(f"/api/v1/outages/{outage_id}/").status_code == 404
    assert _as(api, agent_b).get("/api/v1/outages/").json()["results"] == []


def test_register_errors_have_the_common_shape(api, org, supervisor_a, agent_a):
    response = _register(_as(api, supervisor_a), org, areas=[org["county_b1"].pk])
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = _register(_as(api, supervisor_a), org, expected_restore_at="2000-01-01T00:00:00Z")
    assert response.status_code == 400
    assert "expected_restore_at" in response.json()["extra"]["errors"]
    assert _register(_as(api, agent_a), org).status_code == 403
    assert not Outage.objects.exists()


def test_a_retried_registration_with_the_same_key_creates_one_outage(api, org, supervisor_a):
    _as(api, supervisor_a)
    eta = (timezone.now() + timedelta(hours=4)).isoformat()
    key = {"Idempotency-Key": "outage-1"}
    first = _register(api, org, headers=key, expected_restore_at=eta)
    again = _register(api, org, headers=key, expected_restore_at=eta)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and Outage.objects.count() == 1


def test_link_restore_report_and_close(api, org, supervisor_a, agent_a, customer_a1, types):
    outage_id = _register(_as(api, supervisor_a), org, is_major=True).json()["id"]
    order = work_order_create(
        actor=agent_a,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="宽带无法上网",
        customer=customer_a1,
    )
    linked = _as(api, agent_a).post(
        f"/api/v1/outages/{outage_id}/link/", {"order": order.number}, format="json"
    )
    assert linked.status_code == 200, linked.json()
    assert linked.json()["number"] == order.number and linked.json()["customer_notified"]
    orders = api.get(f"/api/v1/outages/{outage_id}/orders/").json()["results"]
    assert [o["number"] for o in orders] == [order.number]
    assert orders[0]["caller_phone"] == ""

    restored = _as(api, supervisor_a).post(
        f"/api/v1/outages/{outage_id}/restore/", {"resolution": "熔接完成"}, format="json"
    )
    assert restored.status_code == 200
    assert restored.json()["resolved_orders"] == 1 and restored.json()["report_required"]
    refused = api.post(f"/api/v1/outages/{outage_id}/close/")
    assert refused.status_code == 400 and refused.json()["code"] == "outage_report_required"
    report = {
        "cause": "施工单位未报备",
        "lessons": "缺少路由保护",
        "improvements": "建立施工报备",
        "prevention": "双路由改造",
    }
    assert (
        api.post(f"/api/v1/outages/{outage_id}/report/", report, format="json").status_code == 200
    )
    closed = api.post(f"/api/v1/outages/{outage_id}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_linking_a_complaint_is_refused_with_the_field_named(
    api, org, supervisor_a, agent_a, customer_a1, types
):
    outage_id = _register(_as(api, supervisor_a), org).json()["id"]
    complaint = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="投诉",
        customer=customer_a1,
    )
    response = _as(api, agent_a).post(
        f"/api/v1/outages/{outage_id}/link/", {"order": complaint.number}, format="json"
    )
    assert response.status_code == 400 and "order" in response.json()["extra"]["errors"]


def test_eta_correction(api, org, supervisor_a):
    outage_id = _register(_as(api, supervisor_a), org).json()["id"]
    later = timezone.now() + timedelta(hours=9)
    response = api.patch(
        f"/api/v1/outages/{outage_id}/", {"expected_restore_at": later.isoformat()}, format="json"
    )
    assert response.status_code == 200
    assert Outage.objects.get().expected_restore_at == later
