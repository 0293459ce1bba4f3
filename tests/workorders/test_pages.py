"""Work-order pages: the workbench (caller → customer → order in three requests), the
queues inside the data scope, the order page with exactly the allowed actions, stale forms
refused with a conflict, and bulk dispatch that reports each failure."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from kefu.workorders import selectors
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderEvent
from kefu.workorders.services import work_order_create
from kefu.workorders.views import CONFLICT_MESSAGE
from tests.factories import complaint_verdict, make_customer

HTMX = {"HX-Request": "true"}
PHONE = "13800138000"
WORKBENCH = "/workbench/"


@pytest.fixture
def theirs(org, agent_b):
    """Same phone, other prefecture: agent A must never see this customer."""
    return make_customer(actor=agent_b, org_unit=org["county_b1"], name="王大明", phone=PHONE)


def _order(actor, customer, types, *, code="complaint", title="宽带经常掉线", **extra):
    return work_order_create(
        actor=actor,
        order_type=types[code],
        channel=Channel.HOTLINE,
        title=title,
        customer=customer,
        **extra,
    )


def _detail(order) -> str:
    return reverse("workorders:workorder_detail", args=[order.number])


def _act(order, action) -> str:
    return reverse("workorders:workorder_act", args=[order.number, action])


def _action_ids(html: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z_]+)"', html))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- workbench ---------------------------------------------------------------------------


def test_workbench_lookup_shows_only_customers_in_scope(client, agent_a, customer_a1, theirs):
    client.force_login(agent_a)
    response = client.get(WORKBENCH, {"caller": "138 0013 8000"})
    assert response.status_code == 200
    assert f'id="wb-customer-{customer_a1.pk}"' in response.text
    assert f'id="wb-customer-{theirs.pk}"' not in response.text
    assert "王大明" not in response.text
    card = response.text.split(f'id="wb-customer-{customer_a1.pk}"')[1].split("</dl>")[0]
    assert "138****8000" in card and PHONE not in card  # the record's phone stays masked


def test_workbench_lookup_shows_open_orders_of_the_customer(client, agent_a, customer_a1, types):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    response = client.get(WORKBENCH, {"caller": PHONE}, headers=HTMX)
    assert "<html" not in response.text  # the steps fragment only
    assert f'id="wb-order-{order.pk}"' in response.text
    assert order.number in response.text


def test_workbench_says_when_no_customer_uses_the_number(client, agent_a, theirs):
    client.force_login(agent_a)
    response = client.get(WORKBENCH, {"caller": PHONE})
    assert 'id="wb-no-match"' in response.text
    assert 'id="wb-without-customer"' in response.text
    assert 'id="wb-new-customer"' in response.text


def test_workbench_finds_a_landline_caller(client, agent_a, org):
    office = make_customer(
        actor=agent_a,
        org_unit=org["county_a1"],
        name="星河科技有限公司",
        kind="gov_enterprise",
        gov_series="B",
        phone="0571-88886666",
    )
    client.force_login(agent_a)
    response = client.get(WORKBENCH, {"caller": "057188886666"})  # as the CTI delivers it
    assert f'id="wb-customer-{office.pk}"' in response.text


def test_agents_see_active_outages_of_the_area(client, org, agent_a, supervisor_a, customer_a1):
    from kefu.outages.services import outage_register

    outage = outage_register(
        actor=supervisor_a,
        title="A1县城区光缆中断",
        cause="市政施工挖断主干光缆",
        areas=[org["county_a1"]],
        expected_restore_at=timezone.now() + timedelta(hours=4),
    )
    elsewhere = outage_register(
        actor=supervisor_a,
        title="A2县机房断电",
        cause="供电故障",
        areas=[org["county_a2"]],
        expected_restore_at=timezone.now() + timedelta(hours=2),
    )
    client.force_login(agent_a)
    page = client.get(WORKBENCH, {"caller": PHONE})
    outages = page.text.split('id="wb-outages"')[1].split("</section>")[0]
    assert f'id="outage-{outage.pk}"' in outages and "A2县机房断电" not in page.text
    card = page.text.split(f'id="wb-customer-{customer_a1.pk}"')[1].split("</article>")[0]
    assert f'id="outage-{outage.pk}"' in card
    assert elsewhere.pk != outage.pk


def test_workbench_refuses_a_caller_that_is_no_number(client, agent_a, customer_a1):
    client.force_login(agent_a)
    response = client.get(WORKBENCH, {"caller": "abc"})
    assert 'id="wb-caller-error"' in response.text
    assert f'id="wb-customer-{customer_a1.pk}"' not in response.text


def test_order_is_taken_in_three_requests(client, agent_a, customer_a1, types):
    """Screen-pop with the caller, pick the customer, submit: the order exists, owned by the
    agent, with caller and customer, and the agent lands on it."""
    client.force_login(agent_a)
    step1 = client.get(WORKBENCH, {"caller": PHONE})
    pick = re.search(rf'id="wb-pick-{customer_a1.pk}" href="([^"]+)"', step1.text).group(1)
    step2 = client.get(pick.replace("&amp;", "&"))
    assert 'id="wb-order-form"' in step2.text
    assert step2.context["form"]["channel"].value() == Channel.HOTLINE
    step3 = client.post(
        WORKBENCH,
        {
            "caller": PHONE,
            "customer": str(customer_a1.pk),
            "order_type": str(types["complaint"].pk),
            "source": "direct",
            "channel": "hotline",
            "title": "宽带每晚掉线",
            "description": "近一周每晚八点后掉线",
            "contact_name": "王先生",
        },
    )
    order = WorkOrder.objects.get()
    assert step3.status_code == 302 and step3["Location"] == _detail(order)
    assert order.customer == customer_a1 and order.owner == agent_a
    assert order.caller_phone == PHONE and order.contact_name == "王先生"
    assert order.status == "accepted" and order.is_complaint and not order.is_escalated
    page = client.get(step3["Location"])
    assert order.number in page.text and "宽带每晚掉线" in page.text


def test_complaint_source_only_counts_for_complaints(client, agent_a, customer_a1, types):
    client.force_login(agent_a)
    data = {
        "caller": PHONE,
        "customer": str(customer_a1.pk),
        "channel": "hotline",
        "source": "miit",
    }
    client.post(WORKBENCH, {**data, "order_type": types["consultation"].pk, "title": "咨询资费"})
    client.post(WORKBENCH, {**data, "order_type": types["complaint"].pk, "title": "申诉"})
    consultation, complaint = WorkOrder.objects.order_by("id")
    assert consultation.source == "direct" and not consultation.is_escalated
    assert complaint.source == "miit" and complaint.is_escalated


def test_resolved_on_the_spot_is_a_first_contact_resolution(client, agent_a, customer_a1, types):
    client.force_login(agent_a)
    client.post(
        WORKBENCH,
        {
            "caller": PHONE,
            "customer": str(customer_a1.pk),
            "order_type": types["consultation"].pk,
            "channel": "hotline",
            "title": "查询套餐余量",
            "resolve_at_intake": "已告知剩余流量 3GB",
        },
    )
    order = WorkOrder.objects.get()
    assert order.status == "replied" and order.first_contact_resolution
    assert order.resolution == order.reply == "已告知剩余流量 3GB"


def test_order_without_a_customer_record(client, agent_a, types, org):
    client.force_login(agent_a)
    page = client.get(WORKBENCH, {"caller": "13700000000", "customer": "none"})
    assert 'id="wb-order-form"' in page.text
    client.post(
        WORKBENCH,
        {
            "caller": "13700000000",
            "customer": "none",
            "order_type": types["consultation"].pk,
            "channel": "hotline",
            "title": "新装咨询",
        },
    )
    order = WorkOrder.objects.get()
    assert order.customer is None and order.area_unit == org["county_a1"]


def test_missing_title_is_shown_at_the_field(client, agent_a, customer_a1, types):
    client.force_login(agent_a)
    response = client.post(
        WORKBENCH,
        {
            "caller": PHONE,
            "customer": str(customer_a1.pk),
            "order_type": types["complaint"].pk,
            "channel": "hotline",
            "title": "",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert 'class="field has-error"' in response.text
    assert not WorkOrder.objects.exists()


def test_customer_outside_scope_cannot_be_used(client, agent_a, theirs, types):
    client.force_login(agent_a)
    response = client.post(
        WORKBENCH,
        {
            "caller": PHONE,
            "customer": str(theirs.pk),
            "order_type": types["complaint"].pk,
            "channel": "hotline",
            "title": "越权",
        },
    )
    assert not WorkOrder.objects.exists()
    assert "王大明" not in response.text
    assert 'id="wb-order-form"' not in response.text


def test_workbench_needs_the_intake_permission(client, dispatcher_a):
    client.force_login(dispatcher_a)
    assert client.get(WORKBENCH).status_code == 403


def test_navigation_offers_workbench_and_queues(client, agent_a, handler_a1):
    client.force_login(agent_a)
    page = client.get("/")
    assert 'id="nav-workorders-workbench"' in page.text
    assert 'id="nav-workorders-workorder_list"' in page.text
    client.force_login(handler_a1)
    page = client.get("/")
    assert 'id="nav-workorders-workbench"' not in page.text
    assert 'id="nav-workorders-workorder_list"' in page.text


# --- queues ------------------------------------------------------------------------------


def test_queues_list_only_orders_in_scope(
    client, supervisor_a, agent_a, agent_b, customer_a1, theirs, types
):
    ours = _order(agent_a, customer_a1, types)
    other = _order(agent_b, theirs, types)
    client.force_login(supervisor_a)
    for queue in ("dispatch", "open", "all"):
        page = client.get("/workorders/", {"queue": queue})
        assert f'id="wo-{ours.pk}"' in page.text, queue
        assert f'id="wo-{other.pk}"' not in page.text, queue
    client.force_login(agent_b)
    page = client.get("/workorders/", {"queue": "all"})
    assert f'id="wo-{other.pk}"' in page.text and f'id="wo-{ours.pk}"' not in page.text


def test_accepted_by_me_is_the_first_contact_owners_view(
    client, org, agent_a, supervisor_a, customer_a1, types, dispatcher_a
):
    own = _order(agent_a, customer_a1, types)
    someone_elses = _order(supervisor_a, customer_a1, types, title="主管受理")
    work_order_act(actor=dispatcher_a, order=own, action="dispatch", data={"unit": org["team_a1"]})
    client.force_login(agent_a)
    page = client.get("/workorders/", {"queue": "accepted_by_me"})
    assert f'id="wo-{own.pk}"' in page.text  # still mine after dispatch (首问负责)
    assert f'id="wo-{someone_elses.pk}"' not in page.text
    assert 'id="queue-accepted_by_me" class="is-active"' in page.text


def test_queue_row_counts_down_to_the_time_limit(client, agent_a, customer_a1, types):
    order = _order(agent_a, customer_a1, types)
    due = timezone.now() + timedelta(hours=2)
    WorkOrder.objects.filter(pk=order.pk).update(due_at=due, sla_state="warning")  # as SLA does
    client.force_login(agent_a)
    page = client.get("/workorders/", {"queue": "accepted_by_me"})
    row = page.text.split(f'id="wo-{order.pk}"')[1].split("</tr>")[0]
    assert 'class="countdown is-warning"' in row
    assert f'data-due="{timezone.localtime(due).isoformat()[:19]}' in row


def test_warning_and_overdue_tabs_count_their_orders(client, agent_a, customer_a1, types):
    orders = [_order(agent_a, customer_a1, types, title=f"工单{i}") for i in range(3)]
    WorkOrder.objects.filter(pk=orders[0].pk).update(sla_state="warning")
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders[1:]]).update(sla_state="breached")
    client.force_login(agent_a)
    page = client.get("/workorders/", {"queue": "overdue"})
    assert re.search(r'id="queue-warning"[^>]*>[^<]*<span class="tab-count[^"]*">1<', page.text)
    assert re.search(r'id="queue-overdue"[^>]*>[^<]*<span class="tab-count[^"]*">2<', page.text)
    assert page.text.count('class="countdown is-overdue"') == 2  # red, though time is left
    assert f'id="wo-{orders[0].pk}"' not in page.text
    assert f'id="wo-{orders[1].pk}"' in page.text and f'id="wo-{orders[2].pk}"' in page.text


def test_queue_filters(client, agent_a, customer_a1, types):
    complaint = _order(agent_a, customer_a1, types)
    consultation = _order(agent_a, customer_a1, types, code="consultation", title="咨询")
    client.force_login(agent_a)
    page = client.get("/workorders/", {"queue": "all", "type": "consultation"})
    assert f'id="wo-{consultation.pk}"' in page.text
    assert f'id="wo-{complaint.pk}"' not in page.text
    page = client.get("/workorders/", {"queue": "all", "number": complaint.number}, headers=HTMX)
    assert "<html" not in page.text
    assert f'id="wo-{complaint.pk}"' in page.text
    assert f'id="wo-{consultation.pk}"' not in page.text
    today = timezone.localdate()
    page = client.get(
        "/workorders/",
        {"queue": "all", "created_from": str(today + timedelta(days=1))},
    )
    assert 'id="wo-empty"' in page.text
    page = client.get("/workorders/", {"queue": "all", "created_from": "2026-13-40"})
    assert page.status_code == 200  # the bad date is reported, not a 500
    assert "form-errors" in page.text


def test_queue_page_query_count_does_not_grow_with_rows(
    client, agent_a, customer_a1, types, django_assert_max_num_queries
):
    for i in range(3):
        _order(agent_a, customer_a1, types, title=f"工单{i}")
    client.force_login(agent_a)
    client.get("/workorders/", {"queue": "all"})  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        client.get("/workorders/", {"queue": "all"})
    for i in range(20):
        _order(agent_a, customer_a1, types, title=f"更多{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/workorders/", {"queue": "all"})
    assert page.text.count('<tr id="wo-') == 23


# --- the order page --------------------------------------------------------------------


def test_detail_shows_exactly_the_allowed_actions(
    client, org, agent_a, dispatcher_a, handler_a1, customer_a1, types
):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    page = client.get(_detail(order))
    # The owner of record may also correct the order (更正), which is no lifecycle action.
    assert _action_ids(page.text) == {*selectors.actions_for(agent_a, order), "correct"}
    assert "dispatch" not in _action_ids(page.text)
    client.force_login(dispatcher_a)
    page = client.get(_detail(order))
    assert "dispatch" in _action_ids(page.text) and "resolve" not in _action_ids(page.text)
    order = work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler_a1},
    )
    client.force_login(handler_a1)
    page = client.get(_detail(order))
    assert _action_ids(page.text) == set(selectors.actions_for(handler_a1, order))
    assert {"contact", "accept", "return"} <= _action_ids(page.text)
    assert "dispatch" not in _action_ids(page.text)


def test_detail_query_count_does_not_grow_with_the_timeline(
    client, agent_a, customer_a1, types, django_assert_max_num_queries
):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    client.get(_detail(order))
    with django_assert_max_num_queries(20) as few:
        client.get(_detail(order))
    for i in range(10):
        order = work_order_act(actor=agent_a, order=order, action="note", data={"note": f"{i}"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(_detail(order))
    assert page.text.count('class="timeline-item"') == 11


def test_detail_is_not_found_outside_scope(client, agent_a, agent_b, customer_a1, types):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_b)
    assert client.get(_detail(order)).status_code == 404
    response = client.post(_act(order, "note"), {"note-note": "x", "note-version": "1"})
    assert response.status_code == 404


def test_detail_masks_the_customer_and_times_are_local(client, agent_a, customer_a1, types):
    order = _order(agent_a, customer_a1, types, caller_phone=PHONE)
    client.force_login(agent_a)
    page = client.get(_detail(order))
    assert "138****8000" in page.text and PHONE not in page.text
    created = WorkOrderEvent.objects.get(order=order).created_at
    shanghai = timezone.localtime(created, timezone.get_fixed_timezone(8 * 60))
    assert shanghai.strftime("%Y-%m-%d %H:%M:%S") in page.text


def test_actions_from_the_page_walk_the_order_to_resolved(
    client, org, agent_a, dispatcher_a, handler_a1, customer_a1, types
):
    order = _order(agent_a, customer_a1, types)
    client.force_login(dispatcher_a)
    response = client.post(
        _act(order, "dispatch"),
        {
            "dispatch-version": order.version,
            "dispatch-unit": org["team_a1"].pk,
            "dispatch-handler": handler_a1.pk,
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "dispatched" and order.handler == handler_a1
    client.force_login(handler_a1)
    client.post(
        _act(order, "contact"), {"contact-version": order.version, "contact-note": "已联系"}
    )
    order.refresh_from_db()
    assert order.status == "in_progress" and order.first_contact_at is not None
    cause = complaint_verdict()["cause"]
    response = client.post(
        _act(order, "resolve"),
        {
            "resolve-version": order.version,
            "resolve-resolution": "更换光猫后恢复",
            "resolve-cause": cause.pk,
            "resolve-justified": "true",
            "resolve-remedy": "repair_replace_redo",
            "resolve-responsible_unit": org["team_a1"].pk,
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "resolved" and order.justified is True and order.cause == cause
    assert order.responsible_unit == org["team_a1"]
    page = client.get(_detail(order))
    assert 'id="wo-next-step"' in page.text
    assert [e.action for e in selectors.order_timeline(order)] == [
        "create",
        "dispatch",
        "contact",
        "resolve",
    ]
    assert page.text.count('class="timeline-item"') == 4


def test_stale_form_gets_the_conflict_message_and_does_not_act(
    client, agent_a, supervisor_a, customer_a1, types
):
    order = _order(agent_a, customer_a1, types)
    stale_version = order.version
    work_order_act(actor=supervisor_a, order=order, action="urge", data={"note": "抓紧"})
    client.force_login(agent_a)
    response = client.post(
        _act(order, "cancel"), {"cancel-version": stale_version, "cancel-reason": "客户撤诉"}
    )
    assert response.status_code == 409
    assert escape(str(CONFLICT_MESSAGE)) in response.text
    assert 'id="action-cancel" open' in response.text
    order.refresh_from_db()
    assert order.status == "accepted"
    assert not order.events.filter(action="cancel").exists()


def test_service_errors_land_next_to_their_field(client, agent_a, customer_a1, types):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    response = client.post(
        _act(order, "link"), {"link-version": order.version, "link-target": "99999999"}
    )
    assert response.status_code == 400
    form = response.context["action_forms"]
    link = next(f["form"] for f in form if f["action"] == "link")
    assert link.errors["target"]
    response = client.post(_act(order, "cancel"), {"cancel-version": order.version})
    assert response.status_code == 400
    assert 'id="cancel-errors"' in response.text


def test_an_action_not_allowed_now_is_explained(client, agent_a, customer_a1, types):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    response = client.post(
        _act(order, "reply"), {"reply-version": order.version, "reply-reply": "已处理"}
    )
    assert response.status_code == 400
    assert 'id="reply-errors"' in response.text
    order.refresh_from_db()
    assert order.status == "accepted"


def test_handler_options_follow_the_unit(client, org, dispatcher_a, handler_a1, agent_a):
    client.force_login(dispatcher_a)
    response = client.get(
        reverse("workorders:handler_options"), {"dispatch-unit": org["team_a1"].pk}
    )
    assert f'<option value="{handler_a1.pk}">' in response.text
    response = client.get(reverse("workorders:handler_options"), {"unit": org["team_b1"].pk})
    assert f'value="{handler_a1.pk}"' not in response.text
    client.force_login(agent_a)
    assert client.get(reverse("workorders:handler_options")).status_code == 403


def test_handler_options_of_another_countys_unit_are_empty(client, org, make_user, dispatcher_a):
    stranger = make_user("hand_b1", org["team_b1"], "handler")
    client.force_login(dispatcher_a)
    response = client.get(reverse("workorders:handler_options"), {"unit": org["team_b1"].pk})
    assert response.status_code == 200 and f'value="{stranger.pk}"' not in response.text
    client.force_login(make_user("disp_b", org["pref_b"], "dispatcher"))
    response = client.get(reverse("workorders:handler_options"), {"unit": org["team_b1"].pk})
    assert f'value="{stranger.pk}"' in response.text


def test_the_systems_own_actions_are_not_found_on_the_page(
    client, agent_a, dispatcher_a, customer_a1, types
):
    order = _order(agent_a, customer_a1, types)
    client.force_login(dispatcher_a)
    assert client.post(_act(order, "hand_back"), {"hand_back-version": 1}).status_code == 404
    response = client.get(reverse("workorders:handler_options"), {"unit": "²"})
    assert response.status_code == 200 and "<option" in response.text


def _unit_options(html: str, select_name: str) -> set[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_name
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


def test_the_order_page_and_bulk_dispatch_offer_the_same_units_in_scope(
    client, org, agent_a, dispatcher_a, types
):
    """Both lists are the dispatcher's scope (prefecture A), nothing of prefecture B, even
    for an order whose area is the prefecture itself."""
    order = _order(agent_a, None, types, area_unit=org["county_a1"])
    WorkOrder.objects.filter(pk=order.pk).update(area_unit=org["pref_a"])
    client.force_login(dispatcher_a)
    on_page = _unit_options(client.get(_detail(order)).text, "dispatch-unit")
    in_bulk = _unit_options(client.get("/workorders/", {"queue": "dispatch"}).text, "unit")
    expected = {str(u.pk) for u in org["pref_a"].subtree()}
    assert on_page == in_bulk == expected
    assert str(org["team_b1"].pk) not in on_page


# --- bulk dispatch -----------------------------------------------------------------------


def test_bulk_dispatch_sends_each_and_reports_the_failures(
    client, org, agent_a, dispatcher_a, supervisor_a, handler_a1, customer_a1, types
):
    first = _order(agent_a, customer_a1, types, title="一")
    second = _order(agent_a, customer_a1, types, title="二")
    changed = _order(agent_a, customer_a1, types, title="三")
    page_version = changed.version
    work_order_act(actor=supervisor_a, order=changed, action="urge")  # after the page was read
    client.force_login(dispatcher_a)
    page = client.get("/workorders/", {"queue": "dispatch"})
    assert 'id="bulk-dispatch"' in page.text and f'id="bulk-{first.pk}"' in page.text
    response = client.post(
        reverse("workorders:bulk_dispatch"),
        {
            "orders": [
                f"{first.pk}:{first.version}",
                f"{second.pk}:{second.version}",
                f"{changed.pk}:{page_version}",
            ],
            "unit": org["team_a1"].pk,
            "handler": handler_a1.pk,
        },
        follow=True,
    )
    statuses = dict(WorkOrder.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "dispatched", second.pk: "dispatched", changed.pk: "accepted"}
    texts = _messages(response)
    assert any(first.number in t and second.number in t for t in texts)
    failure = [t for t in texts if changed.number in t]
    assert len(failure) == 1 and str(CONFLICT_MESSAGE) in failure[0]
    assert f'id="wo-{changed.pk}"' in response.text  # still waiting in the dispatch queue
    assert f'id="wo-{first.pk}"' not in response.text


def test_bulk_dispatch_without_a_unit_or_orders_says_so(
    client, dispatcher_a, agent_a, customer_a1, types
):
    order = _order(agent_a, customer_a1, types)
    client.force_login(dispatcher_a)
    response = client.post(
        reverse("workorders:bulk_dispatch"),
        {"orders": [f"{order.pk}:{order.version}"]},
        follow=True,
    )
    assert len(_messages(response)) == 1
    response = client.post(reverse("workorders:bulk_dispatch"), {"unit": "1"}, follow=True)
    assert _messages(response)
    order.refresh_from_db()
    assert order.status == "accepted"


def test_bulk_dispatch_needs_the_dispatch_permission(client, agent_a, customer_a1, types, org):
    order = _order(agent_a, customer_a1, types)
    client.force_login(agent_a)
    response = client.post(
        reverse("workorders:bulk_dispatch"),
        {"orders": [f"{order.pk}:{order.version}"], "unit": org["team_a1"].pk},
    )
    assert response.status_code == 403
    page = client.get("/workorders/", {"queue": "dispatch"})
    assert 'id="bulk-dispatch"' not in page.text
