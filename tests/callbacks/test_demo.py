"""The demo's callbacks: what history implies, through the real services — most answered
by SMS, a few dissatisfied with a reason and followed up, some never reached, and SMS
replies nobody could read, read by a person (the last hours' still waiting)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from kefu.callbacks.models import CallbackItem, InboundSms
from kefu.customers.demo import demo_customers_create
from kefu.org.demo import org_demo_seed
from kefu.workorders.demo import demo_work_orders_create

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


@pytest.fixture
def demo(db):
    org_demo_seed()
    demo_customers_create(count=150, seed=11)
    demo_work_orders_create(count=260, seed=3, days=20, now=NOW)


def test_the_demo_has_callbacks_in_realistic_shares_and_replies_read_by_a_person(demo):
    levels = Counter(CallbackItem.objects.exclude(level="").values_list("level", flat=True))
    answered = sum(levels.values())
    assert levels["dissatisfied"] > 0 and levels["very_satisfied"] > levels["dissatisfied"]
    assert levels["dissatisfied"] / answered < 0.25
    dissatisfied = CallbackItem.objects.filter(level="dissatisfied", status="done")
    assert dissatisfied.exists() and not dissatisfied.filter(reason=None, comment="").exists()
    assert CallbackItem.objects.filter(status="exhausted").exists()  # never reached
    replies = Counter(InboundSms.objects.values_list("status", flat=True))
    assert replies["reviewed"] > 0, replies
    reviewed = InboundSms.objects.filter(status="reviewed").first()
    assert reviewed.reviewed_by is not None
