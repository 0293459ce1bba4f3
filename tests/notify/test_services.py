"""Writing notifications: rendering, dedupe, the transaction boundary, the inbox marks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from kefu.core.errors import ValidationFailed
from kefu.notify import selectors, services
from kefu.notify.defaults import DEFAULT_TEMPLATES, templates_seed
from kefu.notify.models import Channel, Message, MessageStatus, NotificationTemplate

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDER = {"number": "GD20250106001", "title": "宽带无法上网", "type_name": "故障申告"}


def test_default_templates_are_seeded_in_chinese(db):
    codes = set(NotificationTemplate.objects.values_list("code", flat=True))
    assert set(DEFAULT_TEMPLATES) <= codes
    assert NotificationTemplate.objects.get(code="wo_urged").name == "工单催办"


def test_notify_renders_the_template_into_a_staff_inbox(agent_a):
    due = datetime(2025, 1, 6, 9, 30, tzinfo=SHANGHAI)
    [message] = services.notify(
        template="wo_assigned",
        context={"order": ORDER, "due": due, "actor_name": "王派单", "note": "客户要求上午上门"},
        users=[agent_a],
    )
    assert message.channel == Channel.INBOX
    assert message.status == MessageStatus.SENT
    assert message.subject == "新工单派给你：GD20250106001 宽带无法上网"
    assert "王派单将工单 GD20250106001 派给你处理" in message.body
    assert "处理时限：2025年1月6日 09:30" in message.body
    assert "派单说明：客户要求上午上门" in message.body


def test_missing_context_keys_render_as_empty_text(agent_a):
    [message] = services.notify(
        template="sla_breached", context={"order": {"number": "GD1"}}, users=[agent_a]
    )
    assert message.subject == "已超时：GD1"
    assert "工单 GD1已超过处理时限，" in message.body
    assert "None" not in message.body and "{" not in message.body


def test_text_is_not_html_escaped(agent_a):
    [message] = services.notify(
        template="wo_changed",
        context={"order": {"number": "GD2", "title": "A&B <公司>"}},
        users=[agent_a],
    )
    assert "（A&B <公司>）" in message.body


def test_a_missing_template_is_a_clear_error_and_writes_nothing(agent_a):
    with pytest.raises(services.TemplateMissing) as excinfo:
        services.notify(template="no_such_template", context={}, users=[agent_a])
    assert "no_such_template" in str(excinfo.value)
    assert not Message.objects.exists()


def test_an_inactive_template_sends_nothing(agent_a):
    NotificationTemplate.objects.filter(code="wo_urged").update(is_active=False)
    assert services.notify(template="wo_urged", context={}, users=[agent_a]) == []
    assert not Message.objects.exists()


def test_calling_twice_with_one_dedupe_key_writes_each_message_once(agent_a, supervisor_a):
    kwargs = {
        "template": "sla_escalated",
        "context": {"order": ORDER},
        "users": [agent_a],
        "addresses": ["13800138000"],
        "dedupe_key": "sla-escalate:42:level-1",
    }
    first = services.notify(**kwargs)
    second = services.notify(**kwargs)
    assert [m.pk for m in second] == [m.pk for m in first]
    assert Message.objects.count() == 2  # the inbox message and the console message

    # Same event, one more recipient: only the new recipient's message is written.
    third = services.notify(**{**kwargs, "users": [agent_a, supervisor_a]})
    assert len(third) == 3
    assert Message.objects.count() == 3
    # Another key is another event.
    services.notify(**{**kwargs, "dedupe_key": "sla-escalate:42:level-2"})
    assert Message.objects.count() == 5


def test_a_rolled_back_change_leaves_no_message_and_sends_nothing(
    agent_a, settings, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify(
            template="wo_created",
            context={"order": ORDER},
            users=[agent_a],
            addresses=["13800138000"],
        )
        raise RuntimeError("the work order could not be saved")
    assert callbacks == []
    assert not Message.objects.exists()
    assert not (settings.DATA_DIR / "outbox.log").exists()


def test_external_addresses_without_gateways_go_to_the_console(agent_a):
    messages = services.notify(
        template="outage_notice",
        context={},
        addresses=["138-0013-8000", "zhang@example.cn"],
    )
    assert [(m.channel, m.address) for m in messages] == [
        (Channel.CONSOLE, "13800138000"),
        (Channel.CONSOLE, "zhang@example.cn"),
    ]


def test_a_bad_address_is_recorded_as_failed_not_raised(db):
    messages = services.notify(
        template="outage_notice", context={}, addresses=["12", "13800138000"]
    )
    assert [m.status for m in messages] == [MessageStatus.FAILED, MessageStatus.PENDING]
    assert messages[0].last_error == "invalid phone number"


def test_webhooks_and_inbox_are_not_address_channels(db):
    with pytest.raises(ValidationFailed):
        services.notify(template="wo_created", context={}, addresses=["https://example.cn/h"])
    with pytest.raises(ValidationFailed):
        services.notify(template="wo_created", context={}, addresses=["a@b.cn"], channel="inbox")


def test_seeding_never_overwrites_an_admin_edit_and_restores_a_deleted_default(db):
    NotificationTemplate.objects.filter(code="wo_created").update(
        subject="已受理 {{ order.number }}"
    )
    NotificationTemplate.objects.filter(code="wo_urged").delete()
    assert templates_seed() == 1
    assert (
        NotificationTemplate.objects.get(code="wo_created").subject == "已受理 {{ order.number }}"
    )
    assert NotificationTemplate.objects.filter(code="wo_urged").exists()


def test_a_template_with_a_syntax_error_is_refused_on_save(db):
    template = NotificationTemplate(code="x", name="x", subject="{% if %}", body="ok")
    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()
    assert "subject" in excinfo.value.message_dict


def test_mark_read_touches_only_the_users_own_messages(agent_a, agent_b):
    mine = services.notify(template="wo_urged", context={"order": ORDER}, users=[agent_a])
    theirs = services.notify(template="wo_urged", context={"order": ORDER}, users=[agent_b])
    assert services.mark_read(user=agent_a, message_ids=[mine[0].pk, theirs[0].pk]) == 1
    assert selectors.unread_count(agent_a) == 0
    assert selectors.unread_count(agent_b) == 1


def test_inactive_users_get_nothing_and_a_user_listed_twice_gets_one(agent_a, agent_b):
    agent_b.is_active = False
    agent_b.save()
    messages = services.notify(
        template="wo_urged", context={"order": ORDER}, users=[agent_a, agent_a, agent_b]
    )
    assert [m.recipient_id for m in messages] == [agent_a.pk]
