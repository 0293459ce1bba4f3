"""Dispatch-rule and reference-data services: scope checks, the audit log, the caches."""

from __future__ import annotations

import pytest

from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.rules import selectors, services
from kefu.rules.models import ChangeAction, RuleChange
from kefu.workorders.models import BusinessLine, Category, DispatchRule, WorkOrderType
from kefu.workorders.selectors import active_types
from kefu.workorders.services import work_order_create
from tests.factories import make_customer


def _changes(obj):
    return list(
        RuleChange.objects.filter(
            object_id=obj.pk, content_type__model=type(obj)._meta.model_name
        ).order_by("at", "id")
    )


def test_a_county_supervisor_creates_a_rule_for_their_county_and_it_is_logged(sup_a1, org, types):
    rule = services.dispatch_rule_create(
        actor=sup_a1,
        data={
            "name": "A1投诉→A1营业班",
            "priority": 5,
            "order_type": types["complaint"],
            "area": org["county_a1"],
            "target_unit": org["team_a1"],
        },
    )
    [change] = _changes(rule)
    assert change.action == ChangeAction.CREATE and change.actor == sup_a1
    assert change.before is None
    assert change.after["target_unit"] == {"id": org["team_a1"].pk, "name": "A1县营业班"}
    assert change.after["order_type"]["name"] == "投诉"


def test_a_rule_pointing_outside_the_editors_scope_is_refused_and_unchanged(sup_a1, rule_a1, org):
    with pytest.raises(ValidationFailed) as refused:
        services.dispatch_rule_update(
            actor=sup_a1, rule=rule_a1, data={"target_unit": org["team_b1"]}
        )
    assert set(refused.value.extra["errors"]) == {"target_unit"}
    with pytest.raises(ValidationFailed) as refused:
        services.dispatch_rule_update(actor=sup_a1, rule=rule_a1, data={"area": org["pref_b"]})
    assert set(refused.value.extra["errors"]) == {"area"}
    rule_a1.refresh_from_db()
    assert rule_a1.target_unit == org["team_a1"] and rule_a1.area == org["county_a1"]
    assert _changes(rule_a1) == []


def test_a_rule_for_every_area_needs_an_all_units_scope(sup_a1, admin_user, org):
    data = {"name": "全部→A1", "target_unit": org["team_a1"]}
    with pytest.raises(ValidationFailed) as refused:
        services.dispatch_rule_create(actor=sup_a1, data=dict(data))
    assert set(refused.value.extra["errors"]) == {"area"}
    assert services.dispatch_rule_create(actor=admin_user, data=dict(data)).area is None


def test_county_a_cannot_see_or_edit_county_bs_rule(sup_a1, rule_a1, rule_b1):
    assert list(selectors.dispatch_rules_visible(sup_a1)) == [rule_a1]
    assert selectors.dispatch_rule_visible(sup_a1, rule_b1.pk) is None
    with pytest.raises(NotFound):
        services.dispatch_rule_update(actor=sup_a1, rule=rule_b1, data={"priority": 1})
    with pytest.raises(NotFound):
        services.dispatch_rule_set_active(actor=sup_a1, rule=rule_b1, active=False)
    rule_b1.refresh_from_db()
    assert rule_b1.priority == 20 and rule_b1.is_active


def test_an_agent_may_not_edit_rules(agent_a, rule_a1):
    with pytest.raises(PermissionDenied):
        services.dispatch_rule_update(actor=agent_a, rule=rule_a1, data={"priority": 1})


def test_skill_assignment_needs_a_skill_and_tiers_must_be_known(supervisor_a, rule_a1):
    with pytest.raises(ValidationFailed) as refused:
        services.dispatch_rule_update(
            actor=supervisor_a, rule=rule_a1, data={"assignment": "skill", "tiers": ["platinum"]}
        )
    assert set(refused.value.extra["errors"]) == {"skill", "tiers"}


