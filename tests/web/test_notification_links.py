"""Notifications lead somewhere: the unread count in the menu, inbox messages that open
their order, the repeat-complaint badge that opens the complaint it repeats, and a batch
alert that lists and links the complaints it counts."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from kefu.notify.models import Message
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Category, Channel, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create
from tests.factories import make_customer


def _complaint(agent, customer, category=None):
    return work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code="complaint"),
        channel=Channel.HOTLINE,
        title="宽带经常掉线",
        customer=customer,
        category=category,
    )


def test_the_menu_shows_the_unread_count_and_the_inbox_opens_the_order(
    client, org, agent_a, dispatcher_a, now
):
    dispatcher = dispatcher_a
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], name="王小明")
    client.force_login(agent_a)
    assert 'id="nav-unread"' not in client.get(reverse("web:home")).text

    order = _complaint(agent_a, customer)
    work_order_act(actor=dispatcher, order=order, action="dispatch", data={"unit": org["team_a1"]})
    other = _complaint(agent_a, make_customer(actor=agent_a, org_unit=org["county_a1"]))
    work_order_act(actor=dispatcher, order=other, action="dispatch", data={"unit": org["team_a1"]})

    page = client.get(reverse("web:home")).text
    assert re.search(r'id="nav-unread"[^>]*>2</span>', page)
    inbox = client.get(reverse("notify:inbox")).text
    message = Message.objects.filter(recipient=agent_a, payload__order=order.pk).get()
    link = re.search(rf'href="([^"]+)" id="message-link-{message.pk}"', inbox).group(1)
    assert link == reverse("workorders:workorder_detail", args=[order.number])

    client.post(reverse("notify:mark_all_read"))
    assert 'id="nav-unread"' not in client.get(reverse("web:home")).text


def test_the_repeat_complaint_badge_links_to_the_complaint_it_repeats(
    client, org, agent_a, now, monkeypatch
):
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], name="王小明")
    first = _complaint(agent_a, customer)
    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(days=3))
    second = _complaint(agent_a, customer)
    assert second.is_repeat

    client.force_login(agent_a)
    page = client.get(reverse("workorders:workorder_detail", args=[second.number])).text
    badge = re.search(r'<a class="badge badge-warn" id="wo-repeat-of" href="([^"]+)"', page)
    assert badge and badge.group(1) == reverse("workorders:workorder_detail", args=[first.number])


def test_a_batch_alert_links_to_its_complaints(client, org, agent_a, supervisor_a, now):
    slow = Category.objects.get(code="network-slow")
    orders = [
        _complaint(agent_a, make_customer(actor=agent_a, org_unit=org["county_a1"]), slow)
        for _ in range(5)
    ]
    message = Message.objects.get(
        template="complaint_batch_alert", channel="inbox", recipient=supervisor_a
    )
    for order in orders:
        assert order.number in message.body
    assert message.payload["orders"] == [o.number for o in orders]

    client.force_login(supervisor_a)
    inbox = client.get(reverse("notify:inbox")).text
    link = re.search(rf'href="([^"]+)" id="message-link-{message.pk}"', inbox).group(1)
    alerts = client.get(link.split("#")[0]).text
    alert_id = link.split("#")[1]
    row = alerts[alerts.index(f'id="{alert_id}"') :]
    row = row[: row.index("</tr>")]
    for order in orders:
        assert reverse("workorders:workorder_detail", args=[order.number]) in row
    assert WorkOrder.objects.count() == 5
