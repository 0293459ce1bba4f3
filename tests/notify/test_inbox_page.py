"""我的通知: the signed-in user's inbox page and mark-all-read."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from kefu.notify import selectors, services

ORDER = {"number": "GD20250106001", "title": "宽带无法上网"}


def _notify(user, template="wo_urged", **context):
    return services.notify(template=template, context={"order": ORDER, **context}, users=[user])


def test_the_page_needs_sign_in(client, db):
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_inbox_lists_own_messages_newest_first_with_unread_highlighted(client, agent_a, agent_b):
    [old] = _notify(agent_a, "wo_assigned", actor_name="王派单")
    [new] = _notify(agent_a, "sla_warning")
    services.mark_read(user=agent_a, message_ids=[old.pk])
    _notify(agent_b, "wo_supervised")  # someone else's
    client.force_login(agent_a)

    page = client.get(reverse("notify:inbox"))
    assert page.status_code == 200
    html = page.text
    assert "即将超时：GD20250106001 宽带无法上网" in html
    assert "王派单将工单 GD20250106001 派给你处理。" in html
    assert "督办" not in html
    assert html.index(f'id="message-{new.pk}"') < html.index(f'id="message-{old.pk}"')
    unread = re.findall(r'class="[^"]*is-unread[^"]*" id="message-(\d+)"', html)
    assert unread == [str(new.pk)]
    assert 'id="mark-all-read"' in html


def test_mark_all_read_needs_the_csrf_token_and_spares_newer_messages(agent_a):
    [shown] = _notify(agent_a)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_a)
    page = browser.get(reverse("notify:inbox"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    up_to = re.search(r'name="up_to" value="(\d+)"', page.text).group(1)
    assert up_to == str(shown.pk)
    [arrived_meanwhile] = _notify(agent_a, "sla_breached")

    forged = browser.post(reverse("notify:mark_all_read"), {"up_to": up_to})
    assert forged.status_code == 403
    assert selectors.unread_count(agent_a) == 2

    response = browser.post(
        reverse("notify:mark_all_read"), {"up_to": up_to, "csrfmiddlewaretoken": token}, follow=True
    )
    assert response.status_code == 200
    assert selectors.unread_count(agent_a) == 1
    unread = re.findall(r'class="[^"]*is-unread[^"]*" id="message-(\d+)"', response.text)
    assert unread == [str(arrived_meanwhile.pk)]


def test_an_empty_inbox(client, agent_a):
    client.force_login(agent_a)
    page = client.get(reverse("notify:inbox"))
    assert 'id="inbox-empty"' in page.text
    assert 'id="mark-all-read"' not in page.text
