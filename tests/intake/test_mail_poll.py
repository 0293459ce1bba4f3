"""E-mail intake against a real IMAP server (dovecot on localhost)."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kefu.intake import tasks
from kefu.intake.mail import imap
from kefu.intake.mail.parse import BODY_MAX
from kefu.intake.mail.poll import mailbox_poll
from kefu.intake.models import Mailbox, MailKind, MailMessage
from kefu.notify.models import Message
from kefu.workorders.actions import TEXT_MAX, work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderEvent, WorkOrderType
from kefu.workorders.services import work_order_create
from tests.intake.mails import make_mail

pytestmark = pytest.mark.django_db


def poll(mailbox):
    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert report.error == ""
    return report


def notes(order):
    return list(
        WorkOrderEvent.objects.filter(order=order, action="note").values_list("note", flat=True)
    )


def test_new_mail_becomes_one_email_order_with_gbk_subject(mailbox, imap_account, mail_agent, org):
    # 镕 is in GBK but not GB2312: clients label such text gb2312 all the same.
    imap_account.deliver(
        make_mail(
            subject="宽带故障：朱镕家网速很慢",
            body="您好，家里的宽带从昨晚开始很慢，请尽快处理。",
            charset="gbk",
            label="GB2312",
            sender="张三",
        )
    )

    report = poll(mailbox)

    assert (report.new, report.failed) == (1, 0)
    order = WorkOrder.objects.get()
    assert order.channel == Channel.EMAIL
    assert order.title == "宽带故障：朱镕家网速很慢"
    assert "家里的宽带从昨晚开始很慢" in order.description
    assert order.contact_name == "张三"
    assert order.owner == mail_agent
    assert order.accepting_unit == org["county_a1"]
    assert order.order_type.code == "consultation"
    record = MailMessage.objects.get()
    assert (record.kind, record.work_order, record.from_address) == (
        MailKind.NEW,
        order,
        "zhang@example.cn",
    )
    assert imap_account.flags() == {1: {"\\Seen"}}


def test_polling_twice_or_rereading_the_folder_makes_one_order(mailbox, imap_account):
    imap_account.deliver(make_mail(subject="停机咨询"))
    poll(mailbox)
    assert poll(mailbox).new == 0

    # The server renumbers the folder (new UIDVALIDITY) and the flag got lost: the poll
    # reads the message again, recognises it and only sets the flag.
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)
    imap_account.unflag_seen()
    report = poll(mailbox)

    assert (report.new, report.duplicates) == (0, 1)
    assert WorkOrder.objects.count() == 1
    assert MailMessage.objects.count() == 1
    assert imap_account.flags() == {1: {"\\Seen"}}


def test_reply_naming_the_first_message_becomes_a_note(mailbox, imap_account):
    imap_account.deliver(make_mail(subject="宽带报修", message_id="<q1@example.cn>"))
    poll(mailbox)
    order = WorkOrder.objects.get()

    imap_account.deliver(
        make_mail(
            subject="Re: 宽带报修",
            body="补充一下：光猫的LOS灯在闪红灯。\n\n-----原始邮件-----\n发件人：客服\n> 旧内容",
            headers={"In-Reply-To": "<q1@example.cn>", "References": "<q1@example.cn>"},
        )
    )
    report = poll(mailbox)

    assert (report.new, report.replies) == (0, 1)
    assert WorkOrder.objects.count() == 1
    (note,) = notes(order)
    assert "光猫的LOS灯在闪红灯" in note
    assert "旧内容" not in note  # the quoted original is not repeated
    assert "zhang@example.cn" in note
    assert MailMessage.objects.get(kind=MailKind.REPLY).work_order == order


def test_subject_with_order_number_adds_a_note_to_that_order(mailbox, imap_account, agent_a, org):
    consultation = WorkOrderType.objects.get(code="consultation")
    order = work_order_create(
        actor=agent_a,
        order_type=consultation,
        channel=Channel.HOTLINE,
        title="电话咨询套餐",
        area_unit=org["county_a1"],
    )
    imap_account.deliver(
        make_mail(
            subject=f"回复：[工单 {order.number}] 套餐资料", body="附上我的身份证号后四位 1234。"
        )
    )

    report = poll(mailbox)

    assert report.replies == 1
    assert WorkOrder.objects.count() == 1
    assert "身份证号后四位" in notes(order)[0]


def test_order_number_outside_the_mailbox_scope_makes_a_new_order(
    mailbox, imap_account, agent_b, org
):
    foreign = work_order_create(
        actor=agent_b,
        order_type=WorkOrderType.objects.get(code="consultation"),
        channel=Channel.HOTLINE,
        title="B 县的工单",
        area_unit=org["county_b1"],
    )
    imap_account.deliver(make_mail(subject=f"[工单 {foreign.number}] 询问进度"))

    report = poll(mailbox)

    assert (report.new, report.replies) == (1, 0)
    assert notes(foreign) == []


def test_reply_to_an_order_taken_by_phone_reaches_its_owner(mailbox, imap_account, agent_a, org):
    order = work_order_create(
        actor=agent_a,
        order_type=WorkOrderType.objects.get(code="fault"),
        channel=Channel.HOTLINE,
        title="固话无拨号音",
        area_unit=org["county_a1"],
    )
    imap_account.deliver(make_mail(subject=f"Re: 工单已受理：{order.number}", body="下午在家。"))

    poll(mailbox)

    inbox = Message.objects.filter(recipient=agent_a, template="wo_changed", channel="inbox")
    assert "下午在家" in inbox.get().body


def test_reply_to_a_mailed_in_order_reaches_its_handler(
    mailbox, imap_account, org, dispatcher_a, handler_a1
):
    dispatcher, handler = dispatcher_a, handler_a1
    imap_account.deliver(make_mail(subject="宽带报修", message_id="<h1@example.cn>"))
    poll(mailbox)
    order = work_order_act(
        actor=dispatcher,
        order=WorkOrder.objects.get(),
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler},
    )
    imap_account.deliver(
        make_mail(
            subject="Re: 宽带报修",
            body="今天下午两点后家里有人。",
            headers={"In-Reply-To": "<h1@example.cn>"},
        )
    )

    poll(mailbox)

    # The owner of record is the mailbox account itself: without this nobody would know.
    inbox = Message.objects.filter(recipient=handler, template="wo_customer_message")
    assert "今天下午两点后家里有人" in inbox.get(channel="inbox").body
    assert order.number in inbox.get(channel="inbox").subject


def test_malformed_message_is_recorded_and_the_others_still_processed(mailbox, imap_account):
    imap_account.deliver(
        make_mail(subject="第一封"),
        b"Subject: no sender\r\nFrom: <<<@@@>>>\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n",
        make_mail(subject="第三封"),
    )

    report = poll(mailbox)

    assert (report.new, report.failed) == (2, 1)
    assert sorted(WorkOrder.objects.values_list("title", flat=True)) == ["第一封", "第三封"]
    failed = MailMessage.objects.get(kind=MailKind.FAILED)
    assert failed.error and failed.work_order is None and failed.subject == "no sender"
    # Left unread and flagged for a person to look at; not read again by the next poll.
    assert imap_account.flags()[2] == {"\\Flagged"}
    assert poll(mailbox).failed == 0
    assert MailMessage.objects.count() == 3


def test_huge_body_is_capped(mailbox, imap_account):
    body = ("网络故障描述。" * 50 + "\n") * 900  # ~320,000 characters
    imap_account.deliver(make_mail(subject="很长的邮件", body=body))

    poll(mailbox)

    record = MailMessage.objects.get()
    assert len(record.body) == BODY_MAX
    order = record.work_order
    assert len(order.description) <= TEXT_MAX
    assert order.description.startswith("网络故障描述。")


def test_message_larger_than_the_read_limit_still_becomes_an_order(
    mailbox, imap_account, monkeypatch
):
    monkeypatch.setattr(imap, "FETCH_MAX", 1024 * 1024)  # 10 MB in production
    attachment = base64.encodebytes(b"\x89PNG" + b"\x00" * (2 * 1024 * 1024)).replace(
        b"\n", b"\r\n"
    )
    raw = (
        b"From: li@example.cn\r\nSubject: photo\r\nMessage-ID: <big@example.cn>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee the photo\r\n"
        b'--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="a.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment + b"\r\n--b1--\r\n"
    )
    imap_account.deliver(raw)

    assert poll(mailbox).new == 1
    order = WorkOrder.objects.get()
    assert "see the photo" in order.description
    assert "a.png" in order.description
    assert "1 MB" in order.description


def test_hostile_messages_do_not_stop_the_poll(mailbox, imap_account):
    imap_account.deliver(
        # No subject at all.
        make_mail(subject=None, body="没有主题的邮件"),
        # A charset nobody knows, in the subject and the body.
        b"From: a@example.cn\r\nSubject: =?x-klingon?B?5Lit5paH?=\r\nMessage-ID: <k@x>\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xe4\xb8\xad\xe6\x96\x87\r\n",
        # Raw 8-bit GBK in the headers, a NUL in the body, no Message-ID.
        b"From: b@example.cn\r\nSubject: " + "投诉".encode("gbk") + b"\r\n\r\nbody\x00text\r\n",
        # Broken base64 and an HTML-only alternative with an attachment.
        b"From: c@example.cn\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("<p>网页&amp;正文</p><style>p{}</style>".encode())
        + b"!!!\r\n--zz\r\nContent-Type: application/pdf; name*=utf-8''%E8%B4%A6%E5%8D%95.pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%E8%B4%A6%E5%8D%95.pdf\r\n\r\n"
        b"JVBERi0=\r\n--zz--\r\n",
    )

    report = poll(mailbox)

    assert (report.new, report.failed) == (4, 0)
    titles = set(WorkOrder.objects.values_list("title", flat=True))
    with translation.override("zh-hans"):
        no_subject = translation.gettext("(no subject)")  # (无主题)
    assert titles == {no_subject, "中文", "投诉", "html"}
    html = WorkOrder.objects.get(title="html")
    assert "网页&正文" in html.description and "账单.pdf" in html.description
    assert "p{}" not in html.description
    assert WorkOrder.objects.get(title="投诉").description.startswith("body")


def test_customer_is_matched_by_an_email_contact(mailbox, imap_account, agent_a, org):
    from kefu.customers.services import customer_contact_add
    from tests.factories import make_customer

    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], name="李四")
    customer_contact_add(actor=agent_a, customer=customer, kind="email", value="Li.Si@Example.cn")
    imap_account.deliver(make_mail(address="li.si@example.cn", sender="李四"))

    poll(mailbox)

    assert WorkOrder.objects.get().customer == customer


def test_automatic_mail_is_ignored(mailbox, imap_account):
    imap_account.deliver(
        make_mail(subject="自动回复：休假中", headers={"Auto-Submitted": "auto-replied"}),
        make_mail(address="MAILER-DAEMON@example.com", subject="Undelivered Mail"),
    )

    report = poll(mailbox)

    assert (report.ignored, report.new) == (2, 0)
    assert not WorkOrder.objects.exists()


def test_acknowledgement_is_written_once_to_the_sender(mailbox, imap_account):
    Mailbox.objects.filter(pk=mailbox.pk).update(send_acknowledgement=True)
    imap_account.deliver(make_mail(subject="咨询资费"))

    poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)  # read again
    poll(mailbox)

    order = WorkOrder.objects.get()
    (ack,) = Message.objects.filter(template="wo_created")
    assert ack.address == "zhang@example.cn"
    assert order.number in ack.subject


def test_server_trouble_is_recorded_on_the_mailbox(mailbox, imap_account):
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")
    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))

    assert report.error
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error and mailbox.polling_until is None


def test_broken_configuration_leaves_the_mail_on_the_server(mailbox, imap_account, mail_agent):
    imap_account.deliver(make_mail(subject="等待受理"))
    mail_agent.is_active = False
    mail_agent.save()

    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))

    assert report.error and not MailMessage.objects.exists()
    assert "\\Seen" not in imap_account.flags()[1]
    mail_agent.is_active = True
    mail_agent.save()
    assert poll(mailbox).new == 1


def test_a_poll_in_progress_keeps_a_second_one_out(mailbox, imap_account):
    from django.utils import timezone

    imap_account.deliver(make_mail())
    Mailbox.objects.filter(pk=mailbox.pk).update(
        polling_until=timezone.now() + timezone.timedelta(minutes=5)
    )

    assert mailbox_poll(mailbox=mailbox).busy
    assert not WorkOrder.objects.exists()


def test_periodic_task_polls_active_mailboxes_only(mailbox, imap_server, org, mail_agent):
    other = imap_server.add_account()
    Mailbox.objects.create(
        name="停用邮箱",
        host=other.server.host,
        port=other.server.port,
        use_ssl=False,
        username=other.username,
        password=other.password,
        accepting_unit=org["county_a1"],
        owner=mail_agent,
        order_type=WorkOrderType.objects.get(code="consultation"),
        is_active=False,
    )
    other.deliver(make_mail(subject="不应受理"))
    from tests.intake.conftest import ImapAccount

    ImapAccount(imap_server, mailbox.username, mailbox.password).deliver(make_mail(subject="受理"))

    tasks.mailboxes_poll_due()

    assert list(WorkOrder.objects.values_list("title", flat=True)) == ["受理"]


def test_command_polls_the_named_mailbox(mailbox, imap_account):
    imap_account.deliver(make_mail(subject="命令行"))
    out = StringIO()

    call_command("intake", "poll", "--mailbox", mailbox.name, stdout=out)

    assert "new 1" in out.getvalue()
    assert WorkOrder.objects.get().title == "命令行"
    with pytest.raises(CommandError):
        call_command("intake", "poll", "--mailbox", "nope", stdout=out)
