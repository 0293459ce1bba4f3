"""The callback desk 回访台: the queue by due time inside the agent's scope, and one-click
outcomes on the task page — the answer about each order, refusals beside the form, the
order back with its unit after a dissatisfied answer."""

from __future__ import annotations

import pytest

from kefu.callbacks.models import CallbackTask, DissatisfactionReason, InboundSms
from kefu.workorders.models import WorkOrder
from tests.callbacks.conftest import signed_post
from tests.factories import PASSWORD, make_customer

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def desk_client(client, callback_agent):
    client.login(username=callback_agent.username, password=PASSWORD)
    return client


def test_the_queue_lists_the_scopes_callbacks_earliest_due_first(
    clock, desk_client, resolver, customer_a, agent_a, org
):
    clock.set("2025-06-04 10:00")
    later = resolver.resolved(customer=customer_a)  # due Wednesday
    clock.set("2025-06-03 10:00")  # taken in later, resolved the day before: due Tuesday
    other = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="李四", phone="13700000001"
    )
    earlier = resolver.resolved(customer=other)
    body = desk_client.get("/callbacks/").content.decode()
    assert body.index(earlier.number) < body.index(later.number)
    assert "13912345678" not in body  # masked: the agent reveals it on the task page


def test_a_callback_agent_of_another_prefecture_sees_none_of_them(
    client, org, make_user, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    outsider = make_user("cb_b", org["pref_b"], "callback_agent")
    client.login(username=outsider.username, password=PASSWORD)
    assert "宽带断网" not in client.get("/callbacks/").content.decode()
    task = CallbackTask.objects.get()
    assert client.get(f"/callbacks/{task.pk}/").status_code == 404
    assert client.post(f"/callbacks/{task.pk}/", {"outcome": "busy"}).status_code == 404
    assert CallbackTask.objects.get().attempts == 0


def test_answered_needs_a_level_per_order(desk_client, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    response = desk_client.post(f"/callbacks/{task.pk}/", {"outcome": "answered"})
    assert response.status_code == 400 and "请选择客户的评价" in response.content.decode()
    assert CallbackTask.objects.get().status == "open"


def test_sms_dissatisfied_then_the_agent_records_why_on_the_page_and_the_order_reopens(
    client, desk_client, resolver, customer_a, org
):
    order = resolver.resolved(customer=customer_a, type_code="complaint")
    signed_post(
        client,
        {
            "from": "13912345678",
            "text": "3 态度不好",
            "message_id": "m1",
            "received_at": "2025-06-03T10:00:00+08:00",
        },
    )
    task = CallbackTask.objects.get()
    page = desk_client.get(f"/callbacks/{task.pk}/").content.decode()
    assert "态度不好" in page and "核实投诉问题是否已解决" in page  # the words, the script
    item = task.items.get()
    reason = DissatisfactionReason.objects.get(code="service-attitude")
    response = desk_client.post(
        f"/callbacks/{task.pk}/",
        {
            "outcome": "answered",
            "version": task.version,
            f"level_{item.pk}": "dissatisfied",
            f"reason_{item.pk}": reason.pk,
            f"comment_{item.pk}": "处理人员态度差",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.handling_unit) == ("dispatched", org["team_a1"])


def test_a_stale_page_is_refused(desk_client, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    response = desk_client.post(f"/callbacks/{task.pk}/", {"outcome": "busy", "version": 999})
    assert response.status_code == 409  # someone recorded it meanwhile: reload
    assert CallbackTask.objects.get().attempts == 0


def test_one_click_no_answer_schedules_the_next_attempt(desk_client, resolver, customer_a):
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    assert desk_client.post(f"/callbacks/{task.pk}/", {"outcome": "no_answer"}).status_code == 302
    task.refresh_from_db()
    assert task.attempts == 1 and task.next_attempt_at is not None
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"


def test_the_review_page_turns_an_unreadable_reply_into_the_answer(
    client, desk_client, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    signed_post(
        client,
        {
            "from": "13912345678",
            "text": "挺好，谢谢师傅",
            "message_id": "m1",
            "received_at": "2025-06-03T10:00:00+08:00",
        },
    )
    page = desk_client.get("/callbacks/replies/").content.decode()
    assert "挺好，谢谢师傅" in page
    reply = InboundSms.objects.get()
    response = desk_client.post(
        "/callbacks/replies/", {"reply": reply.pk, "level": "very_satisfied", "note": ""}
    )
    assert response.status_code == 302
    item = CallbackTask.objects.get().items.get()
    assert (item.level, item.comment) == ("very_satisfied", "挺好，谢谢师傅")
    assert "挺好，谢谢师傅" not in desk_client.get("/callbacks/replies/").content.decode()


def test_the_review_page_refuses_another_prefectures_reply(
    client, org, make_user, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    signed_post(
        client,
        {
            "from": "13912345678",
            "text": "嗯",
            "message_id": "m1",
            "received_at": "2025-06-03T10:00:00+08:00",
        },
    )
    outsider = make_user("cb_b", org["pref_b"], "callback_agent")
    client.login(username=outsider.username, password=PASSWORD)
    assert "嗯" not in client.get("/callbacks/replies/").content.decode()
    reply = InboundSms.objects.get()
    assert client.post("/callbacks/replies/", {"reply": reply.pk}).status_code == 404
    assert client.post("/callbacks/replies/", {"reply": "x"}).status_code == 404
    assert InboundSms.objects.get().status == "review"


def test_the_order_page_shows_its_callback_and_what_the_customer_said(
    client, desk_client, resolver, customer_a, supervisor_a
):
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    page = desk_client.get(f"/workorders/{order.number}/").content.decode()
    assert 'id="wo-callbacks"' in page and f"/callbacks/{task.pk}/" in page
    signed_post(
        client,
        {
            "from": "13912345678",
            "text": "3 师傅迟到了",
            "message_id": "m1",
            "received_at": "2025-06-03T10:00:00+08:00",
        },
    )
    client.login(username=supervisor_a.username, password=PASSWORD)
    page = client.get(f"/workorders/{order.number}/").content.decode()
    assert "不满意" in page and "师傅迟到了" in page