def test_each_edit_is_logged_with_before_and_after(supervisor_a, rule_a1, org):
    services.dispatch_rule_update(
        actor=supervisor_a, rule=rule_a1, data={"target_unit": org["county_a2"], "priority": 7}
    )
    services.dispatch_rule_set_active(actor=supervisor_a, rule=rule_a1, active=False)
    services.dispatch_rule_set_active(actor=supervisor_a, rule=rule_a1, active=True)
    update, off, on = _changes(rule_a1)
    assert update.action == ChangeAction.UPDATE and update.actor == supervisor_a
    assert update.before["target_unit"]["id"] == org["team_a1"].pk
    assert update.after["target_unit"]["id"] == org["county_a2"].pk
    assert {f for f, _b, _a in update.changed_fields} == {"target_unit", "priority"}
    assert off.action == ChangeAction.DEACTIVATE and off.after["is_active"] is False
    assert on.action == ChangeAction.REACTIVATE and on.before["is_active"] is False


def test_an_edited_rule_routes_the_next_order_at_once(
    supervisor_a, rule_a1, org, agent_a, types, lines
):
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"])
    first = work_order_create(  # the routing cache is warm after this one
        actor=agent_a,
        order_type=types["fault"],
        business_line=lines["broadband"],
        channel="hotline",
        title="宽带断网",
        customer=customer,
    )
    assert first.handling_unit == org["team_a1"]
    services.dispatch_rule_update(
        actor=supervisor_a, rule=rule_a1, data={"target_unit": org["county_a2"]}
    )
    second = work_order_create(
        actor=agent_a,
        order_type=types["fault"],
        business_line=lines["broadband"],
        channel="hotline",
        title="宽带又断网",
        customer=customer,
    )
    assert second.handling_unit == org["county_a2"] and second.dispatch_rule == rule_a1


def test_reference_data_is_for_administrators_and_logged(admin_user, supervisor_a):
    with pytest.raises(PermissionDenied):
        services.reference_create(
            actor=supervisor_a, model=BusinessLine, data={"code": "cloud", "name": "云业务"}
        )
    line = services.reference_create(
        actor=admin_user, model=BusinessLine, data={"code": "cloud", "name": "云业务"}
    )
    services.reference_update(actor=admin_user, obj=line, data={"is_active": False})
    create, off = _changes(line)
    assert create.action == ChangeAction.CREATE and off.action == ChangeAction.DEACTIVATE
    assert off.before["is_active"] is True and off.after["is_active"] is False


def test_a_renamed_type_reaches_the_cached_type_list_and_its_code_stays(admin_user):
    fault = WorkOrderType.objects.get(code="fault")
    assert active_types()["fault"].name == "故障申告"
    services.reference_update(actor=admin_user, obj=fault, data={"name": "故障报修"})
    assert active_types()["fault"].name == "故障报修"
    with pytest.raises(ValidationFailed) as refused:
        services.reference_update(actor=admin_user, obj=fault, data={"code": "repair"})
    assert set(refused.value.extra["errors"]) == {"code"}
    services.reference_update(actor=admin_user, obj=fault, data={"is_active": False})
    assert "fault" not in active_types()


def test_a_category_stays_in_its_own_tree(admin_user):
    network = Category.objects.get(code="network")
    slow = Category.objects.get(code="network-slow")
    cause = Category.objects.get(code="cause-network")
    with pytest.raises(ValidationFailed):
        services.reference_update(actor=admin_user, obj=network, data={"parent": slow})
    with pytest.raises(ValidationFailed):
        services.reference_create(
            actor=admin_user,
            model=Category,
            data={"kind": "problem", "code": "network-x", "name": "X", "parent": cause},
        )
    child = services.reference_create(
        actor=admin_user,
        model=Category,
        data={"kind": "problem", "code": "network-dns", "name": "域名解析", "parent": network},
    )
    assert str(child) == "网络质量 / 域名解析"


def test_a_duplicate_code_names_the_field(admin_user):
    with pytest.raises(ValidationFailed) as refused:
        services.reference_create(
            actor=admin_user, model=BusinessLine, data={"code": "broadband", "name": "宽带2"}
        )
    assert set(refused.value.extra["errors"]) == {"code"}


def test_rule_changes_of_county_b_are_hidden_from_county_a(sup_a1, sup_b1, rule_a1, rule_b1):
    services.dispatch_rule_update(actor=sup_a1, rule=rule_a1, data={"priority": 3})
    services.dispatch_rule_update(actor=sup_b1, rule=rule_b1, data={"priority": 4})
    seen = {c.object_id for c in selectors.rule_changes_visible(sup_a1, model=DispatchRule)}
    assert seen == {rule_a1.pk}
