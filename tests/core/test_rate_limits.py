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


def _screen_pop_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "screen_pop": rate,
        },
    }


def test_screen_pop_has_its_own_lower_rate(client_for, agent_a, agent_b, settings, clock):
    """KEFU_THROTTLE_SCREEN_POP: the N+1th screen-pop in a window is 429 while other API
    calls of the same user still pass under the general rate."""
    _screen_pop_rate(settings, "3/min")
    client = client_for(agent_a)
    pop = "/api/v1/cti/screen-pop/"
    assert [client.get(pop, {"caller": "13912345678"}).status_code for _ in range(3)] == [200] * 3
    refused = client.get(pop, {"caller": "13912345678"})
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == "50"
    # Without the slash (as some CTI systems call it) counts in the same window.
    assert client.get("/api/v1/cti/screen-pop", {"caller": "13912345678"}).status_code == 429
    assert client.get(LINES).status_code == 200
    assert client_for(agent_b).get(pop, {"caller": "13912345678"}).status_code == 200
    clock.now += 50
    assert client.get(pop, {"caller": "13912345678"}).status_code == 200


@pytest.mark.parametrize(
    "lookup", [{"phone": "13912345678"}, {"q": "13912345678"}, {"account": "KD-A-0001"}]
)
def test_customer_search_by_number_shares_the_screen_pop_rate(
    client_for, agent_a, settings, clock, lookup
):
    _screen_pop_rate(settings, "2/min")
    client = client_for(agent_a)
    customers = "/api/v1/customers/"
    assert client.get("/api/v1/cti/screen-pop/", {"caller": "13912345678"}).status_code == 200
    assert client.get(customers, lookup).status_code == 200
    assert client.get(customers, lookup).status_code == 429
    # Searching by name and reading the list are not number lookups.
    assert client.get(customers, {"q": "王"}).status_code == 200
    assert client.get(customers).status_code == 200
