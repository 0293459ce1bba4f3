"""The callback desk over the API (`/api/v1/callbacks/`) and the SMS review queue
(`/api/v1/sms-replies/`): the same scope, refusals and outcomes as the desk page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from kefu.callbacks.models import CallbackTask, InboundSms
from kefu.workorders.models import WorkOrder
from tests.callbacks.conftest import signed_post

pytestmark = pytest.mark.usefixtures("clock")


def _sms(client, text: str, message_id: str, phone: str = "13912345678"):
    return signed_post(
        client,
        {
            "from": phone,
            "text": text,
            "message_id": message_id,
            "received_at": "2025-06-03T10:00:00+08:00",
        },
    )


@pytest.fixture
def api(client_for, callback_agent):
    return client_for(callback_agent)


def test_the_queue_and_one_callback_with_its_script(api, resolver, customer_a):
    order = resolver.resolved(customer=customer_a, type_code="complaint")
    listing = api.get("/api/v1/callbacks/").json()
    assert [r["items"][0]["order"] for r in listing["results"]] == [order.number]
    task_id = listing["results"][0]["id"]
    detail = api.get(f"/api/v1/callbacks/{task_id}/").json()
    assert "核实投诉问题是否已解决" in detail["script"]
    assert detail["phone"] == "13912345678"  # the 回访员 holds view_pii: they dial it


def test_a_viewer_without_view_pii_gets_the_phone_masked(
    client_for, make_user, org, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    inspector = make_user("qc_a", org["pref_a"], "quality_inspector")
    inspector.user_permissions.add(Permission.objects.get(codename="handle_callback"))
    assert not inspector.has_perm("customers.view_pii")
    rows = client_for(inspector).get("/api/v1/callbacks/").json()["results"]
    assert rows and rows[0]["phone"] == "139****5678"


def test_an_agent_of_another_prefecture_gets_404_and_changes_nothing(
    client_for, make_user, org, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    outsider = client_for(make_user("cb_b", org["pref_b"], "callback_agent"))
    assert outsider.get("/api/v1/callbacks/").json()["results"] == []
    assert outsider.get(f"/api/v1/callbacks/{task.pk}/").status_code == 404
    response = outsider.post(
        f"/api/v1/callbacks/{task.pk}/record/", {"outcome": "busy"}, format="json"
    )
    assert response.status_code == 404
    assert CallbackTask.objects.get().attempts == 0


def test_an_agent_without_the_permission_is_refused(client_for, agent_a, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    assert client_for(agent_a).get("/api/v1/callbacks/").status_code == 403


def test_answered_dissatisfied_with_a_reason_code_reopens_the_order(api, resolver, customer_a, org):
    order = resolver.resolved(customer=customer_a, type_code="complaint")
    task = CallbackTask.objects.get()
    item = task.items.get()
    response = api.post(
        f"/api/v1/callbacks/{task.pk}/record/",
        {
            "outcome": "answered",
            "version": task.version,
            "answers": [{"item": item.pk, "level": "dissatisfied", "reason": "service-attitude"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done"
    order.refresh_from_db()
    assert (order.status, order.handling_unit) == ("dispatched", org["team_a1"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "teleported"}, "outcome"),
        ({"outcome": "answered", "answers": [{"item": 1, "level": "meh"}]}, "answers[0].level"),
        (
            {"outcome": "answered", "answers": [{"item": 1, "level": "satisfied", "reason": "x"}]},
            "answers[0].reason",
        ),  # noqa: E501
        ({"outcome": "busy", "note": "字" * 501}, "note"),
        ({"outcome": "busy", "version": "abc"}, "version"),
        ({"outcome": ["busy"]}, "outcome"),
    ],
)
def test_malformed_records_name_the_field_and_change_nothing(
    api, resolver, customer_a, body, field
):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    response = api.post(f"/api/v1/callbacks/{task.pk}/record/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["extra"]["errors"]
    assert CallbackTask.objects.get().attempts == 0


def test_an_answer_missing_for_an_order_is_refused(api, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    response = api.post(
        f"/api/v1/callbacks/{task.pk}/record/", {"outcome": "answered"}, format="json"
    )
    assert response.status_code == 400
    assert CallbackTask.objects.get().status == "open"


def test_a_stale_version_gets_409(api, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    api.post(
        f"/api/v1/callbacks/{task.pk}/record/",
        {"outcome": "busy", "version": task.version},
        format="json",
    )
    response = api.post(
        f"/api/v1/callbacks/{task.pk}/record/",
        {"outcome": "busy", "version": task.version},
        format="json",
    )
    assert response.status_code == 409
    assert CallbackTask.objects.get().attempts == 1


def test_an_unreadable_reply_is_read_by_a_person_and_counts_as_the_answer(
    client, api, resolver, customer_a
):
    order = resolver.resolved(customer=customer_a)
    _sms(client, "师傅挺好的就是来晚了", "m1")
    queue = api.get("/api/v1/sms-replies/").json()["results"]
    assert [r["text"] for r in queue] == ["师傅挺好的就是来晚了"]
    response = api.post(
        f"/api/v1/sms-replies/{queue[0]['id']}/review/", {"level": "satisfied"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "reviewed"
    item = CallbackTask.objects.get().items.get()
    assert (item.status, item.level, item.comment) == ("done", "satisfied", "师傅挺好的就是来晚了")
    assert api.get("/api/v1/sms-replies/").json()["results"] == []
    again = api.post(
        f"/api/v1/sms-replies/{queue[0]['id']}/review/", {"level": "satisfied"}, format="json"
    )
    assert again.status_code == 404  # no longer in the queue
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"  # archived by the monitor


def test_a_reply_after_the_callback_ended_can_only_be_marked_read(
    client, api, resolver, customer_a
):
    resolver.resolved(customer=customer_a)
    _sms(client, "随便", "m1")
    row = InboundSms.objects.get()
    task = CallbackTask.objects.get()
    api.post(f"/api/v1/callbacks/{task.pk}/record/", {"outcome": "refused"}, format="json")
    refused = api.post(
        f"/api/v1/sms-replies/{row.pk}/review/", {"level": "satisfied"}, format="json"
    )
    assert refused.status_code == 400 and "level" in refused.json()["extra"]["errors"]
    assert InboundSms.objects.get().status == "review"
    assert api.post(f"/api/v1/sms-replies/{row.pk}/review/", {}, format="json").status_code == 200
    assert InboundSms.objects.get().status == "reviewed"


def test_unmatched_replies_only_for_a_viewer_of_every_unit(client, api, client_for, admin_user):
    _sms(client, "1", "m1", phone="13800000000")  # nobody's callback
    assert api.get("/api/v1/sms-replies/?status=unmatched").json()["results"] == []
    rows = client_for(admin_user).get("/api/v1/sms-replies/?status=unmatched").json()["results"]
    assert [(r["phone"], r["text"], r["task"]) for r in rows] == [("13800000000", "1", None)]


def test_another_prefectures_reply_is_404(client, client_for, make_user, org, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    _sms(client, "嗯嗯", "m1")
    row = InboundSms.objects.get()
    outsider = client_for(make_user("cb_b", org["pref_b"], "callback_agent"))
    assert outsider.get("/api/v1/sms-replies/").json()["results"] == []
    assert (
        outsider.post(f"/api/v1/sms-replies/{row.pk}/review/", {}, format="json").status_code == 404
    )
    assert InboundSms.objects.get().status == "review"
