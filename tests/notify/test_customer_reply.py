"""回复客户: the reply reaches a hotline customer by SMS through the real HTTP gateway, and
the order's timeline shows what was sent and whether it was delivered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.notify.models import Message, MessageStatus
from kefu.notify.services import message_deliver
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrderType
from kefu.workorders.services import work_order_create


def _resolved(org, agent, make_user, *, channel=Channel.HOTLINE, phone="13800138000"):
    """A fault report, dispatched, handled and resolved: waiting for the reply."""
    dispatcher = make_user("disp_a", org["pref_a"], "dispatcher")
    handler = make_user("hand_a1", org["team_a1"], "handler")
    order = work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code="fault"),
        channel=channel,
        title="宽带无法上网",
        caller_phone=phone,
        area_unit=org["county_a1"],
    )
    order = work_order_act(
        actor=dispatcher,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler},
    )
    order = work_order_act(actor=handler, order=order, action="contact", data={})
    return work_order_act(
        actor=handler, order=order, action="resolve", data={"resolution": "更换光猫"}
    )


@pytest.fixture
def resolved_order(org, agent_a, make_user, now):
    return _resolved(org, agent_a, make_user)


def _reply(committed, agent, order, text):
    return committed(work_order_act, actor=agent, order=order, action="reply", data={"reply": text})


def test_the_reply_reaches_the_caller_by_sms_signed_by_the_organisation(
    settings, http_receiver, committed, agent_a, resolved_order
):
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    settings.KEFU_HOTLINE = "10000"

    order = _reply(committed, agent_a, resolved_order, "已为您更换光猫，网络已恢复。")

    [request] = http_receiver.requests
    assert request.json() == {
        "phone": "13800138000",
        "text": f"尊敬的客户：您的工单 {order.number}（宽带无法上网）已处理完毕，"
        "处理结果：已为您更换光猫，网络已恢复。如有疑问请致电客服热线 10000，"
        "感谢您的支持。【测试省分公司】",
    }
    message = Message.objects.get(template="wo_resolved_customer")
    assert message.status == MessageStatus.SENT
    assert order.events.get(action="reply").data["sent"] == {
        "message": message.pk,
        "channel": "sms",
        "to": "138****8000",
    }


def test_the_timeline_shows_what_was_sent_and_whether_it_was_delivered(
    settings, http_receiver, committed, client, agent_a, resolved_order
):
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    settings.KEFU_ORG_NAME = "某某电信"
    http_receiver.statuses = [503]  # the gateway is down at first

    order = _reply(committed, agent_a, resolved_order, "已为您更换光猫")

    client.force_login(agent_a)
    url = reverse("workorders:workorder_detail", args=[order.number])
    page = client.get(url).content.decode()
    event = order.events.get(action="reply")
    item = page[page.index(f'id="event-{event.pk}"') :]
    item = item[: item.index("</li>\n")]
    assert "138****8000" in item and "13800138000" not in page
    assert "已为您更换光猫。如有疑问" not in item  # no hotline configured: no such sentence
    assert "处理结果：已为您更换光猫。感谢您的支持。【某某电信】" in item
    assert "HTTP 503" in item  # not delivered yet, and why
    message = Message.objects.get(template="wo_resolved_customer")
    assert message.status == MessageStatus.PENDING

    # The worker's retry gets through: the timeline now says it was delivered.
    assert message_deliver(message_id=message.pk, now=message.next_attempt_at) == "sent"
    item = client.get(url).content.decode()
    item = item[item.index(f'id="event-{event.pk}"') :]
    item = item[: item.index("</li>\n")]
    assert str(MessageStatus.SENT.label) in item and "HTTP 503" not in item
    assert len(http_receiver.requests) == 2


def test_an_order_without_a_number_or_address_says_the_customer_was_not_told(
    committed, client, org, agent_a, make_user, now
):
    order = _resolved(org, agent_a, make_user, channel=Channel.HALL, phone="")

    order = _reply(committed, agent_a, order, "已当面解答")

    event = order.events.get(action="reply")
    assert event.data["sent"] == {"not_sent": "no_address"}
    assert not Message.objects.filter(template="wo_resolved_customer").exists()
    client.force_login(agent_a)
    page = client.get(reverse("workorders:workorder_detail", args=[order.number])).content
    assert b"no phone number or e-mail address" in page or "没有".encode() in page


def _api_reply_event(client, order):
    timeline = client.get(f"/api/v1/work-orders/{order.pk}/events/")
    assert timeline.status_code == 200, timeline.content
    [reply] = [e for e in timeline.json() if e["action"] == "reply"]
    others = [e for e in timeline.json() if e["action"] != "reply"]
    assert others and all(e["delivery"] is None for e in others)
    detail = client.get(f"/api/v1/work-orders/{order.pk}/").json()
    [in_detail] = [e for e in detail["timeline"] if e["action"] == "reply"]
    assert in_detail["delivery"] == reply["delivery"]
    return reply["delivery"]


@pytest.fixture
def api_client(agent_a):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent_a).key}")
    return client


def test_the_api_timeline_shows_what_was_sent_and_whether_it_was_delivered(
    settings, http_receiver, committed, api_client, agent_a, resolved_order
):
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    http_receiver.statuses = [503]  # the gateway is down at first

    order = _reply(committed, agent_a, resolved_order, "已为您更换光猫")

    delivery = _api_reply_event(api_client, order)
    assert delivery["sent"] is True and delivery["delivered"] is False
    assert delivery["channel"] == "sms" and delivery["to"] == "138****8000"
    assert delivery["status"] == "pending" and "HTTP 503" in delivery["last_error"]
    assert "已为您更换光猫" in delivery["text"] and delivery["sent_at"] is None

    message = Message.objects.get(template="wo_resolved_customer")
    assert message_deliver(message_id=message.pk, now=message.next_attempt_at) == "sent"
    delivery = _api_reply_event(api_client, order)
    assert delivery["delivered"] is True and delivery["status"] == "sent"
    assert delivery["sent_at"] and delivery["last_error"] is None


def test_the_api_timeline_says_the_customer_was_not_told(
    committed, api_client, org, agent_a, make_user, now
):
    order = _resolved(org, agent_a, make_user, channel=Channel.HALL, phone="")
    order = _reply(committed, agent_a, order, "已当面解答")

    delivery = _api_reply_event(api_client, order)
    assert delivery["sent"] is False and delivery["delivered"] is False
    assert delivery["not_sent_reason"] == "no_address"
    assert delivery["not_sent_reason_display"] and delivery["channel"] is None


def test_the_schema_declares_the_delivery_nullable(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    event = schema["components"]["schemas"]["Event"]["properties"]["delivery"]
    assert event.get("nullable") or {"type": "null"} in event.get("oneOf", [])
    assert "Delivery" in str(event)
