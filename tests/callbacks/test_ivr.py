"""Automatic voice callbacks through the IVR gateway: the call request goes out through
the signed outbox, results come back signed with the gateway's own secret; a digit is an
answer, anything else goes to a person; a result delivered twice counts once."""

from __future__ import annotations

import json

import pytest

from kefu.callbacks.models import CallbackSettings, CallbackTask, Level, Mode, TaskStatus
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.notify.backends import webhook_signature
from kefu.notify.models import Message, WebhookEndpoint
from kefu.workorders.models import WorkOrder

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def gateway(db):
    CallbackSettings.objects.create(automatic="ivr", manual_tiers=[])
    return WebhookEndpoint.objects.create(
        name="语音网关", url="http://127.0.0.1:9/ivr", events=["callback.ivr_call"]
    )


def _result(client, gateway, **fields):
    task = CallbackTask.objects.get()
    body = json.dumps(
        {
            "callback": task.pk,
            "call_id": "gw-1",
            "outcome": "answered",
            "digit": "1",
            "at": "2025-06-03T09:30:00+08:00",
            **fields,
        }
    ).encode()
    return client.post(
        "/api/v1/ivr/results",
        data=body,
        content_type="application/json",
        HTTP_X_KEFU_SIGNATURE=webhook_signature(gateway.secret, body),
    )


def test_the_call_request_goes_to_the_gateway_and_a_digit_answers(
    client, gateway, resolver, customer_a
):
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    assert task.mode == Mode.IVR and task.sms_sent_at is not None
    request = Message.objects.get(channel="webhook", template="callback.ivr_call")
    data = json.loads(request.body)["data"]
    assert data["callback"] == task.pk and data["phone"] == "13912345678"
    assert data["results_url"].endswith("/api/v1/ivr/results")
    assert not Message.objects.filter(template="callback_sms").exists()
    first = _result(client, gateway)
    assert first.status_code == 201
    assert _result(client, gateway).json()["duplicate"] is True
    assert CallbackTask.objects.get().items.get().level == Level.VERY_SATISFIED
    callbacks_monitor_pass()
    assert WorkOrder.objects.get(pk=order.pk).status == "closed"


@pytest.mark.parametrize(
    ("outcome", "digit"), [("no_answer", ""), ("answered", ""), ("answered", "9")]
)
def test_a_failed_automatic_call_goes_to_a_person(
    client, gateway, resolver, customer_a, outcome, digit
):
    resolver.resolved(customer=customer_a)
    assert _result(client, gateway, outcome=outcome, digit=digit).status_code == 201
    task = CallbackTask.objects.get()
    assert (task.status, task.mode) == (TaskStatus.OPEN, Mode.MANUAL)


def test_a_result_not_signed_by_the_gateway_is_refused(client, gateway, resolver, customer_a):
    resolver.resolved(customer=customer_a)
    body = json.dumps({"callback": CallbackTask.objects.get().pk}).encode()
    bad = client.post(
        "/api/v1/ivr/results",
        data=body,
        content_type="application/json",
        HTTP_X_KEFU_SIGNATURE=webhook_signature("another-secret", body),
    )
    assert bad.status_code == 401
    assert CallbackTask.objects.get().log.filter(mode="ivr", outcome="answered").count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"at": "soon"}, "at"),
        ({"at": "2025-13-45T10:00:00+08:00"}, "at"),
        ({"callback": "x"}, "callback"),
        ({"call_id": ""}, "call_id"),
        ({"digit": 5}, "digit"),
    ],
)
def test_malformed_results_name_the_field(client, gateway, resolver, customer_a, fields, field):
    resolver.resolved(customer=customer_a)
    response = _result(client, gateway, **fields)
    assert response.status_code == 400 and field in response.json()["extra"]["errors"]


def test_without_a_gateway_the_automatic_callback_is_an_sms(db, resolver, customer_a):
    CallbackSettings.objects.create(automatic="ivr", manual_tiers=[])
    resolver.resolved(customer=customer_a)
    assert CallbackTask.objects.get().mode == Mode.SMS
