"""Customer import from CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX: all or nothing."""

from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from kefu.core.errors import PermissionDenied
from kefu.customers.import_validation import ImportRejected
from kefu.customers.importing import customers_import
from kefu.customers.models import (
    Customer,
    CustomerHistory,
    CustomerProduct,
    HistorySource,
    ImportJob,
    ImportStatus,
)
from tests.factories import make_customer, valid_id_number

_ROW_SEQ = itertools.count()

HEADER = [
    "客户编号",
    "客户类型",
    "姓名/名称",
    "身份证号",
    "电话/手机",
    "地址",
    "所属单位编码",
    "月消费",
    "政企系列",
    "产品类型",
    "业务账号",
    "标签",
]


def row(
    code,
    name="王小明",
    *,
    kind="个人",
    id_number=None,
    phone="13812345678",
    unit="P-a-1",
    value="88",
    series="",
    products="",
    accounts="",
    tags="",
    address="中山路1号",
):
    if id_number is None:
        # A birth date of its own and a running sequence: unique within a test, and never
        # one of make_customer's (an ID number already on file is a row error).
        n = next(_ROW_SEQ)
        id_number = (
            valid_id_number(birth=f"1992{1 + n // 1000 % 12:02d}01", seq=f"{n % 1000:03d}")
            if kind == "个人"
            else ""
        )
    return [
        code,
        kind,
        name,
        id_number,
        phone,
        address,
        unit,
        value,
        series,
        products,
        accounts,
        tags,
    ]


def write_csv(path, rows, *, encoding="utf-8-sig", header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    workbook.save(path)
    return path


@pytest.fixture
def lang_zh():
    with translation.override("zh-hans"):
        yield


# --- encodings and formats ------------------------------------------------------------------


def test_gbk_csv_as_excel_writes_it_imports_with_tiers_products_tags(admin_user, org, tmp_path):
    path = write_csv(
        tmp_path / "客户.csv",
        [
            row(
                "K001",
                "张伟",
                value="650",
                products="宽带;移动",
                accounts="02588886666@kd;13812345678",
                tags="高价值、老年客户",
            ),
            row(
                "K002",
                "南京鼎新科技有限公司",
                kind="政企",
                phone="025-83451234",
                value="25000",
                series="A",
            ),
        ],
        encoding="gbk",
    )
    result = customers_import(actor=admin_user, path=path)
    assert (result.imported, result.rejected, result.problem_count) == (2, 0, 0)
    person = Customer.objects.get(code="K001")
    assert (
        person.name == "张伟" and person.tier == "diamond" and person.org_unit == org["county_a1"]
    )
    assert person.monthly_value == Decimal("650.00")
    assert sorted(person.products.values_list("kind", "account_number")) == [
        ("broadband", "02588886666@kd"),
        ("mobile", "13812345678"),
    ]
    assert sorted(person.tags.values_list("name", flat=True)) == ["老年客户", "高价值"]
    company = Customer.objects.get(code="K002")
    assert (company.kind, company.tier, company.phone) == ("gov_enterprise", "2A", "025-83451234")
    assert company.customer_class in {"A", "B", "C"} and company.pyramid


def test_utf8_with_and_without_bom_import_the_same(admin_user, org, tmp_path):
    with_bom = write_csv(tmp_path / "a.csv", [row("B1", "李娜")], encoding="utf-8-sig")
    without = write_csv(tmp_path / "b.csv", [row("B2", "李娜")], encoding="utf-8")
    assert with_bom.read_bytes().startswith(b"\xef\xbb\xbf")
    customers_import(actor=admin_user, path=with_bom)
    customers_import(actor=admin_user, path=without)
    assert list(Customer.objects.order_by("code").values_list("code", "name")) == [
        ("B1", "李娜"),
        ("B2", "李娜"),
    ]


def test_xlsx_import_reads_numeric_cells_as_typed(admin_user, org, tmp_path):
    r = row("X1", "赵敏", value="120.5")
    r[4] = 13912345678  # Excel stores a typed-in mobile number as a number
    r[7] = 120.5
    path = write_xlsx(tmp_path / "customers.xlsx", [r, [None] * len(HEADER)])
    result = customers_import(actor=admin_user, path=path)
    assert result.imported == 1
    customer = Customer.objects.get(code="X1")
    assert customer.phone == "13912345678" and customer.tier == "silver"


def test_english_field_names_are_accepted_as_headers(admin_user, org, tmp_path):
    header = ["code", "kind", "name", "phone", "org_unit", "monthly_value"]
    path = write_csv(
        tmp_path / "en.csv",
        [["E1", "individual", "Wang", "13812345678", "P-a-1", "10"]],
        header=header,
    )
    assert customers_import(actor=admin_user, path=path).imported == 1


def test_imported_customers_get_one_import_history_row_each(admin_user, org, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row("H1"), row("H2", phone="13912345678")])
    result = customers_import(actor=admin_user, path=path)
    history = CustomerHistory.objects.filter(customer__code__in=["H1", "H2"])
    assert history.count() == 2
    entry = history.first()
    assert entry.source == HistorySource.IMPORT and entry.actor == admin_user
    assert f"#{result.job_id}" in entry.note and "h.csv" in entry.note
    job = ImportJob.objects.get(pk=result.job_id)
    assert (job.status, job.imported, job.created_by) == (ImportStatus.DONE, 2, admin_user)


