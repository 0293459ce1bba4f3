"""Time-limit fixtures: a settable clock, the work-order org, supervisors on two levels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.calendars.business_time import SHANGHAI
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock time, e.g. at("2025-09-30 17:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


class FakeClock:
    """What timezone.now() returns: the services, auto_now fields and notify all ask it."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> dt.datetime:
        self.now = at(text)
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The wall clock, replaced (an outside system): tests say what time it is."""
    fake = FakeClock(at("2025-06-03 09:00"))  # a Tuesday
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def types(db):
    from kefu.workorders.models import WorkOrderType

    return {t.code: t for t in WorkOrderType.objects.all()}


@pytest.fixture
def dispatcher_a(org, make_user):
    return make_user("disp_a", org["pref_a"], "dispatcher")


@pytest.fixture
def handlers_a1(org, make_user):
    """Three handlers in team A1 (below county A1)."""
    return [make_user(f"hand_a1_{i}", org["team_a1"], "handler") for i in range(3)]


@pytest.fixture
def customer_a1(org, agent_a):
    from tests.factories import make_customer

    return make_customer(actor=agent_a, org_unit=org["county_a1"], name="王小明")


@pytest.fixture
def supervisor_county(org, make_user):
    """A supervisor sitting in county A1 (above team A1)."""
    return make_user("sup_county_a1", org["county_a1"], "supervisor")


@pytest.fixture
def vip_customer(org, agent_a):
    from tests.factories import make_customer

    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], monthly_value="800")
    assert customer.effective_tier == "diamond"
    return customer


@pytest.fixture
def take_in(agent_a, customer_a1, types):
    """Take an order in as agent A (a complaint by customer A1 unless told otherwise)."""

    def _take_in(type_code: str = "complaint", *, customer=None, line=None, **extra):
        from kefu.workorders.models import BusinessLine

        return work_order_create(
            actor=agent_a,
            order_type=types[type_code],
            channel=extra.pop("channel", Channel.HOTLINE),
            title="宽带经常掉线",
            customer=customer or customer_a1,
            business_line=BusinessLine.objects.get(code=line) if line else None,
            **extra,
        )

    return _take_in


@pytest.fixture
def dispatch(org, dispatcher_a, handlers_a1):
    """Dispatch an order to team A1, handler 0."""

    def _dispatch(order):
        return work_order_act(
            actor=dispatcher_a,
            order=order,
            action="dispatch",
            data={"unit": org["team_a1"], "handler": handlers_a1[0]},
        )

    return _dispatch
