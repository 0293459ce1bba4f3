"""Sign-in with throttling, sign-out, language switch, navigation by role, error pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.web import throttle
from tests.factories import PASSWORD


@pytest.fixture
def fast_lock(settings):
    settings.KEFU_LOGIN_MAX_FAILURES = 3
    settings.KEFU_LOGIN_LOCK_SECONDS = 600
    return settings


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_pages_need_sign_in(client, org):
    for name in ("web:home", "customers:customer_list", "customers:access_log", "org:org_tree"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_sign_in_with_right_password(client, agent_a):
    response = _login(client, "agent_a", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def test_wrong_password_shows_the_error(client, agent_a):
    response = _login(client, "agent_a", "wrong-password")
    assert response.status_code == 200
    assert 'id="login-error"' in response.text


def test_login_locks_after_max_failures_even_with_right_password(client, agent_a, fast_lock):
    for _ in range(3):
        _login(client, "agent_a", "wrong-password")
    locked = _login(client, "agent_a", PASSWORD)
    assert locked.status_code == 200
    assert locked.context["form"].has_error("__all__", code="locked")
    assert "_auth_user_id" not in client.session

    # Another address, or another user name from this address, is not locked.
    assert _login(client, "agent_a", PASSWORD, ip="10.0.0.9").status_code == 302


def test_the_failure_that_reaches_the_limit_already_says_locked(client, agent_a, fast_lock):
    _login(client, "AGENT_A", "wrong-1")
    _login(client, "agent_a ", "wrong-2")
    third = _login(client, "agent_a", "wrong-3")
    assert third.context["form"].has_error("__all__", code="locked")


def test_lock_ends_when_the_window_closes(client, agent_a, fast_lock, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: clock[0])
    for _ in range(3):
        _login(client, "agent_a", "wrong-password")
    assert _login(client, "agent_a", PASSWORD).status_code == 200
    clock[0] += 601
    assert _login(client, "agent_a", PASSWORD).status_code == 302


def test_success_resets_the_failure_count(client, agent_a, fast_lock):
    _login(client, "agent_a", "wrong-1")
    _login(client, "agent_a", "wrong-2")
    assert _login(client, "agent_a", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    _login(client, "agent_a", "wrong-3")
    _login(client, "agent_a", "wrong-4")
    assert _login(client, "agent_a", PASSWORD).status_code == 302


def test_logout_is_post_only(client, agent_a):
    client.force_login(agent_a)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_language_switch_to_english_and_back(client, agent_a):
    client.force_login(agent_a)
    home = reverse("web:home")
    response = client.post(reverse("set_language"), {"language": "en", "next": home})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(home).text
    client.post(reverse("set_language"), {"language": "zh-hans", "next": home})
    assert '<html lang="zh-hans">' in client.get(home).text


def test_navigation_follows_permissions(client, agent_a, supervisor_a):
    client.force_login(agent_a)
    text = client.get(reverse("web:home")).text
    assert 'id="nav-customer_list"' in text
    assert 'id="nav-access_log"' not in text  # agents cannot browse the access log
    client.force_login(supervisor_a)
    text = client.get(reverse("web:home")).text
    assert 'id="nav-access_log"' in text and 'id="nav-staff_list"' in text


def test_administration_link_only_for_staff_users(client, admin_user, agent_a):
    client.force_login(agent_a)
    assert 'id="nav-admin-index"' not in client.get(reverse("web:home")).text
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    assert 'id="nav-admin-index"' in client.get(reverse("web:home")).text


def test_navigation_marks_the_current_section(client, agent_a):
    client.force_login(agent_a)
    text = client.get(reverse("customers:customer_list")).text
    assert 'id="nav-customer_list" class="is-active"' in text
    assert 'id="nav-home" class=""' in text


def test_home_counts_customers_in_scope_by_tier(client, agent_a, agent_b, org):
    from tests.factories import make_customer

    make_customer(actor=agent_a, org_unit=org["county_a1"], monthly_value="250")  # gold
    make_customer(actor=agent_a, org_unit=org["team_a1"], monthly_value="260")  # gold
    make_customer(actor=agent_a, org_unit=org["team_a1"], monthly_value="10")  # basic
    make_customer(actor=agent_b, org_unit=org["county_b1"], monthly_value="900")  # not mine
    client.force_login(agent_a)
    response = client.get(reverse("web:home"))
    assert dict(response.context["tier_counts"]) == {"gold": 2, "basic": 1}
    assert 'id="customer-total">3<' in response.text
    assert 'id="quick-search"' in response.text


def test_unknown_page_is_the_chinese_404_template(client, agent_a):
    client.force_login(agent_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'id="error-404"' in response.text


def test_server_error_page_renders_without_a_request():
    """Django renders 500.html with no context processors; it must still work."""
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert 'id="error-500"' in html


@pytest.fixture
def staff_admin(admin_user):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    return admin_user


def _admin_login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_failures_on_the_sign_in_page_lock_the_admin_login(client, staff_admin, fast_lock):
    for _ in range(3):
        _login(client, staff_admin.username, "wrong-password")
    locked = _admin_login(client, staff_admin.username, PASSWORD)
    assert locked.status_code == 200
    assert locked.context["form"].has_error("__all__", code="locked")
    assert "_auth_user_id" not in client.session
    # From another address the right password still signs in.
    assert _admin_login(client, staff_admin.username, PASSWORD, ip="10.0.0.9").status_code == 302


def test_failures_on_the_admin_login_lock_the_sign_in_page_and_the_api(
    client, staff_admin, fast_lock
):
    for _ in range(3):
        _admin_login(client, staff_admin.username, "wrong-password")
    assert _admin_login(client, staff_admin.username, PASSWORD).status_code == 200
    locked = _login(client, staff_admin.username, PASSWORD)
    assert locked.context["form"].has_error("__all__", code="locked")
    token = client.post(
        "/api/v1/auth/token/",
        {"username": staff_admin.username, "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
    )
    assert token.status_code == 429
    assert token.json()["code"] == "throttled"
