"""A dissatisfied callback from the SMS to the reopened order, in a real browser:

a complaint is resolved; the callback monitor's next minute sends the callback SMS through
the gateway; the customer replies "3 态度不好" through the gateway's signed delivery; the
callback agent finds the follow-up at the top of the desk, calls, records the reason, and
the order is back with the unit that resolved it, its callback card saying why.

`KEFU_SCREENSHOTS=1` writes docs/screenshots/callback-desk.png and callback-task.png.
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import quote, urlsplit

import pytest

from kefu.callbacks.models import CallbackTask, DissatisfactionReason
from kefu.notify.backends import webhook_signature
from kefu.workorders.models import WorkOrder
from tests.callbacks.conftest import SECRET, Resolver
from tests.factories import PASSWORD
from tests.notify.conftest import http_receiver  # noqa: F401  (the SMS gateway)

pytestmark = [pytest.mark.e2e]

DESKTOP = {"width": 1366, "height": 800}


def _gateway_delivers(base: str, text: str) -> dict:
    """The SMS gateway posts the customer's reply, signed, as it would over the network."""
    body = json.dumps(
        {
            "from": "13912345678",
            "text": text,
            "message_id": "gw-0001",
            "received_at": "2025-06-03T14:05:00+08:00",
        }
    ).encode()
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
    headers = {
        "Content-Type": "application/json",
        "X-Kefu-Signature": webhook_signature(SECRET, body),
    }
    connection.request("POST", "/api/v1/sms/inbound", body=body, headers=headers)
    try:
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def _sign_in(browser, base: str, username: str, next_url: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login/?next={quote(next_url)}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(input[name=password]) button")
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0])))
    return context, page


def _screenshot(page, path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def test_complaint_sms_callback_dissatisfied_reply_agent_records_reason_order_reopens(
    transactional_db,
    live_server,
    browser,
    screenshots_dir,
    clock,
    settings,
    http_receiver,  # noqa: F811
    org,
    types,
    agent_a,
    dispatcher_a,
    handler_a1,
    customer_a,
    make_user,
):
    base = live_server.url
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    settings.KEFU_SMS_INBOUND_SECRET = SECRET
    settings.KEFU_PUBLIC_URL = base
    agent = make_user("cb_a", org["pref_a"], "callback_agent")
    clock.set("2025-06-03 10:00")

    # 1. The complaint is resolved by team A1; the monitor's next pass sends the SMS.
    order = Resolver(org, agent_a, dispatcher_a, handler_a1, types).resolved(
        customer=customer_a, type_code="complaint", title="装机师傅态度恶劣"
    )
    [sms] = [r.json() for r in http_receiver.requests if r.path == "/sms/send"]
    assert sms["phone"] == "13912345678"
    assert "3" in sms["text"] and "不满意" in sms["text"] and f"{base}/cb/" in sms["text"]

    # 2. The customer replies; the gateway delivers it signed.
    clock.set("2025-06-03 14:05")
    assert _gateway_delivers(base, "3 态度不好")["status"] == "matched"
    task = CallbackTask.objects.get()
    assert task.follow_up and task.mode == "manual"

    # 3. The callback agent: the follow-up tops the desk; the call, the reason recorded.
    context, page = _sign_in(browser, base, agent.username, "/callbacks/")
    page.click("#show-follow-up")
    row = page.locator("#callback-queue tbody tr").first
    assert order.number in row.inner_text()
    _screenshot(page, screenshots_dir / "callback-desk.png")
    row.locator("a").click()
    page.wait_for_selector("#callback-form")
    item = task.items.get()
    assert page.locator(f"#comment_{item.pk}").input_value() == "态度不好"  # their words
    assert page.locator(f"input[name=level_{item.pk}][value=dissatisfied]").is_checked()
    assert "核实投诉问题是否已解决" in page.locator("#callback-script").inner_text()
    assert "短信回复：不满意" in page.locator("#callback-attempts").inner_text()
    reason = DissatisfactionReason.objects.get(code="service-attitude")
    page.select_option(f"#reason_{item.pk}", str(reason.pk))
    page.fill(f"#comment_{item.pk}", "态度不好，师傅说话很冲")
    _screenshot(page, screenshots_dir / "callback-task.png")
    page.click("#outcome-answered")
    page.wait_for_selector(".message-success")

    # 4. The order is back with team A1, and its page says why.
    order = WorkOrder.objects.get(pk=order.pk)
    assert (order.status, order.handling_unit) == ("dispatched", org["team_a1"])
    page.goto(f"{base}/workorders/{order.number}/")
    assert page.locator("#wo-status").get_attribute("data-status") == "dispatched"
    card = page.locator("#wo-callbacks").inner_text()
    assert "不满意" in card and reason.name in card and "师傅说话很冲" in card
    context.close()
