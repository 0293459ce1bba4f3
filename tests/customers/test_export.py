"""Customer export to .xlsx: data scope, masking, access log, formula-safe cells."""

from __future__ import annotations

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.customers import services
from kefu.customers.exporting import customers_export
from kefu.customers.models import AccessAction, AccessLog
from kefu.org.models import Role
from tests.factories import make_customer, make_staff


def read_xlsx(path):
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows[0], rows[1:]


def by_code(path):
    header, rows = read_xlsx(path)
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows}


@pytest.fixture
def county_supervisor(org):
    """A supervisor of county A1 (export permission, scope: A1 and below)."""
    return make_staff("sup_a1", org["county_a1"], "supervisor")


@pytest.fixture
def customers(admin_user, org):
    return {
        "a1": make_customer(actor=admin_user, org_unit=org["county_a1"], phone="13912345678"),
        "a1_team": make_customer(actor=admin_user, org_unit=org["team_a1"], name="李娜"),
        "a2": make_customer(actor=admin_user, org_unit=org["county_a2"]),
        "b1": make_customer(actor=admin_user, org_unit=org["county_b1"]),
    }


def test_county_export_holds_only_that_countys_customers(county_supervisor, customers, tmp_path):
    path = tmp_path / "a1.xlsx"
    count = customers_export(actor=county_supervisor, path=path)
    exported = by_code(path)
    assert count == 2
    assert set(exported) == {customers["a1"].code, customers["a1_team"].code}


def test_export_is_masked_by_default_and_logged(county_supervisor, customers, tmp_path):
    services.customer_product_add(
        actor=county_supervisor,
        customer=customers["a1"],
        kind="mobile",
        account_number="13912345678",
    )
    path = tmp_path / "masked.xlsx"
    customers_export(actor=county_supervisor, path=path, ip="10.0.0.8")
    row = by_code(path)[customers["a1"].code]
    assert row["电话/手机"] == "139****5678"
    assert row["证件号码/身份证号"].startswith(customers["a1"].id_number[:6])
    assert "*" in row["证件号码/身份证号"] and customers["a1"].id_number not in str(row)
    assert row["业务账号"] == "139****5678"
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (entry.actor, entry.row_count, entry.fields, entry.ip) == (
        county_supervisor,
        2,
        "masked",
        "10.0.0.8",
    )


def test_unmasked_export_needs_view_pii_and_a_reason(org, county_supervisor, customers, tmp_path):
    role = Role.objects.create(code="exporter", name="导出员", default_scope="subtree")
    role.permissions.add(
        *Permission.objects.filter(codename__in=["export_customer", "view_customer"])
    )
    exporter = make_staff("exporter", org["county_a1"], "exporter")
    with pytest.raises(PermissionDenied):
        customers_export(actor=exporter, path=tmp_path / "x.xlsx", unmasked=True, reason="核对")
    with pytest.raises(ValidationFailed):
        customers_export(actor=county_supervisor, path=tmp_path / "x.xlsx", unmasked=True)
    assert not (tmp_path / "x.xlsx").exists()
    assert not AccessLog.objects.exists()

    customers_export(
        actor=county_supervisor, path=tmp_path / "x.xlsx", unmasked=True, reason="年度核对"
    )
    row = by_code(tmp_path / "x.xlsx")[customers["a1"].code]
    assert row["电话/手机"] == "13912345678"
    assert row["证件号码/身份证号"] == customers["a1"].id_number
    entry = AccessLog.objects.get()
    assert (entry.fields, entry.reason) == ("phone,id_number", "年度核对")


def test_agent_without_export_permission_is_refused(agent_a, customers, tmp_path):
    with pytest.raises(PermissionDenied):
        customers_export(actor=agent_a, path=tmp_path / "x.xlsx")
    assert not AccessLog.objects.exists()


def test_export_follows_the_list_filters(county_supervisor, customers, tmp_path):
    path = tmp_path / "f.xlsx"
    assert customers_export(actor=county_supervisor, path=path, filters={"q": "李"}) == 1
    assert set(by_code(path)) == {customers["a1_team"].code}


