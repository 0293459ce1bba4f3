"""Org tree, staff list and the access-log browser: each inside the viewer's data scope."""

from __future__ import annotations

from django.urls import reverse

from kefu.customers import services_pii
from kefu.customers.models import AccessLog
from tests.factories import make_customer


def test_org_tree_shows_the_subtree_in_scope_with_staff_counts(client, agent_a, org):
    client.force_login(agent_a)
    response = client.get(reverse("org:org_tree"))
    assert response.status_code == 200
    text = response.text
    assert f'id="unit-{org["county_a1"].pk}"' in text
    assert f'id="unit-{org["team_a1"].pk}"' in text
    assert f'id="unit-{org["county_b1"].pk}"' not in text
    assert f'id="unit-{org["province"].pk}"' not in text
    rows = {r["unit"].pk: r for r in response.context["rows"]}
    assert rows[org["county_a1"].pk]["unit"].staff_count == 1  # agent_a sits there
    assert rows[org["team_a1"].pk]["indent"] == 1


def test_staff_list_shows_roles_and_scopes_in_scope_only(client, supervisor_a, agent_a, agent_b):
    client.force_login(supervisor_a)
    response = client.get(reverse("org:staff_list"))
    assert response.status_code == 200
    text = response.text
    assert f'id="staff-{agent_a.staff.pk}"' in text
    assert f'id="staff-{agent_b.staff.pk}"' not in text
    row = text[text.index(f'id="staff-{agent_a.staff.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "坐席" in row  # the role's name
    assert 'class="role-name"' in row


def test_staff_list_filters_by_unit_subtree(
    client, admin_user, supervisor_a, agent_a, agent_b, org
):
    client.force_login(admin_user)
    response = client.get(reverse("org:staff_list"), {"org_unit": org["pref_b"].pk})
    assert f'id="staff-{agent_b.staff.pk}"' in response.text
    assert f'id="staff-{agent_a.staff.pk}"' not in response.text
    assert f'id="staff-{supervisor_a.staff.pk}"' not in response.text


def test_staff_list_query_count_does_not_grow_with_staff(
    client, admin_user, org, make_user, django_assert_max_num_queries
):
    for i in range(30):
        make_user(f"agent{i}", org["county_a1"], "agent")
    client.force_login(admin_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("org:staff_list"))
    assert response.text.count('class="role-name"') >= 30


def test_access_log_needs_the_permission(client, agent_a):
    client.force_login(agent_a)
    response = client.get(reverse("customers:access_log"))
    assert response.status_code == 403
    assert 'id="error-403"' in response.text


def test_access_log_shows_reveals_in_scope_with_ip(client, supervisor_a, agent_a, agent_b, org):
    mine = make_customer(actor=agent_a, org_unit=org["county_a1"])
    theirs = make_customer(actor=agent_b, org_unit=org["county_b1"])
    services_pii.customer_reveal(actor=agent_a, customer=mine, ip="10.8.8.8")
    services_pii.customer_reveal(actor=agent_b, customer=theirs, ip="10.9.9.9")
    client.force_login(supervisor_a)
    response = client.get(reverse("customers:access_log"))
    assert response.status_code == 200
    in_scope = AccessLog.objects.get(actor=agent_a)
    out_of_scope = AccessLog.objects.get(actor=agent_b)
    assert f'id="access-{in_scope.pk}"' in response.text and "10.8.8.8" in response.text
    assert f'id="access-{out_of_scope.pk}"' not in response.text and "10.9.9.9" not in response.text


def test_access_log_filters_by_action_and_user(client, supervisor_a, agent_a, org):
    mine = make_customer(actor=agent_a, org_unit=org["county_a1"])
    services_pii.customer_reveal(actor=agent_a, customer=mine)
    services_pii.access_log_export(actor=supervisor_a, row_count=12, unmasked=False)
    reveal = AccessLog.objects.get(action="reveal")
    export = AccessLog.objects.get(action="export")
    client.force_login(supervisor_a)
    url = reverse("customers:access_log")
    by_action = client.get(url, {"action": "export"}, headers={"HX-Request": "true"})
    assert "<html" not in by_action.text
    assert f'id="access-{export.pk}"' in by_action.text
    assert f'id="access-{reveal.pk}"' not in by_action.text
    by_user = client.get(url, {"actor": "agent_a"})
    assert f'id="access-{reveal.pk}"' in by_user.text
    assert f'id="access-{export.pk}"' not in by_user.text


def test_access_log_rejects_bad_filter_values_with_a_message(client, supervisor_a):
    client.force_login(supervisor_a)
    response = client.get(reverse("customers:access_log"), {"date_from": "2026-13-45"})
    assert response.status_code == 200
    assert 'id="form-errors"' in response.text
