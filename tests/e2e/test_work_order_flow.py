"""A complaint from the call to the reply the customer receives, in a real browser, by three
people:

the agent takes the call on the workbench (screen-pop → customer → complaint), the
prefecture dispatcher dispatches it from the dispatch queue, the team's handler reveals the
number to call for this order (written to the access log under the order), records first
contact and resolves it; the agent replies, the reply reaches the customer's phone through
the SMS gateway, and the customer's 360 page lists the order.

Each person signs in in their own browser context. `KEFU_SCREENSHOTS=1` writes
docs/screenshots/workbench.png, queue.png, workorder-detail.png and workbench-phone.png.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone, translation

from kefu.customers.models import AccessLog
from kefu.org import services as org_services
from kefu.org.models import Role
from kefu.outages.services import outage_register
from kefu.workorders.models import BusinessLine, Category, Status, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create
from kefu.workorders.views_order import next_step_text
from tests.factories import PASSWORD, make_customer
from tests.notify.conftest import http_receiver  # noqa: F401  (the SMS gateway)

pytestmark = [pytest.mark.e2e]

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
CALLER = "13912345678"


def _staff(username: str, name: str, unit, role: str):
    return org_services.staff_create(
        username=username,
        display_name=name,
        employee_no=f"E-{username}",
        org_unit=unit,
        password=PASSWORD,
        roles=[(Role.objects.get(code=role), None)],
    )


def _seed(org, agent):
    """The caller's record with an older open order, an outage in the county, and a few
    orders from other customers so the queues look like a working day."""
    customer = make_customer(
        actor=agent, org_unit=org["team_a1"], name="王小明", phone=CALLER, monthly_value="268"
    )
    types = {t.code: t for t in WorkOrderType.objects.all()}
    broadband = BusinessLine.objects.get(code="broadband")
    work_order_create(
        actor=agent,
        order_type=types["install"],
        channel="hotline",
        title="新装 IPTV 机顶盒",
        customer=customer,
        business_line=BusinessLine.objects.get(code="iptv"),
    )
    for name, title, code in [
        ("李建国", "固话无拨号音", "fault"),
        ("张伟", "咨询宽带提速资费", "consultation"),
        ("陈静", "装机人员未按约上门", "complaint"),
    ]:
        other = make_customer(actor=agent, org_unit=org["county_a1"], name=name)
        work_order_create(
            actor=agent,
            order_type=types[code],
            channel="hotline",
            title=title,
            customer=other,
            business_line=broadband,
        )
    supervisor = _staff("sup_a", "周主管", org["pref_a"], "supervisor")
    outage_register(
        actor=supervisor,
        title="A1县城区光缆中断",
        cause="市政施工挖断主干光缆，正在抢修熔接",
        areas=[org["county_a1"]],
        expected_restore_at=timezone.now() + timedelta(hours=4),
        business_line=broadband,
    )
    return customer


def _sign_in(browser, base: str, username: str, next_url: str, viewport=DESKTOP, **extra):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **extra)
    page = context.new_page()
    page.goto(f"{base}/login/?next={quote(next_url)}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(input[name=password]) button")
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0])))
    return context, page


def _screenshot(page, path) -> None:
    # From the top: a page scrolled to a focused field would draw the sticky top bar
    # half-way down the full-page picture.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _countdown_ticks(page, selector: str) -> None:
    """The countdown text changes by itself (the page's clock runs each second)."""
    element = page.locator(selector).first
    element.wait_for()
    before = element.inner_text()
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).textContent !== before",
        arg=[selector, before],
        timeout=5000,
    )


