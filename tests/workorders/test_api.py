"""Work-order API: intake, lean lists, detail, actions, idempotency, 409s, data scope, queues."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.workorders.actions import work_order_act
from kefu.workorders.models import (
    Assignment,
    Category,
    DispatchRule,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.selectors import QUEUES
from tests.factories import callback_refused, complaint_verdict_ids

URL = "/api/v1/work-orders/"


def _create(client, customer=None, headers=None, **extra):
    body = {
        "order_type": "complaint",
        "business_line": "broadband",
        "channel": "hotline",
        "title": "宽带经常掉线",
        "description": "晚上八点后频繁断线",
        "caller_phone": "139 1234 5678",
        "contact_name": "王先生",
        **({"customer": getattr(customer, "pk", customer)} if customer is not None else {}),
        **extra,
    }
    return client.post(URL, body, format="json", **(headers or {}))


def _ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _act(client, order_id, action, **body):
    return client.post(f"{URL}{order_id}/actions/{action}/", body, format="json")


def _ids(response) -> list[int]:
    return [row["id"] for row in _ok(response)["results"]]


# --- intake, list, detail ---------------------------------------------------------------


def test_create_then_list_and_detail(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    created = _ok(_create(client, customer_a), 201)
    assert len(created["number"]) == 16 and created["number"].endswith(f"{created['id']:08d}")
    assert created["status"] == "accepted" and created["status_display"]
    assert created["order_type"] == "complaint" and created["is_complaint"] is True
    assert created["business_line"] == "broadband"
    assert created["customer"] == customer_a.pk and created["customer_name"] == "王小明"
    assert created["caller_phone"] == "139****5678"  # stored normalised, shown masked
    assert created["owner_name"] == "agent_a" and created["version"] == 1
    assert created["area_unit"] == customer_a.org_unit_id
    allowed = [a["action"] for a in created["allowed_actions"]]
    assert {"contact", "note", "resolve", "cancel"} <= set(allowed)
    assert "reply" not in allowed and all(a["label"] for a in created["allowed_actions"])
    assert [(e["action"], e["actor_name"], e["to_status"]) for e in created["timeline"]] == [
        ("create", "agent_a", "accepted")
    ]
    assert created["timeline"][0]["action_display"]
    assert WorkOrder.objects.get(pk=created["id"]).caller_phone == "13912345678"

    detail = _ok(client.get(f"{URL}{created['id']}/"))
    # The time-limit app may set the deadline once the order is in; the rest is as created.
    assert detail == {**created, "due_at": detail["due_at"], "sla_state": detail["sla_state"]}
    page = _ok(client.get(URL, {"queue": "accepted_by_me"}))
    assert page["count"] == 1
    row = page["results"][0]
    assert row == {
        "id": created["id"],
        "number": created["number"],
        "order_type": "complaint",
        "order_type_name": created["order_type_name"],
        "status": "accepted",
        "status_display": created["status_display"],
        "title": "宽带经常掉线",
        "is_complaint": True,
        "customer": customer_a.pk,
        "customer_name": "王小明",
        "caller_phone": "139****5678",
        "handling_unit": None,
        "handling_unit_name": None,
        "handler": None,
        "handler_name": None,
        "due_at": detail["due_at"],
        "sla_state": detail["sla_state"],
        "provisional": False,
        "created_at": created["created_at"],
    }
    by_number = _ok(client.get(f"{URL}{created['number']}/"))
    assert by_number["id"] == created["id"]
    events = _ok(client.get(f"{URL}{created['id']}/events/"))
    assert events == detail["timeline"]


def test_the_create_response_shows_every_event_the_intake_wrote(
    client_for, org, agent_a, handlers_a1, customer_a
):
    DispatchRule.objects.create(
        name="投诉→A1营业班",
        order_type=WorkOrderType.objects.get(code="complaint"),
        target_unit=org["team_a1"],
        assignment=Assignment.ROUND_ROBIN,
    )
    client = client_for(agent_a)
    first = _ok(_create(client, customer_a), 201)
    repeat = _ok(_create(client, customer_a), 201)  # a repeat complaint, routed at once
    timeline = repeat["timeline"]
    assert [(e["action"], e["actor_name"]) for e in timeline] == [
        ("create", "agent_a"),
        ("dispatch", None),  # the dispatch rule, not a person
    ]
    assert timeline[0]["data"]["repeat_of"] == first["number"]
    assert timeline[1]["to_status"] == "dispatched" and repeat["status"] == "dispatched"
    assert timeline == _ok(client.get(f"{URL}{repeat['id']}/"))["timeline"]


def test_order_without_customer_belongs_to_the_agents_area(client_for, agent_a, org):
    created = _ok(_create(client_for(agent_a), order_type="consultation", caller_phone=""), 201)
    assert created["customer"] is None and created["caller_phone"] == ""
    assert created["area_unit"] == org["county_a1"].pk


def test_resolve_at_intake_is_first_contact_resolution(client_for, agent_a, customer_a):
    created = _ok(
        _create(
            client_for(agent_a),
            customer_a,
            order_type="consultation",
            resolve_at_intake="已解答资费问题",
        ),
        201,
    )
    assert created["status"] == "replied" and created["first_contact_resolution"] is True
    assert created["resolution"] == created["reply"] == "已解答资费问题"
    assert "reply" not in [a["action"] for a in created["allowed_actions"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_type": "no-such-type"}, "order_type"),
        ({"order_type": "投诉"}, "order_type"),
        ({"business_line": "satellite"}, "business_line"),
        ({"channel": "pigeon"}, "channel"),
        ({"title": "  "}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"caller_phone": "12345"}, "caller_phone"),
        ({"customer": 10**12}, "customer"),
        ({"category": 10**12}, "category"),
        ({"area_unit": "x"}, "area_unit"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client_for, agent_a, customer_a, change, field
):
    response = _create(client_for(agent_a), **{"customer": customer_a, **change})
    body = _ok(response, 400)
    assert body["code"] == "validation_failed"
    assert field in body["extra"]["errors"], body
    assert not WorkOrder.objects.exists()


def test_a_cause_is_not_a_problem_category(client_for, agent_a, customer_a):
    cause = Category.objects.filter(kind="cause").first()
    body = _ok(_create(client_for(agent_a), customer_a, category=cause.pk), 400)
    assert "category" in body["extra"]["errors"]


def test_messages_follow_the_request_language(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    english = client.post(
        f"{URL}{order['id']}/actions/reply/",
        {"reply": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Possible" in english.json()["message"]
    chinese = client.post(
        f"{URL}{order['id']}/actions/reply/",
        {"reply": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert chinese.json()["code"] == "action_not_allowed"


def test_staff_without_intake_permission_cannot_create(client_for, handlers_a1, customer_a):
    body = _ok(_create(client_for(handlers_a1[0]), customer_a), 403)
    assert body["code"] == "permission_denied"
    assert not WorkOrder.objects.exists()


# --- idempotency ------------------------------------------------------------------------


def test_same_idempotency_key_twice_creates_one_order(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    first = _create(client, customer_a, headers={"HTTP_IDEMPOTENCY_KEY": "call-0001"})
    second = _create(client, customer_a, headers={"HTTP_IDEMPOTENCY_KEY": "call-0001"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1
    third = _create(client, customer_a, headers={"HTTP_IDEMPOTENCY_KEY": "call-0002"})
    assert third.status_code == 201 and WorkOrder.objects.count() == 2


def test_same_key_with_another_body_is_refused(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    _ok(_create(client, customer_a, headers={"HTTP_IDEMPOTENCY_KEY": "k1"}), 201)
    body = _ok(
        _create(client, customer_a, title="另一件事", headers={"HTTP_IDEMPOTENCY_KEY": "k1"}), 422
    )
    assert body["code"] == "idempotency_key_reused"
    assert WorkOrder.objects.count() == 1


def test_retried_action_with_its_key_acts_once(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    url = f"{URL}{order['id']}/actions/urge/"
    first = client.post(url, {"note": "客户催促"}, format="json", HTTP_IDEMPOTENCY_KEY="urge-1")
    again = client.post(url, {"note": "客户催促"}, format="json", HTTP_IDEMPOTENCY_KEY="urge-1")
    assert _ok(first)["urge_count"] == 1 and _ok(again) == first.json()
    assert WorkOrder.objects.get(pk=order["id"]).urge_count == 1
    assert WorkOrderEvent.objects.filter(order_id=order["id"], action="urge").count() == 1


# --- actions ----------------------------------------------------------------------------


def test_lifecycle_through_the_api(client_for, org, agent_a, dispatcher_a, handlers_a1, customer_a):
    agent, dispatcher, handler = (
        client_for(agent_a),
        client_for(dispatcher_a),
        client_for(handlers_a1[0]),
    )
    order = _ok(_create(agent, customer_a), 201)
    oid = order["id"]
    assert oid in _ids(dispatcher.get(URL, {"queue": "dispatch"}))

    dispatched = _ok(
        _act(dispatcher, oid, "dispatch", unit=org["team_a1"].pk, version=order["version"])
    )
    assert dispatched["status"] == "dispatched"
    assert dispatched["handling_unit_name"] == org["team_a1"].name
    assert oid not in _ids(dispatcher.get(URL, {"queue": "dispatch"}))
    # In the unit's queue without a person: "mine" for every handler of the unit.
    assert oid in _ids(client_for(handlers_a1[1]).get(URL, {"queue": "mine"}))

    taken = _ok(_act(handler, oid, "accept"))
    assert taken["status"] == "in_progress" and taken["handler_name"] == "hand_a1_0"
    assert oid not in _ids(client_for(handlers_a1[1]).get(URL, {"queue": "mine"}))
    assert oid in _ids(client_for(handlers_a1[1]).get(URL, {"queue": "unit"}))

    cause = Category.objects.get(code="cause-network-line")
    resolved = _ok(
        _act(
            handler,
            oid,
            "resolve",
            resolution="更换分光器",
            cause=cause.pk,
            justified=True,
            remedy="repair_replace_redo",
            responsible_unit=org["team_a1"].pk,
            responsible_person="李工",
        )
    )
    assert resolved["status"] == "resolved" and resolved["justified"] is True
    assert resolved["cause"] == cause.pk and resolved["remedy"] == "repair_replace_redo"
    _ok(_act(agent, oid, "reply", reply="已更换设备，恢复正常"))
    callback_refused(WorkOrder.objects.get(pk=oid))
    closed = _ok(_act(agent, oid, "close"))
    assert closed["status"] == "closed" and closed["allowed_actions"][0]["action"] == "note"
    assert [e["action"] for e in closed["timeline"]] == [
        "create",
        "dispatch",
        "accept",
        "resolve",
        "reply",
        "close",
    ]
    assert closed["timeline"][1]["data"]["unit"] == org["team_a1"].name
    assert closed["timeline"][1]["actor_name"] == "disp_a"


def test_invalid_action_is_400_listing_the_allowed_ones(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    allowed = [a["action"] for a in order["allowed_actions"]]
    body = _ok(_act(client, order["id"], "reply", reply="x"), 400)
    assert body["code"] == "action_not_allowed"
    assert body["extra"]["allowed"] == allowed
    assert body["extra"]["status"] == "accepted" and body["message"]
    # A name that is no action at all is a 404, like any path that does not exist.
    assert _ok(_act(client, order["id"], "no_such_action"), 404)["code"] == "not_found"
    assert WorkOrder.objects.get(pk=order["id"]).version == 1


def test_missing_action_input_is_named(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    body = _ok(_act(client, order["id"], "cancel"), 400)
    assert "reason" in body["extra"]["errors"]
    body = _ok(_act(client, order["id"], "note", note="x", version=0), 400)
    assert "version" in body["extra"]["errors"]


def test_stale_version_is_409_and_the_first_writer_wins(
    client_for, org, agent_a, dispatcher_a, supervisor_a, customer_a
):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    first, second = client_for(dispatcher_a), client_for(supervisor_a)
    seen_by_first = _ok(first.get(f"{URL}{order['id']}/"))["version"]
    seen_by_second = _ok(second.get(f"{URL}{order['id']}/"))["version"]
    assert seen_by_first == seen_by_second == 1

    won = _ok(_act(first, order["id"], "dispatch", unit=org["team_a1"].pk, version=seen_by_first))
    assert won["version"] == 2
    lost = _act(second, order["id"], "dispatch", unit=org["team_a2"].pk, version=seen_by_second)
    body = _ok(lost, 409)
    assert body["code"] == "conflict" and body["message"]
    stored = WorkOrder.objects.get(pk=order["id"])
    assert stored.handling_unit == org["team_a1"] and stored.version == 2
    # Re-read, then act on what is there now.
    fresh = _ok(second.get(f"{URL}{order['id']}/"))
    _ok(_act(second, order["id"], "urge", note="加快处理", version=fresh["version"]))


# --- data scope -------------------------------------------------------------------------


def test_other_county_cannot_list_see_or_act(client_for, agent_a, agent_b, customer_a):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    outsider = client_for(agent_b)
    for queue in QUEUES:
        assert order["id"] not in _ids(outsider.get(URL, {"queue": queue})), queue
    assert order["id"] not in _ids(outsider.get(URL, {"customer": customer_a.pk}))
    assert order["id"] not in _ids(outsider.get(URL, {"number": order["number"]}))
    missing_id = order["id"] + 1000
    missing = _ok(outsider.get(f"{URL}{missing_id}/"), 404)
    for path in (f"{order['id']}/", f"{order['number']}/", f"{order['id']}/events/"):
        assert _ok(outsider.get(f"{URL}{path}"), 404) == missing
    for action, body in (("note", {"note": "x"}), ("urge", {}), ("reply", {"reply": "x"})):
        assert _ok(_act(outsider, order["id"], action, **body), 404) == missing
    # A stale version must not reveal that the order exists either.
    assert _ok(_act(outsider, order["id"], "note", note="x", version=7), 404) == missing
    assert WorkOrderEvent.objects.filter(order_id=order["id"]).count() == 1


def test_cannot_take_in_an_order_for_a_customer_outside_the_scope(
    client_for, agent_b, customer_a, org
):
    body = _ok(_create(client_for(agent_b), customer_a), 400)
    assert "customer" in body["extra"]["errors"]
    body = _ok(_create(client_for(agent_b), area_unit=org["county_a1"].pk), 400)
    assert "area_unit" in body["extra"]["errors"]
    assert not WorkOrder.objects.exists()


# --- queues and filters -----------------------------------------------------------------


def test_queues_and_filters(client_for, org, agent_a, supervisor_a, customer_a, customer_a2):
    agent, supervisor = client_for(agent_a), client_for(supervisor_a)
    mine = _ok(_create(agent, customer_a), 201)["id"]
    other = _ok(_create(supervisor, customer_a2, order_type="fault", channel="web"), 201)["id"]
    done = _ok(
        _create(agent, customer_a, order_type="consultation", resolve_at_intake="已答复"), 201
    )["id"]
    WorkOrder.objects.filter(pk=mine).update(sla_state="warning")
    WorkOrder.objects.filter(pk=other).update(sla_state="breached")
    WorkOrder.objects.filter(pk=done).update(sla_state="breached")

    def ids(client, **params):
        return set(_ids(client.get(URL, params)))

    assert ids(supervisor) == ids(supervisor, queue="all") == {mine, other, done}
    assert ids(agent) == {mine, done}  # county A2 is outside the agent's scope
    assert ids(agent, queue="accepted_by_me") == {mine, done}
    assert ids(supervisor, queue="accepted_by_me") == {other}
    assert ids(supervisor, queue="open") == ids(supervisor, queue="dispatch") == {mine, other}
    assert ids(supervisor, queue="warning") == {mine}
    assert ids(supervisor, queue="overdue") == {other}  # resolved orders are not overdue
    assert ids(supervisor, queue="mine") == ids(supervisor, queue="unit") == set()
    assert ids(supervisor, status="replied") == {done}
    assert ids(supervisor, type="fault") == ids(supervisor, channel="web") == {other}
    assert ids(supervisor, complaint="true") == {mine}
    assert ids(supervisor, customer=customer_a.pk) == {mine, done}
    assert ids(supervisor, area=org["county_a2"].pk) == {other}
    assert ids(supervisor, created_from="2000-01-01", created_to="2000-01-02") == set()

    body = _ok(supervisor.get(URL, {"queue": "everything"}), 400)
    assert "queue" in body["extra"]["errors"]
    body = _ok(supervisor.get(URL, {"created_from": "yesterday"}), 400)
    assert "created_from" in body["extra"]["errors"]
    body = _ok(supervisor.get(URL, {"area": 10**12}), 400)
    assert "area" in body["extra"]["errors"]


def test_list_queries_do_not_grow_with_the_rows(
    client_for, org, agent_a, dispatcher_a, handlers_a1, make_user, customer_a
):
    """No query per row: the page, then one lookup each for types, customers, units and
    handlers, however many rows and however many different ones."""
    agent = client_for(agent_a)
    types = ["complaint", "fault", "install", "consultation"]

    def page() -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            rows = _ok(agent.get(URL, {"page_size": 100}))["results"]
        return len(queries), rows

    def add(n: int, handlers) -> None:
        for i in range(n):
            oid = _ok(_create(agent, customer_a, order_type=types[i % 4]), 201)["id"]
            work_order_act(
                actor=dispatcher_a,
                order=WorkOrder.objects.get(pk=oid),
                action="dispatch",
                data={"unit": org["team_a1"], "handler": handlers[i % len(handlers)]},
            )

    add(2, handlers_a1[:1])
    few, rows = page()
    more = [make_user(f"hand_a1_x{i}", org["team_a1"], "handler") for i in range(4)]
    add(10, handlers_a1 + more)
    many, rows = page()
    assert many == few and len(rows) == 12
    assert {r["handler_name"] for r in rows} == {u.username for u in handlers_a1 + more}
    assert {r["order_type"] for r in rows} == set(types)
    assert {r["handling_unit_name"] for r in rows} == {org["team_a1"].name}
    assert {r["customer_name"] for r in rows} == {"王小明"}


# --- reference data ---------------------------------------------------------------------


def test_reference_lists(client_for, agent_a):
    client = client_for(agent_a)
    types = {r["code"]: r for r in _ok(client.get("/api/v1/work-order-types/"))["results"]}
    assert types["complaint"]["is_complaint"] and types["fault"]["is_fault"]
    lines = {r["code"] for r in _ok(client.get("/api/v1/business-lines/"))["results"]}
    assert {"broadband", "fixed", "mobile"} <= lines
    causes = _ok(client.get("/api/v1/categories/", {"kind": "cause"}))["results"]
    assert causes and {r["kind"] for r in causes} == {"cause"}
    parent = Category.objects.get(code="network")
    children = _ok(client.get("/api/v1/categories/", {"parent": parent.pk}))["results"]
    assert {r["code"] for r in children} >= {"network-slow", "network-down"}
    assert all(r["full_name"].startswith(parent.name) for r in children)
    assert _ok(client.get("/api/v1/categories/", {"kind": "x"}), 400)["code"] == (
        "validation_failed"
    )


def test_anonymous_is_401(db):
    from rest_framework.test import APIClient

    client = APIClient()
    for path in (URL, "/api/v1/work-order-types/", f"{URL}1/"):
        assert client.get(path).status_code == 401


def test_count_is_exact_on_the_last_page_and_a_lower_bound_before(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    created = [_ok(_create(client, customer_a), 201)["id"] for _ in range(5)]
    whole = _ok(client.get(URL))
    assert (whole["count"], whole["count_exact"], whole["next"]) == (5, True, None)
    assert [r["id"] for r in whole["results"]] == created[::-1]

    pages = [_ok(client.get(URL, {"page_size": 2, "page": n})) for n in (1, 2, 3)]
    assert [(p["count"], p["count_exact"]) for p in pages] == [(3, False), (5, False), (5, True)]
    assert [r["id"] for p in pages for r in p["results"]] == created[::-1]
    assert pages[0]["previous"] is None and "page=2" in pages[0]["next"]
    assert "page=" not in pages[1]["previous"] and "page=3" in pages[1]["next"]
    assert pages[2]["next"] is None
    for page in ("4", "0", "-1", "x", str(2**63)):
        body = _ok(client.get(URL, {"page_size": 2, "page": page}), 404)
        assert body["code"] == "not_found"


# --- write targets inside the data scope ------------------------------------------------


def _unchanged(oid: int, version: int, *, status: str, unit=None, handler=None) -> None:
    order = WorkOrder.objects.get(pk=oid)
    assert order.version == version and order.status == status
    assert order.handling_unit_id == unit and order.handler_id == handler
    assert not order.co_handlings.exists()


def test_dispatch_to_a_unit_outside_the_scope_is_400_naming_the_unit(
    client_for, org, agent_a, dispatcher_a, customer_a
):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    body = _ok(_act(client_for(dispatcher_a), order["id"], "dispatch", unit=org["team_b1"].pk), 400)
    assert body["code"] == "validation_failed" and list(body["extra"]["errors"]) == ["unit"]
    _unchanged(order["id"], order["version"], status="accepted")
    assert not WorkOrderEvent.objects.filter(order_id=order["id"], action="dispatch").exists()


def test_a_handler_outside_the_scope_or_on_leave_is_refused(
    client_for, org, make_user, agent_a, dispatcher_a, handlers_a1, customer_a
):
    from kefu.org.models import StaffProfile

    order = _ok(_create(client_for(agent_a), customer_a), 201)
    stranger = make_user("hand_b1", org["team_b1"], "handler")
    dispatcher = client_for(dispatcher_a)
    for unit, person in ((org["team_b1"], stranger), (org["team_a1"], stranger)):
        response = _act(dispatcher, order["id"], "dispatch", unit=unit.pk, handler=person.pk)
        assert set(_ok(response, 400)["extra"]["errors"]) & {"unit", "handler"}
    StaffProfile.objects.filter(user=handlers_a1[0]).update(on_leave=True)
    response = _act(
        dispatcher, order["id"], "dispatch", unit=org["team_a1"].pk, handler=handlers_a1[0].pk
    )
    assert list(_ok(response, 400)["extra"]["errors"]) == ["handler"]
    _unchanged(order["id"], order["version"], status="accepted")


def test_transfer_and_co_handling_stay_inside_the_scope(
    client_for, org, agent_a, dispatcher_a, supervisor_a, handlers_a1, customer_a
):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    dispatched = _ok(
        _act(client_for(dispatcher_a), order["id"], "dispatch", unit=org["team_a1"].pk)
    )
    handler, version = client_for(handlers_a1[0]), dispatched["version"]
    unit_a1 = org["team_a1"].pk
    refused = _act(handler, order["id"], "transfer", unit=org["team_b1"].pk, reason="不归我们管")
    assert list(_ok(refused, 400)["extra"]["errors"]) == ["unit"]
    refused = _act(client_for(supervisor_a), order["id"], "co_handle", units=[org["team_b1"].pk])
    assert list(_ok(refused, 400)["extra"]["errors"]) == ["units"]
    _unchanged(order["id"], version, status="dispatched", unit=unit_a1)


def test_a_responsible_unit_outside_the_scope_is_refused(
    client_for, org, agent_a, dispatcher_a, handlers_a1, customer_a
):
    order = _ok(_create(client_for(agent_a), customer_a), 201)
    _ok(_act(client_for(dispatcher_a), order["id"], "dispatch", unit=org["team_a1"].pk))
    handler = client_for(handlers_a1[0])
    taken = _ok(_act(handler, order["id"], "accept"))
    body = _ok(
        _act(
            handler,
            order["id"],
            "resolve",
            resolution="已修复",
            remedy="repair_replace_redo",
            responsible_unit=org["county_b1"].pk,
            **complaint_verdict_ids(),
        ),
        400,
    )
    assert list(body["extra"]["errors"]) == ["responsible_unit"]
    assert WorkOrder.objects.get(pk=order["id"]).version == taken["version"]


@pytest.mark.parametrize(("routed", "queries"), [(False, 8), (True, 30)])
def test_a_create_costs_a_pinned_number_of_queries(
    client_for, org, agent_a, make_user, django_assert_num_queries, routed, queries
):
    """Taking a complaint in through the API — intake, its clocks, complaint checks, and
    when a rule fits the dispatch with its own clocks and notification — costs a fixed
    number of statements: a change that adds one must say so here (bench/RESULTS.md)."""
    from kefu.workorders.models import Assignment, DispatchRule, WorkOrderType
    from tests.factories import make_customer

    customer = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="王小明", phone="13800138000"
    )
    make_user("hand_a1_0", org["team_a1"], "handler")
    if routed:
        DispatchRule.objects.create(
            name="投诉→A1营业班",
            order_type=WorkOrderType.objects.get(code="complaint"),
            target_unit=org["team_a1"],
            assignment=Assignment.LEAST_LOAD,
        )
    client = client_for(agent_a)
    _ok(_create(client, customer, title="暖机"), 201)  # caches warmed as in a running server
    with django_assert_num_queries(queries):
        body = _ok(_create(client, customer), 201)
    assert (body["status"], body["handling_unit"] is not None) == (
        ("dispatched", True) if routed else ("accepted", False)
    )
