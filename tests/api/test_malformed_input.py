"""Hostile or broken input is a 400 (or a 404) in the error shape, never a server error."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

WO = "/api/v1/work-orders/"


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    return body


def _post_raw(client, url: str, raw: str):
    return client.generic("POST", url, raw.encode(), content_type="application/json")


@pytest.mark.parametrize(
    "field", ["title", "description", "contact_name", "channel", "order_type", "business_line"]
)
def test_a_lone_surrogate_in_a_json_string_is_a_400(api, field):
    raw = '{"order_type": "complaint", "channel": "hotline", "title": "t", "%s": "a\\ud800b"}'
    body = _error(_post_raw(api, WO, raw % field), 400)
    assert body["code"] in {"parse_error", "validation_failed"}


def test_a_lone_surrogate_in_a_customer_search_is_a_400(api):
    body = _error(_post_raw(api, "/api/v1/customers/", '{"name": "\\udfff", "kind": "x"}'), 400)
    assert body["code"] in {"parse_error", "validation_failed"}


def test_a_surrogate_pair_is_an_ordinary_character(api):
    response = _post_raw(
        api,
        WO,
        '{"order_type": "complaint", "channel": "hotline", "title": "\\ud83d\\ude00",'
        ' "business_line": "broadband", "caller_phone": "13912345678"}',
    )
    assert response.status_code in (201, 400)
    if response.status_code == 400:
        assert "title" not in response.json()["extra"].get("errors", {})


@pytest.mark.parametrize("query", ["number=%ED%A0%80", "status=%ED%A0%80", "channel=%ED%B0%80"])
def test_a_surrogate_in_the_query_string_is_a_400(api, query):
    # A lone surrogate as UTF-8 (ED A0 80) is not valid UTF-8; Django reads it as U+FFFD.
    _error(api.get(f"{WO}?{query}"), 400)


def test_a_surrogate_in_a_customer_search_is_no_server_error(api):
    assert api.get("/api/v1/customers/?q=%ED%A0%80").status_code in (200, 400)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_thousands_deep_is_a_400(api, opening):
    closing = "]" if opening == "[" else "}"
    raw = opening * 5000 + "1" + closing * 5000
    body = _error(_post_raw(api, WO, raw), 400)
    assert body["code"] == "parse_error"


@pytest.mark.parametrize("suffix", [".json", ".api", ".xml"])
def test_a_format_suffix_on_an_action_url_is_a_400(api, admin_user, suffix):
    body = _error(api.post(f"{WO}1/actions/dispatch{suffix}", {}, format="json"), 400)
    assert body["code"] == "format_suffix"
    _error(api.get(f"{WO}1{suffix}"), 400)
    _error(api.get(f"/api/v1/customers{suffix}"), 400)


@pytest.mark.parametrize(
    "query",
    [
        "customer=99999999999999999999999",
        "customer=-99999999999999999999999",
        "page=99999999999999999999999",
    ],
)
def test_integers_beyond_64_bits_in_a_filter_are_a_400(api, query):
    response = api.get(f"{WO}?{query}")
    if query.startswith("page="):
        _error(response, 404)
    else:
        _error(response, 400)


def test_integers_beyond_64_bits_in_a_body_are_a_400(api, org):
    big = 99999999999999999999999
    create = {"order_type": "complaint", "channel": "hotline", "title": "t", "customer": big}
    _error(api.post(WO, create, format="json"), 400)
    _error(api.post(WO, {**create, "customer": None, "area_unit": big}, format="json"), 400)
    _error(api.get(f"/api/v1/org-units/?parent={big}"), 400)


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/", "/api/v1/work-orders/x/y/z/"])
def test_an_unknown_api_path_is_a_json_404(api, path):
    if path == "/api/v1/":
        assert api.get(path).status_code == 200  # the browsable root stays
        return
    body = _error(api.get(path), 404)
    assert body["code"] == "not_found"


def test_an_unknown_api_path_is_a_json_404_without_sign_in(db):
    body = _error(APIClient().get("/api/v1/nope/"), 404)
    assert body["code"] == "not_found"


def test_an_unknown_action_is_a_404_and_a_known_one_not_possible_now_a_400(api, admin_user, org):
    from kefu.workorders.models import WorkOrderType
    from kefu.workorders.services import work_order_create

    order = work_order_create(
        actor=admin_user,
        order_type=WorkOrderType.objects.get(code="consultation"),
        channel="hotline",
        title="咨询资费",
        area_unit=org["county_a1"],
    )
    body = _error(api.post(f"{WO}{order.pk}/actions/fly/", {}, format="json"), 404)
    assert body["code"] == "not_found"
    order.refresh_from_db()
    version = order.version
    body = _error(api.post(f"{WO}{order.pk}/actions/reopen/", {}, format="json"), 400)
    order.refresh_from_db()
    assert order.version == version