def test_call_complaint_dispatch_reveal_contact_resolve_reply(
    transactional_db,
    live_server,
    browser,
    screenshots_dir,
    org,
    agent_a,
    settings,
    http_receiver,  # noqa: F811
):
    base = live_server.url
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    customer = _seed(org, agent_a)
    _staff("disp_a", "赵派单", org["pref_a"], "dispatcher")
    handler = _staff("hand_a1", "孙师傅", org["team_a1"], "handler")
    _staff("hand_a1b", "钱师傅", org["team_a1"], "handler")
    complaint_type = WorkOrderType.objects.get(code="complaint")

    # 1. The agent: the screen-pop opens the workbench with the caller's number.
    agent_ctx, page = _sign_in(browser, base, agent_a.username, f"/workbench/?caller={CALLER}")
    card = page.locator(f"#wb-customer-{customer.pk}")
    card.wait_for()
    assert "139****5678" in card.inner_text()
    assert CALLER not in card.locator("dl").inner_text()
    assert "光缆中断" in page.locator("#wb-outages").inner_text()  # agents see outages
    assert "光缆中断" in card.inner_text()  # … and the one where this customer lives
    page.click(f"#wb-pick-{customer.pk}")  # step 2 (htmx swaps step 3 in)
    page.wait_for_selector("#wb-order-form")
    assert "customer=" in page.url  # the step is in the address, so reload keeps it
    assert not page.locator("#id_source").is_visible()  # complaint source: complaints only
    page.select_option("#id_order_type", str(complaint_type.pk))
    assert page.locator("#id_source").is_visible()
    page.select_option("#id_business_line", label="宽带")
    page.select_option("#id_category", str(Category.objects.get(code="network-down").pk))
    page.fill("#id_title", "宽带每晚八点后无法上网")
    page.fill("#id_description", "近一周每晚八点后光猫 LOS 灯闪红，重启无效。客户要求尽快上门。")
    page.fill("#id_contact_name", "王先生")
    _screenshot(page, screenshots_dir / "workbench.png")
    page.click("#wb-order-submit")  # step 3
    page.wait_for_url(re.compile(r"/workorders/\d+/$"))
    order = WorkOrder.objects.get(title="宽带每晚八点后无法上网")
    assert order.owner == agent_a and order.customer == customer and order.is_complaint
    assert order.caller_phone == CALLER
    assert page.locator("#wo-status").get_attribute("data-status") == "accepted"
    agent_ctx.close()

    # 2. The prefecture dispatcher: the order waits in the dispatch queue; tick, dispatch.
    disp_ctx, page = _sign_in(browser, base, "disp_a", "/workorders/?queue=dispatch")
    row = page.locator(f"#wo-{order.pk}")
    row.wait_for()
    assert order.due_at is not None  # the SLA app started the complaint's clocks
    _countdown_ticks(page, f"#wo-{order.pk} .countdown-text")
    _screenshot(page, screenshots_dir / "queue.png")
    page.check(f"#bulk-{order.pk}")
    page.select_option("#id_unit", str(org["team_a1"].pk))
    page.wait_for_selector(f"#id_handler option[value='{handler.pk}']", state="attached")
    page.select_option("#id_handler", str(handler.pk))
    page.click("#bulk-dispatch-submit")
    page.wait_for_selector("#messages .message-success")
    assert order.number in page.locator("#messages").inner_text()
    assert page.locator(f"#wo-{order.pk}").count() == 0  # left the dispatch queue
    order.refresh_from_db()
    assert order.status == "dispatched" and order.handler == handler
    disp_ctx.close()

    # 3. The handler: finds it in "my to-do", reveals the number to call (logged under this
    # order), records first contact, then resolves it.
    hand_ctx, page = _sign_in(browser, base, handler.username, "/workorders/")
    page.click(f"#wo-{order.pk} a.wo-title")
    page.wait_for_selector("#wo-status")
    assert page.locator("#wo-contact").inner_text() == "139****5678"
    page.click("#wo-reveal-contact")
    page.wait_for_function(
        "number => document.getElementById('wo-contact').textContent.includes(number)",
        arg=CALLER,
    )
    [reveal] = AccessLog.objects.filter(actor=handler)
    assert reveal.work_order_number == order.number and reveal.customer == customer
    page.click("#action-contact > summary")
    page.fill("#id_contact-note", "已电话联系客户，约今晚 19:00 上门检测")
    page.click("#submit-contact")
    page.wait_for_function("document.getElementById('wo-status').dataset.status === 'in_progress'")
    assert page.locator("#wo-first-contact").inner_text() != "—"
    page.click("#action-resolve > summary")
    page.fill("#id_resolve-resolution", "上门更换入户尾纤和光猫，测速 500M 正常，客户确认恢复。")
    page.select_option("#id_resolve-cause", str(Category.objects.get(code="cause-network-line").pk))
    page.select_option("#id_resolve-justified", "true")
    page.select_option("#id_resolve-remedy", "repair_replace_redo")
    page.select_option("#id_resolve-responsible_unit", str(org["team_a1"].pk))
    page.click("#submit-resolve")
    page.wait_for_function("document.getElementById('wo-status').dataset.status === 'resolved'")

    order.refresh_from_db()
    assert order.status == "resolved" and order.justified is True
    with translation.override("zh-hans"):
        resolved_label, next_step = str(Status.RESOLVED.label), next_step_text(order)
    assert page.locator("#wo-status").inner_text() == resolved_label
    assert page.locator("#wo-next-step").inner_text() == next_step  # awaits reply, callback
    timeline = page.locator("#wo-timeline .timeline-item")
    assert timeline.count() == 4
    assert [timeline.nth(i).get_attribute("data-action") for i in range(4)] == [
        "create",
        "dispatch",
        "contact",
        "resolve",
    ]
    assert page.locator("#action-reply").count() == 0  # replying is the control side's job
    hand_ctx.close()

    # 4. Back with the agent (owner of record, 首问负责): the reply is now theirs to give.
    agent_ctx, page = _sign_in(browser, base, agent_a.username, "/workorders/?queue=accepted_by_me")
    row = page.locator(f"#wo-{order.pk}")
    assert row.locator("[data-status]").get_attribute("data-status") == "resolved"
    page.click(f"#wo-{order.pk} a.wo-title")
    page.click("#action-reply > summary")
    reply = "王先生您好，您反映的宽带问题已于今日修复，如仍有问题请随时来电。"
    page.fill("#id_reply-reply", reply)
    assert page.locator("#wo-next-step").inner_text() == next_step
    _screenshot(page, screenshots_dir / "workorder-detail.png")
    page.click("#submit-reply")
    page.wait_for_function("document.getElementById('wo-status').dataset.status === 'replied'")

    # The reply reached the caller's phone through the SMS gateway …
    [sms] = http_receiver.requests
    assert sms.json()["phone"] == CALLER and reply in sms.json()["text"]
    # … and the timeline says what was sent, to a masked number.
    page.reload()
    sent = page.locator("#wo-timeline .timeline-item[data-action='reply']")
    assert reply in sent.inner_text() and "139****5678" in sent.inner_text()
    assert CALLER not in sent.inner_text()

    # 5. The customer's 360 page lists the order among the finished ones.
    page.goto(f"{base}/customers/{customer.pk}/")
    past = page.locator("#customer-past-orders")
    assert order.number in past.inner_text()
    agent_ctx.close()

    # The workbench on a phone: one column, nothing wider than the screen.
    phone_ctx, page = _sign_in(
        browser,
        base,
        agent_a.username,
        f"/workbench/?caller={CALLER}&customer={customer.pk}",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    page.wait_for_selector("#wb-order-form")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"workbench is {width}px wide on a {PHONE['width']}px phone"
    _screenshot(page, screenshots_dir / "workbench-phone.png")
    page.goto(f"{base}/workorders/{order.number}/")
    page.wait_for_selector("#wo-status")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"order page is {width}px wide on a {PHONE['width']}px phone"
    phone_ctx.close()
