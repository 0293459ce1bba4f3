"""The batch-alert page: a supervisor sees the alerts of their scope and acknowledges one."""

from __future__ import annotations

from django.urls import reverse


def test_a_supervisor_acknowledges_a_batch_alert_on_the_page(
    client, agent_a, supervisor_a, alert_a1
):
    client.force_login(agent_a)
    assert client.get(reverse("complaints:alert_list")).status_code == 403
    client.force_login(supervisor_a)
    page = client.get(reverse("complaints:alert_list"), {"open": "1"})
    assert f"ack-{alert_a1.pk}" in page.text and "网速慢" in page.text
    client.post(reverse("complaints:alert_acknowledge", args=[alert_a1.pk]), {"note": "已流程穿越"})
    alert_a1.refresh_from_db()
    assert alert_a1.acknowledged_by == supervisor_a and alert_a1.walkthrough_note == "已流程穿越"
    assert f"ack-{alert_a1.pk}" not in client.get(reverse("complaints:alert_list")).text


def test_the_page_lives_under_complaints_and_the_menu_leads_there(client, supervisor_a):
    client.force_login(supervisor_a)
    assert reverse("complaints:alert_list") == "/complaints/alerts/"
    home = client.get(reverse("web:home")).text
    assert '<a href="/complaints/alerts/" id="nav-complaints-alert_list"' in home


def test_another_prefectures_supervisor_cannot_acknowledge(client, org, make_user, alert_a1):
    client.force_login(make_user("sup_b", org["pref_b"], "supervisor"))
    assert f"alert-{alert_a1.pk}" not in client.get(reverse("complaints:alert_list")).text
    response = client.post(reverse("complaints:alert_acknowledge", args=[alert_a1.pk]))
    assert response.status_code == 404
    alert_a1.refresh_from_db()
    assert alert_a1.acknowledged_at is None
