"""Mass outages through the services: register, link fault reports, restore, report, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.notify.models import Message
from kefu.outages import selectors, services
from kefu.outages.models import Outage, OutageStatus
from kefu.outages.services import OutageReportRequired, OutageStateInvalid
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderEvent
from kefu.workorders.services import work_order_create
from tests.factories import make_customer


@pytest.fixture(autouse=True)
def _english_messages():
    """Error messages below are matched by their English text (the msgids)."""
    with translation.override("en"):
        yield


def _register(actor, areas, **extra):
    now = timezone.now()
    values = {
        "title": "A1县光缆中断",
        "cause": "市政施工挖断主干光缆",
        "started_at": now - timedelta(hours=1),
        "expected_restore_at": now + timedelta(hours=5),
        **extra,
    }
    return services.outage_register(actor=actor, areas=areas, **values)


def _fault(agent, types, customer, **extra):
    values = {"title": "宽带无法上网", **extra}
    return work_order_create(
        actor=agent, order_type=types["fault"], channel=Channel.HOTLINE, customer=customer, **values
    )


@pytest.fixture
def outage_a1(org, supervisor_a, lines):
    return _register(supervisor_a, [org["county_a1"]], business_line=lines["broadband"])


# --- register --------------------------------------------------------------------------------


def test_a_supervisor_registers_an_outage_for_areas_in_their_scope(org, supervisor_a, lines):
    outage = _register(
        supervisor_a, [org["county_a1"], org["county_a2"]], business_line=lines["broadband"]
    )
    assert outage.status == OutageStatus.ACTIVE and outage.created_by == supervisor_a
    assert set(outage.areas.all()) == {org["county_a1"], org["county_a2"]}


def test_an_area_outside_the_scope_is_refused(org, supervisor_a):
    with pytest.raises(PermissionDenied) as info:
        _register(supervisor_a, [org["county_a1"], org["county_b1"]])
    assert "B1县分公司" in str(info.value.message)
    assert not Outage.objects.exists()


def test_an_agent_cannot_register_an_outage(org, agent_a):
    with pytest.raises(PermissionDenied):
        _register(agent_a, [org["county_a1"]])


def test_registration_needs_areas_and_a_restore_time_after_the_start(org, supervisor_a):
    with pytest.raises(ValidationFailed) as info:
        _register(supervisor_a, [])
    assert "areas" in info.value.extra["errors"]
    now = timezone.now()
    with pytest.raises(ValidationFailed) as info:
        _register(supervisor_a, [org["county_a1"]], started_at=now, expected_restore_at=now)
    assert "expected_restore_at" in info.value.extra["errors"]
    with pytest.raises(ValidationFailed) as info:
        _register(supervisor_a, [org["county_a1"]], cause=" ")
    assert "cause" in info.value.extra["errors"]


def test_the_eta_of_an_active_outage_can_be_corrected(outage_a1, supervisor_a):
    later = outage_a1.expected_restore_at + timedelta(hours=3)
    outage = services.outage_update(
        actor=supervisor_a, outage=outage_a1, changes={"expected_restore_at": later}
    )
    assert outage.expected_restore_at == later
    with pytest.raises(ValidationFailed):
        services.outage_update(actor=supervisor_a, outage=outage_a1, changes={"areas": []})


# --- who sees it -----------------------------------------------------------------------------


def test_an_active_outage_shows_for_units_in_its_subtree_only(org, outage_a1, supervisor_a):
    assert list(selectors.active_outages_for_unit(org["county_a1"])) == [outage_a1]
    assert list(selectors.active_outages_for_unit(org["team_a1"])) == [outage_a1]
    for name in ("county_a2", "pref_a", "province", "team_b1"):
        assert not selectors.active_outages_for_unit(org[name]).exists()
    services.outage_restore(actor=supervisor_a, outage=outage_a1, resolution="光缆熔接完成")
    assert not selectors.active_outages_for_unit(org["team_a1"]).exists()


def test_an_outage_of_one_business_line_shows_for_that_line(org, outage_a1, lines):
    unit = org["team_a1"]
    assert selectors.active_outages_for_unit(unit, business_line=lines["broadband"]).exists()
    assert not selectors.active_outages_for_unit(unit, business_line=lines["mobile"]).exists()


def test_outages_are_visible_where_their_areas_meet_the_viewers_scope(
    org, make_user, supervisor_a, agent_a, agent_b, outage_a1
):
    admin_b = make_user("sup_b", org["pref_b"], "supervisor")
    pref_wide = _register(supervisor_a, [org["pref_a"]], title="A市核心网故障")
    b1 = _register(admin_b, [org["county_b1"]], title="B1县停电")
    assert set(selectors.outages_visible(agent_a)) == {outage_a1, pref_wide}
    assert set(selectors.outages_visible(supervisor_a)) == {outage_a1, pref_wide}
    assert set(selectors.outages_visible(agent_b)) == {b1}
    technician = make_user("tech_a1", org["team_a1"], "field_technician")
    assert set(selectors.outages_visible(technician)) == {outage_a1, pref_wide}


# --- linking fault reports ----------------------------------------------------------------------


def test_a_fault_report_in_the_area_links_in_one_call_and_the_customer_is_told(
    org, agent_a, customer_a1, types, lines, outage_a1
):
    order = _fault(agent_a, types, customer_a1, business_line=lines["broadband"])
    assert list(selectors.outages_for_order(order)) == [outage_a1]
    link = services.outage_link_order(actor=agent_a, outage=outage_a1, order=order)
    assert link.work_order == order and link.linked_by == agent_a and link.customer_notified
    note = WorkOrderEvent.objects.filter(order=order, action="note").get()
    assert "市政施工挖断主干光缆" in note.note and note.actor == agent_a
    eta = timezone.localtime(outage_a1.expected_restore_at).strftime("%Y-%m-%d %H:%M")
    assert eta in note.note
    sms = Message.objects.get(template="outage_notice")
    assert sms.address == "13800138000"
    assert "市政施工挖断主干光缆" in sms.body and eta in sms.body
    assert list(selectors.outage_orders(outage_a1, viewer=agent_a)) == [order]
    # A second click changes nothing.
    assert services.outage_link_order(actor=agent_a, outage=outage_a1, order=order) == link
    assert Message.objects.filter(template="outage_notice").count() == 1


def test_the_caller_number_is_texted_for_an_order_without_a_customer(
    org, agent_a, types, outage_a1
):
    order = _fault(agent_a, types, None, caller_phone="13911112222")
    services.outage_link_order(actor=agent_a, outage=outage_a1, order=order)
    assert Message.objects.get(template="outage_notice").address == "13911112222"


def test_only_fault_reports_of_the_affected_area_and_line_link(
    org, agent_a, supervisor_a, make_user, customer_a1, types, lines, outage_a1
):
    complaint = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="断网投诉",
        customer=customer_a1,
    )
    with pytest.raises(ValidationFailed, match="fault report"):
        services.outage_link_order(actor=agent_a, outage=outage_a1, order=complaint)
    agent_a2 = make_user("agent_a2", org["county_a2"], "agent")
    elsewhere = make_customer(actor=agent_a2, org_unit=org["county_a2"], name="邻县客户")
    other_area = _fault(agent_a2, types, elsewhere)
    with pytest.raises(ValidationFailed, match="area"):
        services.outage_link_order(actor=supervisor_a, outage=outage_a1, order=other_area)
    mobile = _fault(agent_a, types, customer_a1, business_line=lines["mobile"])
    with pytest.raises(ValidationFailed, match="business line"):
        services.outage_link_order(actor=agent_a, outage=outage_a1, order=mobile)
    assert not selectors.outages_for_order(mobile).exists()
    assert not Message.objects.filter(template="outage_notice").exists()


def test_an_order_links_to_one_outage_only(org, agent_a, supervisor_a, customer_a1, types):
    first = _register(supervisor_a, [org["county_a1"]])
    second = _register(supervisor_a, [org["pref_a"]], title="A市核心网故障")
    order = _fault(agent_a, types, customer_a1)
    services.outage_link_order(actor=agent_a, outage=first, order=order)
    with pytest.raises(ValidationFailed, match="another outage"):
        services.outage_link_order(actor=agent_a, outage=second, order=order)


def test_an_order_outside_the_agents_scope_cannot_be_linked(
    org, agent_a, agent_b, customer_a1, types, outage_a1
):
    order = _fault(agent_a, types, customer_a1)
    with pytest.raises(NotFound):
        services.outage_link_order(actor=agent_b, outage=outage_a1, order=order)


def test_a_restored_outage_takes_no_more_links(
    org, agent_a, supervisor_a, customer_a1, types, outage_a1
):
    services.outage_restore(actor=supervisor_a, outage=outage_a1, resolution="已恢复")
    order = _fault(agent_a, types, customer_a1)
    with pytest.raises(OutageStateInvalid):
        services.outage_link_order(actor=agent_a, outage=outage_a1, order=order)


# --- restore -----------------------------------------------------------------------------------


@pytest.fixture
def linked_orders(org, agent_a, dispatcher_a, handlers_a1, customer_a1, types, outage_a1):
    """Fault reports of the outage in every open state, and one the handler already fixed."""
    team = org["team_a1"]
    hand = handlers_a1[0]

    def fault(title):
        order = _fault(agent_a, types, customer_a1, title=title)
        services.outage_link_order(actor=agent_a, outage=outage_a1, order=order)
        return order

    def dispatched(title):
        order = fault(title)
        return work_order_act(
            actor=dispatcher_a, order=order, action="dispatch", data={"unit": team, "handler": hand}
        )

    accepted = fault("未派单")
    sent = dispatched("已派单")
    working = work_order_act(actor=hand, order=dispatched("处理中"), action="accept")
    paused = work_order_act(
        actor=hand,
        order=work_order_act(actor=hand, order=dispatched("挂起"), action="accept"),
        action="suspend",
        data={"reason": "等待光缆熔接"},
    )
    returned = work_order_act(
        actor=hand, order=dispatched("退单"), action="return", data={"reason": "非本班组"}
    )
    done = work_order_act(
        actor=hand,
        order=work_order_act(actor=hand, order=dispatched("已修复"), action="accept"),
        action="resolve",
        data={"resolution": "更换光猫"},
    )
    states = [o.status for o in (accepted, sent, working, paused, returned, done)]
    assert states == ["accepted", "dispatched", "in_progress", "suspended", "returned", "resolved"]
    return {"open": [accepted, sent, working, paused, returned], "done": done}


def test_restore_resolves_every_linked_open_order_and_notes_the_callback(
    supervisor_a, outage_a1, linked_orders
):
    restored = services.outage_restore(
        actor=supervisor_a, outage=outage_a1, resolution="光缆熔接完成，业务恢复"
    )
    outage, resolved = restored.outage, restored.resolved
    open_ids = sorted(o.pk for o in linked_orders["open"])
    assert outage.status == OutageStatus.RESTORED and outage.restored_by == supervisor_a
    assert sorted(o.pk for o in resolved) == open_ids
    for order in WorkOrder.objects.filter(pk__in=open_ids):
        assert order.status == "resolved" and order.resolved_at is not None
        assert "光缆熔接完成" in order.resolution and "A1县光缆中断" in order.resolution
        last = list(order.events.order_by("-id")[:2])
        assert [e.action for e in last] == ["note", "resolve"]
        assert last[1].actor is None and "待回访" in last[0].note
    done = linked_orders["done"]
    done.refresh_from_db()
    assert done.resolution == "更换光猫" and not done.events.filter(actor__isnull=True).exists()


def test_a_large_restore_is_finished_by_the_task_queue_in_chunks(
    supervisor_a, outage_a1, linked_orders, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "RESTORE_INLINE", 2)
    monkeypatch.setattr(services, "RESTORE_CHUNK", 2)
    open_ids = sorted(o.pk for o in linked_orders["open"])
    with django_capture_on_commit_callbacks(execute=True):
        restored = services.outage_restore(
            actor=supervisor_a, outage=outage_a1, resolution="光缆熔接完成"
        )
        # The request answers at once: restored, nothing resolved yet, five queued.
        assert (restored.resolved, restored.queued) == ([], 5)
        assert restored.outage.status == OutageStatus.RESTORED
        assert WorkOrder.objects.filter(pk__in=open_ids, status="resolved").count() == 0
    for order in WorkOrder.objects.filter(pk__in=open_ids):
        assert order.status == "resolved" and "光缆熔接完成" in order.resolution
        assert "待回访" in order.events.order_by("-id").first().note
    # Run again (a retried task): nothing left to do, nothing done twice.
    assert services.outage_resolve_linked(outage=restored.outage) == 0
    assert WorkOrderEvent.objects.filter(order_id__in=open_ids, action="resolve").count() == 5


def test_restore_time_must_lie_between_start_and_now(supervisor_a, outage_a1):
    with pytest.raises(ValidationFailed):
        services.outage_restore(
            actor=supervisor_a,
            outage=outage_a1,
            resolution="已恢复",
            restored_at=outage_a1.started_at - timedelta(minutes=1),
        )
    services.outage_restore(actor=supervisor_a, outage=outage_a1, resolution="已恢复")
    with pytest.raises(OutageStateInvalid):
        services.outage_restore(actor=supervisor_a, outage=outage_a1, resolution="再次恢复")


def test_restore_needs_the_change_permission_and_scope(
    org, agent_a, make_user, outage_a1, supervisor_a
):
    with pytest.raises(PermissionDenied):
        services.outage_restore(actor=agent_a, outage=outage_a1, resolution="已恢复")
    supervisor_b = make_user("sup_b", org["pref_b"], "supervisor")
    with pytest.raises(PermissionDenied):
        services.outage_restore(actor=supervisor_b, outage=outage_a1, resolution="已恢复")


# --- major outage report -------------------------------------------------------------------------


def _report(actor, outage):
    return services.outage_report_submit(
        actor=actor,
        outage=outage,
        cause="施工单位未报备即开挖",
        lessons="主干光缆无路由保护",
        improvements="与市政建立施工报备机制",
        prevention="关键光缆双路由改造",
    )


def test_a_major_outage_needs_its_fault_analysis_report_before_closing(org, supervisor_a):
    outage = _register(supervisor_a, [org["county_a1"]], is_major=True)
    with pytest.raises(OutageStateInvalid):
        _report(supervisor_a, outage)  # the report follows the restore
    outage = services.outage_restore(actor=supervisor_a, outage=outage, resolution="已恢复").outage
    assert outage.report_required
    assert list(selectors.outages_report_pending(viewer=supervisor_a)) == [outage]
    assert not selectors.outages_report_overdue(viewer=supervisor_a).exists()
    later = timezone.now() + timedelta(days=4)
    assert list(selectors.outages_report_overdue(viewer=supervisor_a, now=later)) == [outage]
    with pytest.raises(OutageReportRequired):
        services.outage_close(actor=supervisor_a, outage=outage)
    with pytest.raises(ValidationFailed) as info:
        services.outage_report_submit(
            actor=supervisor_a,
            outage=outage,
            cause="x",
            lessons="",
            improvements="y",
            prevention="z",
        )
    assert "lessons" in info.value.extra["errors"]

    outage = _report(supervisor_a, outage)
    assert not outage.report_required and outage.report_submitted_by == supervisor_a
    assert not selectors.outages_report_pending(viewer=supervisor_a).exists()
    outage = services.outage_close(actor=supervisor_a, outage=outage)
    assert outage.status == OutageStatus.CLOSED and outage.closed_by == supervisor_a


def test_an_ordinary_outage_closes_without_a_report(supervisor_a, outage_a1):
    with pytest.raises(OutageStateInvalid):
        services.outage_close(actor=supervisor_a, outage=outage_a1)
    outage = services.outage_restore(
        actor=supervisor_a, outage=outage_a1, resolution="已恢复"
    ).outage
    assert not outage.report_required
    assert services.outage_close(actor=supervisor_a, outage=outage).status == "closed"


def test_another_agent_taking_the_second_call_may_link_the_order(
    org, make_user, agent_a, customer_a1, types, outage_a1
):
    colleague = make_user("agent_a1b", org["county_a1"], "agent")
    order = _fault(agent_a, types, customer_a1)
    link = services.outage_link_order(actor=colleague, outage=outage_a1, order=order)
    assert link.linked_by == colleague
