"""The 规则配置 pages: scope, refusals naming the field, the tester, previews, the log."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.notify.models import NotificationTemplate
from kefu.rules.models import RuleChange
from kefu.workorders.models import DispatchRule
from tests.factories import PASSWORD


@pytest.fixture
def browser_for(db):
    def build(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return build


def _rule_post(rule, **changes):
    data = {
        "name": rule.name,
        "priority": rule.priority,
        "order_type": rule.order_type_id or "",
        "business_line": rule.business_line_id or "",
        "area": rule.area_id or "",
        "target_unit": rule.target_unit_id,
        "assignment": rule.assignment,
        "skill": rule.skill,
    }
    data.update(changes)
    return data


def test_the_nav_shows_rule_configuration_to_supervisors_only(browser_for, sup_a1, agent_a):
    assert 'id="nav-rules-home"' in browser_for(sup_a1).get("/").content.decode()
    assert 'id="nav-rules-home"' not in browser_for(agent_a).get("/").content.decode()
    assert browser_for(agent_a).get("/rules/dispatch/").status_code == 403


def test_county_a_sees_its_rule_and_county_bs_is_404(browser_for, sup_a1, rule_a1, rule_b1):
    page = browser_for(sup_a1)
    listed = page.get("/rules/dispatch/").content.decode()
    assert rule_a1.name in listed and rule_b1.name not in listed
    assert page.get(f"/rules/dispatch/{rule_b1.pk}/").status_code == 404
    posted = page.post(f"/rules/dispatch/{rule_b1.pk}/", _rule_post(rule_b1, priority=1))
    assert posted.status_code == 404
    assert page.post(f"/rules/dispatch/{rule_b1.pk}/active/", {"active": "0"}).status_code == 404
    assert page.get(f"/rules/changes/?type=dispatchrule&id={rule_b1.pk}").status_code == 404
    rule_b1.refresh_from_db()
    assert rule_b1.priority == 20 and rule_b1.is_active


def test_the_form_refuses_a_target_outside_scope_at_that_field(browser_for, sup_a1, rule_a1, org):
    page = browser_for(sup_a1)
    answer = page.post(
        f"/rules/dispatch/{rule_a1.pk}/", _rule_post(rule_a1, target_unit=org["team_b1"].pk)
    )
    assert answer.status_code == 400
    form = answer.context["form"]
    assert list(form.errors) == ["target_unit"]
    rule_a1.refresh_from_db()
    assert rule_a1.target_unit == org["team_a1"] and not RuleChange.objects.exists()


def test_an_edit_in_the_form_is_saved_and_shown_in_its_history(browser_for, sup_a1, rule_a1, org):
    page = browser_for(sup_a1)
    answer = page.post(
        f"/rules/dispatch/{rule_a1.pk}/", _rule_post(rule_a1, target_unit=org["county_a1"].pk)
    )
    assert answer.status_code == 302
    rule_a1.refresh_from_db()
    assert rule_a1.target_unit == org["county_a1"]
    history = page.get(f"/rules/changes/?type=dispatchrule&id={rule_a1.pk}").content.decode()
    assert "A1县营业班" in history and "A1县分公司" in history and "sup_a1" in history
    detail = page.get(f"/rules/dispatch/{rule_a1.pk}/").content.decode()
    assert 'id="object-changes"' in detail


def test_the_tester_page_names_the_winner_and_why_others_fail(
    browser_for, supervisor_a, rule_a1, org, types, lines
):
    DispatchRule.objects.create(
        name="A市投诉→A2县", priority=5, order_type=types["complaint"], area=org["pref_a"],
        target_unit=org["county_a2"],
    )  # fmt: skip
    page = browser_for(supervisor_a)
    query = {
        "order_type": types["fault"].pk,
        "business_line": lines["broadband"].pk,
        "area": org["team_a1"].pk,
        "customer_tier": "",
    }
    shown = page.get("/rules/dispatch/test/", query, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="rule-test-winner-name">A1宽带故障→A1营业班<' in shown
    assert "类型不同" in shown or "type differs" in shown


def test_a_template_preview_renders_with_sample_values_and_an_error_names_the_field(
    browser_for, admin_user
):
    template = NotificationTemplate.objects.get(code="wo_created")
    page = browser_for(admin_user)
    shown = page.post(
        f"/rules/templates/{template.pk}/preview/",
        {"subject": "工单 {{ order.number }}", "body": "您好 {{ order.title }}"},
    ).content.decode()
    assert "工单 2026031800001234" in shown and "宽带每晚无法上网" in shown
    broken = page.post(
        f"/rules/templates/{template.pk}/preview/", {"subject": "x", "body": "{% if %}"}
    ).content.decode()
    assert 'id="template-preview-error"' in broken
    saved = page.post(
        f"/rules/templates/{template.pk}/",
        {"name": template.name, "subject": "已受理 {{ order.number }}", "body": template.body,
         "is_active": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    template.refresh_from_db()
    assert template.subject == "已受理 {{ order.number }}"
    [change] = RuleChange.objects.filter(object_id=template.pk)
    assert change.before["subject"] != change.after["subject"]


def test_reference_pages_create_and_deactivate_a_business_line(browser_for, admin_user):
    page = browser_for(admin_user)
    assert page.get("/rules/lines/").status_code == 200
    assert (
        page.post("/rules/lines/new/", {"code": "cloud", "name": "云业务", "sort": 9}).status_code
        == 302
    )
    from kefu.workorders.models import BusinessLine

    line = BusinessLine.objects.get(code="cloud")
    page.post(f"/rules/lines/{line.pk}/", {"code": "changed", "name": "云计算", "sort": 9})
    line.refresh_from_db()
    assert line.name == "云计算" and line.code == "cloud"
    page.post(f"/rules/lines/{line.pk}/active/", {"active": "0"})
    line.refresh_from_db()
    assert not line.is_active
    assert [c.action for c in RuleChange.objects.filter(object_id=line.pk).order_by("id")] == [
        "create",
        "update",
        "deactivate",
    ]


def test_every_section_opens_for_an_administrator(browser_for, admin_user, rule_a1):
    page = browser_for(admin_user)
    for url in [
        "/rules/",
        "/rules/dispatch/",
        "/rules/dispatch/new/",
        f"/rules/dispatch/{rule_a1.pk}/",
        "/rules/dispatch/test/",
        "/rules/types/",
        "/rules/types/new/",
        "/rules/categories/",
        "/rules/categories/new/",
        "/rules/sla/",
        "/rules/sla/new/",
        "/rules/templates/",
        "/rules/changes/",
    ]:
        answer = page.get(url, follow=True)
        assert answer.status_code == 200, url
    assert page.get("/rules/nonsense/").status_code == 404


def test_a_supervisor_does_not_get_the_reference_pages(browser_for, supervisor_a):
    page = browser_for(supervisor_a)
    assert page.get("/rules/types/").status_code == 403
    assert page.get("/rules/templates/").status_code == 403
    assert page.get("/rules/").url == "/rules/dispatch/"


def test_a_policy_edited_on_its_page_keeps_its_code_and_is_logged(browser_for, admin_user):
    from kefu.sla.models import SlaPolicy

    policy = SlaPolicy.objects.get(code="complaint")
    page = browser_for(admin_user)
    form = page.get(f"/rules/sla/{policy.pk}/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "tiers"}
    data.update(code="renamed", resolution_minutes=1200, order_type=policy.order_type_id)
    assert page.post(f"/rules/sla/{policy.pk}/", data).status_code == 302
    policy.refresh_from_db()
    assert policy.code == "complaint" and policy.resolution_minutes == 1200
    [change] = RuleChange.objects.filter(object_id=policy.pk, content_type__model="slapolicy")
    assert change.after["resolution_minutes"] == 1200


def test_the_tester_page_does_not_offer_or_take_an_area_outside_scope(
    browser_for, sup_a1, org, types
):
    page = browser_for(sup_a1)
    offered = page.get("/rules/dispatch/test/").context["form"].fields["area"].choices
    assert [name.strip() for _pk, name in offered[1:]] == ["A1县分公司", "A1县营业班"]
    answer = page.get(
        "/rules/dispatch/test/", {"order_type": types["fault"].pk, "area": org["county_b1"].pk}
    )
    assert list(answer.context["form"].errors) == ["area"] and answer.context["result"] is None
