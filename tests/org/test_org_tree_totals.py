"""Org tree: staff sitting directly in each unit and the total including the units below,
inside the viewer's data scope, in a fixed number of queries however large the tree."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.org import services as org_services
from kefu.org.models import OrgLevel


def _counts(response) -> dict[int, tuple[int, int]]:
    return {
        r["unit"].pk: (r["unit"].staff_count, r["unit"].subtree_staff_count)
        for r in response.context["rows"]
    }


@pytest.fixture
def staffed(org, make_user, agent_a, agent_b, supervisor_a, admin_user):
    """agent_a in county A1, two more in team A1, one in county A2; agent_b in county B1;
    the supervisor in prefecture A; the administrator in the province."""
    make_user("team_a1_x", org["team_a1"], "agent")
    make_user("team_a1_y", org["team_a1"], "handler")
    make_user("county_a2_x", org["county_a2"], "agent")
    return org


def test_supervisor_sees_direct_and_subtree_staff_of_the_prefecture(client, supervisor_a, staffed):
    org = staffed
    client.force_login(supervisor_a)
    response = client.get(reverse("org:org_tree"))
    counts = _counts(response)
    assert counts[org["pref_a"].pk] == (1, 5)  # supervisor; + agent_a, 2 in team, 1 in A2
    assert counts[org["county_a1"].pk] == (1, 3)
    assert counts[org["team_a1"].pk] == (2, 2)
    assert counts[org["county_a2"].pk] == (1, 1)
    assert counts[org["team_a2"].pk] == (0, 0)
    assert org["province"].pk not in counts and org["county_b1"].pk not in counts
    text = response.text
    assert f'id="unit-{org["pref_a"].pk}-subtree-staff"' in text
    cell = text[text.index(f'id="unit-{org["pref_a"].pk}-subtree-staff"') :]
    cell = cell[: cell.index("</td>")]
    assert f'?org_unit={org["pref_a"].pk}"' in cell and ">5</a>" in cell


def test_administrator_sees_the_whole_organisation_total(client, admin_user, staffed):
    org = staffed
    client.force_login(admin_user)
    counts = _counts(client.get(reverse("org:org_tree")))
    assert counts[org["province"].pk] == (1, 7)
    assert counts[org["pref_b"].pk] == (0, 1)


def test_subtree_total_matches_the_linked_staff_list(client, supervisor_a, staffed):
    """The total links to the staff list of the unit and its sub-units: same number."""
    org = staffed
    client.force_login(supervisor_a)
    counts = _counts(client.get(reverse("org:org_tree")))
    listed = client.get(reverse("org:staff_list"), {"org_unit": org["pref_a"].pk})
    assert listed.text.count('class="role-name"') >= 1
    assert len(listed.context["page"].rows) == counts[org["pref_a"].pk][1]


def test_org_tree_query_count_is_fixed_whatever_the_tree_size(
    client, admin_user, staffed, make_user, django_assert_num_queries
):
    org = staffed
    client.force_login(admin_user)
    url = reverse("org:org_tree")
    client.get(url)  # warm the session and the cached permissions and scope
    # session, user, the unread count in the menu, and one query for the units with their
    # direct staff counts — none per unit
    with django_assert_num_queries(4):
        small = client.get(url)
    for i in range(12):
        team = org_services.org_unit_create(
            name=f"新班组{i}", code=f"N-{i}", level=OrgLevel.TEAM, parent=org["county_b2"]
        )
        make_user(f"new_agent{i}", team, "agent")
    # The org tree changed: the viewer's permissions, scope and staff profile are read
    # again (kefu.org.actor), three queries more.
    with django_assert_num_queries(7):
        large = client.get(url)
    assert len(large.context["rows"]) == len(small.context["rows"]) + 12
    assert _counts(large)[org["county_b2"].pk] == (0, 12)
    assert _counts(large)[org["province"].pk] == (1, 7 + 12)
