"""Org tree paths, moves and data scope."""

import pytest

from kefu.core.errors import ValidationFailed
from kefu.org import services
from kefu.org.models import OrgUnit, Role
from kefu.org.scope import scope_for


def test_subtree_is_one_prefix(org):
    names = set(org["pref_a"].subtree().values_list("code", flat=True))
    assert names == {"P-a", "P-a-1", "P-a-1-t", "P-a-2", "P-a-2-t"}


def test_moving_a_county_moves_its_teams(org):
    services.org_unit_move(unit=org["county_a2"], new_parent=org["pref_b"])
    team = OrgUnit.objects.get(code="P-a-2-t")
    assert team.path.startswith(org["pref_b"].path) and team.depth == 3
    assert "P-a-2-t" not in set(org["pref_a"].subtree().values_list("code", flat=True))


def test_unit_cannot_move_under_its_own_descendant(org):
    with pytest.raises(ValidationFailed):
        services.org_unit_move(unit=org["pref_a"], new_parent=org["team_a1"])


def test_roles_are_seeded_with_chinese_names(db):
    names = dict(Role.objects.values_list("code", "name"))
    assert names["agent"] == "坐席" and names["supervisor"] == "主管"
    assert len(names) == 8


def test_role_permissions_come_from_assignments(agent_a, org, make_user):
    assert agent_a.has_perm("customers.view_pii")
    dispatcher = make_user("d1", org["county_a1"], "dispatcher")
    assert dispatcher.has_perm("customers.view_customer")
    assert not dispatcher.has_perm("customers.view_pii")


def test_scopes_union_across_assignments(agent_a, org):
    services.role_assign(
        user=agent_a, role=Role.objects.get(code="handler"), org_unit=org["county_b2"], scope="unit"
    )
    scope = scope_for(agent_a)
    assert scope.covers_unit(org["team_a1"]) and scope.covers_unit(org["county_b2"])
    assert not scope.covers_unit(org["county_b1"])


def test_user_without_roles_sees_nothing(org):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x" * 12)
    assert not scope_for(nobody).covers_unit(org["province"])
