"""API fixtures: token-authenticated clients and one customer in each of three counties."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.customers import services as customer_services
from tests.factories import make_customer, valid_id_number


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    # Throttle counters live in the cache; LocMemCache outlives a single test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(db):
    """A client that calls the API with the user's token, as an integration would."""

    def build(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return build


@pytest.fixture
def customer_a(agent_a, org):
    """Customer in county A1 with a broadband account and a tag."""
    customer = make_customer(
        actor=agent_a,
        org_unit=org["team_a1"],
        name="王小明",
        phone="13912345678",
        id_number=valid_id_number(seq="111"),
    )
    customer_services.customer_product_add(
        actor=agent_a, customer=customer, kind="broadband", account_number="KD-A-0001"
    )
    return customer


@pytest.fixture
def customer_b(agent_b, org):
    """Customer in county B1 — outside agent_a's and supervisor_a's scope."""
    customer = make_customer(
        actor=agent_b,
        org_unit=org["county_b1"],
        name="赵大海",
        phone="13698765432",
        id_number=valid_id_number(birth="19851111", seq="222"),
    )
    customer_services.customer_product_add(
        actor=agent_b, customer=customer, kind="broadband", account_number="KD-B-0001"
    )
    return customer


@pytest.fixture
def customer_a2(supervisor_a, org):
    """Customer in county A2: same prefecture as A1, another county."""
    return make_customer(
        actor=supervisor_a, org_unit=org["county_a2"], name="钱多多", phone="13755550000"
    )
