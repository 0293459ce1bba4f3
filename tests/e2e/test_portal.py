"""A customer on their phone: signs in to the portal with the SMS code, reports a fault,
follows it, and rates the service once the team has resolved it — in a real browser.

`KEFU_SCREENSHOTS=1` writes docs/screenshots/portal-phone.png and portal-rate-phone.png.
"""

from __future__ import annotations

import pytest

from kefu.callbacks.models import CallbackItem
from kefu.workorders import actions
from kefu.workorders.models import WorkOrder
from tests.portal.conftest import last_code

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}


def _screenshot(page, path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def test_a_customer_signs_in_reports_a_fault_and_rates_it_after_resolution(
    transactional_db,
    live_server,
    browser,
    screenshots_dir,
    clock,
    org,
    customer_a,
    dispatcher_a,
    handler_a1,
):
    clock.set("2025-06-03 10:00")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/")
    page.fill("#portal-phone", "139 1234 5678")
    page.click("#portal-send-code")
    page.wait_for_selector("#portal-code")
    page.fill("#portal-code", last_code(customer_a.phone))  # the SMS on their phone
    page.click("#portal-verify")
    page.wait_for_selector("#portal-orders")

    page.click("#portal-new-fault")
    page.select_option("#portal-line", "broadband")
    page.fill("#portal-title", "宽带每晚断网")
    page.fill("#portal-description", "晚上八点后光猫 LOS 灯闪红")
    page.click("#portal-submit")
    page.wait_for_selector("#portal-timeline")
    order = WorkOrder.objects.get(title="宽带每晚断网")
    assert (order.customer, order.channel) == (customer_a, "web")
    assert "您的申请已受理" in page.locator("#portal-timeline").inner_text()
    _screenshot(page, screenshots_dir / "portal-phone.png")

    clock.set("2025-06-03 15:00")  # the team fixes it the same afternoon
    order = actions.work_order_dispatch(
        actor=dispatcher_a, order=order, unit=org["team_a1"], handler=handler_a1
    )
    order = actions.work_order_accept(actor=handler_a1, order=order)
    actions.work_order_resolve(actor=handler_a1, order=order, resolution="更换光猫")

    page.reload()
    assert page.locator("#portal-status").get_attribute("data-status") == "resolved"
    page.fill("#portal-comment", "师傅很快就修好了")
    _screenshot(page, screenshots_dir / "portal-rate-phone.png")
    page.click("#portal-rate-very_satisfied")
    page.wait_for_selector("#portal-rated")
    assert "非常满意" in page.locator("#portal-rated").inner_text()
    item = CallbackItem.objects.get(order=order)
    assert (item.level, item.comment, item.status) == ("very_satisfied", "师傅很快就修好了", "done")
    context.close()
