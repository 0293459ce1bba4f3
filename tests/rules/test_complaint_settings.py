"""投诉研判参数: the repeat window and batch-alert numbers, edited on their page and through
the API by an administrator, audited, and applied to the next complaint taken in."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.complaints.models import ComplaintSettings
from kefu.rules.models import RuleChange
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create
from tests.factories import PASSWORD

URL = "/api/v1/complaint-settings/"
PAGE = "/rules/complaints/"

pytestmark = pytest.mark.usefixtures("clock")


def _complaint(agent, customer, types, categories):
    return work_order_create(
        actor=agent,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="网速慢",
        customer=customer,
        category=next(c for c in categories.values() if c.kind == "problem"),
    )


def _page_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_administrator_turns_repeat_complaints_off_and_the_next_complaint_is_not_one(
    admin_user, agent_a, customer_a1, types, categories
):
    assert _complaint(agent_a, customer_a1, types, categories).is_repeat is False
    assert _complaint(agent_a, customer_a1, types, categories).is_repeat is True  # 30 days
    client = _page_client(admin_user)
    page = client.get(PAGE)
    assert page.status_code == 200 and "重复投诉" in page.text
    saved = client.post(
        PAGE, {"repeat_window_days": 0, "batch_threshold": 8, "batch_window_hours": 12}
    )
    assert saved.status_code == 302
    settings = ComplaintSettings.current()
    assert (settings.repeat_window_days, settings.batch_threshold) == (0, 8)
    assert _complaint(agent_a, customer_a1, types, categories).is_repeat is False
    [change] = RuleChange.objects.filter(content_type__model="complaintsettings")
    assert change.actor == admin_user
    assert (change.before["repeat_window_days"], change.after["repeat_window_days"]) == (30, 0)
    assert 'id="object-changes"' in client.get(PAGE).text  # the page shows its history


def test_a_bad_value_is_refused_at_its_field_and_nothing_changes(admin_user):
    client = _page_client(admin_user)
    page = client.post(
        PAGE, {"repeat_window_days": -1, "batch_threshold": "五", "batch_window_hours": 24}
    )
    assert page.status_code == 400
    for name in ("id_repeat_window_days", "id_batch_threshold"):
        assert 'class="field-error"' in page.text.split(f'id="{name}"')[1].split("</div>")[0]
    assert ComplaintSettings.objects.count() == 0 and not RuleChange.objects.exists()


def test_the_api_reads_and_changes_them_and_names_a_bad_field(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get(URL).json() == {
        "repeat_window_days": 30,
        "batch_threshold": 5,
        "batch_window_hours": 24,
    }
    bad = client.patch(URL, {"batch_threshold": -3, "batch_window_hours": 0}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["errors"]) == {"batch_threshold", "batch_window_hours"}
    ok = client.patch(URL, {"batch_window_hours": 48}, format="json")
    assert ok.status_code == 200 and ok.json()["batch_window_hours"] == 48
    assert ComplaintSettings.current().batch_window_hours == 48
    assert RuleChange.objects.filter(content_type__model="complaintsettings").count() == 1


def test_a_supervisor_may_not_change_them(client_for, supervisor_a):
    assert (
        client_for(supervisor_a).patch(URL, {"batch_threshold": 1}, format="json").status_code
        == 403
    )
    assert _page_client(supervisor_a).get(PAGE).status_code == 403
    assert ComplaintSettings.objects.count() == 0
