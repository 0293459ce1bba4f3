"""The portal's pages: filing a request through the real intake, the timeline in the
customer's words only, rating after resolution (isolation: test_isolation.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.callbacks.models import CallbackItem, CallbackTask
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.callbacks.ratings import callback_answer_by_customer
from kefu.callbacks.stats import callback_stats
from kefu.core.errors import NotFound
from kefu.workorders import actions
from kefu.workorders.models import WorkOrder
from tests.factories import complaint_verdict

pytestmark = pytest.mark.usefixtures("clock")


def _file(client, kind="fault", title="宽带又断了", **extra):
    return client.post(
        "/portal/new/",
        {"kind": kind, "title": title, "description": "晚上八点以后上不了网", **extra},
    )


def _resolve(order, dispatcher, handler, org):
    order = actions.work_order_dispatch(
        actor=dispatcher, order=order, unit=org["team_a1"], handler=handler
    )
    order = actions.work_order_accept(actor=handler, order=order)
    verdict = complaint_verdict() if order.is_complaint else {}
    return actions.work_order_resolve(actor=handler, order=order, resolution="已修复", **verdict)


@pytest.mark.parametrize("kind", ["fault", "complaint", "consultation"])
def test_each_kind_is_taken_in_as_a_web_order_of_the_customer(portal_a, customer_a, kind):
    response = _file(portal_a, kind=kind, business_line="broadband")
    order = WorkOrder.objects.get()
    assert response["Location"] == f"/portal/orders/{order.number}/"
    assert (order.order_type.code, order.channel, order.customer) == (kind, "web", customer_a)
    assert order.business_line.code == "broadband" and order.due_at is not None  # its clock
    page = portal_a.get(response["Location"]).content.decode()
    assert "您的申请已受理" in page and "宽带又断了" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "此项为必填项"),
        ({"kind": "internal"}, "请选择有效的选项"),
        ({"business_line": "nope"}, "请选择有效的选项"),
        ({"title": "长" * 5000}, "200"),
    ],
)
def test_a_bad_request_is_refused_naming_what_is_wrong_and_nothing_is_filed(
    portal_a, data, message
):
    response = _file(portal_a, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_the_timeline_shows_the_customers_steps_and_no_internal_note_or_staff_name(
    portal_a, customer_a, dispatcher_a, handler_a1, org
):
    _file(portal_a)
    order = WorkOrder.objects.get()
    actions.work_order_note(actor=dispatcher_a, order=order, note="内部：客户脾气不好")
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    actions.work_order_reply(actor=dispatcher_a, order=order, reply="光猫已更换，网络恢复正常")
    page = portal_a.get(f"/portal/orders/{order.number}/").content.decode()
    assert "处理完成" in page and "光猫已更换，网络恢复正常" in page
    assert "客户脾气不好" not in page and "已修复" not in page  # note, internal resolution
    for name in (handler_a1.staff.display_name, org["team_a1"].name, dispatcher_a.username):
        assert name not in page


def test_rating_after_resolution_counts_like_an_sms_answer_and_archives(
    portal_a, customer_a, dispatcher_a, handler_a1, org
):
    _file(portal_a)
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    assert CallbackItem.objects.get().task is None  # the monitor has not run yet
    page = portal_a.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'id="portal-rate-form"' in page
    response = portal_a.post(f"/portal/orders/{order.number}/rate/", {"level": "very_satisfied"})
    assert response.status_code == 302
    item = CallbackItem.objects.get()
    assert (item.status, item.level, item.task.status) == ("done", "very_satisfied", "done")
    callbacks_monitor_pass()
    assert WorkOrder.objects.get(pk=order.pk).status == "closed"
    page = portal_a.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'id="portal-rate-form"' not in page and "非常满意" in page


def test_a_dissatisfied_rating_goes_to_a_person(portal_a, dispatcher_a, handler_a1, org):
    _file(portal_a)
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    portal_a.post(
        f"/portal/orders/{order.number}/rate/", {"level": "dissatisfied", "comment": "还是断"}
    )
    task = CallbackTask.objects.get()
    assert task.follow_up and task.mode == "manual" and task.status == "open"
    assert CallbackItem.objects.get().comment == "还是断"
    assert (
        'id="portal-rate-form"'
        not in portal_a.get(f"/portal/orders/{order.number}/").content.decode()
    )


def test_a_bad_rating_changes_nothing(portal_a, dispatcher_a, handler_a1, org):
    _file(portal_a)
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    portal_a.post(f"/portal/orders/{order.number}/rate/", {"level": "great"})
    assert CallbackItem.objects.get().status == "open"


def test_a_rating_is_about_its_own_order_when_one_call_covers_two(
    portal_a, dispatcher_a, handler_a1, org
):
    _file(portal_a, title="宽带断了")
    _file(portal_a, title="电视没信号")
    first, second = (_resolve(o, dispatcher_a, handler_a1, org) for o in WorkOrder.objects.all())
    callbacks_monitor_pass()
    task = CallbackTask.objects.get()
    assert task.items.count() == 2  # the customer's two orders merged into one call
    portal_a.post(f"/portal/orders/{first.number}/rate/", {"level": "very_satisfied"})
    mine, other = (CallbackItem.objects.get(order=o) for o in (first, second))
    assert (mine.status, mine.level) == ("done", "very_satisfied")
    assert (other.status, other.level) == ("open", "")  # not rated for them
    assert CallbackTask.objects.get().status == "open"
    page = portal_a.get(f"/portal/orders/{second.number}/").content.decode()
    assert 'id="portal-rate-form"' in page and 'id="portal-rated"' not in page
    portal_a.post(
        f"/portal/orders/{second.number}/rate/", {"level": "dissatisfied", "comment": "还没信号"}
    )
    task = CallbackTask.objects.get()
    assert task.follow_up and task.mode == "manual" and task.status == "open"
    assert CallbackItem.objects.get(order=second).level == "dissatisfied"
    callbacks_monitor_pass()
    assert WorkOrder.objects.get(pk=first.pk).status == "closed"  # archived, the other not
    assert WorkOrder.objects.get(pk=second.pk).status == "resolved"


def test_a_portal_rating_counts_in_the_satisfaction_figures(
    portal_a, dispatcher_a, handler_a1, org
):
    _file(portal_a)
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    portal_a.post(f"/portal/orders/{order.number}/rate/", {"level": "satisfied"})
    june = {"date_from": dt.date(2025, 6, 1), "date_to": dt.date(2025, 6, 30)}
    total = callback_stats(None, **june).total
    assert (total.satisfied, total.answered, total.due, total.rate) == (1, 1, 1, 1.0)
    attempt = CallbackTask.objects.get().log.get()
    assert attempt.note == "自助门户：满意"


def test_the_rating_service_refuses_another_customers_order(
    portal_a, customer_b, dispatcher_a, handler_a1, org
):
    _file(portal_a)
    order = _resolve(WorkOrder.objects.get(), dispatcher_a, handler_a1, org)
    with pytest.raises(NotFound):
        callback_answer_by_customer(customer=customer_b, order=order, level="satisfied")
    assert CallbackItem.objects.get().status == "open"


def test_the_pages_ask_the_same_few_queries_however_many_orders_and_steps(
    portal_a, django_assert_num_queries, dispatcher_a, handler_a1, org
):
    for k in range(3):
        _file(portal_a, title=f"第 {k} 次断网")
    order = _resolve(WorkOrder.objects.first(), dispatcher_a, handler_a1, org)
    assert order.events.count() >= 4
    with django_assert_num_queries(3):  # the session, the orders with their types, surveys
        portal_a.get("/portal/")
    with django_assert_num_queries(5):  # … the order, its steps, its callback twice
        portal_a.get(f"/portal/orders/{order.number}/")


def test_the_home_page_lists_the_customers_waiting_survey_until_it_is_answered(
    portal_a, customer_a, supervisor_a, org, settings
):
    from kefu.surveys import services as surveys
    from kefu.surveys.models import Survey

    settings.KEFU_PUBLIC_URL = "http://kefu.test"
    seeded = Survey.objects.get(is_template=True)
    sample = surveys.Sample(region=org["team_a1"], size=5)
    mine = surveys.campaign_create(
        actor=supervisor_a, survey=seeded, name="六月调查", channel="web", sample=sample
    )
    surveys.campaign_send(actor=supervisor_a, campaign=mine)
    page = portal_a.get("/portal/").content.decode()
    assert "集团客户满意度短信问卷" in page and "http://kefu.test/s/" in page
    invitation = mine.invitations.get()
    questions = list(mine.version.questions.all())
    surveys.answers_submit(invitation=invitation, raw={q.pk: "9" for q in questions})
    assert 'id="portal-surveys"' not in portal_a.get("/portal/").content.decode()
