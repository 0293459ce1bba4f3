"""API authentication: token login, throttling, the 401/403 shape, and the API docs."""

from __future__ import annotations

import re

from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def test_token_login_then_call_with_token(agent_a, customer_a):
    anonymous = APIClient()
    response = anonymous.post(
        TOKEN_URL, {"username": "agent_a", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    again = anonymous.post(TOKEN_URL, {"username": "agent_a", "password": PASSWORD}, format="json")
    assert again.json()["token"] == token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/customers/")
    assert listed.status_code == 200 and listed.json()["count"] == 1


def test_wrong_password_gets_no_token(agent_a):
    response = APIClient().post(
        TOKEN_URL, {"username": "agent_a", "password": "wrong-password"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert "token" not in response.json()


def test_token_endpoint_is_throttled_per_client(db):
    client = APIClient()
    codes = [
        client.post(TOKEN_URL, {"username": f"nobody{i}", "password": "x"}, format="json")
        for i in range(11)
    ]
    assert [r.status_code for r in codes[:10]] == [400] * 10
    assert codes[10].status_code == 429
    body = codes[10].json()
    assert body["code"] == "throttled" and body["extra"]["wait_seconds"] > 0


def test_a_forged_forwarded_for_does_not_escape_the_token_throttle(db):
    client = APIClient()
    codes = [
        client.post(
            TOKEN_URL,
            {"username": f"nobody{i}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",  # a new "address" every time
        ).status_code
        for i in range(11)
    ]
    assert codes == [400] * 10 + [429]


def test_repeated_wrong_passwords_lock_the_username_like_the_sign_in_page(
    agent_a, agent_b, settings
):
    client = APIClient()
    for _ in range(settings.KEFU_LOGIN_MAX_FAILURES):
        wrong = client.post(TOKEN_URL, {"username": "agent_a", "password": "x"}, format="json")
        assert wrong.status_code == 400
    right = client.post(TOKEN_URL, {"username": "agent_a", "password": PASSWORD}, format="json")
    assert right.status_code == 429 and right.json()["code"] == "throttled"
    assert "token" not in right.json()
    other = client.post(TOKEN_URL, {"username": "agent_b", "password": PASSWORD}, format="json")
    assert other.status_code == 200


def test_unauthenticated_requests_are_refused(db, customer_a):
    for url in ("/api/v1/customers/", f"/api/v1/customers/{customer_a.pk}/", "/api/v1/staff/"):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"
        assert "王小明" not in response.content.decode()


def test_bad_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/customers/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"


def test_session_login_works_for_the_browser(agent_a, customer_a):
    client = APIClient()
    assert client.login(username="agent_a", password=PASSWORD)
    assert client.get("/api/v1/customers/").json()["count"] == 1


def test_schema_and_docs_are_served_without_cdn(db):
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/customers/{id}/reveal/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Every script and stylesheet comes from our own static files, none from another host.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