# --- all or nothing ---------------------------------------------------------------------------


def bad_file(tmp_path):
    good_id = valid_id_number(seq="123")
    wrong_check = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    return write_csv(
        tmp_path / "bad.csv",
        [
            row("G1", "好人"),
            row("G2", "坏身份证", id_number=wrong_check),
            row("G3", "", phone="12345"),
            row("G1", "重复", unit="NOPE", value="abc"),
            row("G5", "产品", products="宽带;移动", accounts="A1"),
        ],
    )


def test_bad_rows_import_nothing_and_every_problem_names_row_and_column(
    admin_user, org, tmp_path, lang_zh
):
    before = Customer.objects.count()
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=bad_file(tmp_path))
    problems = caught.value.extra["problems"]
    assert Customer.objects.count() == before
    assert "第3行 身份证号: 校验位错误" in problems
    expected_prefixes = [
        "第4行 姓名/名称:",
        "第4行 电话/手机:",
        "第5行 客户编号:",
        "第5行 所属单位编码:",
        "第5行 月消费:",
        "第6行 业务账号:",
    ]
    for prefix in expected_prefixes:
        assert any(p.startswith(prefix) for p in problems), (prefix, problems)
    assert caught.value.extra["problem_count"] == len(problems) == 7
    assert any("第2行" in p for p in problems if p.startswith("第5行 客户编号"))  # duplicate of
    assert ImportJob.objects.get().status == ImportStatus.FAILED


def test_cli_exits_non_zero_and_prints_each_problem(admin_user, org, tmp_path, capsys, lang_zh):
    path = bad_file(tmp_path)
    with pytest.raises(CommandError) as caught:
        call_command("import", "customers", str(path), "--as", admin_user.username, "--no-progress")
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    assert "第3行 身份证号: 校验位错误" in err
    assert err.count("第") >= 7
    assert not Customer.objects.filter(code="G1").exists()


def test_skip_invalid_imports_valid_rows_and_writes_rejects_for_excel(admin_user, org, tmp_path):
    rejects = tmp_path / "rejects.csv"
    call_command(
        "import",
        "customers",
        str(bad_file(tmp_path)),
        "--skip-invalid",
        "--rejects",
        str(rejects),
        "--as",
        admin_user.username,
        "--no-progress",
    )
    assert list(Customer.objects.values_list("code", flat=True)) == ["G1"]
    raw = rejects.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "错误原因"]
    assert [line[0] for line in lines[1:]] == ["G2", "G3", "G1", "G5"]
    assert all(line[-1] for line in lines[1:])
    assert "身份证号" in lines[1][-1]


def test_customer_number_already_in_database_is_rejected(admin_user, org, tmp_path, lang_zh):
    existing = make_customer(actor=admin_user, org_unit=org["county_a1"])
    path = write_csv(tmp_path / "dup.csv", [row("NEW1"), row(existing.code, "别人")])
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert caught.value.extra["problems"] == ["第3行 客户编号: 已存在"]
    assert not Customer.objects.filter(code="NEW1").exists()


def test_id_number_already_in_the_archive_is_a_row_error(admin_user, org, tmp_path, lang_zh):
    existing = make_customer(actor=admin_user, org_unit=org["county_b1"])
    path = write_csv(
        tmp_path / "dup-id.csv", [row("NEW1"), row("NEW2", "别人", id_number=existing.id_number)]
    )
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert caught.value.extra["problems"] == ["第3行 身份证号: 已在客户档案中"]
    assert Customer.objects.filter(id_number=existing.id_number).count() == 1
    assert not Customer.objects.filter(code="NEW1").exists()


def test_id_number_twice_in_the_file_is_a_row_error_and_skip_keeps_the_first(
    admin_user, org, tmp_path, lang_zh
):
    same = valid_id_number(birth="19770505", seq="321")
    rows = [row("D1", id_number=same), row("D2"), row("D3", "另一人", id_number=same.lower())]
    path = write_csv(tmp_path / "twice.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert caught.value.extra["problems"] == ["第4行 身份证号: 重复：第2行已有相同的身份证号"]
    assert not Customer.objects.exists()
    result = customers_import(
        actor=admin_user, path=path, skip_invalid=True, rejects_path=tmp_path / "rejects.csv"
    )
    assert (result.imported, result.rejected) == (2, 1)
    assert set(Customer.objects.values_list("code", flat=True)) == {"D1", "D2"}


def test_unit_outside_the_importers_scope_is_rejected(supervisor_a, org, tmp_path, lang_zh):
    path = write_csv(tmp_path / "scope.csv", [row("S1", unit="P-a-1"), row("S2", unit="P-b-1")])
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=supervisor_a, path=path)
    assert caught.value.extra["problems"] == ["第3行 所属单位编码: 超出您的数据范围"]
    assert not Customer.objects.exists()


