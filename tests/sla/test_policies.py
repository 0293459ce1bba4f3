"""Seeded default policies, matching by type × line × tier × channel, and the policy API."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.sla.api import SlaClockSerializer
from kefu.sla.models import ClockKind, SlaPolicy
from kefu.sla.seed import sla_seed
from kefu.sla.selectors import clocks_for, policy_match
from kefu.workorders.models import BusinessLine, WorkOrder, WorkOrderType


def policy(code: str) -> SlaPolicy:
    return SlaPolicy.objects.get(code=code)


def order_like(type_code, *, line=None, tier="", channel="hotline") -> WorkOrder:
    return WorkOrder(
        order_type=WorkOrderType.objects.get(code=type_code),
        business_line=BusinessLine.objects.get(code=line) if line else None,
        customer_tier=tier,
        channel=channel,
    )


def test_seeded_complaint_policy_is_the_two_hour_rule(db):
    complaint = policy("complaint")
    assert (complaint.first_contact_minutes, complaint.first_contact_calendar) == (120, "24x7")
    assert (complaint.resolution_minutes, complaint.resolution_calendar) == (1440, "cn-standard")
    assert (complaint.reply_minutes, complaint.reply_calendar) == (480, "cn-standard")
    assert complaint.warn_ratio == 0.8 and "001:496" in complaint.note


@pytest.mark.parametrize(
    ("stricter", "looser"),
    [
        ("complaint-vip", "complaint"),
        ("fault-broadband", "fault-fixed"),
        ("fault-broadband-vip", "fault-broadband"),
        ("fault-fixed-vip", "fault-fixed"),
    ],
)
def test_seeded_vip_and_broadband_limits_are_stricter(db, stricter, looser):
    a, b = policy(stricter), policy(looser)
    assert a.first_contact_minutes <= b.first_contact_minutes
    assert a.resolution_minutes < b.resolution_minutes
    assert a.priority < b.priority  # tried first


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (dict(type_code="complaint"), "complaint"),
        (dict(type_code="complaint", tier="gold"), "complaint-vip"),
        (dict(type_code="complaint", tier="2A"), "complaint-vip"),
        (dict(type_code="complaint", tier="silver"), "complaint"),
        (dict(type_code="complaint", channel="referral"), "complaint-referral"),
        (dict(type_code="fault", line="broadband"), "fault-broadband"),
        (dict(type_code="fault", line="broadband", tier="diamond"), "fault-broadband-vip"),
        (dict(type_code="fault", line="fixed"), "fault-fixed"),
        (dict(type_code="fault", line="iptv"), "fault"),
        (dict(type_code="fault"), "fault"),
        (dict(type_code="consultation"), "consultation"),
        (dict(type_code="move"), "move"),
        (dict(type_code="praise"), "default"),
    ],
)
def test_matching_takes_the_first_fitting_policy_by_priority(db, order, expected):
    type_code = order.pop("type_code")
    assert policy_match(order_like(type_code, **order)).code == expected


def test_an_inactive_policy_is_skipped(db):
    SlaPolicy.objects.filter(code="complaint-vip").update(is_active=False)
    assert policy_match(order_like("complaint", tier="gold")).code == "complaint"


def test_reseeding_keeps_admin_edits_and_restores_nothing_twice(db):
    SlaPolicy.objects.filter(code="complaint").update(first_contact_minutes=90)
    count = SlaPolicy.objects.count()
    sla_seed()
    assert policy("complaint").first_contact_minutes == 90
    assert SlaPolicy.objects.count() == count


# --- API ------------------------------------------------------------------------------------


def api(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


URL = "/api/v1/sla-policies/"


def test_any_staff_member_can_read_the_policies(agent_a):
    response = api(agent_a).get(URL)
    assert response.status_code == 200
    codes = [p["code"] for p in response.json()["results"]]
    assert codes[0] == "complaint-vip" and codes[-1] == "default"
    one = api(agent_a).get(f"{URL}{policy('complaint').pk}/").json()
    assert one["order_type"] == "complaint" and one["first_contact_minutes"] == 120


def test_only_policy_administrators_may_write(agent_a, supervisor_a):
    body = {"code": "x", "name": "x", "order_type": "complaint", "first_contact_minutes": 30}
    for user in (agent_a, supervisor_a):
        response = api(user).post(URL, body, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    assert not SlaPolicy.objects.filter(code="x").exists()


def test_administrator_creates_and_changes_a_policy(admin_user, clock, take_in):
    body = {
        "code": "complaint-iptv",
        "name": "IPTV 投诉",
        "priority": 5,
        "order_type": "complaint",
        "business_line": "iptv",
        "tiers": [],
        "first_contact_minutes": 45,
        "first_contact_calendar": "24x7",
        "resolution_minutes": 480,
    }
    response = api(admin_user).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["business_line"] == "iptv" and created["resolution_calendar"] == "cn-standard"
    order = take_in("complaint", line="iptv")
    assert clocks_for(order).get(kind=ClockKind.FIRST_CONTACT).budget_minutes == 45

    response = api(admin_user).patch(f"{URL}{created['id']}/", {"warn_ratio": 1.5}, format="json")
    assert response.status_code == 400
    assert "warn_ratio" in response.json()["extra"]["errors"]
    response = api(admin_user).patch(f"{URL}{created['id']}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_unknown_tier_or_type_is_named(admin_user):
    body = {"code": "y", "name": "y", "order_type": "nope", "tiers": ["platinum"]}
    response = api(admin_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["extra"]["errors"]) >= {"order_type", "tiers[0]"}


def test_clock_serializer_shows_the_countdown(clock, take_in):
    order = take_in("complaint")
    clock.set("2025-06-03 10:00")
    rows = SlaClockSerializer(clocks_for(order), many=True).data
    first = next(r for r in rows if r["kind"] == "first_contact")
    assert first["remaining_seconds"] == 3600 and first["state"] == "running"
    assert first["kind_display"] and first["calendar"] == "24x7" and first["paused"] is False


def test_an_orders_clocks_are_served_at_the_documented_path(clock, take_in, agent_a, agent_b):
    clock.set("2025-06-03 17:00")
    order = take_in("complaint")
    response = api(agent_a).get(f"/api/v1/work-orders/{order.pk}/clocks/")
    assert response.status_code == 200
    rows = {row["kind"]: row for row in response.json()}
    assert set(rows) == {"first_contact", "resolution"}
    assert rows["first_contact"]["budget_minutes"] == 120
    assert rows["first_contact"]["due_at"].startswith("2025-06-03T19:00")
    # Another county's staff do not learn the order exists.
    assert api(agent_b).get(f"/api/v1/work-orders/{order.pk}/clocks/").status_code == 404
