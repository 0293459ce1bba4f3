"""Orders resolved on the clock the tests set, and the SMS gateway's signature."""

from __future__ import annotations

import json

import pytest

from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.notify.backends import webhook_signature
from kefu.workorders import actions
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create
from tests.factories import complaint_verdict

SECRET = "gateway-secret-for-tests"


@pytest.fixture(autouse=True)
def _inbound_secret(settings):
    settings.KEFU_SMS_INBOUND_SECRET = SECRET


class Resolver:
    """Orders taken in by agent A, dispatched to team A1 and resolved by its handler."""

    def __init__(self, org, agent, dispatcher, handler, types):
        self.org, self.agent, self.dispatcher, self.handler = org, agent, dispatcher, handler
        self.types = types

    def resolved(self, *, customer, type_code="fault", unit=None, handler=None, title="宽带断网"):
        order = work_order_create(
            actor=self.agent,
            order_type=self.types[type_code],
            channel=Channel.HOTLINE,
            title=title,
            customer=customer,
        )
        handler = handler or self.handler
        order = actions.work_order_dispatch(
            actor=self.dispatcher, order=order, unit=unit or self.org["team_a1"], handler=handler
        )
        order = actions.work_order_accept(actor=handler, order=order)
        verdict = complaint_verdict() if self.types[type_code].is_complaint else {}
        order = actions.work_order_resolve(
            actor=handler, order=order, resolution="已修复", **verdict
        )
        callbacks_monitor_pass()  # the periodic task's next minute: into a call, the SMS
        return order


@pytest.fixture
def resolver(org, agent_a, dispatcher_a, handler_a1, types):
    return Resolver(org, agent_a, dispatcher_a, handler_a1, types)


@pytest.fixture
def callback_agent(org, make_user):
    """A 回访员 of prefecture A."""
    return make_user("cb_a", org["pref_a"], "callback_agent")


def signed_post(client, payload: dict | bytes, *, secret: str = SECRET, header=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if header is not False:
        headers["HTTP_X_KEFU_SIGNATURE"] = (
            webhook_signature(secret, body) if header is None else header
        )
    return client.post("/api/v1/sms/inbound", data=body, content_type="application/json", **headers)
