from decimal import Decimal

import pytest

from kefu.core.errors import IdentityCheckFailed, PermissionDenied, ValidationFailed
from kefu.customers import selectors, services, services_pii
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
        services_pii.customer_change_register(
            actor=supervisor_a,
            customer=c,
            changes={"address": "新地址"},
            identity={"phone": "13900000000"},
            reason="搬家",
        )
    entry = services_pii.customer_change_register(
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
    assert services_pii.customer_reveal(actor=agent_a, customer=c)["phone"] == "13912345678"
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


def test_sensitive_fields_cannot_be_edited_directly(supervisor_a, org):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"])
    with pytest.raises(ValidationFailed) as err:
        services.customer_update(actor=supervisor_a, customer=c, data={"phone": "13700000000"})
    assert "变更登记" in str(err.value.message) or "change register" in str(err.value.message)
    c.refresh_from_db()
    assert c.phone != "13700000000"


def test_update_with_stale_version_conflicts(supervisor_a, org):
    from kefu.core.errors import Conflict

    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"])
    services.customer_update(
        actor=supervisor_a, customer=c, data={"monthly_value": "300"}, expected_version=1
    )
    with pytest.raises(Conflict):
        services.customer_update(
            actor=supervisor_a, customer=c, data={"monthly_value": "10"}, expected_version=1
        )
    c.refresh_from_db()
    assert c.monthly_value == Decimal("300") and c.tier == "gold" and c.version == 2


def test_history_keeps_personal_data_masked(supervisor_a, org):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"], phone="13912345678")
    services_pii.customer_change_register(
        actor=supervisor_a,
        customer=c,
        changes={"phone": "13987655678"},
        identity={"phone": "13912345678"},
        reason="换号",
    )
    entry = c.history.filter(source="change_register").get()
    assert entry.changes["phone"] == ["139****5678", "139****5678"]
    assert "13987655678" not in str(list(c.history.values_list("changes", flat=True)))


def test_change_register_rejects_invalid_new_id(supervisor_a, org):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"], phone="13912345678")
    with pytest.raises(ValidationFailed) as err:
        services_pii.customer_change_register(
            actor=supervisor_a,
            customer=c,
            changes={"id_number": "110105194912310021"},
            identity={"phone": "13912345678"},
            reason="更正",
        )
    assert "证件号码" in str(err.value.message) or "ID number" in str(err.value.message)
    assert not c.change_requests.exists()


def test_tier_override_needs_reason_and_matching_kind(supervisor_a, org):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"], monthly_value="10")
    with pytest.raises(ValidationFailed):
        services.customer_tier_override(actor=supervisor_a, customer=c, tier="gold", reason="")
    with pytest.raises(ValidationFailed):
        services.customer_tier_override(actor=supervisor_a, customer=c, tier="1A", reason="x")
    c = services.customer_tier_override(
        actor=supervisor_a, customer=c, tier="gold", reason="重要客户，省公司批准"
    )
    assert (c.tier, c.effective_tier) == ("basic", "gold")
    assert c.history.filter(source="tier").exists()


def test_configured_threshold_applies_on_next_update(supervisor_a, org):
    from kefu.customers.models import TierThreshold

    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"], monthly_value="150")
    assert c.tier == "silver"
    TierThreshold.objects.create(kind="individual", level="gold", min_monthly_value=140)
    c = services.customer_update(actor=supervisor_a, customer=c, data={"monthly_value": "150"})
    assert c.tier == "gold"


def test_script_and_overlong_names(agent_a, org):
    c = make_customer(actor=agent_a, org_unit=org["county_a1"], name="<script>alert(1)</script>")
    assert c.name == "<script>alert(1)</script>"  # stored as typed; templates escape it
    with pytest.raises(ValidationFailed) as err:
        make_customer(actor=agent_a, org_unit=org["county_a1"], name="张" * 101)
    assert "101" in str(err.value.message)


def test_search_by_phone_name_prefix_account_and_id_suffix(agent_a, org):
    c = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="欧阳修远", phone="13912345678"
    )
    services.customer_product_add(
        actor=agent_a, customer=c, kind="broadband", account_number="AD0951123456"
    )

    def found(**filters):
        return list(selectors.customer_list(viewer=agent_a, filters=filters))

    assert found(phone="139 1234 5678") == [c]
    assert found(q="+8613912345678") == [c]
    assert found(name="欧阳") == [c] and found(q="欧阳修") == [c]
    assert found(account="AD0951123456") == [c] and found(q="AD0951123456") == [c]
    assert found(id_suffix=c.id_number[-6:]) == [c] and found(q=c.id_number[-4:]) == [c]
    assert found(name="修远") == []