def test_cells_that_excel_would_run_as_formulas_are_made_text(admin_user, org, tmp_path):
    make_customer(actor=admin_user, org_unit=org["county_a1"], name="=HYPERLINK(1)")
    make_customer(actor=admin_user, org_unit=org["county_a1"], name="@SUM(A1)", address="+1")
    path = tmp_path / "f.xlsx"
    customers_export(actor=admin_user, path=path)
    workbook = openpyxl.load_workbook(path)
    cells = [c for row in workbook.active.iter_rows(min_row=2) for c in row]
    assert not any(c.data_type == "f" for c in cells)
    names = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'=HYPERLINK(1)", "'@SUM(A1)", "'+1"} <= names


def test_cli_export_acts_as_the_named_user(county_supervisor, customers, tmp_path, capsys):
    path = tmp_path / "cli.xlsx"
    call_command("export", "customers", str(path), "--as", "sup_a1")
    assert set(by_code(path)) == {customers["a1"].code, customers["a1_team"].code}
    assert "2" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command(
            "export", "customers", str(tmp_path / "x.xlsx"), "--as", "sup_a1", "--unmasked"
        )


def test_unmasked_export_reimports_as_the_same_customers(admin_user, customers, tmp_path):
    """An unmasked export is a valid import file (codes taken → reported, not duplicated)."""
    from kefu.customers.import_validation import ImportRejected
    from kefu.customers.importing import customers_import

    path = tmp_path / "round.xlsx"
    customers_export(actor=admin_user, path=path, unmasked=True, reason="迁移")
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    # every customer number, and every ID number, is already in the archive
    assert caught.value.extra["problem_count"] == 8


def test_unmasked_export_imports_again_with_the_same_tags_and_products(
    client, admin_user, org, tmp_path
):
    from django.urls import reverse

    from kefu.customers.importing import customers_import
    from kefu.customers.models import Customer

    customer = make_customer(actor=admin_user, org_unit=org["county_a1"], name="陈晓燕")
    client.force_login(admin_user)
    saved = client.post(  # tags as an agent types them on the 360 page
        reverse("customers:customer_edit", args=[customer.pk]),
        {"edit-monthly_value": "88", "edit-tags": "宽带用户，老客户、VIP 客户", "edit-version": 1},
    )
    assert saved.status_code == 302
    customer.refresh_from_db()
    assert sorted(t.name for t in customer.tags.all()) == ["VIP 客户", "宽带用户", "老客户"]
    for kind, account in (("mobile", "13755556666"), ("broadband", "KD-A-0001")):
        services.customer_product_add(
            actor=admin_user, customer=customer, kind=kind, account_number=account
        )
    path = tmp_path / "round.xlsx"
    customers_export(actor=admin_user, path=path, unmasked=True, reason="迁移")
    before = {
        "code": customer.code,
        "phone": customer.phone,
        "id_number": customer.id_number,
        "tags": sorted(t.name for t in customer.tags.all()),
        "products": sorted(customer.products.values_list("kind", "account_number")),
    }
    Customer.objects.all().delete()  # a fresh archive, as a migration to a new system

    result = customers_import(actor=admin_user, path=path)
    assert (result.imported, result.rejected) == (1, 0)
    again = Customer.objects.get()
    assert {
        "code": again.code,
        "phone": again.phone,
        "id_number": again.id_number,
        "tags": sorted(t.name for t in again.tags.all()),
        "products": sorted(again.products.values_list("kind", "account_number")),
    } == before


def test_a_tag_holding_a_list_separator_is_refused(admin_user, org):
    customer = make_customer(actor=admin_user, org_unit=org["county_a1"])
    with pytest.raises(ValidationFailed):
        services.customer_update(actor=admin_user, customer=customer, data={"tags": ["老客户;VIP"]})
    assert not customer.tags.exists()
