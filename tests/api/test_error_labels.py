"""Error messages name fields by the labels users know them by, in the request's language;
`extra.errors` stays keyed by the field code that API clients read."""

from __future__ import annotations

from tests.workorders.test_api import URL, _act, _create, _ok


def test_a_missing_reason_is_named_by_its_chinese_label(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    chinese = client.post(
        f"{URL}{order['id']}/actions/cancel/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    body = _ok(chinese, 400)
    assert "reason" in body["extra"]["errors"]
    assert body["message"].startswith("原因"), body["message"]
    assert "reason" not in body["message"]


def test_the_default_language_names_the_label_too(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    body = _ok(_act(client, order["id"], "cancel"), 400)
    assert "原因" in body["message"] and "reason" not in body["message"]


def test_english_names_the_english_label(client_for, agent_a, customer_a):
    client = client_for(agent_a)
    order = _ok(_create(client, customer_a), 201)
    english = client.post(
        f"{URL}{order['id']}/actions/cancel/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    body = _ok(english, 400)
    assert body["message"].startswith("Reason: "), body["message"]
    assert list(body["extra"]["errors"]) == ["reason"]


def test_a_serializer_error_is_named_by_its_label(client_for, agent_a, customer_a):
    """A bad channel caught by the input serializer reads 受理渠道, not `channel:`."""
    body = _ok(_create(client_for(agent_a), customer_a, channel="carrier-pigeon"), 400)
    assert "channel" in body["extra"]["errors"]
    assert "受理渠道" in body["message"] and "channel" not in body["message"]
