"""Org API: org units and staff inside the caller's data scope; roles readable by staff."""

from __future__ import annotations


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_agent_sees_own_county_subtree_only(client_for, agent_a, org):
    client = client_for(agent_a)
    names = {u["name"] for u in _results(client.get("/api/v1/org-units/"))}
    assert names == {"A1县分公司", "A1县营业班"}
    assert client.get(f"/api/v1/org-units/{org['county_b1'].pk}/").status_code == 404
    assert client.get(f"/api/v1/org-units/{org['pref_a'].pk}/").status_code == 404


def test_supervisor_filters_units_by_level_and_parent(client_for, supervisor_a, org):
    client = client_for(supervisor_a)
    counties = _results(client.get("/api/v1/org-units/", {"level": "county"}))
    assert [u["name"] for u in counties] == ["A1县分公司", "A2县分公司"]
    assert {u["level_display"] for u in counties} == {str(org["county_a1"].get_level_display())}
    children = _results(client.get("/api/v1/org-units/", {"parent": org["county_a2"].pk}))
    assert [u["name"] for u in children] == ["A2县营业班"]
    bad = client.get("/api/v1/org-units/", {"level": "planet"})
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"


def test_org_unit_detail_has_path_and_ancestors(client_for, admin_user, org):
    team = org["team_b2"]
    data = client_for(admin_user).get(f"/api/v1/org-units/{team.pk}/").json()
    assert data["path"] == team.path and data["depth"] == 3
    assert data["level"] == "team" and data["parent_name"] == "B2县分公司"
    assert [a["name"] for a in data["ancestors"]] == ["测试省分公司", "B市分公司", "B2县分公司"]


def test_staff_list_is_scoped_and_shows_roles(client_for, agent_a, agent_b, supervisor_a, org):
    as_supervisor = _results(client_for(supervisor_a).get("/api/v1/staff/"))
    assert {s["username"] for s in as_supervisor} == {"sup_a", "agent_a"}
    row = next(s for s in as_supervisor if s["username"] == "agent_a")
    assert row["org_unit_name"] == "A1县分公司" and row["employee_no"]
    assert [(r["role"], r["scope"], r["org_unit"]) for r in row["roles"]] == [
        ("agent", "subtree", org["county_a1"].pk)
    ]

    as_agent = client_for(agent_a)
    assert {s["username"] for s in _results(as_agent.get("/api/v1/staff/"))} == {"agent_a"}
    assert as_agent.get(f"/api/v1/staff/{agent_b.staff.pk}/").status_code == 404
    assert as_agent.get(f"/api/v1/staff/{agent_a.staff.pk}/").json()["username"] == "agent_a"


def test_staff_filter_by_unit_subtree(client_for, admin_user, agent_a, agent_b, org):
    rows = _results(client_for(admin_user).get("/api/v1/staff/", {"org_unit": org["pref_b"].pk}))
    assert [s["username"] for s in rows] == ["agent_b"]


def test_roles_list_their_permissions(client_for, agent_a):
    roles = {r["code"]: r for r in _results(client_for(agent_a).get("/api/v1/roles/"))}
    assert "customers.view_pii" in roles["agent"]["permissions"]
    assert "customers.view_pii" not in roles["dispatcher"]["permissions"]
    assert roles["supervisor"]["default_scope"] == "subtree"


def test_administrator_with_scope_all_sees_the_whole_tree(client_for, admin_user, org):
    response = client_for(admin_user).get("/api/v1/org-units/", {"page_size": 100})
    assert response.json()["count"] == len(org)