def test_account_manager_must_be_staff_in_scope(supervisor_a, org, make_user):
    c = make_customer(actor=supervisor_a, org_unit=org["county_a1"])
    outsider = make_user("handler_b", org["county_b1"], "handler")
    with pytest.raises(ValidationFailed):
        services.customer_update(actor=supervisor_a, customer=c, data={"manager": outsider})
    insider = make_user("handler_a", org["county_a2"], "handler")
    c = services.customer_update(actor=supervisor_a, customer=c, data={"manager": insider})
    assert c.manager == insider


def test_nightly_task_applies_changed_pyramid_cutoffs(admin_user, org):
    from kefu.customers.models import Customer, PyramidCutoff
    from kefu.customers.tasks import customer_pyramid_nightly

    for v in range(1, 101):
        make_customer(actor=admin_user, org_unit=org["county_a1"], monthly_value=str(v))
    services.pyramid_recompute()
    assert Customer.objects.filter(pyramid="vip").count() == 1
    PyramidCutoff.objects.filter(layer="vip").update(top_percent=10)  # as the admin page does
    assert Customer.objects.filter(pyramid="vip").count() == 1
    customer_pyramid_nightly()
    vips = Customer.objects.filter(pyramid="vip")
    assert vips.count() == 10 and min(c.monthly_value for c in vips) == 91


def test_automatic_numbers_never_collide_with_typed_ones(agent_a, org):
    typed = make_customer(actor=agent_a, org_unit=org["county_a1"], code="C000000002")
    assert typed.code == "C000000002"
    first = make_customer(actor=agent_a, org_unit=org["county_a1"])
    second = make_customer(actor=agent_a, org_unit=org["county_a1"])
    codes = {typed.code, first.code, second.code}
    assert len(codes) == 3
    assert second.code == f"C{second.pk:09d}"
    assert first.history.get().changes["tier"]  # the created history row is intact


def test_one_customer_by_id_follows_the_same_scope_as_the_lists(
    agent_a, agent_b, supervisor_a, admin_user, org, make_user
):
    """Intake looks a customer up by id with the scope checked in Python; it must agree with
    the scoped query every list and search uses, for every kind of scope."""
    unit_only = make_user("unit_only", org["county_a1"], "agent", scope="unit")
    own_only = make_user("own_only", org["team_a1"], "agent", scope="own")
    customers = [
        make_customer(actor=supervisor_a, org_unit=org[unit], name=f"客户{unit}")
        for unit in ("county_a1", "team_a1", "county_a2")
    ] + [make_customer(actor=agent_b, org_unit=org["county_b1"], name="乙")]
    managed = services.customer_update(
        actor=supervisor_a, customer=customers[2], data={"manager": own_only}
    )
    assert managed.manager_id == own_only.pk
    for viewer in (agent_a, agent_b, supervisor_a, admin_user, unit_only, own_only):
        listed = set(selectors.customers_visible(viewer).values_list("pk", flat=True))
        one_by_one = {c.pk for c in customers if selectors.customer_visible(viewer, c.pk)}
        assert one_by_one == listed & {c.pk for c in customers}, viewer.username
    assert selectors.customer_visible(agent_a, 10**12) is None
