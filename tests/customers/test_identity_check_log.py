"""The change register's identity check is no oracle: every check is written to the access
log (查阅登记) with the fields checked, passed or failed, whatever else the request got
wrong; repeated failures on one customer are refused and shown to supervisors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.core.errors import IdentityCheckFailed, TooManyIdentityChecks
from kefu.customers import services_pii
from kefu.customers.models import AccessLog, Customer
from tests.factories import api_client, make_customer


@pytest.fixture
def customer(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], phone="13912345678")


def _register(user, customer, **body):
    return api_client(user).post(
        f"/api/v1/customers/{customer.pk}/change-register/", body, format="json"
    )


def _log():
    return list(AccessLog.objects.order_by("id").values_list("action", "fields", "customer_id"))


def test_passed_check_is_logged_even_when_the_change_is_invalid(agent_a, customer):
    response = _register(
        agent_a,
        customer,
        changes={"phone": "not a phone"},
        identity={"id_number": customer.id_number, "phone": "139-1234-5678"},
        reason="客户来电",
    )
    assert response.status_code == 400
    assert _log() == [("identity_passed", "id_number,phone", customer.pk)]
    assert Customer.objects.get(pk=customer.pk).phone == "13912345678"


def test_failed_check_is_logged_even_when_the_reason_is_missing(agent_a, customer):
    response = _register(
        agent_a, customer, changes={"address": "新地址"}, identity={"phone": "13900000000"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "identity_check_failed"
    assert _log() == [("identity_failed", "phone", customer.pk)]


def test_successful_register_logs_the_passed_check(agent_a, customer):
    response = _register(
        agent_a,
        customer,
        changes={"address": "新地址"},
        identity={"phone": "13912345678"},
        reason="客户来电",
    )
    assert response.status_code == 201, response.content
    entry = AccessLog.objects.get()
    assert (entry.action, entry.fields, entry.actor) == ("identity_passed", "phone", agent_a)


def test_web_form_logs_the_check_when_the_form_is_otherwise_invalid(client, agent_a, customer):
    client.force_login(agent_a)
    response = client.post(
        reverse("customers:customer_change_register", args=[customer.pk]),
        {"reg-check_id_number": customer.id_number, "reg-reason": "x"},  # no new value
    )
    assert response.status_code == 400
    assert _log() == [("identity_passed", "id_number", customer.pk)]


def test_repeated_failures_are_throttled_and_shown_to_supervisors(
    settings, client, agent_a, supervisor_a, customer
):
    settings.KEFU_IDENTITY_FAILURES = 3
    for guess in ("13900000001", "13900000002", "13900000003"):
        with pytest.raises(IdentityCheckFailed):
            services_pii.customer_identity_check(
                actor=agent_a, customer=customer, identity={"phone": guess}
            )
    # The right answer is no longer even compared: guessing stops here.
    response = _register(
        agent_a,
        customer,
        changes={"address": "新地址"},
        identity={"phone": "13912345678"},
        reason="客户来电",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_identity_checks"
    assert [a for a, _f, _c in _log()] == ["identity_failed"] * 3
    with pytest.raises(TooManyIdentityChecks):
        services_pii.customer_identity_check(
            actor=supervisor_a, customer=customer, identity={"phone": "13912345678"}
        )

    client.force_login(supervisor_a)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    assert 'id="identity-failures"' in page
    listed = (
        api_client(supervisor_a).get("/api/v1/access-log/", {"action": "identity_failed"}).json()
    )
    assert listed["count"] == 3
    # An agent (no access-log permission) is not shown the supervisors' note.
    client.force_login(agent_a)
    assert (
        'id="identity-failures"'
        not in client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    )
