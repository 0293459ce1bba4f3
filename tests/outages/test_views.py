"""The outage pages: register, see, link in one click, restore, report, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kefu.outages import services
from kefu.outages.models import Outage, OutageStatus
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def outage_a1(org, supervisor_a):
    now = timezone.now()
    return services.outage_register(
        actor=supervisor_a,
        title="A1县光缆中断",
        cause="市政施工挖断主干光缆",
        areas=[org["county_a1"]],
        started_at=now - timedelta(hours=1),
        expected_restore_at=now + timedelta(hours=4),
    )


@pytest.fixture
def fault_a1(agent_a, customer_a1, types):
    return work_order_create(
        actor=agent_a,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="宽带无法上网",
        customer=customer_a1,
    )


def test_a_supervisor_registers_an_outage_on_the_form(client, org, supervisor_a, lines):
    client.force_login(supervisor_a)
    page = client.get(reverse("outages:outage_create"))
    assert page.status_code == 200
    assert "A1县分公司" in page.text and "B1县分公司" not in page.text  # areas from the scope
    eta = timezone.now() + timedelta(hours=6)
    response = client.post(
        reverse("outages:outage_create"),
        {
            "title": "A市核心网故障",
            "cause": "核心路由器板卡故障",
            "areas": [str(org["county_a1"].pk), str(org["county_a2"].pk)],
            "business_line": "broadband",
            "expected_restore_at": _local(eta),
        },
    )
    outage = Outage.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("outages:outage_detail", args=[outage.pk])
    assert outage.business_line == lines["broadband"] and outage.areas.count() == 2
    detail = client.get(response.url)
    assert "核心路由器板卡故障" in detail.text and "A2县分公司" in detail.text


def test_a_bad_registration_is_shown_at_the_field(client, org, supervisor_a):
    client.force_login(supervisor_a)
    now = timezone.now()
    response = client.post(
        reverse("outages:outage_create"),
        {
            "title": "停电",
            "cause": "变电站检修",
            "areas": [str(org["county_a1"].pk)],
            "started_at": _local(now),
            "expected_restore_at": _local(now - timedelta(hours=1)),
        },
    )
    assert response.status_code == 400 and not Outage.objects.exists()
    assert response.context["form"].errors["expected_restore_at"]
    assert "has-error" in response.text


def test_an_agent_sees_the_outage_but_cannot_register_or_restore(client, agent_a, outage_a1):
    client.force_login(agent_a)
    listing = client.get(reverse("outages:outage_list"))
    assert listing.status_code == 200 and "A1县光缆中断" in listing.text
    assert reverse("outages:outage_create") not in listing.text
    assert client.get(reverse("outages:outage_create")).status_code == 403
    detail = client.get(reverse("outages:outage_detail", args=[outage_a1.pk]))
    assert detail.status_code == 200 and "outage-restore-form" not in detail.text
    restore = client.post(
        reverse("outages:outage_restore", args=[outage_a1.pk]), {"restore-resolution": "x"}
    )
    assert restore.status_code == 403


def test_an_outage_of_another_prefecture_is_not_found(client, agent_b, outage_a1):
    client.force_login(agent_b)
    assert client.get(reverse("outages:outage_detail", args=[outage_a1.pk])).status_code == 404
    assert "A1县光缆中断" not in client.get(reverse("outages:outage_list")).text


def test_one_click_from_the_order_links_it_and_returns_to_the_order(
    client, agent_a, outage_a1, fault_a1
):
    client.force_login(agent_a)
    fragment = client.get(reverse("outages:active_for_unit"), {"order": fault_a1.number})
    assert f"link-to-outage-{outage_a1.pk}" in fragment.text
    back = reverse("workorders:workorder_detail", args=[fault_a1.number])
    response = client.post(
        reverse("outages:outage_link", args=[outage_a1.pk]),
        {"link-order": fault_a1.number, "next": back},
    )
    assert response.status_code == 302 and response.url == back
    assert fault_a1.events.filter(action="note", note__contains="市政施工挖断主干光缆").exists()
    fragment = client.get(reverse("outages:active_for_unit"), {"order": fault_a1.number})
    assert "outage-linked" in fragment.text and "link-to-outage-" not in fragment.text


def test_the_outage_page_offers_open_fault_reports_of_the_area(
    client, supervisor_a, outage_a1, fault_a1
):
    client.force_login(supervisor_a)
    detail = client.get(reverse("outages:outage_detail", args=[outage_a1.pk]))
    assert f"candidate-{fault_a1.pk}" in detail.text
    client.post(
        reverse("outages:outage_link", args=[outage_a1.pk]), {"link-order": fault_a1.number}
    )
    detail = client.get(reverse("outages:outage_detail", args=[outage_a1.pk]))
    assert f"linked-{fault_a1.pk}" in detail.text and f"candidate-{fault_a1.pk}" not in detail.text


def test_linking_a_wrong_number_says_so(client, agent_a, outage_a1):
    client.force_login(agent_a)
    response = client.post(
        reverse("outages:outage_link", args=[outage_a1.pk]), {"link-order": "20990101"}
    )
    assert response.status_code == 400 and "outage-link-form" in response.text


def test_restore_report_and_close_a_major_outage_on_the_page(
    client, org, supervisor_a, agent_a, fault_a1
):
    outage = services.outage_register(
        actor=supervisor_a,
        title="A1县暴雨断网",
        cause="暴雨导致机房进水",
        areas=[org["county_a1"]],
        expected_restore_at=timezone.now() + timedelta(hours=8),
        is_major=True,
    )
    services.outage_link_order(actor=agent_a, outage=outage, order=fault_a1)
    client.force_login(supervisor_a)
    url = reverse("outages:outage_detail", args=[outage.pk])
    response = client.post(
        reverse("outages:outage_restore", args=[outage.pk]),
        {"restore-resolution": "机房排水，设备更换完毕"},
    )
    assert response.status_code == 302
    fault_a1.refresh_from_db()
    assert fault_a1.status == "resolved"
    page = client.get(url)
    assert "outage-report-form" in page.text and "outage-report-due" in page.text
    client.post(reverse("outages:outage_close", args=[outage.pk]))
    outage.refresh_from_db()
    assert outage.status == OutageStatus.RESTORED  # refused: the report comes first
    client.post(
        reverse("outages:outage_report", args=[outage.pk]),
        {
            "report-cause": "机房位于低洼处",
            "report-lessons": "防汛预案未覆盖该机房",
            "report-improvements": "加装挡水板和水浸告警",
            "report-prevention": "汛期前专项巡检",
        },
    )
    client.post(reverse("outages:outage_close", args=[outage.pk]))
    outage.refresh_from_db()
    assert outage.status == OutageStatus.CLOSED and outage.report_prevention == "汛期前专项巡检"


def test_a_restore_left_to_the_task_queue_says_so_on_the_page(
    client,
    supervisor_a,
    agent_a,
    outage_a1,
    fault_a1,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(services, "RESTORE_INLINE", 0)
    services.outage_link_order(actor=agent_a, outage=outage_a1, order=fault_a1)
    client.force_login(supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("outages:outage_restore", args=[outage_a1.pk]),
            {"restore-resolution": "光缆熔接完成"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert "1 张关联工单正在后台批量处理" in response.text
    fault_a1.refresh_from_db()
    assert fault_a1.status == "resolved"  # the task ran once the restore committed


def test_the_eta_can_be_corrected_on_the_page(client, supervisor_a, outage_a1):
    client.force_login(supervisor_a)
    later = outage_a1.expected_restore_at + timedelta(hours=2)
    response = client.post(
        reverse("outages:outage_edit", args=[outage_a1.pk]),
        {"edit-cause": "光缆中断，熔接中", "edit-expected_restore_at": _local(later)},
    )
    assert response.status_code == 302
    outage_a1.refresh_from_db()
    assert outage_a1.cause == "光缆中断，熔接中"
    assert _local(outage_a1.expected_restore_at) == _local(later)


def test_the_active_outages_fragment_shows_no_other_countys_outage(
    client, org, agent_a, agent_b, outage_a1
):
    """The same answer as the API's list: agent B asking for county A1 sees nothing."""
    client.force_login(agent_b)
    fragment = client.get(reverse("outages:active_for_unit"), {"unit": org["county_a1"].pk})
    assert fragment.status_code == 200 and f"active-outage-{outage_a1.pk}" not in fragment.text
    api = client.get("/api/v1/outages/", {"unit": org["county_a1"].pk, "status": "active"})
    assert api.json()["results"] == []
    client.force_login(agent_a)
    fragment = client.get(reverse("outages:active_for_unit"), {"unit": org["county_a1"].pk})
    assert f"active-outage-{outage_a1.pk}" in fragment.text
    assert client.get(reverse("outages:active_for_unit"), {"unit": "²"}).status_code == 200
