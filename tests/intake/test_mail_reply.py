"""回复客户 for a mailed-in order: the reply goes out over SMTP, in the customer's thread, and
lands in the customer's real (dovecot) mailbox; the customer's answer to it comes back to the
same order."""

from __future__ import annotations

import datetime as dt
import imaplib
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from kefu.calendars.business_time import SHANGHAI
from kefu.intake.mail.poll import mailbox_poll
from kefu.intake.models import Mailbox, MailMessage
from kefu.notify.models import Message, MessageStatus
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import WorkOrder
from tests.factories import free_port
from tests.intake.mails import make_mail

pytestmark = pytest.mark.django_db

CUSTOMER = "zhang@example.cn"


@pytest.fixture
def now(monkeypatch):
    moment = dt.datetime(2025, 6, 3, 9, 0, tzinfo=SHANGHAI)  # a Tuesday
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def customer_mailbox(imap_server):
    return imap_server.add_account()


@pytest.fixture
def smtp_relay(settings, customer_mailbox, monkeypatch):
    """An SMTP server (aiosmtpd) that files what it accepts for the customer's address into
    the customer's dovecot mailbox, as a mail server would; Kefu sends through it."""
    from aiosmtpd.controller import Controller

    accepted = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            accepted.append(envelope)
            if CUSTOMER in envelope.rcpt_tos:
                customer_mailbox.deliver(envelope.original_content)
            return "250 Message accepted"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    settings.KEFU_SMTP_URL = f"smtp://127.0.0.1:{port}"
    settings.KEFU_MAIL_FROM = "kefu@example.com"
    yield accepted
    controller.stop()


def _inbox(account) -> list:
    conn = imaplib.IMAP4(account.server.host, account.server.port, timeout=10)
    conn.login(account.username, account.password)
    try:
        conn.select("INBOX")
        typ, data = conn.uid("SEARCH", None, "ALL")
        mails = []
        for uid in data[0].split():
            typ, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            mails.append(message_from_bytes(parts[0][1], policy=policy.default))
        return mails
    finally:
        conn.logout()


def _poll(mailbox):
    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert report.error == ""
    return report


def test_the_reply_to_a_mailed_in_order_lands_in_the_customers_mailbox_in_the_thread(
    mailbox,
    imap_account,
    customer_mailbox,
    smtp_relay,
    mail_agent,
    now,
    django_capture_on_commit_callbacks,
):
    imap_account.deliver(
        make_mail(
            subject="宽带故障",
            body="家里宽带断了",
            address=CUSTOMER,
            message_id="<first.zhang@example.cn>",
        )
    )
    _poll(mailbox)
    order = WorkOrder.objects.get()
    order = work_order_act(
        actor=mail_agent, order=order, action="resolve", data={"resolution": "远程重置端口"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        order = work_order_act(
            actor=mail_agent,
            order=order,
            action="reply",
            data={"reply": "已远程为您重置宽带端口，现已恢复。"},
        )

    message = Message.objects.get(template="wo_resolved_customer")
    assert message.status == MessageStatus.SENT, message.last_error
    [mail] = _inbox(customer_mailbox)
    assert mail["To"] == CUSTOMER
    assert mail["In-Reply-To"] == "<first.zhang@example.cn>"
    assert mail["References"] == "<first.zhang@example.cn>"
    assert mail["Subject"].strip() == f"回复：宽带故障（工单 {order.number}）"
    assert "处理结果：已远程为您重置宽带端口，现已恢复。感谢您的支持。" in mail.get_content()
    assert order.events.get(action="reply").data["sent"]["to"] == "z***@example.cn"

    # The customer answers the reply: it is filed on the same order, not as a new one.
    imap_account.deliver(
        make_mail(
            subject=f"Re: {mail['Subject']}",
            body="收到，谢谢！",
            address=CUSTOMER,
            headers={
                "In-Reply-To": mail["Message-ID"],
                "References": f"<first.zhang@example.cn> {mail['Message-ID']}",
            },
        )
    )
    report = _poll(mailbox)
    assert (report.new, report.replies) == (0, 1)
    assert WorkOrder.objects.count() == 1
    assert MailMessage.objects.filter(work_order=order).count() == 2
    assert "收到，谢谢！" in order.events.filter(action="note").last().note


def test_a_second_mail_moves_the_reply_to_the_latest_message_of_the_thread(
    mailbox,
    imap_account,
    customer_mailbox,
    smtp_relay,
    mail_agent,
    now,
    django_capture_on_commit_callbacks,
):
    imap_account.deliver(make_mail(subject="发票", address=CUSTOMER, message_id="<a@example.cn>"))
    _poll(mailbox)
    order = WorkOrder.objects.get()
    imap_account.deliver(
        make_mail(
            subject="Re: 发票",
            body="补充：要电子发票",
            address=CUSTOMER,
            message_id="<b@example.cn>",
            headers={"In-Reply-To": "<a@example.cn>", "References": "<a@example.cn>"},
        )
    )
    _poll(mailbox)
    order = work_order_act(
        actor=mail_agent, order=order, action="resolve", data={"resolution": "已开具"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        work_order_act(
            actor=mail_agent, order=order, action="reply", data={"reply": "电子发票已发送"}
        )

    [mail] = _inbox(customer_mailbox)
    assert mail["In-Reply-To"] == "<b@example.cn>"
    assert mail["References"] == "<a@example.cn> <b@example.cn>"
    assert mail["Subject"].strip() == f"回复：发票（工单 {order.number}）"