def test_org_unit_option_fills_rows_without_a_unit(supervisor_a, org, tmp_path):
    header = [h for h in HEADER if h != "所属单位编码"]
    r = row("U1")
    del r[6]
    path = write_csv(tmp_path / "nounit.csv", [r], header=header)
    customers_import(actor=supervisor_a, path=path, default_unit_code="P-a-2")
    assert Customer.objects.get(code="U1").org_unit == org["county_a2"]
    with pytest.raises(ImportRejected):
        customers_import(actor=supervisor_a, path=path, default_unit_code="P-b-2")


def test_agent_without_import_permission_is_refused(agent_a, org, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("A1")])
    with pytest.raises(PermissionDenied):
        customers_import(actor=agent_a, path=path)


def test_missing_and_unknown_columns_are_reported_before_any_row(admin_user, org, tmp_path):
    path = write_csv(tmp_path / "cols.csv", [["x", "y"]], header=["客户编号", "爱好"])
    with translation.override("zh-hans"), pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    problems = caught.value.extra["problems"]
    assert any(p.startswith("第1行 爱好:") for p in problems)
    assert any(p.startswith("第1行 姓名/名称:") for p in problems)
    assert any(p.startswith("第1行 客户类型:") for p in problems)


# --- hostile input --------------------------------------------------------------------------


def test_very_long_cells_and_control_characters_are_rejected_per_cell(admin_user, org, tmp_path):
    path = write_csv(
        tmp_path / "hostile.csv",
        [
            row("L1", "长" * 5000),
            row("L2", "坏\x00名字"),
            row("L3", address="<script>alert(1)</script>"),
        ],
    )
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    problems = caught.value.extra["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("Row 2 姓名/名称: ") and "5000" in problems[0]
    assert problems[1].startswith("Row 3 姓名/名称: ")


def test_cell_longer_than_the_csv_limit_is_a_clear_file_error(admin_user, org, tmp_path):
    path = write_csv(tmp_path / "huge-cell.csv", [row("C1", "x" * 200_000)])
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert caught.value.extra["problem_count"] == 1
    assert "131072" in caught.value.extra["problems"][0]
    assert not Customer.objects.exists()


def test_formula_text_is_stored_as_text(admin_user, org, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row("F1", '=HYPERLINK("http://x")', address="@SUM(A1)")])
    customers_import(actor=admin_user, path=path)
    customer = Customer.objects.get(code="F1")
    assert customer.name == '=HYPERLINK("http://x")' and customer.address == "@SUM(A1)"


def test_file_over_the_size_limit_is_refused(admin_user, org, tmp_path, settings):
    settings.KEFU_IMPORT_MAX_BYTES = 100
    path = write_csv(tmp_path / "big.csv", [row(f"Z{i}") for i in range(10)])
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert "MB" in str(caught.value)
    assert ImportJob.objects.get().status == ImportStatus.FAILED


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.xlsx", b"name,phone\n"),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip"),
        ("binary.csv", "客户编号,姓名\n".encode() + b"\x80\x80\xff\n"),
        ("notes.txt.exe", b"MZ"),
        ("empty.csv", b""),
    ],
)
def test_unreadable_files_get_one_clear_message(admin_user, org, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert caught.value.extra["problem_count"] == 1
    assert not Customer.objects.exists()


# --- large-file paths (child process validation, SQLite index rebuild) ----------------------


def test_validation_in_a_child_process_gives_the_same_result(
    admin_user, org, tmp_path, settings, lang_zh
):
    settings.KEFU_IMPORT_PARALLEL_MIN_BYTES = 0
    path = bad_file(tmp_path)
    with pytest.raises(ImportRejected) as caught:
        customers_import(actor=admin_user, path=path)
    assert "第3行 身份证号: 校验位错误" in caught.value.extra["problems"]
    assert caught.value.extra["problem_count"] == 7
    good = write_csv(
        tmp_path / "good.csv", [row(f"P{i}", phone=f"1391234{i:04d}") for i in range(50)]
    )
    assert customers_import(actor=admin_user, path=good).imported == 50


def _index_names():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Customer._meta.db_table)
    return {name for name, info in constraints.items() if info["index"]}


def test_rebuilding_indexes_for_a_large_import_keeps_them(admin_user, org, tmp_path, settings):
    settings.KEFU_IMPORT_REBUILD_MIN_ROWS = 1
    before = _index_names()
    with pytest.raises(ImportRejected):  # rolled back: indexes come back with the rollback
        customers_import(actor=admin_user, path=bad_file(tmp_path))
    assert _index_names() == before
    good = write_csv(
        tmp_path / "good.csv", [row(f"R{i}", phone=f"1381234{i:04d}") for i in range(30)]
    )
    assert customers_import(actor=admin_user, path=good).imported == 30
    assert _index_names() == before
    assert CustomerProduct.objects.count() == 0
    assert Customer.objects.filter(phone="13812340007").count() == 1
