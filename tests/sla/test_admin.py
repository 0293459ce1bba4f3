"""Administrators configure policies in the admin; clocks are shown there read-only."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from kefu.sla.models import SlaPolicy


def test_admin_lists_policies_and_clocks_read_only(client, admin_user, clock, take_in):
    take_in("complaint")
    get_user_model().objects.filter(pk=admin_user.pk).update(is_staff=True)
    client.force_login(admin_user)
    assert client.get("/admin/sla/slapolicy/").status_code == 200
    complaint = SlaPolicy.objects.get(code="complaint")
    policy_page = client.get(f"/admin/sla/slapolicy/{complaint.pk}/change/")
    assert policy_page.status_code == 200
    clocks = client.get("/admin/sla/slaclock/")
    assert clocks.status_code == 200
    assert client.get("/admin/sla/slaclock/add/").status_code == 403
