"""Customer pages: data scope on list, search and 360 page; masking; the logged reveal;
forms that render service errors; hostile input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.customers.models import AccessLog, Customer, CustomerHistory
from tests.factories import make_customer

HTMX = {"HX-Request": "true"}


@pytest.fixture
def mine(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], name="王小明", phone="13912345678")


@pytest.fixture
def theirs(agent_b, org):
    return make_customer(
        actor=agent_b, org_unit=org["county_b1"], name="王大明", phone="13887654321"
    )


def _detail(pk: int) -> str:
    return reverse("customers:customer_detail", args=[pk])


def test_list_shows_only_customers_in_scope(client, agent_a, mine, theirs):
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_list"))
    assert response.status_code == 200
    assert f'id="customer-{mine.pk}"' in response.text
    assert f'id="customer-{theirs.pk}"' not in response.text


@pytest.mark.parametrize("by", ["phone", "name", "id_suffix", "code"])
def test_search_never_reaches_another_county(client, agent_a, agent_b, mine, theirs, by):
    """By phone, name prefix, ID suffix or number: the other county's customer stays
    invisible to agent A, while agent B finds it with the same query."""
    q = {
        "phone": theirs.phone,
        "name": "王大",
        "id_suffix": theirs.id_number[-6:],
        "code": theirs.code,
    }[by]
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_list"), {"q": q})
    assert f'id="customer-{theirs.pk}"' not in response.text
    client.force_login(agent_b)
    response = client.get(reverse("customers:customer_list"), {"q": q})
    assert f'id="customer-{theirs.pk}"' in response.text


def test_search_by_phone_finds_the_customer_with_masked_phone(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_list"), {"q": "139-1234-5678"})
    assert f'id="customer-{mine.pk}"' in response.text
    assert "139****5678" in response.text
    assert "13912345678" not in response.text


def test_htmx_search_returns_only_the_results_fragment(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_list"), {"q": "王小"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]
    assert 'id="customer-table"' in response.text
    assert f'id="customer-{mine.pk}"' in response.text


def test_filters_by_tier_and_unit_subtree(client, supervisor_a, agent_a, org):
    gold = make_customer(actor=agent_a, org_unit=org["team_a1"], monthly_value="250")
    basic = make_customer(actor=agent_a, org_unit=org["team_a1"], monthly_value="10")
    other_unit = make_customer(actor=supervisor_a, org_unit=org["county_a2"], monthly_value="250")
    client.force_login(supervisor_a)
    response = client.get(
        reverse("customers:customer_list"), {"tier": "gold", "org_unit": org["county_a1"].pk}
    )
    assert f'id="customer-{gold.pk}"' in response.text
    assert f'id="customer-{basic.pk}"' not in response.text
    assert f'id="customer-{other_unit.pk}"' not in response.text


def test_filter_outside_scope_is_reported_and_other_filters_still_apply(client, agent_a, mine, org):
    other = make_customer(actor=agent_a, org_unit=org["county_a1"], name="李四")
    client.force_login(agent_a)
    response = client.get(
        reverse("customers:customer_list"), {"q": "王小", "org_unit": org["county_b1"].pk}
    )
    assert 'id="form-errors"' in response.text
    assert f'id="customer-{mine.pk}"' in response.text
    assert f'id="customer-{other.pk}"' not in response.text


def test_list_pages_by_fifty(client, supervisor_a, org):
    customers = [
        make_customer(actor=supervisor_a, org_unit=org["county_a1"], name=f"客户{i}")
        for i in range(51)
    ]
    client.force_login(supervisor_a)
    first = client.get(reverse("customers:customer_list"))
    assert first.text.count('class="customer-link"') == 50
    assert 'id="page-next"' in first.text
    second = client.get(reverse("customers:customer_list"), {"page": "2"})
    assert second.text.count('class="customer-link"') == 1
    assert f'id="customer-{customers[0].pk}"' in second.text  # oldest last
    assert 'id="page-prev"' in second.text and 'id="page-next"' not in second.text


def test_list_query_count_does_not_grow_with_rows(
    client, supervisor_a, org, django_assert_max_num_queries
):
    for i in range(60):
        make_customer(actor=supervisor_a, org_unit=org["team_a1"], name=f"客户{i}")
    client.force_login(supervisor_a)
    # session, user, permissions (user + roles), scope, own staff profile, unit choices,
    # and one query for the page of rows (org unit joined; no COUNT, no query per row)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customers:customer_list"))
    assert response.text.count('class="customer-link"') == 50


def test_county_agent_cannot_open_another_countys_customer(client, agent_a, theirs):
    client.force_login(agent_a)
    response = client.get(_detail(theirs.pk))
    assert response.status_code == 404
    assert 'id="error-404"' in response.text
    assert "王大明" not in response.text


def test_detail_shows_masked_contacts_tier_reason_and_history(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.get(_detail(mine.pk))
    assert response.status_code == 200
    text = response.text
    assert "139****5678" in text and "13912345678" not in text
    assert mine.id_number not in text
    assert 'id="tier-why"' in text
    # 88 a month: basic (threshold 0); silver needs 100, i.e. 12 more
    why = text[text.index('id="tier-why"') :]
    assert "¥0.00" in why and "¥100.00" in why and "¥12.00" in why
    assert 'id="customer-history"' in text and 'class="timeline-item"' in text
    assert 'id="reveal-phone"' in text  # agents hold customers.view_pii


def test_reveal_returns_clear_phone_and_writes_access_log(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_reveal", args=[mine.pk]),
        {"field": "phone"},
        headers=HTMX,
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    assert f'id="customer-{mine.pk}-phone">13912345678<' in response.text
    assert "no-store" in response["Cache-Control"]
    entry = AccessLog.objects.get(customer=mine)
    assert (entry.actor, entry.action, entry.fields, entry.ip) == (
        agent_a,
        "reveal",
        "phone",
        "10.1.2.3",
    )


def test_reveal_needs_view_pii(client, org, make_user, mine):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client.force_login(dispatcher)
    page = client.get(_detail(mine.pk))
    assert page.status_code == 200
    assert 'id="reveal-phone"' not in page.text
    response = client.post(reverse("customers:customer_reveal", args=[mine.pk]), {"field": "phone"})
    assert response.status_code == 403
    assert 'id="error-403"' in response.text
    assert "13912345678" not in response.text
    assert not AccessLog.objects.exists()


def test_reveal_outside_scope_is_404_and_not_logged(client, agent_a, theirs):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_reveal", args=[theirs.pk]), {"field": "phone"}
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_reveal_rejects_unknown_field_without_server_error(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_reveal", args=[mine.pk]), {"field": "address"}
    )
    assert response.status_code == 400
    assert not AccessLog.objects.exists()


def test_reveal_is_post_only(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_reveal", args=[mine.pk]))
    assert response.status_code == 405


def test_script_in_name_renders_escaped(client, agent_a, org):
    hostile = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="<script>alert('x')</script>"
    )
    client.force_login(agent_a)
    for url in (reverse("customers:customer_list"), _detail(hostile.pk)):
        text = client.get(url).text
        assert "<script>alert(" not in text
        assert "&lt;script&gt;alert(" in text


def _register(client, customer, **fields):
    data = {"reg-reason": "客户来电", **{f"reg-{k}": v for k, v in fields.items()}}
    return client.post(reverse("customers:customer_change_register", args=[customer.pk]), data)


def test_too_long_name_is_rejected_naming_the_field(client, agent_a, mine):
    client.force_login(agent_a)
    response = _register(client, mine, name="王" * 150, check_phone="13912345678")
    assert response.status_code == 400
    errors = response.context["register_form"].errors
    assert "name" in errors
    assert 'id="reg-errors"' in response.text
    label = str(response.context["register_form"].fields["name"].label)
    assert f"<strong>{label}</strong>" in response.text
    mine.refresh_from_db()
    assert mine.name == "王小明"


def test_change_register_with_wrong_identity_shows_message_and_changes_nothing(
    client, agent_a, mine
):
    client.force_login(agent_a)
    response = _register(client, mine, address="新地址 1 号", check_phone="13900000000")
    assert response.status_code == 400
    assert 'id="reg-errors"' in response.text
    assert 'id="register-card" open' in response.text
    mine.refresh_from_db()
    assert mine.address == "测试路1号"


def test_change_register_with_matching_identity_applies_and_records(client, agent_a, mine):
    client.force_login(agent_a)
    response = _register(client, mine, address="新地址 1 号", check_phone="139 1234 5678")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.address == "新地址 1 号"
    assert mine.change_requests.get().identity_checks == ["phone"]
    page = client.get(_detail(mine.pk))
    assert "新地址 1 号" in page.text and "客户来电" in page.text


def test_change_register_needs_the_permission(client, org, make_user, mine):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client.force_login(dispatcher)
    assert 'id="register-form"' not in client.get(_detail(mine.pk)).text
    response = _register(client, mine, address="x", check_phone="13912345678")
    assert response.status_code == 403


def test_tier_override_needs_a_reason_and_shows_it(client, agent_a, mine):
    client.force_login(agent_a)
    url = reverse("customers:customer_tier_override", args=[mine.pk])
    missing = client.post(url, {"tier-tier": "gold", "tier-reason": ""})
    assert missing.status_code == 400
    assert 'id="tier-errors"' in missing.text
    mine.refresh_from_db()
    assert mine.tier_override == ""

    done = client.post(url, {"tier-tier": "gold", "tier-reason": "重点维系客户"})
    assert done.status_code == 302
    page = client.get(_detail(mine.pk))
    assert 'id="tier-override-note"' in page.text and "重点维系客户" in page.text


def test_edit_updates_value_and_tier_and_keeps_history(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_edit", args=[mine.pk]),
        {"edit-monthly_value": "600", "edit-tags": "宽带, 老客户", "edit-version": mine.version},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.tier == "diamond"
    assert sorted(mine.tags.values_list("name", flat=True)) == ["宽带", "老客户"]
    assert CustomerHistory.objects.filter(customer=mine, source="edit").exists()


def test_edit_with_stale_version_reports_conflict_in_the_form(client, agent_a, mine):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_edit", args=[mine.pk]),
        {"edit-monthly_value": "600", "edit-version": mine.version + 5},
    )
    assert response.status_code == 400
    assert 'id="edit-errors"' in response.text
    assert Customer.objects.get(pk=mine.pk).monthly_value == mine.monthly_value


def test_forms_outside_scope_are_404(client, agent_a, theirs):
    client.force_login(agent_a)
    response = _register(client, theirs, address="x", check_phone="13887654321")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("proxies", "forwarded", "logged"),
    [
        (None, "203.0.113.9", "127.0.0.1"),  # no proxy configured: a forged header is ignored
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # behind nginx: the real client
        (1, "not-an-address", "127.0.0.1"),  # garbage never reaches the log
    ],
)
def test_access_log_records_the_client_behind_trusted_proxies(
    client, agent_a, mine, settings, proxies, forwarded, logged
):
    from kefu.customers.models import AccessLog

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_reveal", args=[mine.pk]),
        {"field": "phone"},
        HTTP_X_FORWARDED_FOR=forwarded,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "13912345678" in response.text
    assert AccessLog.objects.get(customer=mine).ip == logged
