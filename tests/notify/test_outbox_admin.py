"""The outbox admin holds customers' phone numbers (SMS): masked in the list, and found only
by the whole number, never narrowed digit by digit."""

from __future__ import annotations

from django.urls import reverse

from kefu.notify import services


def test_outbox_list_masks_phones_and_searches_whole_numbers_only(client, admin_user):
    services.notify(
        template="sla_breached",
        context={"order": {"number": "GD1"}},
        addresses=["13912345678"],
        channel="sms",
    )
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])  # to open Django's admin at all
    client.force_login(admin_user)
    url = reverse("admin:notify_message_changelist")
    page = client.get(url).text
    assert "139****5678" in page and "13912345678" not in page
    assert "139****5678" not in client.get(url, {"q": "1391234"}).text  # a prefix: nothing
    assert "139****5678" in client.get(url, {"q": "13912345678"}).text


def test_outbox_detail_page_masks_the_phone_and_the_mail_address(client, admin_user):
    """The read-only detail page shows what the list shows: no whole number or address,
    neither in the address nor anywhere else on the page (the dedupe key embeds it)."""
    [sms] = services.notify(
        template="sla_breached",
        context={"order": {"number": "GD1"}},
        addresses=["13912345678"],
        channel="sms",
        dedupe_key="order-1",
    )
    [mail] = services.notify(
        template="sla_breached",
        context={"order": {"number": "GD1"}},
        addresses=["zhang.san@example.cn"],
        channel="email",
    )
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)

    page = client.get(reverse("admin:notify_message_change", args=[sms.pk]))
    assert page.status_code == 200
    assert "139****5678" in page.text and "13912345678" not in page.text
    assert "GD1" in page.text  # the rest of the message is there to read

    page = client.get(reverse("admin:notify_message_change", args=[mail.pk])).text
    assert "z***@example.cn" in page and "zhang.san@example.cn" not in page
    listing = client.get(reverse("admin:notify_message_changelist")).text
    assert "zhang.san@example.cn" not in listing and "z***@example.cn" in listing
