"""What customers are texted of a mass outage: a letter (no internal unit names, one 。 per
sentence, signed with the organisation's name), again when the restore time changes, and
once more when the service is back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.notify.models import Message
from kefu.outages import services
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create
from tests.factories import make_customer

SIGNATURE = "【测试省分公司】"  # the top unit of the test org tree


@pytest.fixture
def outage(org, supervisor_a, now):
    return services.outage_register(
        actor=supervisor_a,
        areas=[org["county_a1"]],
        title="A1县光缆中断",
        cause="市政施工挖断主干光缆。",  # as typed, with its full stop
        started_at=now - dt.timedelta(hours=1),
        expected_restore_at=now + dt.timedelta(hours=5),
    )


def _linked_fault(agent, types, outage, **extra):
    order = work_order_create(
        actor=agent,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="宽带无法上网",
        **extra,
    )
    services.outage_link_order(actor=agent, outage=outage, order=order)
    return order


def _texts(template: str) -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(template=template).order_by("id").values_list("address", "body")
    )


def test_the_outage_sms_reads_as_a_letter_to_the_customer(org, agent_a, customer_a1, types, outage):
    _linked_fault(agent_a, types, outage, customer=customer_a1)

    [(phone, body)] = _texts("outage_notice")
    assert phone == "13800138000"
    assert body == (
        "尊敬的客户：您所在区域因市政施工挖断主干光缆出现服务故障，我们正在全力抢修，"
        "预计 2025-06-03 14:00 前恢复。由此给您带来的不便，敬请谅解。" + SIGNATURE
    )
    assert "。。" not in body and "A1县" not in body and "县分公司" not in body


def test_the_organisation_name_setting_signs_the_sms(
    settings, org, agent_a, customer_a1, types, outage
):
    settings.KEFU_ORG_NAME = "某某电信"
    _linked_fault(agent_a, types, outage, customer=customer_a1)
    [(_, body)] = _texts("outage_notice")
    assert body.endswith("敬请谅解。【某某电信】")


def test_customers_told_are_told_again_when_the_restore_time_changes(
    org, agent_a, supervisor_a, customer_a1, types, outage, now
):
    _linked_fault(agent_a, types, outage, customer=customer_a1)
    _linked_fault(agent_a, types, outage, caller_phone="13911112222")
    _linked_fault(agent_a, types, outage)  # nobody to text
    later = now + dt.timedelta(hours=8)

    services.outage_update(
        actor=supervisor_a, outage=outage, changes={"expected_restore_at": later}
    )

    assert _texts("outage_eta_changed") == [
        (
            phone,
            "尊敬的客户：您所在区域的服务故障仍在抢修中，预计恢复时间调整为 "
            "2025-06-03 17:00。由此给您带来的不便，敬请谅解。" + SIGNATURE,
        )
        for phone in ("13800138000", "13911112222")
    ]
    # The same time again, or a change of the title only, is no news for the customer.
    services.outage_update(
        actor=supervisor_a, outage=outage, changes={"expected_restore_at": later}
    )
    services.outage_update(actor=supervisor_a, outage=outage, changes={"title": "光缆中断"})
    assert len(_texts("outage_eta_changed")) == 2


def test_customers_told_are_told_when_the_service_is_restored(
    org, agent_a, supervisor_a, customer_a1, types, outage, now
):
    _linked_fault(agent_a, types, outage, customer=customer_a1)
    other = make_customer(actor=agent_a, org_unit=org["county_a1"], phone="13722223333")
    _linked_fault(agent_a, types, outage, customer=other)

    services.outage_restore(
        actor=supervisor_a,
        outage=outage,
        resolution="光缆熔接完成，A1县分公司已验收",
        restored_at=now - dt.timedelta(minutes=10),
    )

    texts = _texts("outage_restored_customer")
    assert [phone for phone, _ in texts] == ["13800138000", "13722223333"]
    assert texts[0][1] == (
        "尊敬的客户：您所在区域的服务故障已于 2025-06-03 08:50 恢复。"
        "如仍有问题请联系我们，感谢您的耐心等待。" + SIGNATURE
    )
    assert "分公司已验收" not in texts[0][1]  # the internal restore note stays inside


# --- finding the fault reports an outage explains -------------------------------------------


def test_the_candidate_list_finds_every_open_fault_report_in_the_areas(
    org, agent_a, supervisor_a, customer_a1, types, now, monkeypatch
):
    from kefu.outages.selectors import outage_candidate_orders

    # Customers called before the field side registered the outage (and before the start
    # it recorded): their reports are what the outage explains.
    early = work_order_create(
        actor=agent_a,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="宽带无法上网",
        customer=customer_a1,
    )
    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(hours=2))
    outage = services.outage_register(
        actor=supervisor_a,
        areas=[org["county_a1"]],
        title="A1县光缆中断",
        cause="光缆中断",
        started_at=now + dt.timedelta(hours=1),
        expected_restore_at=now + dt.timedelta(hours=6),
    )
    late = work_order_create(
        actor=agent_a,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="没有网络",
        area_unit=org["team_a1"],
    )
    work_order_create(  # another county: not a candidate
        actor=supervisor_a,
        order_type=types["fault"],
        channel=Channel.HOTLINE,
        title="断网",
        area_unit=org["county_a2"],
    )

    assert outage_candidate_orders(outage, viewer=supervisor_a) == [early, late]


def test_a_new_fault_report_from_an_affected_area_is_suggested_for_linking_at_intake(
    client, org, agent_a, customer_a1, types, outage
):
    client.force_login(agent_a)
    response = client.post(
        "/workbench/",
        {
            "caller": "13800138000",
            "customer": str(customer_a1.pk),
            "order_type": str(types["fault"].pk),
            "source": "direct",
            "channel": "hotline",
            "title": "宽带无法上网",
        },
        follow=True,
    )
    assert outage.title in response.text
    assert "2025-06-03 14:00" in response.text
    messages = [str(m) for m in response.context["messages"]]
    assert any(outage.title in m for m in messages)

    # A consultation is not a fault report: nothing suggested.
    response = client.post(
        "/workbench/",
        {
            "caller": "13800138000",
            "customer": str(customer_a1.pk),
            "order_type": str(types["consultation"].pk),
            "source": "direct",
            "channel": "hotline",
            "title": "资费咨询",
        },
        follow=True,
    )
    assert not any(outage.title in str(m) for m in response.context["messages"])
