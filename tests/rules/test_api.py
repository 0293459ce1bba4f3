"""The rules API: dispatch rules in scope, the match action, reference writes, the log."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.rules.models import RuleChange
from kefu.workorders.models import BusinessLine, DispatchRule


def test_county_a_lists_only_its_rules_and_county_bs_is_404(
    client_for,  # noqa: F811
    sup_a1,
    rule_a1,
    rule_b1,
):
    api = client_for(sup_a1)
    listed = api.get("/api/v1/dispatch-rules/").json()["results"]
    assert [r["id"] for r in listed] == [rule_a1.pk]
    assert listed[0]["target_unit_name"] == "A1县营业班"
    for call in (
        api.get(f"/api/v1/dispatch-rules/{rule_b1.pk}/"),
        api.patch(f"/api/v1/dispatch-rules/{rule_b1.pk}/", {"priority": 1}, format="json"),
        api.get(f"/api/v1/rule-changes/?object_type=dispatchrule&object_id={rule_b1.pk}"),
    ):
        assert call.status_code == 404 and call.json()["code"] == "not_found"
    rule_b1.refresh_from_db()
    assert rule_b1.priority == 20


def test_a_target_outside_scope_is_a_400_naming_the_field_and_nothing_changes(
    client_for,  # noqa: F811
    sup_a1,
    rule_a1,
    org,
):
    api = client_for(sup_a1)
    answer = api.patch(
        f"/api/v1/dispatch-rules/{rule_a1.pk}/", {"target_unit": org["team_b1"].pk}, format="json"
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed" and list(body["extra"]["errors"]) == ["target_unit"]
    rule_a1.refresh_from_db()
    assert rule_a1.target_unit == org["team_a1"]
    assert not RuleChange.objects.exists()


def test_create_edit_and_deactivate_through_the_api_are_logged(
    client_for,  # noqa: F811
    sup_a1,
    org,
):
    api = client_for(sup_a1)
    created = api.post(
        "/api/v1/dispatch-rules/",
        {
            "name": "A1投诉(钻石)→A1县",
            "order_type": "complaint",
            "area": org["county_a1"].pk,
            "tiers": ["diamond"],
            "target_unit": org["county_a1"].pk,
            "assignment": "least_load",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["order_type"] == "complaint"
    edited = api.patch(f"/api/v1/dispatch-rules/{pk}/", {"priority": 9}, format="json")
    assert edited.status_code == 200 and edited.json()["priority"] == 9
    off = api.patch(f"/api/v1/dispatch-rules/{pk}/", {"is_active": False}, format="json")
    assert off.json()["is_active"] is False
    log = api.get(f"/api/v1/rule-changes/?object_type=dispatchrule&object_id={pk}").json()
    assert [c["action"] for c in log["results"]] == ["deactivate", "update", "create"]
    assert log["results"][1]["before"]["priority"] == 100
    assert log["results"][1]["after"]["priority"] == 9
    assert log["results"][0]["actor_name"] == "sup_a1"


def test_match_shows_the_winner_and_why_the_others_do_not_fit(
    client_for,  # noqa: F811
    supervisor_a,
    rule_a1,
    org,
):
    broad = DispatchRule.objects.create(
        name="A市故障→A2县", priority=200, order_type=rule_a1.order_type,
        area=org["pref_a"], target_unit=org["county_a2"],
    )  # fmt: skip
    api = client_for(supervisor_a)
    probe = {"order_type": "fault", "business_line": "fixed", "area": org["team_a1"].pk}
    answer = api.post("/api/v1/dispatch-rules/match/", probe, format="json").json()
    assert answer["winner"]["id"] == broad.pk
    by_id = {c["rule"]["id"]: c for c in answer["candidates"]}
    assert by_id[rule_a1.pk]["failed"] == ["business_line"] and not by_id[rule_a1.pk]["wins"]
    assert by_id[broad.pk]["wins"] and by_id[broad.pk]["matches"]
    probe["business_line"] = "broadband"
    answer = api.post("/api/v1/dispatch-rules/match/", probe, format="json").json()
    assert answer["winner"]["id"] == rule_a1.pk


def test_match_from_an_area_outside_scope_is_refused(client_for, sup_a1, org):  # noqa: F811
    api = client_for(sup_a1)
    probe = {"order_type": "fault", "area": org["county_b1"].pk}
    answer = api.post("/api/v1/dispatch-rules/match/", probe, format="json")
    assert answer.status_code == 400 and list(answer.json()["extra"]["errors"]) == ["area"]


def test_a_rule_outside_scope_that_wins_is_not_shown(client_for, sup_a1, admin_user, org):  # noqa: F811
    DispatchRule.objects.create(
        name="省级故障", priority=1, order_type=None, target_unit=org["pref_b"]
    )
    answer = (
        client_for(sup_a1)
        .post(
            "/api/v1/dispatch-rules/match/",
            {"order_type": "fault", "area": org["county_a1"].pk},
            format="json",
        )
        .json()
    )
    assert answer["winner"] is None and answer["routed_outside_scope"] is True
    assert answer["candidates"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "target_unit": 2**70},
        {"name": "x", "target_unit": "abc"},
        {"name": "x" * 101, "target_unit": 1},
        {"name": "x", "target_unit": 1, "tiers": "gold"},
        {"name": "x", "target_unit": 1, "order_type": "nope"},
        ["not", "an", "object"],
    ],
)
def test_hostile_rule_input_gets_a_400(client_for, sup_a1, body):  # noqa: F811
    answer = client_for(sup_a1).post("/api/v1/dispatch-rules/", body, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "validation_failed"


def test_reference_writes_need_the_reference_permission(
    client_for,  # noqa: F811
    supervisor_a,
    admin_user,
):
    body = {"code": "cloud", "name": "云业务"}
    refused = client_for(supervisor_a).post("/api/v1/business-lines/", body, format="json")
    assert refused.status_code == 403
    api = client_for(admin_user)
    created = api.post("/api/v1/business-lines/", body, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    renamed = api.patch(f"/api/v1/business-lines/{pk}/", {"name": "云计算"}, format="json")
    assert renamed.json()["name"] == "云计算"
    assert BusinessLine.objects.get(pk=pk).name == "云计算"
    listed = client_for(supervisor_a).get("/api/v1/business-lines/?page_size=100").json()
    assert "云计算" in [r["name"] for r in listed["results"]]
    category = api.post(
        "/api/v1/categories/",
        {"kind": "cause", "code": "cause-weather", "name": "天气原因"},
        format="json",
    )
    assert category.status_code == 201 and category.json()["full_name"] == "天气原因"
    changes = api.get("/api/v1/rule-changes/?object_type=businessline").json()["results"]
    assert [c["action"] for c in changes] == ["update", "create"]


def test_sla_policy_edits_through_the_api_are_logged(client_for, admin_user):  # noqa: F811
    api = client_for(admin_user)
    policy = api.get("/api/v1/sla-policies/").json()["results"][0]
    answer = api.patch(f"/api/v1/sla-policies/{policy['id']}/", {"note": "规则测试"}, format="json")
    assert answer.status_code == 200
    [change] = api.get("/api/v1/rule-changes/?object_type=slapolicy").json()["results"]
    assert change["object_id"] == policy["id"]
    assert change["before"]["note"] == policy["note"] and change["after"]["note"] == "规则测试"


def test_the_rule_list_and_the_tester_take_the_same_queries_for_many_rules(
    client_for,  # noqa: F811
    supervisor_a,
    org,
    types,
    django_assert_max_num_queries,
):
    api = client_for(supervisor_a)
    probe = {"order_type": "fault", "area": org["team_a1"].pk}

    def add_rules(n):
        for i in range(n):
            DispatchRule.objects.create(
                name=f"规则{i}", priority=i, order_type=types["complaint"], area=org["pref_a"],
                target_unit=org["county_a1"],
            )  # fmt: skip

    add_rules(2)
    api.get("/api/v1/dispatch-rules/")  # token, actor and caches warm
    api.post("/api/v1/dispatch-rules/match/", probe, format="json")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/dispatch-rules/")
        api.post("/api/v1/dispatch-rules/match/", probe, format="json")
    add_rules(10)
    with django_assert_max_num_queries(len(few) + 1):  # +1: the reloaded rule cache
        assert len(api.get("/api/v1/dispatch-rules/").json()["results"]) == 12
        answer = api.post("/api/v1/dispatch-rules/match/", probe, format="json").json()
        assert len(answer["candidates"]) == 12
