"""Customer API: data scope, masking, reveal and access log, concurrency, hostile input."""

from __future__ import annotations

import pytest
from django.utils import translation

from kefu.customers.models import AccessLog, ChangeRequest, Customer
from kefu.customers.validation import FIELD_LABELS
from tests.factories import make_customer, valid_id_number

URL = "/api/v1/customers/"


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- data scope -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "13698765432"},
        {"q": "赵"},
        {"q": "KD-B-0001"},
        {"phone": "13698765432"},
        {"phone": "136-9876-5432"},
        {"name": "赵大"},
        {"account": "KD-B-0001"},
        {"id_suffix": valid_id_number(birth="19851111", seq="222")[-6:]},
        {"tier": "basic"},
        {"kind": "individual"},
        {"org_unit": "county_b1"},
        {"org_unit": "pref_b"},
    ],
    ids=lambda p: ",".join(p) or "no-filter",
)
def test_agent_never_finds_other_countys_customer(
    params, client_for, agent_a, customer_a, customer_b, org
):
    if "org_unit" in params:
        params = {"org_unit": org[params["org_unit"]].pk}
    found = _ids(client_for(agent_a).get(URL, params))
    assert customer_b.pk not in found


def test_same_searches_find_the_customer_for_its_own_agent(client_for, agent_b, customer_b):
    """The probes above are meaningful: each search does find the customer in scope."""
    client = client_for(agent_b)
    for params in (
        {"q": "13698765432"},
        {"q": "赵"},
        {"q": "KD-B-0001"},
        {"phone": "136-9876-5432"},
        {"name": "赵大"},
        {"account": "KD-B-0001"},
        {"id_suffix": valid_id_number(birth="19851111", seq="222")[-6:]},
    ):
        assert _ids(client.get(URL, params)) == {customer_b.pk}, params


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"monthly_value": "999.00"}),
        ("get", "history/", None),
        ("post", "reveal/", {"fields": ["phone", "id_number"], "reason": "probe"}),
        (
            "post",
            "change-register/",
            {"changes": {"address": "X"}, "identity": {"phone": "13698765432"}, "reason": "r"},
        ),
        ("post", "tier-override/", {"tier": "diamond", "reason": "probe"}),
    ],
)
def test_other_countys_customer_is_404_on_every_path(
    method, suffix, body, client_for, agent_a, customer_b
):
    response = getattr(client_for(agent_a), method)(
        f"{URL}{customer_b.pk}/{suffix}", body, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    customer_b.refresh_from_db()
    assert customer_b.version == 1 and customer_b.address == "测试路1号"
    assert customer_b.tier_override == ""
    assert not AccessLog.objects.exists()
    assert not ChangeRequest.objects.exists()


def test_404_for_out_of_scope_equals_404_for_missing(client_for, agent_a, customer_b):
    client = client_for(agent_a)
    hidden = client.get(f"{URL}{customer_b.pk}/").json()
    missing = client.get(f"{URL}{customer_b.pk + 1000}/").json()
    assert hidden == missing


def test_customer_with_several_products_is_listed_once(client_for, agent_a, customer_a):
    from kefu.customers import services

    for account in ("KD-A-0002", "KD-A-0003"):
        services.customer_product_add(
            actor=agent_a, customer=customer_a, kind="broadband", account_number=account
        )
    client = client_for(agent_a)
    for params in ({"q": "13912345678"}, {"q": "KD-A-0002"}, {"account": "KD-A-0003"}):
        response = client.get(URL, params)
        assert [row["id"] for row in response.json()["results"]] == [customer_a.pk], params
        assert response.json()["count"] == 1


def test_supervisor_sees_both_counties_of_the_prefecture_only(
    client_for, supervisor_a, customer_a, customer_a2, customer_b
):
    client = client_for(supervisor_a)
    assert _ids(client.get(URL)) == {customer_a.pk, customer_a2.pk}
    assert client.get(f"{URL}{customer_a2.pk}/").status_code == 200
    assert client.get(f"{URL}{customer_b.pk}/").status_code == 404
    assert _ids(client.get(URL, {"q": "13698765432"})) == set()


def test_agent_cannot_create_in_another_county(client_for, agent_a, org):
    response = client_for(agent_a).post(
        URL,
        {"kind": "individual", "name": "越界客户", "org_unit": org["county_b1"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert not Customer.objects.filter(name="越界客户").exists()


# --- masking, reveal, access log ---------------------------------------------------------


def test_list_and_detail_mask_phone_and_id_number(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    listed = client.get(URL)
    detail = client.get(f"{URL}{customer_a.pk}/")
    history = client.get(f"{URL}{customer_a.pk}/history/")
    row = listed.json()["results"][0]
    assert row["phone"] == "139****5678" == detail.json()["phone"]
    assert row["id_number"] == customer_a.id_number[:6] + "********" + customer_a.id_number[-4:]
    for response in (listed, detail, history):
        body = response.content.decode()
        assert "13912345678" not in body
        assert customer_a.id_number not in body


def test_detail_shows_tier_pyramid_products_and_tags(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    client.patch(f"{URL}{customer_a.pk}/", {"tags": ["宽带", "老客户"]}, format="json")
    data = client.get(f"{URL}{customer_a.pk}/").json()
    assert data["effective_tier"] == "basic" and data["tier_display"]
    assert data["pyramid"] and data["customer_class"]
    assert data["org_unit_name"] == "A1县营业班"
    assert [p["account_number"] for p in data["products"]] == ["KD-A-0001"]
    assert sorted(data["tags"]) == ["宽带", "老客户"]


def test_reveal_returns_clear_values_and_writes_one_access_log_row(client_for, agent_a, customer_a):
    response = client_for(agent_a).post(
        f"{URL}{customer_a.pk}/reveal/",
        {"fields": ["phone", "id_number"], "reason": "客户来电核实"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"phone": "13912345678", "id_number": customer_a.id_number}
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.customer, entry.action) == (agent_a, customer_a, "reveal")
    assert entry.fields == "phone,id_number" and entry.reason == "客户来电核实"
    assert entry.ip == "127.0.0.1"


def test_reveal_forbidden_without_view_pii(client_for, make_user, org, customer_a):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client = client_for(dispatcher)
    assert client.get(f"{URL}{customer_a.pk}/").status_code == 200  # in scope
    response = client.post(f"{URL}{customer_a.pk}/reveal/", {"fields": ["phone"]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "13912345678" not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_access_log_readable_by_supervisor_not_by_agent(
    client_for, agent_a, supervisor_a, agent_b, customer_a, customer_b
):
    client_for(agent_a).post(f"{URL}{customer_a.pk}/reveal/", {"reason": "核实"}, format="json")
    client_for(agent_b).post(f"{URL}{customer_b.pk}/reveal/", {"reason": "核实"}, format="json")

    denied = client_for(agent_a).get("/api/v1/access-log/")
    assert denied.status_code == 403

    supervisor = client_for(supervisor_a)
    rows = supervisor.get("/api/v1/access-log/").json()["results"]
    assert [(r["actor"], r["customer"], r["action"]) for r in rows] == [
        ("agent_a", customer_a.pk, "reveal")
    ]
    assert rows[0]["customer_name"] == "王小明" and rows[0]["actor_unit_name"] == "A1县分公司"
    for params, count in (
        ({"actor": "agent_a"}, 1),
        ({"actor": "agent_b"}, 0),
        ({"action": "export"}, 0),
        ({"customer": customer_a.pk}, 1),
    ):
        assert supervisor.get("/api/v1/access-log/", params).json()["count"] == count, params


# --- writes -----------------------------------------------------------------------------


def test_create_customer_with_products_and_tags(client_for, agent_a, org):
    response = client_for(agent_a).post(
        URL,
        {
            "kind": "individual",
            "name": "孙丽",
            "phone": "139 0000 1111",
            "id_number": valid_id_number(seq="333"),
            "address": "和平路5号",
            "org_unit": org["county_a1"].pk,
            "monthly_value": "320.50",
            "products": [{"kind": "mobile", "account_number": "13900001111", "name": "畅享套餐"}],
            "tags": ["新装"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["phone"] == "139****1111" and data["tier"] == "gold"
    assert data["products"][0]["account_number"] == "139****1111"  # a phone account: masked
    assert data["tags"] == ["新装"]
    customer = Customer.objects.get(pk=data["id"])
    assert customer.phone == "13900001111"
    assert customer.history.count() == 1


def test_stale_version_patch_is_409_conflict(client_for, agent_a, supervisor_a, customer_a):
    version = client_for(agent_a).get(f"{URL}{customer_a.pk}/").json()["version"]
    first = client_for(supervisor_a).patch(
        f"{URL}{customer_a.pk}/", {"monthly_value": "300.00", "version": version}, format="json"
    )
    assert first.status_code == 200 and first.json()["version"] == version + 1
    assert first.json()["tier"] == "gold"

    stale = client_for(agent_a).patch(
        f"{URL}{customer_a.pk}/", {"monthly_value": "10.00", "version": version}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict" and stale.json()["message"]
    customer_a.refresh_from_db()
    assert str(customer_a.monthly_value) == "300.00"


def test_patch_refuses_sensitive_fields(client_for, agent_a, customer_a):
    response = client_for(agent_a).patch(
        f"{URL}{customer_a.pk}/", {"phone": "13800000000"}, format="json"
    )
    assert response.status_code == 400
    assert str(FIELD_LABELS["phone"]) in response.json()["extra"]["errors"]
    customer_a.refresh_from_db()
    assert customer_a.phone == "13912345678"


def test_change_register_applies_after_identity_check(client_for, agent_a, customer_a):
    url = f"{URL}{customer_a.pk}/change-register/"
    client = client_for(agent_a)
    body = {
        "changes": {"address": "解放路9号"},
        "identity": {"phone": "13900000000"},
        "reason": "客户搬家",
        "channel": "热线",
    }
    failed = client.post(url, body, format="json")
    assert failed.status_code == 400 and failed.json()["code"] == "identity_check_failed"
    customer_a.refresh_from_db()
    assert customer_a.address == "测试路1号"

    body["identity"] = {"phone": "139-1234-5678"}
    done = client.post(url, body, format="json")
    assert done.status_code == 201, done.content
    assert done.json()["identity_checks"] == ["phone"]
    assert done.json()["changes"] == {"address": ["测试路1号", "解放路9号"]}
    assert client.get(f"{URL}{customer_a.pk}/").json()["address"] == "解放路9号"


def test_tier_override_needs_a_reason(client_for, agent_a, customer_a):
    url = f"{URL}{customer_a.pk}/tier-override/"
    client = client_for(agent_a)
    assert client.post(url, {"tier": "diamond"}, format="json").status_code == 400
    response = client.post(url, {"tier": "diamond", "reason": "集团重要客户"}, format="json")
    assert response.status_code == 200
    assert response.json()["effective_tier"] == "diamond"
    assert response.json()["tier"] == "basic"


# --- hostile input ----------------------------------------------------------------------


def test_overlong_name_is_rejected_naming_the_field(client_for, agent_a, org):
    with translation.override("en"):
        response = client_for(agent_a).post(
            URL,
            {"kind": "individual", "name": "王" * 10_000, "org_unit": org["county_a1"].pk},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        label = str(FIELD_LABELS["name"])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert list(body["extra"]["errors"]) == [label]
    assert body["message"].startswith(f"{label}: ")
    assert not Customer.objects.exists()


def test_markup_in_names_is_kept_as_text(client_for, agent_a, org, customer_a):
    """One rule for UI, API and import: names are text, stored as typed, escaped on output."""
    client = client_for(agent_a)
    name = "<script>alert('x')</script>"
    response = client.post(
        URL,
        {"kind": "individual", "name": name, "org_unit": org["county_a1"].pk},
        format="json",
    )
    assert response.status_code == 201 and response.json()["name"] == name
    assert response["Content-Type"].startswith("application/json")
    response = client.post(
        f"{URL}{customer_a.pk}/change-register/",
        {
            "changes": {"name": "<img src=x onerror=alert(1)>"},
            "identity": {"phone": "13912345678"},
            "reason": "改名",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer_a.refresh_from_db()
    assert customer_a.name == "<img src=x onerror=alert(1)>"


def test_invalid_phone_names_the_field_in_chinese(client_for, agent_a, org):
    response = client_for(agent_a).post(
        URL,
        {"kind": "individual", "name": "周一", "phone": "12345", "org_unit": org["county_a1"].pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    with translation.override("zh-hans"):
        label = str(FIELD_LABELS["phone"])
    assert label in response.json()["extra"]["errors"]
    assert not Customer.objects.exists()


# --- queries ----------------------------------------------------------------------------


def _list_queries(client, django_assert_max_num_queries, limit: int) -> int:
    """Queries of one list page: token + user, permissions (2), scope, count and the page
    (with org unit and manager joined) — never one per row. Products, contacts and tags
    are the detail's business."""
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(URL, {"page_size": 100})
    assert response.status_code == 200
    return len(captured)


def test_customer_list_query_count_does_not_grow_with_rows(
    client_for, supervisor_a, org, django_assert_max_num_queries
):
    from kefu.customers import services

    client = client_for(supervisor_a)

    def add(n: int) -> None:
        for i in range(n):
            customer = make_customer(actor=supervisor_a, org_unit=org["county_a1"])
            services.customer_product_add(
                actor=supervisor_a, customer=customer, kind="mobile", account_number=f"M{i}"
            )
            services.customer_update(
                actor=supervisor_a,
                customer=customer,
                data={"tags": ["批量", f"t{i}"], "manager": supervisor_a},
            )

    add(2)
    client.get("/api/v1/customers/")  # from now on the token comes from the cache
    few = _list_queries(client, django_assert_max_num_queries, 6)
    add(30)
    many = _list_queries(client, django_assert_max_num_queries, 6)
    assert many == few


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/org-units/?parent=9223372036854775808",
        "/api/v1/customers/?org_unit=99999999999999999999",
        "/api/v1/staff/?org_unit=9223372036854775808",
        "/api/v1/access-log/?customer=9223372036854775808",
    ],
)
def test_out_of_range_ids_in_filters_are_refused_not_crashing(client_for, admin_user, url):
    response = client_for(admin_user).get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


def test_out_of_range_ids_in_bodies_are_refused(client_for, admin_user, customer_a):
    client = client_for(admin_user)
    created = client.post(
        URL, {"kind": "individual", "name": "某", "org_unit": 2**64}, format="json"
    )
    patched = client.patch(f"{URL}{customer_a.pk}/", {"version": 2**40}, format="json")
    assert (created.status_code, patched.status_code) == (400, 400)


# --- ID-number suffix: at most six characters ---------------------------------------------


def test_id_suffix_longer_than_six_is_a_400_naming_the_field(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    with translation.override("zh-hans"):
        refused = client.get(
            URL, {"id_suffix": customer_a.id_number[-7:]}, headers={"Accept-Language": "zh-hans"}
        )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_failed"
    assert list(body["extra"]["errors"]) == ["证件号码后几位"]
    # the whole number, which would confirm a masked ID number, is refused the same way
    assert client.get(URL, {"id_suffix": customer_a.id_number}).status_code == 400
    assert _ids(client.get(URL, {"id_suffix": customer_a.id_number[-6:]})) == {customer_a.pk}


def test_id_suffix_limit_holds_in_the_selector_for_every_caller(agent_a, customer_a):
    from kefu.core.errors import ValidationFailed
    from kefu.customers import selectors

    with pytest.raises(ValidationFailed):
        selectors.customer_list(viewer=agent_a, filters={"id_suffix": customer_a.id_number})
