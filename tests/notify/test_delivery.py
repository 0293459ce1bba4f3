"""Delivery through real receivers on localhost: the log file, SMTP, webhooks, the SMS
gateway; retries with backoff, giving up, the sweep, and the claim."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from kefu.notify import backends, services, tasks
from kefu.notify.models import Channel, Message, MessageStatus, WebhookEndpoint

ORDER = {"number": "GD20250106001", "title": "宽带无法上网", "type_name": "故障申告"}


def _reload(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def _verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute the HMAC of the raw body and compare."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_console_delivery_appends_a_json_line_to_outbox_log(db, settings, committed):
    [message] = committed(
        services.notify,
        template="outage_notice",
        context={"outage": {"cause": "光缆被挖断", "eta": "今天18:00", "area": "城东片区"}},
        addresses=["13800138000"],
    )
    message = _reload(message)
    assert message.channel == Channel.CONSOLE
    assert message.status == MessageStatus.SENT and message.sent_at is not None
    [line] = (settings.DATA_DIR / "outbox.log").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["id"] == message.pk
    assert record["to"] == "13800138000"
    assert record["body"] == (
        "尊敬的客户：城东片区因光缆被挖断出现服务故障，我们正在全力抢修，"
        "预计 今天18:00 前恢复。由此给您带来的不便，敬请谅解。"
    )


def test_email_over_real_smtp_carries_the_chinese_subject_and_body(
    agent_a, settings, smtp_server, committed
):
    settings.KEFU_SMTP_URL = f"smtp://kefu%40example.cn:p%40ss%3Aword@127.0.0.1:{smtp_server.port}"
    agent_a.email = "agent_a@example.cn"
    agent_a.save()
    messages = committed(
        services.notify,
        template="wo_supervised",
        context={"order": ORDER, "actor_name": "李主任", "note": "今天下班前办结"},
        users=[agent_a],
    )
    assert [m.channel for m in messages] == [Channel.INBOX, Channel.EMAIL]
    email = _reload(messages[1])
    assert email.status == MessageStatus.SENT, email.last_error
    assert smtp_server.logins == [("kefu@example.cn", "p@ss:word")]
    [(envelope, mail)] = smtp_server.messages
    assert envelope.rcpt_tos == ["agent_a@example.cn"]
    assert mail["From"] == "kefu@example.cn"  # KEFU_MAIL_FROM unset: the SMTP account
    assert mail["Subject"] == "督办：GD20250106001 宽带无法上网"
    body = mail.get_content()
    assert "李主任对工单 GD20250106001（宽带无法上网）发起督办。" in body
    assert "督办要求：今天下班前办结" in body


def test_users_without_an_address_or_without_smtp_get_only_the_inbox(agent_a, settings):
    agent_a.email = "agent_a@example.cn"
    agent_a.save()
    messages = services.notify(template="wo_urged", context={}, users=[agent_a])
    assert [m.channel for m in messages] == [Channel.INBOX]  # SMTP not configured


def test_smtp_down_is_retried_later(agent_a, settings, committed):
    from tests.factories import free_port

    settings.KEFU_SMTP_URL = f"smtp://127.0.0.1:{free_port()}"
    [email] = committed(
        services.notify, template="wo_urged", context={}, addresses=["x@example.cn"]
    )
    email = _reload(email)
    assert email.status == MessageStatus.PENDING
    assert email.attempts == 1
    assert "SMTP 127.0.0.1" in email.last_error


def test_webhook_is_signed_with_the_endpoint_secret(db, http_receiver, committed):
    hook = WebhookEndpoint.objects.create(
        name="工单系统",
        url=f"{http_receiver.url}/hooks/kefu",
        secret="s3cret",
        events=["wo_created"],
    )
    WebhookEndpoint.objects.create(name="other", url=f"{http_receiver.url}/o", events=["outage"])
    WebhookEndpoint.objects.create(name="off", url=f"{http_receiver.url}/off", is_active=False)
    payload = {"number": "GD20250106001", "title": "宽带无法上网"}
    [message] = committed(services.notify_webhooks, event="wo_created", payload=payload)

    assert _reload(message).status == MessageStatus.SENT
    [request] = http_receiver.requests
    assert request.path == "/hooks/kefu"
    assert request.headers["X-Kefu-Event"] == "wo_created"
    assert request.headers["X-Kefu-Delivery"] == str(message.pk)
    assert request.json()["event"] == "wo_created"
    assert request.json()["data"] == payload
    signature = request.headers["X-Kefu-Signature"]
    assert _verify("s3cret", request.body, signature)
    assert not _verify("wrong-secret", request.body, signature)
    assert not _verify("s3cret", request.body + b" ", signature)
    assert hook.subscribes_to("wo_created")


def test_sms_goes_to_the_gateway_with_the_bearer_token(db, settings, http_receiver, committed):
    settings.KEFU_SMS_GATEWAY_URL = f"{http_receiver.url}/sms/send"
    settings.KEFU_SMS_GATEWAY_TOKEN = "gw-token"
    [message] = committed(
        services.notify,
        template="wo_resolved_customer",
        context={"order": ORDER, "note": "已更换光猫", "hotline": "10000"},
        addresses=["138 0013 8000"],
    )
    assert message.channel == Channel.SMS
    assert _reload(message).status == MessageStatus.SENT
    [request] = http_receiver.requests
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer gw-token"
    assert request.json() == {
        "phone": "13800138000",
        "text": "尊敬的客户：您的工单 GD20250106001（宽带无法上网）已处理完毕，"
        "处理结果：已更换光猫。如有疑问请致电客服热线 10000，感谢您的支持。",
    }


def test_a_500_is_retried_after_the_backoff_then_succeeds(db, http_receiver, committed):
    WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    http_receiver.statuses = [500]
    [message] = committed(services.notify_webhooks, event="wo_created", payload={"n": 1})

    failed_once = _reload(message)
    assert failed_once.status == MessageStatus.PENDING
    assert failed_once.attempts == 1
    assert "HTTP 500" in failed_once.last_error
    # Not due yet: a second task (or the sweep) sends nothing.
    tasks.deliver(message.pk)
    tasks.outbox_sweep()
    assert len(http_receiver.requests) == 1

    assert services.message_deliver(message_id=message.pk, now=failed_once.next_attempt_at) == (
        MessageStatus.SENT
    )
    sent = _reload(message)
    assert sent.status == MessageStatus.SENT and sent.attempts == 2 and sent.last_error == ""
    first, second = http_receiver.requests
    assert first.body == second.body  # the same bytes, the same signature
    assert first.headers["X-Kefu-Signature"] == second.headers["X-Kefu-Signature"]


def test_after_eight_failures_the_message_fails_with_the_last_error(db, http_receiver, committed):
    WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    http_receiver.default = 500
    [message] = committed(services.notify_webhooks, event="sla_breached", payload={})
    waits = []
    message = _reload(message)
    while message.status == MessageStatus.PENDING:
        failed_at = message.next_attempt_at - services.backoff(message.attempts)
        waits.append((message.next_attempt_at - failed_at).total_seconds())
        services.message_deliver(message_id=message.pk, now=message.next_attempt_at)
        message = _reload(message)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == services.MAX_ATTEMPTS == 8
    assert len(http_receiver.requests) == 8
    assert "HTTP 500 boom" in message.last_error
    assert waits == [30, 60, 120, 240, 480, 960, 1920]


def test_the_sweep_delivers_messages_whose_task_was_lost(
    db, settings, http_receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    # The callbacks are captured and never run: the task is lost, as with a killed worker.
    with django_capture_on_commit_callbacks(execute=False):
        [hook] = services.notify_webhooks(event="wo_created", payload={"n": 1})
        [console] = services.notify(template="wo_created", context={}, addresses=["13800138000"])
    assert not http_receiver.requests

    # Within the grace period the message's own task may still be queued: left alone.
    assert services.outbox_sweep() == 0
    later = max(hook.next_attempt_at, console.next_attempt_at) + services.SWEEP_GRACE
    assert services.outbox_sweep(now=later) == 2
    assert _reload(hook).status == MessageStatus.SENT
    assert _reload(console).status == MessageStatus.SENT
    assert len(http_receiver.requests) == 1
    assert (settings.DATA_DIR / "outbox.log").exists()
    assert services.outbox_sweep(now=later) == 0  # nothing left that is due


def test_a_claimed_message_is_sent_once(db, http_receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    with django_capture_on_commit_callbacks(execute=False):
        [message] = services.notify_webhooks(event="wo_created", payload={})
    assert services.message_deliver(message_id=message.pk) == MessageStatus.SENT
    assert services.message_deliver(message_id=message.pk) is None
    tasks.deliver(message.pk)
    assert len(http_receiver.requests) == 1


def test_a_deactivated_endpoint_fails_the_message_at_once(db, http_receiver, committed):
    hook = WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    [message] = services.notify_webhooks(event="wo_created", payload={})
    hook.is_active = False
    hook.save()
    services.message_deliver(message_id=message.pk)
    message = _reload(message)
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert "inactive" in message.last_error
    assert not http_receiver.requests


def test_admin_retry_now_sends_a_failed_message_again(
    db, client, django_user_model, http_receiver, committed, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(name="h", url=http_receiver.url, secret="k")
    http_receiver.statuses = [503]
    [message] = committed(services.notify_webhooks, event="wo_created", payload={})
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    admin = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client.force_login(admin)
    changelist = reverse("admin:notify_message_changelist")
    page = client.get(changelist, {"status__exact": "failed"})
    assert page.status_code == 200
    assert f'value="{message.pk}"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "retry_now", "_selected_action": [message.pk]}, follow=True
        )
    assert response.status_code == 200
    assert _reload(message).status == MessageStatus.SENT
    assert len(http_receiver.requests) == 2


def test_smtp_url_forms():
    plain = backends.parse_smtp_url("smtp://mail.example.cn")
    assert (plain.port, plain.use_ssl, plain.use_tls) == (25, False, False)
    ssl = backends.parse_smtp_url("smtps://u%40x.cn:p%3A1@smtp.qq.com")
    assert (ssl.host, ssl.port, ssl.use_ssl, ssl.username, ssl.password) == (
        "smtp.qq.com",
        465,
        True,
        "u@x.cn",
        "p:1",
    )
    assert backends.parse_smtp_url("smtp+starttls://h:2525").use_tls
    with pytest.raises(ValueError, match="scheme"):
        backends.parse_smtp_url("imap://h")


def test_kefu_check_reports_a_mistyped_smtp_url(settings):
    from kefu.notify.checks import notify_settings_check

    assert notify_settings_check() == []
    settings.KEFU_SMTP_URL = "smpt://mail.example.cn"
    settings.KEFU_SMS_GATEWAY_URL = "ftp://gw"
    assert [e.id for e in notify_settings_check()] == ["kefu_notify.E001", "kefu_notify.E002"]
