"""Permissions, data scope and own unit come from the shared cache — and never outlive a
change to roles, assignments, staff or the org tree."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.org import services as org_services
from kefu.org.actor import actor_context
from kefu.org.models import RoleAssignment
from kefu.org.scope import scope_for

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it: a new object, nothing cached on it."""
    return get_user_model().objects.get(pk=user.pk)


def test_the_next_request_reads_permissions_scope_and_unit_from_the_cache(
    agent_a, org, django_assert_num_queries
):
    first = actor_context(fresh(agent_a))
    user = fresh(agent_a)
    with django_assert_num_queries(0):
        assert user.has_perm("workorders.add_workorder")
        assert scope_for(user).covers_unit(org["county_a1"])
        assert not scope_for(user).covers_unit(org["county_b1"])
        assert user.staff.org_unit == org["county_a1"]
    assert actor_context(user) == first


def test_a_revoked_role_stops_working_on_the_next_request(agent_a, org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent_a).key}")
    assert client.get("/api/v1/customers/").status_code == 200
    RoleAssignment.objects.filter(user=agent_a).delete()
    assert client.get("/api/v1/customers/").status_code == 403
    assert not fresh(agent_a).has_perm("workorders.add_workorder")


def test_moving_a_unit_moves_the_scope_of_the_people_above_it(agent_a, org):
    assert not scope_for(fresh(agent_a)).covers_unit(org["county_b1"])
    org_services.org_unit_move(unit=org["county_b1"], new_parent=org["county_a1"])
    org["county_b1"].refresh_from_db()
    assert scope_for(fresh(agent_a)).covers_unit(org["county_b1"])


def test_a_transfer_to_another_unit_is_the_users_unit_at_once(agent_a, org):
    assert fresh(agent_a).staff.org_unit == org["county_a1"]
    staff = agent_a.staff
    staff.org_unit = org["county_b1"]
    staff.save()
    assert actor_context(fresh(agent_a)).staff.org_unit == org["county_b1"]
