"""Inbound SMS replies through the signed endpoint: the signature, repeats, what people
type, the review queue, and a dissatisfied answer followed up by a person until the
order is back with its unit."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.callbacks.models import (
    CallbackSettings,
    CallbackTask,
    DissatisfactionReason,
    InboundSms,
    Level,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.callbacks.outcomes import Answer, callback_record
from kefu.callbacks.satisfaction import reply_meaning
from kefu.notify.models import Message
from kefu.workorders.models import WorkOrder
from tests.callbacks.conftest import signed_post

pytestmark = pytest.mark.usefixtures("clock")


def _sms(text, *, message_id="m-1", phone="+86 139 1234 5678"):
    return {
        "from": phone,
        "text": text,
        "message_id": message_id,
        "received_at": "2025-06-03T10:00:00+08:00",
    }


@pytest.mark.parametrize("header", [False, "sha256=" + "0" * 64, "md5=abc", ""])
def test_unsigned_or_badly_signed_deliveries_are_refused_and_nothing_recorded(
    client, resolver, customer_a, header
):
    resolver.resolved(customer=customer_a)
    response = signed_post(client, _sms("1"), header=header)
    assert response.status_code == 401
    assert not InboundSms.objects.exists()
    assert CallbackTask.objects.get().status == TaskStatus.OPEN


def test_a_delivery_signed_with_another_key_is_refused(client, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    assert signed_post(client, _sms("1"), secret="not-the-key").status_code == 401


def test_without_a_configured_secret_every_delivery_is_refused(client, settings):
    settings.KEFU_SMS_INBOUND_SECRET = ""
    assert signed_post(client, _sms("1"), secret="").status_code == 401


def test_a_satisfied_reply_archives_the_order_and_a_repeat_counts_once(
    client, resolver, customer_a
):
    order = resolver.resolved(customer=customer_a)
    first = signed_post(client, _sms("１"))  # full width
    assert first.status_code == 201 and first.json()["status"] == "matched"
    again = signed_post(client, _sms("１"))
    assert again.status_code == 200 and again.json() == {**first.json(), "duplicate": True}
    assert InboundSms.objects.count() == 1
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"  # the gateway is not kept
    callbacks_monitor_pass()  # waiting: the monitor's next minute archives it
    assert WorkOrder.objects.get(pk=order.pk).status == "closed"
    item = CallbackTask.objects.get().items.get()
    assert (item.level, item.on_time) == (Level.VERY_SATISFIED, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "1", "message_id": "x", "received_at": "2025-06-03T10:00:00+08:00"}, "from"),
        ({"from": "139", "message_id": "x", "received_at": "2025-06-03T10:00:00+08:00"}, "text"),
        ({"from": "139", "text": "1", "received_at": "2025-06-03T10:00:00+08:00"}, "message_id"),
        (
            {"from": "139", "text": "1", "message_id": "x", "received_at": "yesterday"},
            "received_at",
        ),
        (
            {"from": "139", "text": "1", "message_id": "x", "received_at": "2025-06-03T10:00"},
            "received_at",
        ),
        (
            {
                "from": "139",
                "text": "1" * 1001,
                "message_id": "x",
                "received_at": "2025-06-03T10:00:00+08:00",
            },
            "text",
        ),
        (
            {
                "from": "139",
                "text": "1",
                "message_id": "x",
                "received_at": "2025-13-45T10:00:00+08:00",
            },
            "received_at",
        ),
    ],
)
def test_malformed_deliveries_name_the_field(client, db, body, field):
    response = signed_post(client, body)
    assert response.status_code == 400
    assert field in response.json()["extra"]["errors"]
    assert not InboundSms.objects.exists()


def test_not_json_is_a_clear_400(client, db):
    response = signed_post(client, b"\xff\xfe not json")
    assert response.status_code == 400 and not InboundSms.objects.exists()


def test_an_unreadable_reply_waits_for_a_person_and_one_without_a_callback_is_kept(
    client, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    assert signed_post(client, _sms("还行吧")).json()["status"] == "review"
    assert CallbackTask.objects.get().status == TaskStatus.OPEN
    stranger = signed_post(client, _sms("1", message_id="m-2", phone="13000000000"))
    assert stranger.json()["status"] == "unmatched"


def test_dissatisfied_by_sms_then_the_agent_records_why_and_the_order_reopens_for_its_unit(
    client, resolver, customer_a, callback_agent, supervisor_county, org
):
    order = resolver.resolved(customer=customer_a)
    assert signed_post(client, _sms("3 态度不好")).json()["status"] == "matched"
    task = CallbackTask.objects.get()
    item = task.items.get()
    assert (task.status, task.mode, task.follow_up) == (TaskStatus.OPEN, Mode.MANUAL, True)
    assert (item.level, item.comment) == (Level.DISSATISFIED, "态度不好")
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"  # waits for the person
    reason = DissatisfactionReason.objects.get(code="service-attitude")
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.DISSATISFIED, reason=reason, comment="装维人员态度差")},
    )
    order.refresh_from_db()
    assert (order.status, order.handling_unit) == ("dispatched", org["team_a1"])
    assert order.events.filter(action="reopen", note__contains="态度不好").exists()
    told = Message.objects.get(template="callback_dissatisfied", channel="inbox")
    assert told.recipient == supervisor_county and "态度不好" in told.body


def test_dissatisfied_can_open_a_linked_complaint_instead(
    client, resolver, customer_a, callback_agent
):
    CallbackSettings.objects.create(dissatisfied_action="complaint", manual_tiers=[])
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    item = task.items.get()
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.DISSATISFIED, comment="网速还是慢")},
    )
    item.refresh_from_db()
    complaint = item.follow_up_order
    assert complaint.order_type.is_complaint and order in complaint.related.all()
    assert complaint.customer == customer_a and "网速还是慢" in complaint.description
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"


def test_a_dissatisfied_answer_is_not_lost_when_the_follow_up_call_never_connects(
    client, resolver, customer_a, callback_agent, clock
):
    order = resolver.resolved(customer=customer_a)
    signed_post(client, _sms("不满意，师傅迟到了"))
    task = CallbackTask.objects.get()
    for _attempt in range(3):
        task = callback_record(actor=callback_agent, task=task, outcome=Outcome.NO_ANSWER)
        clock.advance(hours=2)
    assert task.status == TaskStatus.EXHAUSTED
    assert WorkOrder.objects.get(pk=order.pk).status == "dispatched"  # back with its unit


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=60))
def test_any_reply_text_is_recorded_or_left_for_review_and_never_raises(
    client, resolver, customer_a, text
):
    if not CallbackTask.objects.filter(status="open").exists():
        resolver.resolved(customer=customer_a)
    with_a_person = CallbackTask.objects.get(status="open").follow_up
    message_id = f"h-{InboundSms.objects.count()}"
    response = signed_post(client, _sms(text, message_id=message_id))
    assert response.status_code == 201
    row = InboundSms.objects.get(message_id=message_id)
    assert row.task is not None and json.loads(response.content)["id"] == row.pk
    assert row.text == text.replace("\x00", "")  # kept as sent, but for NULs
    # Read as recorded: "\x00³…" is unreadable, "³…" (a superscript 3) is not.
    if reply_meaning(row.text) is None:
        assert row.status == "review"
    else:  # review: a dissatisfied answer's follow-up is already with a person
        assert row.status == ("review" if with_a_person else "matched")


def test_the_reply_codes_are_configurable_and_the_sms_says_them(client, resolver, customer_a):
    CallbackSettings.objects.create(
        reply_codes={"5": "very_satisfied", "4": "satisfied", "1": "dissatisfied"}, manual_tiers=[]
    )
    resolver.resolved(customer=customer_a)
    assert "1 不满意，4 满意，5 非常满意" in Message.objects.get(template="callback_sms").body
    assert signed_post(client, _sms("5")).json()["status"] == "matched"
    assert CallbackTask.objects.get().items.get().level == Level.VERY_SATISFIED


def test_reply_codes_must_give_each_answer_a_digit(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        CallbackSettings(reply_codes={"1": "satisfied", "2": "satisfied"}).clean()
    assert "reply_codes" in bad.value.message_dict


def test_a_nul_before_the_code_is_dropped_and_the_code_read(client, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    signed_post(client, _sms("\x00³ 师傅迟到", message_id="nul-1"))
    row = InboundSms.objects.get(message_id="nul-1")
    assert (row.text, row.status, row.level) == ("³ 师傅迟到", "matched", "dissatisfied")
