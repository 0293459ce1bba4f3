"""E-mail attachments are kept with the order: on disk under the data dir, listed on the
order page and in the API, downloadable by those who may see the order, size-limited."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse

from kefu.intake.mail.poll import mailbox_poll
from kefu.intake.models import Mailbox
from kefu.workorders.models import Attachment, WorkOrder, WorkOrderEvent
from tests.factories import api_client
from tests.intake.mails import make_mail_with_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "data_dir")]

PHOTO = bytes(range(256)) * 40  # 10 KB of every byte value: binary survives the trip


def poll(mailbox):
    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))
    assert report.error == ""
    return report


def stored(data_dir: Path, attachment: Attachment) -> Path:
    path = (data_dir / attachment.path).resolve()
    assert path.is_relative_to((data_dir / "attachments").resolve())
    return path


def test_mailed_in_attachment_is_kept_listed_and_downloadable_in_scope(
    mailbox, imap_account, mail_agent, supervisor_a, agent_b, client, data_dir
):
    imap_account.deliver(
        make_mail_with_files(files=[("账单截图.png", "image/png", PHOTO)], subject="账单有误")
    )
    assert poll(mailbox).new == 1
    order = WorkOrder.objects.get()

    assert "账单截图.png" in order.description
    assert "not imported" not in order.description
    (attachment,) = order.attachments.all()
    assert attachment.name == "账单截图.png"
    assert (attachment.size, attachment.content_type) == (len(PHOTO), "image/png")
    assert attachment.sha256 == hashlib.sha256(PHOTO).hexdigest()
    path = stored(data_dir, attachment)
    assert path.parent.name == order.number
    assert path.read_bytes() == PHOTO

    # The API detail lists it with a download URL; the owner and a supervisor over the
    # county get the bytes.
    detail = api_client(mail_agent).get(f"/api/v1/work-orders/{order.pk}/").json()
    (listed,) = detail["attachments"]
    assert listed["name"] == "账单截图.png"
    url = listed["download_url"]
    assert url == f"/api/v1/work-orders/{order.pk}/attachments/{attachment.pk}/"
    for user in (mail_agent, supervisor_a):
        response = api_client(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PHOTO
        assert "attachment" in response["Content-Disposition"]
        assert quote("账单截图.png") in response["Content-Disposition"]

    # The order page lists it with a link that downloads it.
    client.force_login(mail_agent)
    page = client.get(reverse("workorders:workorder_detail", args=[order.number]))
    link = reverse("workorders:workorder_attachment", args=[order.number, attachment.pk])
    assert link in page.content.decode()
    assert "账单截图.png" in page.content.decode()
    download = client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PHOTO

    # Another county's agent: neither the order nor its file exists.
    assert api_client(agent_b).get(url).status_code == 404
    client.force_login(agent_b)
    assert client.get(link).status_code == 404


def test_oversized_attachment_is_dropped_with_a_note_and_the_order_still_taken_in(
    mailbox, imap_account, settings, data_dir
):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 5000
    imap_account.deliver(
        make_mail_with_files(
            files=[
                ("小票.txt", "text/plain", "小票内容".encode()),
                ("现场录像.mp4", "video/mp4", b"\x00" * 6000),
            ]
        )
    )
    assert poll(mailbox).new == 1
    order = WorkOrder.objects.get()

    assert [a.name for a in order.attachments.all()] == ["小票.txt"]
    (dropped,) = WorkOrderEvent.objects.filter(order=order, data__attachment_dropped__isnull=False)
    assert dropped.data["attachment_dropped"] == "现场录像.mp4"
    assert "现场录像.mp4" in dropped.note
    assert len(list((data_dir / "attachments" / order.number).iterdir())) == 1


def test_hostile_file_names_are_stored_inside_the_order_folder_and_downloaded_by_name(
    mailbox, imap_account, mail_agent, client, data_dir, tmp_path
):
    long_name = "很" * 300 + ".pdf"
    names = ["../../etc/passwd", "..\\..\\boot.ini", long_name, "投诉\u202e材料\x07.doc"]
    imap_account.deliver(
        make_mail_with_files(files=[(n, "application/octet-stream", n.encode()) for n in names])
    )
    assert poll(mailbox).new == 1
    order = WorkOrder.objects.get()

    kept = list(order.attachments.all())
    assert [a.name for a in kept] == ["passwd", "boot.ini", "很" * 196 + ".pdf", "投诉材料.doc"]
    assert not (tmp_path / "etc").exists()
    client.force_login(mail_agent)
    for attachment, original in zip(kept, names, strict=True):
        path = stored(data_dir, attachment)
        assert path.parent == (data_dir / "attachments" / order.number).resolve()
        assert path.read_bytes() == original.encode()
        link = reverse("workorders:workorder_attachment", args=[order.number, attachment.pk])
        response = client.get(link)
        assert b"".join(response.streaming_content) == original.encode()
        assert quote(attachment.name) in response["Content-Disposition"]


def test_reply_with_an_attachment_adds_it_to_the_existing_order(mailbox, imap_account, data_dir):
    imap_account.deliver(make_mail_with_files(files=[], message_id="<first@example.cn>"))
    poll(mailbox)
    order = WorkOrder.objects.get()
    assert not order.attachments.exists()

    imap_account.deliver(
        make_mail_with_files(
            files=[("补充照片.jpg", "image/jpeg", PHOTO)],
            subject="Re: 投诉材料",
            headers={"In-Reply-To": "<first@example.cn>"},
        )
    )
    assert poll(mailbox).replies == 1

    assert WorkOrder.objects.count() == 1
    (attachment,) = order.attachments.all()
    assert attachment.name == "补充照片.jpg"
    assert stored(data_dir, attachment).read_bytes() == PHOTO


@pytest.fixture
def intake_record_refused(db):
    """The database refuses the intake record of a new order, as a full disk or a broken
    constraint would: the last write of the intake, after its attachments were stored.
    A real trigger, not a stand-in for our code; the failure record still goes in."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION kefu_test_refuse() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER kefu_test_refuse BEFORE INSERT ON intake_mailmessage "
                "FOR EACH ROW WHEN (NEW.kind = 'new') EXECUTE FUNCTION kefu_test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER kefu_test_refuse BEFORE INSERT ON intake_mailmessage "
                "WHEN NEW.kind = 'new' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )


def test_an_intake_rolled_back_after_storing_attachments_leaves_no_file(
    mailbox, imap_account, data_dir, intake_record_refused
):
    imap_account.deliver(
        make_mail_with_files(
            files=[
                ("小票.txt", "text/plain", "小票内容".encode()),
                ("照片.jpg", "image/jpeg", PHOTO),
            ]
        )
    )
    report = mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox.pk))

    assert report.failed == 1 and report.new == 0
    assert not WorkOrder.objects.exists() and not Attachment.objects.exists()
    folder = data_dir / "attachments"
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]
