"""Complaint intelligence at intake: repeat, escalated, batch alerts (with notification);
a supervisor acknowledging an alert."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.complaints import services
from kefu.complaints.models import ComplaintBatchAlert, ComplaintSettings
from kefu.complaints.selectors import complaint_alert_list, county_of
from kefu.core.errors import NotFound, ValidationFailed
from kefu.notify.models import Message
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, ComplaintSource, WorkOrder
from kefu.workorders.services import work_order_create
from tests.factories import complaint_verdict, make_customer


def _complaint(agent, types, *, customer=None, category=None, **extra):
    return work_order_create(
        actor=agent,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="宽带经常掉线",
        customer=customer,
        category=category,
        **extra,
    )


def _backdate(order, **delta):
    WorkOrder.objects.filter(pk=order.pk).update(created_at=order.created_at - timedelta(**delta))


def _refresh(order):
    order.refresh_from_db()
    return order


# --- repeat complaints ---------------------------------------------------------------------


def test_second_complaint_in_the_same_category_within_30_days_is_a_repeat(
    agent_a, customer_a1, types, categories
):
    first = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    _backdate(first, days=29)
    second = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    assert second.is_repeat and _refresh(second).is_repeat
    assert not _refresh(first).is_repeat
    create = second.events.get(action="create")
    assert create.data["repeat_of"] == first.number


def test_a_complaint_older_than_the_window_does_not_make_a_repeat(
    agent_a, customer_a1, types, categories
):
    first = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    _backdate(first, days=31)
    second = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    assert not _refresh(second).is_repeat


def test_the_window_is_configurable(agent_a, customer_a1, types, categories):
    ComplaintSettings.objects.create(repeat_window_days=60)
    first = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    _backdate(first, days=45)
    second = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    assert _refresh(second).is_repeat


def test_another_category_is_not_a_repeat_but_no_category_matches_any(
    agent_a, customer_a1, types, categories
):
    _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    billing = _complaint(
        agent_a, types, customer=customer_a1, category=categories["billing-overcharge"]
    )
    assert not _refresh(billing).is_repeat
    unclassified = _complaint(agent_a, types, customer=customer_a1)
    assert _refresh(unclassified).is_repeat


def test_another_customers_complaint_is_not_a_repeat(org, agent_a, customer_a1, types, categories):
    neighbour = make_customer(actor=agent_a, org_unit=org["county_a1"], name="李四")
    _complaint(agent_a, types, customer=neighbour, category=categories["network-down"])
    mine = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    assert not _refresh(mine).is_repeat


def test_a_cancelled_earlier_complaint_does_not_count(agent_a, customer_a1, types, categories):
    first = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    work_order_act(actor=agent_a, order=first, action="cancel", data={"reason": "误录"})
    second = _complaint(agent_a, types, customer=customer_a1, category=categories["network-down"])
    assert not _refresh(second).is_repeat


def test_a_caller_not_in_the_archive_is_recognised_by_the_calling_number(agent_a, types):
    _complaint(agent_a, types, caller_phone="13912345678")
    again = _complaint(agent_a, types, caller_phone="13912345678")
    other = _complaint(agent_a, types, caller_phone="13900000000")
    assert _refresh(again).is_repeat and not _refresh(other).is_repeat


def test_a_fault_report_is_never_a_repeat_complaint(agent_a, customer_a1, types):
    for _ in range(2):
        order = work_order_create(
            actor=agent_a,
            order_type=types["fault"],
            channel=Channel.HOTLINE,
            title="无法上网",
            customer=customer_a1,
        )
    assert not _refresh(order).is_repeat


# --- escalated complaints ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        ComplaintSource.GROUP,
        ComplaintSource.PROVINCE,
        ComplaintSource.MIIT,
        ComplaintSource.CONSUMER_COUNCIL,
        ComplaintSource.HOTLINE_12315,
        ComplaintSource.OTHER_REGULATOR,
    ],
)
def test_a_complaint_from_a_higher_level_or_a_regulator_is_escalated(
    agent_a, customer_a1, types, source
):
    assert _refresh(_complaint(agent_a, types, customer=customer_a1, source=source)).is_escalated


def test_a_direct_complaint_and_a_consultation_from_miit_are_not_escalated(
    agent_a, customer_a1, types
):
    assert not _complaint(agent_a, types, customer=customer_a1).is_escalated
    consultation = work_order_create(
        actor=agent_a,
        order_type=types["consultation"],
        channel=Channel.HOTLINE,
        title="咨询资费",
        customer=customer_a1,
        source=ComplaintSource.MIIT,
    )
    assert not consultation.is_escalated


def test_difficult_flag_and_first_contact_resolution_are_recorded(agent_a, customer_a1, types):
    order = _complaint(
        agent_a,
        types,
        customer=customer_a1,
        is_difficult=True,
        resolve_at_intake="当场解释清楚",
        resolve_details=complaint_verdict(),
    )
    order = _refresh(order)
    assert order.is_difficult and order.first_contact_resolution and order.status == "replied"


# --- batch alerts --------------------------------------------------------------------------


def _alert_messages():
    return Message.objects.filter(template="complaint_batch_alert", channel="inbox")


def test_the_fifth_complaint_of_a_category_in_a_county_raises_one_alert_and_notifies(
    org, make_user, agent_a, supervisor_a, customers_a1, types, categories
):
    supervisor_b = make_user("sup_b", org["pref_b"], "supervisor")
    county_sup = make_user("sup_a1", org["county_a1"], "supervisor")
    slow = categories["network-slow"]
    for customer in customers_a1[:4]:
        _complaint(agent_a, types, customer=customer, category=slow)
    assert not ComplaintBatchAlert.objects.exists() and not _alert_messages().exists()

    _complaint(agent_a, types, customer=customers_a1[4], category=slow)
    alert = ComplaintBatchAlert.objects.get()
    assert (alert.area, alert.category, alert.count, alert.threshold) == (
        org["county_a1"],
        slow,
        5,
        5,
    )
    recipients = set(_alert_messages().values_list("recipient__username", flat=True))
    assert recipients == {supervisor_a.username, county_sup.username}
    assert supervisor_b.username not in recipients
    message = _alert_messages().filter(recipient=supervisor_a).get()
    assert "5" in message.subject and "流程穿越" in message.body and "A1县分公司" in message.body

    # The batch goes on: counted into the same alert, nobody is paged again.
    _complaint(agent_a, types, customer=customers_a1[5], category=slow)
    alert.refresh_from_db()
    assert ComplaintBatchAlert.objects.count() == 1 and alert.count == 6
    assert _alert_messages().count() == 2
    assert list(complaint_alert_list(viewer=supervisor_a)) == [alert]
    assert list(complaint_alert_list(viewer=supervisor_b)) == []


def test_batches_are_counted_per_county_and_category(
    org, agent_a, make_user, customers_a1, types, categories
):
    agent_a2 = make_user("agent_a2", org["county_a2"], "agent")
    slow, down = categories["network-slow"], categories["network-down"]
    team_customer = make_customer(actor=agent_a, org_unit=org["team_a1"], name="班组客户")
    for customer in customers_a1[:2]:
        _complaint(agent_a, types, customer=customer, category=slow)
    _complaint(agent_a, types, customer=team_customer, category=slow)  # in A1's subtree
    _complaint(agent_a, types, customer=customers_a1[2], category=down)  # other category
    for i in range(3):
        a2 = make_customer(actor=agent_a2, org_unit=org["county_a2"], name=f"A2客户{i}")
        _complaint(agent_a2, types, customer=a2, category=slow)  # other county
    assert not ComplaintBatchAlert.objects.exists()
    _complaint(agent_a, types, customer=customers_a1[3], category=slow)
    _complaint(agent_a, types, customer=customers_a1[4], category=slow)
    alert = ComplaintBatchAlert.objects.get()
    assert alert.area == org["county_a1"] and alert.count == 5
    assert county_of(org["team_a1"]) == org["county_a1"]
    assert county_of(org["pref_a"]) == org["pref_a"]


def test_complaints_older_than_the_window_do_not_count_and_a_new_batch_alerts_again(
    agent_a, supervisor_a, customers_a1, types, categories
):
    ComplaintSettings.objects.create(batch_threshold=3, batch_window_hours=24)
    slow = categories["network-slow"]
    old = [_complaint(agent_a, types, customer=c, category=slow) for c in customers_a1[:2]]
    for order in old:
        _backdate(order, hours=25)
    _complaint(agent_a, types, customer=customers_a1[2], category=slow)
    assert not ComplaintBatchAlert.objects.exists()
    _complaint(agent_a, types, customer=customers_a1[3], category=slow)
    _complaint(agent_a, types, customer=customers_a1[4], category=slow)
    first = ComplaintBatchAlert.objects.get()
    assert first.count == 3

    # A day later the batch is still going: a fresh alert, once.
    for order in WorkOrder.objects.all():
        _backdate(order, hours=25)
    earlier_end = first.window_end - timedelta(hours=25)
    ComplaintBatchAlert.objects.filter(pk=first.pk).update(
        window_start=first.window_start - timedelta(hours=25),
        window_end=earlier_end,
        bucket=int(earlier_end.timestamp() // 86400),
    )
    for customer in (customers_a1[5], customers_a1[6], customers_a1[0]):
        _complaint(agent_a, types, customer=customer, category=slow)
    second = ComplaintBatchAlert.objects.exclude(pk=first.pk).get()
    assert second.count == 3 and second.window_start > earlier_end
    assert sorted(_alert_messages().values_list("payload__alert", flat=True)) == [
        first.pk,
        second.pk,
    ]


def test_a_complaint_without_a_category_raises_no_alert(agent_a, customers_a1, types):
    for customer in customers_a1[:6]:
        _complaint(agent_a, types, customer=customer)
    assert not ComplaintBatchAlert.objects.exists()


# --- acknowledging an alert ----------------------------------------------------------------


def test_a_supervisor_acknowledges_a_batch_alert_with_the_walkthrough_note(
    org, make_user, agent_a, supervisor_a, alert_a1
):
    supervisor_b = make_user("sup_b", org["pref_b"], "supervisor")
    with pytest.raises(NotFound):
        services.complaint_alert_acknowledge(actor=supervisor_b, alert=alert_a1, note="")
    with pytest.raises(NotFound):
        services.complaint_alert_acknowledge(actor=agent_a, alert=alert_a1, note="")
    alert = services.complaint_alert_acknowledge(
        actor=supervisor_a, alert=alert_a1, note="已安排流程穿越：A1县装维班组"
    )
    assert alert.acknowledged_by == supervisor_a and alert.acknowledged_at is not None
    assert alert.walkthrough_note.startswith("已安排流程穿越")
    assert not complaint_alert_list(viewer=supervisor_a, filters={"open": "1"}).exists()


def test_a_second_acknowledgement_keeps_the_first_and_updates_the_note(
    org, make_user, supervisor_a, alert_a1
):
    first = services.complaint_alert_acknowledge(actor=supervisor_a, alert=alert_a1, note="初查")
    province = make_user("prov_admin", org["province"], "supervisor")
    again = services.complaint_alert_acknowledge(actor=province, alert=alert_a1, note="复查完毕")
    assert again.acknowledged_by == supervisor_a and again.acknowledged_at == first.acknowledged_at
    assert again.walkthrough_note == "复查完毕"


def test_an_overlong_walkthrough_note_is_refused_naming_the_field(supervisor_a, alert_a1):
    with pytest.raises(ValidationFailed) as info:
        services.complaint_alert_acknowledge(
            actor=supervisor_a, alert=alert_a1, note="长" * (services.NOTE_MAX + 1)
        )
    assert "note" in info.value.extra["errors"]
    alert_a1.refresh_from_db()
    assert alert_a1.acknowledged_at is None
