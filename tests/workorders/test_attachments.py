"""attachment_store keeps a file with an order under the data dir; downloads follow the
order's data scope, and an attachment is only reachable through its own order."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.workorders.actions import work_order_act
from kefu.workorders.attachments import attachment_store
from kefu.workorders.models import Channel, WorkOrderEvent
from kefu.workorders.services import work_order_create
from tests.factories import api_client

pytestmark = pytest.mark.usefixtures("clock", "data_dir")


def take_in(agent, types, org, title="宽带报修"):
    return work_order_create(
        actor=agent,
        order_type=types["fault"],
        channel=Channel.EMAIL,
        title=title,
        area_unit=org["county_a1"],
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_handler_downloads_what_the_order_keeps_and_others_get_404(
    org, agent_a, agent_b, dispatcher_a, handlers_a1, types, client, data_dir
):
    order = take_in(agent_a, types, org)
    work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handlers_a1[0]},
    )
    page = attachment_store(
        order=order, name="故障页面.html", content_type="text/html", data=b"<script>x</script>"
    )
    other = attachment_store(
        order=take_in(agent_a, types, org, "另一单"), name="x.txt", content_type="", data=b"x"
    )
    assert (data_dir / page.path).read_bytes() == b"<script>x</script>"

    handler = handlers_a1[0]
    url = f"/api/v1/work-orders/{order.pk}/attachments/{page.pk}/"
    response = api_client(handler).get(url)
    assert response.status_code == 200
    assert body(response) == b"<script>x</script>"
    # Served as a download, never rendered as a page of ours.
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"

    # Through another order's URL, or for someone outside the county: 404.
    assert (
        api_client(handler)
        .get(f"/api/v1/work-orders/{order.pk}/attachments/{other.pk}/")
        .status_code
        == 404
    )
    assert api_client(agent_b).get(url).status_code == 404
    client.force_login(agent_b)
    web = reverse("workorders:workorder_attachment", args=[order.number, page.pk])
    assert client.get(web).status_code == 404
    client.force_login(handler)
    assert body(client.get(web)) == b"<script>x</script>"


@pytest.mark.django_db
def test_a_file_over_the_limit_is_not_written_and_the_timeline_names_it(
    org, agent_a, types, settings, data_dir
):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 10
    order = take_in(agent_a, types, org)

    kept = attachment_store(
        order=order,
        name="../大文件.zip",
        content_type="application/zip",
        data=b"z" * 11,
        actor=agent_a,
    )

    assert kept is None
    assert not order.attachments.exists()
    assert not (data_dir / "attachments").exists()
    note = WorkOrderEvent.objects.filter(order=order, action="note").get()
    assert "大文件.zip" in note.note
    assert note.actor == agent_a


@pytest.mark.django_db
def test_a_missing_or_tampered_file_is_a_404_not_a_read_elsewhere(
    org, agent_a, types, data_dir, tmp_path
):
    order = take_in(agent_a, types, org)
    kept = attachment_store(order=order, name="a.txt", content_type="text/plain", data=b"a")
    (tmp_path / "secret").write_bytes(b"secret")
    type(kept).objects.filter(pk=kept.pk).update(path="../secret")

    url = f"/api/v1/work-orders/{order.pk}/attachments/{kept.pk}/"
    assert api_client(agent_a).get(url).status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_attachments_read_only(org, agent_a, admin_user, types, client):
    from django.contrib.auth import get_user_model

    order = take_in(agent_a, types, org)
    kept = attachment_store(
        order=order, name="发票.pdf", content_type="application/pdf", data=b"%PDF" * 600
    )
    get_user_model().objects.filter(pk=admin_user.pk).update(is_staff=True)
    client.force_login(admin_user)

    listing = client.get(reverse("admin:workorders_attachment_changelist"))
    assert listing.status_code == 200
    assert "发票.pdf" in listing.text and order.number in listing.text and "2 KB" in listing.text
    assert "文件名" in listing.text and "附件" in listing.text
    detail = client.get(reverse("admin:workorders_attachment_change", args=[kept.pk]))
    assert detail.status_code == 200 and kept.sha256 in detail.text
    assert 'name="name"' not in detail.text  # nothing to edit
    assert client.get(reverse("admin:workorders_attachment_add")).status_code == 403
    delete = reverse("admin:workorders_attachment_delete", args=[kept.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


@pytest.mark.django_db
def test_a_failed_row_takes_its_file_with_it(org, agent_a, types, data_dir):
    """attachments_kept_on_commit: the files of a block that raises are gone again."""
    from django.db import transaction

    from kefu.workorders.attachments import attachments_kept_on_commit
    from kefu.workorders.models import Attachment

    order = take_in(agent_a, types, org)
    with pytest.raises(RuntimeError), attachments_kept_on_commit(), transaction.atomic():
        attachment_store(order=order, name="a.txt", content_type="text/plain", data=b"a")
        attachment_store(order=order, name="b.txt", content_type="text/plain", data=b"b")
        raise RuntimeError("the intake fails after storing")
    assert not Attachment.objects.exists()
    assert not [p for p in (data_dir / "attachments").rglob("*") if p.is_file()]
    with attachments_kept_on_commit(), transaction.atomic():
        kept = attachment_store(order=order, name="c.txt", content_type="text/plain", data=b"c")
    assert (data_dir / kept.path).read_bytes() == b"c"
