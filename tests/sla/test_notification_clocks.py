"""Each notification names its own clock: a dispatch gives the first-contact and the
resolution limits under their own names, a first-contact breach says 首次联系时限, a
resolution breach 处理时限. And the owner's notifications of one order fold."""

from __future__ import annotations

from kefu.notify.models import Message
from kefu.sla.monitor import sla_monitor_pass
from kefu.workorders.actions import work_order_act


def inbox(template: str, user) -> list[Message]:
    return list(
        Message.objects.filter(template=template, recipient=user, channel="inbox").order_by("id")
    )


def test_a_new_dispatch_gives_each_limit_under_its_own_name(clock, take_in, dispatch, handlers_a1):
    dispatch(take_in("complaint"))  # Tue 09:00: contact within 2 h, resolve within 3 days

    [message] = inbox("wo_assigned", handlers_a1[0])
    assert "首次联系时限：2025年6月3日 11:00" in message.body
    assert "处理时限：2025年6月5日 18:00" in message.body
    assert "处理时限：2025年6月3日 11:00" not in message.body


def test_a_first_contact_breach_names_the_first_contact_limit(
    clock, take_in, dispatch, handlers_a1, agent_a
):
    dispatch(take_in("complaint"))
    clock.set("2025-06-03 10:36")
    assert sla_monitor_pass() == {"warned": 1}
    [warning] = inbox("sla_warning", handlers_a1[0])
    assert "将于 2025-06-03 11:00 到达首次联系时限" in warning.body
    assert "处理时限" not in warning.body and "请尽快联系客户" in warning.body

    clock.set("2025-06-03 11:00")
    assert sla_monitor_pass() == {"breached": 1}
    [breach] = inbox("sla_breached", handlers_a1[0])
    assert "已超过首次联系时限（时限 2025-06-03 11:00）" in breach.body
    assert "处理时限" not in breach.body and "请立即联系客户" in breach.body
    assert inbox("sla_breached", agent_a)[0].body == breach.body


def test_a_resolution_breach_names_the_resolution_limit(clock, take_in, dispatch, handlers_a1):
    order = dispatch(take_in("complaint"))
    work_order_act(actor=handlers_a1[0], order=order, action="contact")  # first contact met
    clock.set("2025-06-05 18:00")
    assert sla_monitor_pass() == {"breached": 1}
    [breach] = inbox("sla_breached", handlers_a1[0])
    assert "已超过处理时限（时限 2025-06-05 18:00）" in breach.body
    assert "首次联系" not in breach.body


def test_changes_within_minutes_fold_into_one_unread_notification_for_the_owner(
    clock, take_in, dispatch, handlers_a1, agent_a
):
    order = dispatch(take_in("complaint"))  # 09:00 dispatched by the dispatcher
    clock.advance(minutes=2)
    order = work_order_act(actor=handlers_a1[0], order=order, action="contact", data={})
    clock.advance(minutes=2)
    order = work_order_act(
        actor=handlers_a1[0], order=order, action="note", data={"note": "约好下午上门"}
    )

    [message] = inbox("wo_changed", agent_a)
    assert message.subject == f"你首问的工单有变动：{order.number}（3 项）"
    lines = [line for line in message.body.splitlines() if line.startswith("·")]
    assert len(lines) == 3
    assert lines[0].startswith("· 09:00 派单")
    assert lines[1].startswith("· 09:02 联系客户")
    assert lines[2].startswith("· 09:04 备注") and lines[2].endswith("：约好下午上门")
    assert message.read_at is None


def test_a_read_or_older_notification_is_not_folded_into(
    clock, take_in, dispatch, handlers_a1, agent_a
):
    order = dispatch(take_in("complaint"))
    clock.advance(minutes=6)  # past the fold window
    order = work_order_act(actor=handlers_a1[0], order=order, action="contact", data={})
    assert len(inbox("wo_changed", agent_a)) == 2

    Message.objects.filter(recipient=agent_a).update(read_at=clock.now)
    clock.advance(minutes=1)
    work_order_act(actor=handlers_a1[0], order=order, action="note", data={"note": "已上门"})
    messages = inbox("wo_changed", agent_a)
    assert len(messages) == 3 and messages[-1].read_at is None
    assert "（" not in messages[-1].subject  # a single change, not a fold
