"""A prefecture supervisor re-routes broadband faults in a real browser, the rule tester
shows the new match, and the next call an agent takes lands in the new unit.

`KEFU_SCREENSHOTS=1` writes docs/screenshots/rules-dispatch.png and rules-tester.png.
"""

from __future__ import annotations

import re

import pytest

from kefu.rules.models import RuleChange
from kefu.workorders.models import BusinessLine, DispatchRule, WorkOrder, WorkOrderType
from tests.e2e.test_work_order_flow import _screenshot, _sign_in, _staff
from tests.factories import make_customer

pytestmark = [pytest.mark.e2e]

CALLER = "13812340001"


def test_supervisor_reroutes_faults_tester_agrees_and_the_next_call_lands_there(
    transactional_db, live_server, browser, screenshots_dir, org, agent_a
):
    base = live_server.url
    fault = WorkOrderType.objects.get(code="fault")
    broadband = BusinessLine.objects.get(code="broadband")
    rule = DispatchRule.objects.create(
        name="A市宽带故障→A1营业班",
        priority=20,
        order_type=fault,
        business_line=broadband,
        area=org["pref_a"],
        target_unit=org["team_a1"],
    )
    customer = make_customer(actor=agent_a, org_unit=org["team_a1"], name="刘芳", phone=CALLER)
    _staff("sup_a", "周主管", org["pref_a"], "supervisor")

    # 1. The supervisor: 规则配置 → the rule → a new handling unit.
    sup_ctx, page = _sign_in(browser, base, "sup_a", "/")
    page.click("#nav-rules-home")
    page.wait_for_url(re.compile(r"/rules/dispatch/$"))
    assert page.locator(f"#rule-{rule.pk} .rule-target").inner_text().startswith("A1县营业班")
    page.click(f"#rule-{rule.pk} a.rule-name")
    page.wait_for_selector("#rule-form")
    # Units outside prefecture A are not even offered.
    offered = page.locator("#id_target_unit option").all_inner_texts()
    assert not any("B" in name for name in offered)
    page.select_option("#id_target_unit", str(org["team_a2"].pk))
    page.click("#rule-submit")
    page.wait_for_selector("#messages .message-success")
    assert page.locator(f"#rule-{rule.pk} .rule-target").inner_text().startswith("A2县营业班")
    _screenshot(page, screenshots_dir / "rules-dispatch.png")
    [change] = RuleChange.objects.filter(object_id=rule.pk)
    assert change.before["target_unit"]["name"] == "A1县营业班"
    assert change.after["target_unit"]["name"] == "A2县营业班"

    # 2. The tester: a broadband fault from county A1 now goes to team A2.
    page.click("#rule-test")
    page.wait_for_selector("#rule-test-form")
    page.select_option("#id_order_type", str(fault.pk))
    page.select_option("#id_business_line", str(broadband.pk))
    page.select_option("#id_area", str(org["team_a1"].pk))
    page.click("#rule-test-submit")
    page.wait_for_selector("#rule-test-winner-unit")
    assert page.locator("#rule-test-winner-name").inner_text() == rule.name
    assert page.locator("#rule-test-winner-unit").inner_text() == "A2县营业班"
    assert page.locator(f"#rule-test-{rule.pk}").get_attribute("data-wins") == "1"
    _screenshot(page, screenshots_dir / "rules-tester.png")
    sup_ctx.close()

    # 3. The agent takes the call on the workbench; the order is routed by the edited rule.
    agent_ctx, page = _sign_in(browser, base, agent_a.username, f"/workbench/?caller={CALLER}")
    page.click(f"#wb-pick-{customer.pk}")
    page.wait_for_selector("#wb-order-form")
    page.select_option("#id_order_type", str(fault.pk))
    page.select_option("#id_business_line", label="宽带")
    page.fill("#id_title", "宽带断网，光猫红灯")
    page.fill("#id_description", "今早起无法上网，重启光猫无效。")
    page.click("#wb-order-submit")
    page.wait_for_url(re.compile(r"/workorders/\d+/$"))
    assert page.locator("#wo-handling-unit").inner_text() == "A2县营业班"
    order = WorkOrder.objects.get(title="宽带断网，光猫红灯")
    assert order.handling_unit == org["team_a2"] and order.dispatch_rule == rule
    agent_ctx.close()
