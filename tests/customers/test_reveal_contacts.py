"""Revealing a customer's further phone contacts: the same rule as their own phone — the
permission, the data scope of the caller, and one 查阅登记 entry naming the contact."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.customers import selectors, services, services_pii
from kefu.customers.models import AccessLog
from tests.factories import make_customer


@pytest.fixture
def customer(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], phone="13912345678")


@pytest.fixture
def mobile(agent_a, customer):
    return services.customer_contact_add(
        actor=agent_a, customer=customer, kind="mobile", value="139 0000 1111", label="女儿"
    )


@pytest.fixture
def landline(agent_a, customer):
    return services.customer_contact_add(
        actor=agent_a, customer=customer, kind="landline", value="057188886666"
    )


def test_reveal_contact_returns_its_number_and_logs_which_contact(agent_a, customer, mobile):
    clear = services_pii.customer_reveal(
        actor=agent_a, customer=customer, contact_id=mobile.pk, ip="10.0.0.7"
    )
    assert clear == {f"contact:{mobile.pk}": "13900001111"}
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.customer, entry.action, entry.fields, entry.ip) == (
        agent_a,
        customer,
        "reveal",
        f"contact:{mobile.pk}",
        "10.0.0.7",
    )


def test_reveal_landline_contact_keeps_the_area_code_dash(agent_a, customer, landline):
    clear = services_pii.customer_reveal(actor=agent_a, customer=customer, contact_id=landline.pk)
    assert clear == {f"contact:{landline.pk}": "0571-88886666"}


def test_existing_signature_still_reveals_own_phone_and_id_number(agent_a, customer, mobile):
    clear = services_pii.customer_reveal(
        actor=agent_a, customer=customer, fields=("phone", "id_number")
    )
    assert clear == {"phone": "13912345678", "id_number": customer.id_number}
    assert AccessLog.objects.get().fields == "phone,id_number"


def test_each_contact_reveal_is_its_own_log_entry(agent_a, customer, mobile, landline):
    services_pii.customer_reveal(actor=agent_a, customer=customer, contact_id=mobile.pk)
    services_pii.customer_reveal(actor=agent_a, customer=customer, contact_id=landline.pk)
    services_pii.customer_reveal(actor=agent_a, customer=customer)
    logged = sorted(AccessLog.objects.values_list("fields", flat=True))
    assert logged == sorted([f"contact:{mobile.pk}", f"contact:{landline.pk}", "phone"])


def test_contact_of_another_customer_is_not_found_and_not_logged(agent_a, org, customer):
    other = make_customer(actor=agent_a, org_unit=org["team_a1"])
    foreign = services.customer_contact_add(
        actor=agent_a, customer=other, kind="mobile", value="13722223333"
    )
    with pytest.raises(NotFound):
        services_pii.customer_reveal(actor=agent_a, customer=customer, contact_id=foreign.pk)
    assert not AccessLog.objects.exists()


def test_non_phone_contacts_are_not_revealed(agent_a, customer):
    email = services.customer_contact_add(
        actor=agent_a, customer=customer, kind="email", value="wang@example.com"
    )
    with pytest.raises(ValidationFailed):
        services_pii.customer_reveal(actor=agent_a, customer=customer, contact_id=email.pk)
    assert not AccessLog.objects.exists()


def test_contact_reveal_needs_view_pii(org, make_user, customer, mobile):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    with pytest.raises(PermissionDenied):
        services_pii.customer_reveal(actor=dispatcher, customer=customer, contact_id=mobile.pk)
    assert not AccessLog.objects.exists()


def test_contact_add_normalises_the_number_so_search_finds_the_customer(
    agent_a, customer, mobile, landline
):
    assert mobile.value == "13900001111" and landline.value == "0571-88886666"
    for typed in ("139-0000-1111", "0571 8888 6666"):
        found = selectors.customer_list(viewer=agent_a, filters={"phone": typed})
        assert list(found) == [customer]


def test_contact_add_rejects_a_bad_number_naming_the_contact(agent_a, customer):
    with pytest.raises(ValidationFailed) as caught:
        services.customer_contact_add(
            actor=agent_a, customer=customer, kind="mobile", value="12345"
        )
    (field,) = caught.value.extra["errors"]
    assert field == gettext("Contact")
    assert not customer.contacts.exists()


def test_contact_add_rejects_a_malformed_email_in_the_users_language(agent_a, customer):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        services.customer_contact_add(
            actor=agent_a, customer=customer, kind="email", value="wang at example"
        )
    assert caught.value.extra["errors"] == {"联系方式": ["不是有效的电子邮件地址"]}
    assert not customer.contacts.exists()


def test_an_email_contact_is_found_by_its_address_in_any_case(agent_a, customer):
    contact = services.customer_contact_add(
        actor=agent_a, customer=customer, kind="email", value=" Wang.Xiao@Example.CN "
    )
    assert contact.value == "Wang.Xiao@Example.CN"  # shown as the customer wrote it
    assert contact.search_key == "wang.xiao@example.cn"  # what mail intake matches
