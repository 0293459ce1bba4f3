"""API tokens are read from the shared cache, and a revoked token or a disabled account
fails on the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token, TokenProxy
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LINES = "/api/v1/business-lines/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LINES).status_code == 200
    return sum("authtoken_token" in q["sql"] for q in queries.captured_queries)


def test_the_token_is_looked_up_once_not_on_every_request(agent_a):
    client = client_with(Token.objects.create(user=agent_a).key)
    assert token_queries(client) == 1
    assert token_queries(client) == 0


def test_a_deleted_token_fails_on_the_next_request(agent_a):
    token = Token.objects.create(user=agent_a)
    client = client_with(token.key)
    assert client.get(LINES).status_code == 200
    token.delete()
    response = client.get(LINES)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_token_revoked_in_the_admin_fails_on_the_next_request(agent_a):
    client = client_with(Token.objects.create(user=agent_a).key)
    assert client.get(LINES).status_code == 200
    TokenProxy.objects.get(user=agent_a).delete()  # the admin works on the proxy model
    assert client.get(LINES).status_code == 401


def test_a_disabled_account_fails_on_the_next_request(agent_a):
    client = client_with(Token.objects.create(user=agent_a).key)
    assert client.get(LINES).status_code == 200
    agent_a.is_active = False
    agent_a.save()
    assert client.get(LINES).status_code == 401
    agent_a.is_active = True
    agent_a.save()
    assert client.get(LINES).status_code == 200


def test_an_unknown_token_is_refused_every_time(db):
    client = client_with("0" * 40)
    assert [client.get(LINES).status_code for _ in range(2)] == [401, 401]


def test_an_address_spraying_unknown_tokens_is_stopped_before_the_database(
    agent_a, settings, django_assert_num_queries
):
    settings.KEFU_BAD_TOKENS_PER_MINUTE = 2
    known = client_with(Token.objects.create(user=agent_a).key)
    assert known.get(LINES).status_code == 200  # its token is in the cache from now on
    guesses = [client_with(f"{i:040d}") for i in range(3)]
    assert [c.get(LINES).status_code for c in guesses[:2]] == [401, 401]
    with django_assert_num_queries(0):
        refused = guesses[2].get(LINES)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < refused.json()["extra"]["wait_seconds"] <= 60
    assert known.get(LINES).status_code == 200
    # Another address is not affected.
    other = APIClient(REMOTE_ADDR="10.9.8.7")
    other.credentials(HTTP_AUTHORIZATION=f"Token {'9' * 40}")
    assert other.get(LINES).status_code == 401
