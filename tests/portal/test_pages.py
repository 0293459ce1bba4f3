"""The portal's pages: filing a request through the real intake, the timeline in the
customer's words only, rating after resolution — and nothing of another customer's, on
any portal page, whatever number is guessed."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver

from kefu.callbacks.models import CallbackItem, CallbackTask
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.workorders import actions
from kefu.workorders.models import WorkOrder
from kefu.workorders.services import work_order_create
from tests.factories import complaint_verdict
from tests.portal.conftest import sign_in

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


def _portal_patterns():
    portal = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "portal")
    return [p for p in portal.url_patterns if isinstance(p, URLPattern)]


def test_no_portal_page_shows_another_customers_order(
    client, customer_a, customer_b, agent_b, dispatcher_a, handler_a1, org
):
    theirs = work_order_create(
        actor=agent_b, order_type=_fault(), channel="hotline", title="B 的故障", customer=customer_b
    )
    sign_in(client, customer_a.phone)
    probed = 0
    for pattern in _portal_patterns():
        route = str(pattern.pattern)
        if "<str:number>" not in route:
            continue
        url = "/portal/" + route.replace("<str:number>", theirs.number)
        for method in (client.get, client.post):
            response = method(url, {"level": "satisfied"})
            assert response.status_code in (404, 405), (url, response.status_code)
            assert "B 的故障" not in response.content.decode()
            probed += 1
    assert probed >= 4
    for guess in ("1", "-1", "x" * 500, "%00", theirs.number + "0"):
        assert client.get(f"/portal/orders/{guess}/").status_code == 404
    assert "B 的故障" not in client.get("/portal/").content.decode()


def test_every_portal_page_needs_the_sign_in(client, customer_a, db):
    signed_out = {"home", "new", "order", "rate"}
    for pattern in _portal_patterns():
        if pattern.name not in signed_out:
            continue
        url = "/portal/" + str(pattern.pattern).replace("<str:number>", "2025060300000001")
        response = client.post(url) if pattern.name == "rate" else client.get(url)
        assert response.status_code == 302 and "/portal/login/" in response["Location"], url


def _fault():
    from kefu.workorders.models import WorkOrderType

    return WorkOrderType.objects.get(code="fault")


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
