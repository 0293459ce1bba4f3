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
