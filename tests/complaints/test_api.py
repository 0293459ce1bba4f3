"""The batch-alert API at /api/v1/complaint-alerts/: list, retrieve, acknowledge."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


def _as(api, user):
    api.force_authenticate(user)
    return api


def test_batch_alerts_list_and_acknowledge(api, agent_a, supervisor_a, alert_a1):
    assert _as(api, agent_a).get("/api/v1/complaint-alerts/").status_code == 403
    listed = _as(api, supervisor_a).get("/api/v1/complaint-alerts/", {"open": "true"}).json()
    row = listed["results"][0]
    assert (row["id"], row["count"], row["area_name"]) == (alert_a1.pk, 5, "A1县分公司")
    assert row["category"] == "network-slow"
    response = api.post(
        f"/api/v1/complaint-alerts/{alert_a1.pk}/acknowledge/",
        {"note": "已流程穿越"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "sup_a"
    assert api.get("/api/v1/complaint-alerts/", {"open": "true"}).json()["results"] == []
    one = api.get(f"/api/v1/complaint-alerts/{alert_a1.pk}/").json()
    assert one["walkthrough_note"] == "已流程穿越"


def test_an_alert_of_another_prefecture_is_not_found(api, org, make_user, alert_a1):
    other = _as(api, make_user("sup_b", org["pref_b"], "supervisor"))
    assert other.get(f"/api/v1/complaint-alerts/{alert_a1.pk}/").status_code == 404
    response = other.post(f"/api/v1/complaint-alerts/{alert_a1.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
