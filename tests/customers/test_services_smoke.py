from decimal import Decimal

import pytest

from kefu.core.errors import IdentityCheckFailed, PermissionDenied, ValidationFailed
from kefu.customers import selectors, services
from kefu.customers.models import AccessLog
from tests.factories import make_customer


@pytest.mark.django_db
def test_customer_create_assigns_tier_and_history(agent_a, org):
    c = make_customer(actor=agent_a, org_unit=org["team_a1"], monthly_value="250")
    assert c.tier == "gold"
    assert c.history.count() == 1


def test_agent_cannot_see_other_county(agent_a, agent_b, org):
    mine = make_customer(actor=agent_a, org_unit=org["county_a1"])
    theirs = make_customer(actor=agent_b, org_unit=org["county_b1"])
    visible = set(selectors.customer_list(viewer=agent_a).values_list("pk", flat=True))
    assert mine.pk in visible and theirs.pk not in visible


def test_create_outside_scope_rejected(agent_a, org):
    with pytest.raises(ValidationFailed):
        make_customer(actor=agent_a, org_unit=org["county_b1"])


def test_change_register_requires_matching_identity(supervisor_a, org):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"], phone="13912345678")
    with pytest.raises(IdentityCheckFailed):
        services.customer_change_register(
            actor=supervisor_a,
            customer=c,
            changes={"address": "新地址"},
            identity={"phone": "13900000000"},
            reason="搬家",
        )
    entry = services.customer_change_register(
        actor=supervisor_a,
        customer=c,
        changes={"address": "新地址"},
        identity={"phone": "139-1234-5678"},
        reason="搬家",
    )
    c.refresh_from_db()
    assert c.address == "新地址" and entry.identity_checks == ["phone"]


def test_reveal_logged(agent_a, org):
    c = make_customer(actor=agent_a, org_unit=org["county_a1"], phone="13912345678")
    assert services.customer_reveal(actor=agent_a, customer=c)["phone"] == "13912345678"
    assert AccessLog.objects.filter(customer=c, actor=agent_a).count() == 1


def test_pyramid_recompute(admin_user, org):
    for v in range(1, 201):
        make_customer(actor=admin_user, org_unit=org["county_a1"], monthly_value=str(v))
    counts = services.pyramid_recompute()
    assert counts["vip"] == 2 and counts["major"] == 8 and sum(counts.values()) == 200
    top = selectors.customer_list(viewer=admin_user).order_by("-monthly_value").first()
    assert top.pyramid == "vip" and top.customer_class == "A" and top.monthly_value == Decimal(200)


def test_dispatcher_cannot_create(org, make_user):
    d = make_user("disp", org["county_a1"], "dispatcher")
    with pytest.raises(PermissionDenied):
        make_customer(actor=d, org_unit=org["county_a1"])
