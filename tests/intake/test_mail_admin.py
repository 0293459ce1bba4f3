"""The mailbox admin screen: the password is never shown back, and "poll now" reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.intake.models import Mailbox, MailMessage
from kefu.workorders.models import WorkOrder, WorkOrderType
from tests.intake.mails import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client.force_login(root)
    return client


def _form(org, owner, **changes):
    data = {
        "name": "客服邮箱",
        "is_active": "on",
        "host": "imap.example.cn",
        "port": "993",
        "use_ssl": "on",
        "username": "kefu@example.cn",
        "password": "imap-secret-1",
        "folder": "INBOX",
        "order_type": WorkOrderType.objects.get(code="consultation").pk,
        "accepting_unit": org["county_a1"].pk,
        "owner": owner.pk,
    }
    data.update(changes)
    return data


def test_password_is_kept_when_left_empty_and_never_shown(admin_client, org, make_user):
    owner = make_user("mailbot", org["county_a1"], "agent")
    add = admin_client.post(reverse("admin:intake_mailbox_add"), _form(org, owner))
    assert add.status_code == 302, add.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    change_url = reverse("admin:intake_mailbox_change", args=[mailbox.pk])

    page = admin_client.get(change_url)
    assert "imap-secret-1" not in page.text
    admin_client.post(change_url, _form(org, owner, password="", port="143"))

    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.port) == ("imap-secret-1", 143)


def test_account_outside_the_unit_is_refused(admin_client, org, make_user):
    owner = make_user("mailbot_b", org["county_b1"], "agent")
    page = admin_client.post(reverse("admin:intake_mailbox_add"), _form(org, owner))
    assert page.status_code == 200  # the form again, with the error
    assert not Mailbox.objects.exists()


def test_poll_now_takes_the_mail_in(admin_client, mailbox, imap_account):
    imap_account.deliver(make_mail(subject="后台读取"))
    changelist = reverse("admin:intake_mailbox_changelist")

    page = admin_client.post(
        changelist, {"action": "poll_now", "_selected_action": [mailbox.pk]}, follow=True
    )

    assert page.status_code == 200
    assert WorkOrder.objects.get().title == "后台读取"
    record = MailMessage.objects.get()
    log = admin_client.get(reverse("admin:intake_mailmessage_changelist"))
    assert record.subject in log.text


def test_failed_mail_can_be_read_again(admin_client, mailbox, imap_account):
    imap_account.deliver(
        b"Subject: no sender\r\n\r\nbody\r\n",
        make_mail(subject="之后的邮件"),
    )
    mail_poll_now(mailbox)
    failed = MailMessage.objects.get(kind="failed")

    admin_client.post(
        reverse("admin:intake_mailmessage_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
    )
    report = mail_poll_now(mailbox)

    # Read again (and, the sender still missing, failed again); the next one not repeated.
    assert (report.failed, report.duplicates, report.new) == (1, 1, 0)
    assert WorkOrder.objects.count() == 1
    assert MailMessage.objects.exclude(pk=failed.pk).filter(kind="failed").exists()


def mail_poll_now(mailbox):
    from kefu.intake.mail.poll import mailbox_poll

    return mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
