"""新建客户: the form, its unit choices inside the data scope, service errors at the fields
they name, the 360 page on success, and the warning about a phone already on file."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kefu.customers.models import Customer, CustomerHistory
from kefu.customers.validation import FIELD_LABELS, REASONS
from tests.factories import make_customer, valid_id_number

URL = "customers:customer_create"
HTMX = {"HX-Request": "true"}


def _post(client, org, **fields):
    data = {
        "kind": "individual",
        "name": "陈晓燕",
        "id_number": valid_id_number(birth="19850612", seq="456"),
        "phone": "138 0571 2233",
        "address": "杭州市上城区解放路 18 号",
        "org_unit": org["team_a1"].pk,
        "monthly_value": "168",
        "tags": "宽带用户，老客户",
        **fields,
    }
    return client.post(reverse(URL), data)


def test_list_page_offers_new_customer_to_those_who_may_add(client, agent_a, org, make_user):
    client.force_login(agent_a)
    assert 'id="customer-new"' in client.get(reverse("customers:customer_list")).text
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client.force_login(dispatcher)
    assert 'id="customer-new"' not in client.get(reverse("customers:customer_list")).text
    assert client.get(reverse(URL)).status_code == 403
    assert _post(client, org).status_code == 403
    assert not Customer.objects.exists()


def test_unit_choices_are_the_units_in_scope_with_own_unit_preselected(client, agent_a, org):
    client.force_login(agent_a)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    choices = {value for value, _label in response.context["form"].fields["org_unit"].choices}
    assert choices == {"", str(org["county_a1"].pk), str(org["team_a1"].pk)}
    assert response.context["form"]["org_unit"].value() == str(org["county_a1"].pk)


def test_valid_form_creates_the_customer_and_opens_its_360_page(client, agent_a, org):
    client.force_login(agent_a)
    response = _post(client, org, product_kind="broadband", account_number="BB5710099")
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_detail", args=[customer.pk])
    assert (customer.name, customer.phone, customer.org_unit) == (
        "陈晓燕",
        "13805712233",
        org["team_a1"],
    )
    assert customer.tier == "silver"  # 168 a month
    assert sorted(customer.tags.values_list("name", flat=True)) == ["宽带用户", "老客户"]
    assert list(customer.products.values_list("kind", "account_number")) == [
        ("broadband", "BB5710099")
    ]
    assert CustomerHistory.objects.filter(customer=customer, source="create").exists()
    page = client.get(response["Location"])
    assert "陈晓燕" in page.text and "BB5710099" in page.text
    assert 'class="message message-success"' in page.text


def test_bad_id_number_is_shown_at_the_id_number_field_and_nothing_is_created(client, agent_a, org):
    client.force_login(agent_a)
    bad = valid_id_number()[:-1] + ("0" if valid_id_number()[-1] != "0" else "1")
    with translation.override("zh-hans"):
        response = client.post(
            reverse(URL),
            {
                "kind": "individual",
                "name": "陈晓燕",
                "id_number": bad,
                "org_unit": org["team_a1"].pk,
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        reason = str(REASONS["wrong check digit"])
        label = str(FIELD_LABELS["id_number"])
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"] == [reason]
    text = response.text
    block = text[text.index(f'<label for="id_id_number">{label}') :]
    block = block[: block.index("</div>")]
    assert f'<p class="field-error">{reason}</p>' in block
    assert f"<strong>{label}</strong>: {reason}" in text  # the summary names it too
    assert f'value="{bad}"' in text  # what was typed stays for correcting
    assert not Customer.objects.exists()


def test_unit_outside_scope_is_refused_at_the_unit_field(client, agent_a, org):
    client.force_login(agent_a)
    response = _post(client, org, org_unit=org["county_b1"].pk)
    assert response.status_code == 400
    assert "org_unit" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_product_needs_both_type_and_account_number(client, agent_a, org):
    client.force_login(agent_a)
    no_account = _post(client, org, product_kind="mobile")
    assert "account_number" in no_account.context["form"].errors
    no_kind = _post(client, org, account_number="13805712233")
    assert "product_kind" in no_kind.context["form"].errors
    assert not Customer.objects.exists()


def test_gov_series_applies_to_gov_enterprise_customers_only(client, agent_a, org):
    client.force_login(agent_a)
    _post(client, org, name="星河科技有限公司", kind="gov_enterprise", id_number="", gov_series="A")
    _post(client, org, name="李四", phone="13805719999", id_number="", gov_series="A")
    series = dict(Customer.objects.values_list("name", "gov_series"))
    assert series == {"星河科技有限公司": "A", "李四": ""}
    assert Customer.objects.get(name="星河科技有限公司").tier.endswith("A")


@pytest.mark.parametrize("name", ["王" * 101, ""])
def test_too_long_or_missing_name_is_refused_at_the_name_field(client, agent_a, org, name):
    client.force_login(agent_a)
    response = _post(client, org, name=name)
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_script_in_name_is_stored_as_text_and_rendered_escaped(client, agent_a, org):
    client.force_login(agent_a)
    response = _post(client, org, name="<script>alert(1)</script>")
    page = client.get(response["Location"])
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_phone_on_file_in_scope_is_warned_about_with_a_link(client, agent_a, org):
    existing = make_customer(actor=agent_a, org_unit=org["county_a1"], phone="13805712233")
    client.force_login(agent_a)
    response = client.get(
        reverse("customers:customer_same_phone"), {"phone": "138-0571-2233"}, headers=HTMX
    )
    assert response.status_code == 200
    assert 'id="same-phone-warning"' in response.text
    assert f'href="{reverse("customers:customer_detail", args=[existing.pk])}"' in response.text
    assert "<html" not in response.text


def test_phone_warning_stays_inside_the_data_scope(client, agent_a, agent_b, org):
    make_customer(actor=agent_b, org_unit=org["county_b1"], name="王大明", phone="13805712233")
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_same_phone"), {"phone": "13805712233"})
    assert 'id="same-phone-warning"' not in response.text
    assert "王大明" not in response.text


def test_incomplete_phone_gives_no_warning(client, agent_a, org):
    make_customer(actor=agent_a, org_unit=org["county_a1"], phone="13805712233")
    client.force_login(agent_a)
    response = client.get(reverse("customers:customer_same_phone"), {"phone": "1380571"})
    assert response.status_code == 200
    assert 'id="same-phone-warning"' not in response.text


def test_duplicate_phone_does_not_block_creation_but_is_reported(client, agent_a, org):
    existing = make_customer(actor=agent_a, org_unit=org["county_a1"], phone="13805712233")
    client.force_login(agent_a)
    failed = _post(client, org, id_number="12345")  # invalid: the form comes back
    assert 'id="same-phone-warning"' in failed.text
    assert f'id="same-phone-{existing.pk}"' in failed.text
    response = _post(client, org)
    assert response.status_code == 302
    assert Customer.objects.filter(phone="13805712233").count() == 2
    page = client.get(response["Location"])
    assert 'class="message message-warning"' in page.text
    assert existing.code in page.text


def test_same_phone_check_needs_add_permission(client, org, make_user):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client.force_login(dispatcher)
    response = client.get(reverse("customers:customer_same_phone"), {"phone": "13805712233"})
    assert response.status_code == 403
