"""Per-user and per-address API rate limits (kefu.core.throttling): fixed windows."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

from kefu.core.throttling import FixedWindowMixin

LINES = "/api/v1/business-lines/"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Ten seconds into a minute: the window's end is 50 s away.
    clock = Clock(1_800_000_010.0)
    monkeypatch.setattr(FixedWindowMixin, "timer", clock, raising=False)
    return clock


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**rates):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        )

    return set_rates


def test_a_user_over_the_rate_waits_for_the_next_window(client_for, agent_a, agent_b, rates, clock):
    rates(user="3/min")
    client = client_for(agent_a)
    assert [client.get(LINES).status_code for _ in range(3)] == [200] * 3
    refused = client.get(LINES)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and body["extra"]["wait_seconds"] == 50
    assert refused["Retry-After"] == "50"
    # Somebody else's quota is their own.
    assert client_for(agent_b).get(LINES).status_code == 200
    clock.now += 50
    assert client.get(LINES).status_code == 200
