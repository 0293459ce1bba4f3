"""Validation side of the customer import: header mapping and row checks (no database).

Everything here works on plain data (`ImportRules`), so it can run in a child process while
the parent writes (see importing.py). `validation_stream` yields messages:

    ("header", labels, header_cells)           column labels as written in the file
    ("batch", records, rejects)                 valid compact records, rejected rows
    ("progress", done, total)                   data rows read, and the rows expected
    ("fatal", [message, …])                     the file as a whole is unusable
    ("end", total_rows)

A record is a tuple of plain values (marshal-able): (row, code, kind, name, id_number, phone,
address, unit id, monthly value, gov series, tier, ((product kind, account), …), (tag, …)).
The pyramid layer is left to the writer, which sees the whole import. A reject is
(row number, [(column label, message), …], original cells or None).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kefu.core import cn_validation as cnv
from kefu.core import tabular
from kefu.core.tabular_messages import file_message, row_message, tabular_message
from kefu.customers import tiering
from kefu.customers.models import CustomerKind, ProductKind
from kefu.customers.validation import FIELD_LABELS, clean_customer_fields, clean_text

BATCH_ROWS = 2000
TAG_MAX = 30
REJECT_REASON_HEADER = "错误原因"

# Column headers users write (Chinese first) → field. English field names work too.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("客户编号", "客户号", "客户编码"),
    "kind": ("客户类型", "类型"),
    "name": ("姓名/名称", "姓名", "名称", "客户名称", "客户姓名"),
    "id_number": ("证件号码/身份证号", "证件号码", "身份证号", "身份证号码", "证件号"),
    "phone": ("电话/手机", "电话", "手机", "手机号", "手机号码", "联系电话"),
    "address": ("地址", "联系地址"),
    "org_unit": ("所属单位编码", "单位编码"),
    "monthly_value": ("月消费", "月消费(元)", "月消费（元）", "月均消费"),
    "gov_series": ("政企系列", "系列"),
    "product_kind": ("产品类型",),
    "account_number": ("业务账号", "账号"),
    "tags": ("标签",),
}
# Columns our own export adds; read back without complaint and ignored.
IGNORED_HEADERS = (
    "所属单位",
    "服务等级",
    "价值层级",
    "客户分类",
    "tier",
    "pyramid",
    "customer_class",
    "org_unit_name",
    REJECT_REASON_HEADER,
)
# Header we write for each field (export, rejects, template): the first alias.
FILE_HEADERS = {f: aliases[0] for f, aliases in FIELD_ALIASES.items()}

PRODUCT_ALIASES = {
    "宽带": ProductKind.BROADBAND.value,
    "固话": ProductKind.FIXED_LINE.value,
    "固定电话": ProductKind.FIXED_LINE.value,
    "移动": ProductKind.MOBILE.value,
    "手机": ProductKind.MOBILE.value,
    "移动电话": ProductKind.MOBILE.value,
    "增值业务": ProductKind.VALUE_ADDED.value,
    "增值": ProductKind.VALUE_ADDED.value,
}
PRODUCT_WORDS = {  # value → the Chinese word written to files
    ProductKind.BROADBAND.value: "宽带",
    ProductKind.FIXED_LINE.value: "固话",
    ProductKind.MOBILE.value: "移动",
    ProductKind.VALUE_ADDED.value: "增值业务",
}
_PRODUCT_KINDS = frozenset(ProductKind.values)
_LIST_SEPARATORS = str.maketrans({"；": ";", "，": ";", ",": ";", "、": ";", "|": ";"})


@dataclass(frozen=True)
class ImportRules:
    """What row checks need, as plain picklable data loaded once by the parent."""

    units: dict[str, tuple[int, bool]]  # unit code → (pk, inside the actor's scope)
    default_unit: int | None
    thresholds: dict[str, dict[str, Decimal]]
    language: str = "zh-hans"


# --- messages ---------------------------------------------------------------------------


# --- header -----------------------------------------------------------------------------


def _normalise_header(text: str) -> str:
    return text.replace("\ufeff", "").replace("\u3000", " ").strip().lower()


_HEADER_INDEX = {
    _normalise_header(alias): f
    for f, aliases in FIELD_ALIASES.items()
    for alias in (*aliases, f, str(FIELD_LABELS.get(f, f)))
}
_IGNORED = frozenset(_normalise_header(h) for h in IGNORED_HEADERS)


def map_header(
    cells: list[str], *, has_default_unit: bool
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(field → column index, field → header as written, problems) for the header row."""
    mapping: dict[str, int] = {}
    labels: dict[str, str] = {}
    problems: list[str] = []
    for index, cell in enumerate(cells):
        key = _normalise_header(cell)
        if not key or key in _IGNORED:
            continue
        target = _HEADER_INDEX.get(key)
        shown = cell.replace("\ufeff", "").strip()[:50]
        if target is None:
            problems.append(row_message(1, shown, _("unknown column; see the import template")))
        elif target in mapping:
            problems.append(row_message(1, shown, _("column appears twice")))
        else:
            mapping[target] = index
            labels[target] = shown
    required = ["name", "kind"] + ([] if has_default_unit else ["org_unit"])
    for f in required:
        if f not in mapping:
            problems.append(row_message(1, FILE_HEADERS[f], _("column is missing")))
    return mapping, labels, problems


# --- rows -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, rules: ImportRules, labels: dict[str, str]):
        self.rules = rules
        self.labels = labels
        self.order = {label: i for i, label in enumerate(labels.values())}
        self.seen_codes: dict[str, int] = {}
        self.seen_id_numbers: dict[str, int] = {}

    def label(self, f: str) -> str:
        return self.labels.get(f) or str(FIELD_LABELS.get(f, f))

    def check(self, row_no: int, raw: dict[str, str]) -> tuple[tuple | None, list]:
        """Validate one row: (compact record or None, [(column label, message)])."""
        cleaned, errors = clean_customer_fields(raw)
        problems = [(self.label(f), msg) for f, msg in errors.items()]
        unit_id = self._unit(raw, problems)
        products = self._products(raw, problems)
        tags = self._tags(raw, problems)
        code = cleaned.get("code", "")
        if code:
            first = self.seen_codes.setdefault(code, row_no)
            if first != row_no:
                problems.append(
                    (
                        self.label("code"),
                        _("duplicate: the same customer number is in row %(row)d") % {"row": first},
                    )
                )
        id_number = cleaned.get("id_number", "")
        if id_number:
            first = self.seen_id_numbers.setdefault(id_number, row_no)
            if first != row_no:
                problems.append(
                    (
                        self.label("id_number"),
                        _("duplicate: the same ID number is in row %(row)d") % {"row": first},
                    )
                )
        if problems:
            problems.sort(key=lambda p: self.order.get(p[0], len(self.order)))
            return None, problems
        kind = str(cleaned["kind"])
        value = cleaned["monthly_value"]
        thresholds = self.rules.thresholds[kind]
        if kind == CustomerKind.INDIVIDUAL:
            tier = tiering.individual_tier(value, thresholds).tier
        else:
            tier = tiering.gov_tier(value, cleaned["gov_series"] or "B", thresholds).tier
        record = (
            row_no,
            code,
            kind,
            cleaned["name"],
            cleaned["id_number"],
            cleaned["phone"],
            cleaned["address"],
            unit_id,
            str(value),
            str(cleaned["gov_series"]),
            tier,
            products,
            tags,
        )
        return record, []

    def _unit(self, raw: dict[str, str], problems: list) -> int | None:
        code = (raw.get("org_unit") or "").strip()
        if not code:
            if self.rules.default_unit is not None:
                return self.rules.default_unit
            problems.append((self.label("org_unit"), _("is required")))
            return None
        found = self.rules.units.get(code)
        if found is None:
            problems.append(
                (self.label("org_unit"), _("unknown org unit code %(code)s") % {"code": code[:40]})
            )
            return None
        if not found[1]:
            problems.append((self.label("org_unit"), _("is outside your data scope")))
            return None
        return found[0]

    def _products(self, raw: dict[str, str], problems: list) -> tuple:
        kinds = split_list(raw.get("product_kind"))
        accounts = split_list(raw.get("account_number"))
        if not kinds and not accounts:
            return ()
        if len(kinds) != len(accounts):
            column = "account_number" if len(kinds) > len(accounts) else "product_kind"
            problems.append(
                (
                    self.label(column),
                    _("%(kinds)d product types but %(accounts)d account numbers")
                    % {"kinds": len(kinds), "accounts": len(accounts)},
                )
            )
            return ()
        products = []
        for kind_text, account in zip(kinds, accounts, strict=True):
            kind = PRODUCT_ALIASES.get(kind_text, kind_text.lower())
            if kind not in _PRODUCT_KINDS:
                problems.append(
                    (
                        self.label("product_kind"),
                        _("unknown product type %(value)s (宽带/固话/移动/增值业务)")
                        % {"value": kind_text[:20]},
                    )
                )
                continue
            try:
                account = clean_text(account, max_length=40, required=True)
            except cnv.InvalidValue as exc:
                problems.append((self.label("account_number"), exc.reason))
                continue
            products.append((kind, account))
        return tuple(products)

    def _tags(self, raw: dict[str, str], problems: list) -> tuple:
        tags = []
        for tag in split_list(raw.get("tags")):
            try:
                tags.append(clean_text(tag, max_length=TAG_MAX, required=True))
            except cnv.InvalidValue as exc:
                problems.append((self.label("tags"), exc.reason))
        return tuple(dict.fromkeys(tags))


def split_list(value: str | None) -> list[str]:
    """'宽带;移动' / '宽带，移动' / '宽带、移动' → ['宽带', '移动']"""
    text = (value or "").translate(_LIST_SEPARATORS)
    return [part.strip() for part in text.split(";") if part.strip()]


# --- the stream -------------------------------------------------------------------------


def _batches(
    checker: _Checker, rows: Iterable[tuple[int, dict[str, str], list[str] | None]]
) -> Iterator[tuple]:
    records: list[tuple] = []
    rejects: list[tuple] = []
    for row_no, raw, cells in rows:
        record, problems = checker.check(row_no, raw)
        if record is None:
            rejects.append((row_no, problems, cells))
        else:
            records.append(record)
        if len(records) + len(rejects) >= BATCH_ROWS:
            yield ("batch", records, rejects)
            records, rejects = [], []
    if records or rejects:
        yield ("batch", records, rejects)


def _file_stream(path: str, file_name: str | None, rules: ImportRules) -> Iterator[tuple]:
    progress: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        progress.append((done, total))

    rows = tabular.read_rows(path, name=file_name, on_progress=on_progress)
    try:
        first = next(rows, None)
        if first is None:
            yield ("fatal", [file_message(_("the file is empty"))])
            return
        mapping, labels, problems = map_header(
            first[1], has_default_unit=rules.default_unit is not None
        )
        if problems:
            yield ("fatal", problems)
            return
        yield ("header", labels, [str(c) for c in first[1]])
        items = list(mapping.items())

        def raw_rows():
            for row_no, cells in rows:
                width = len(cells)
                yield row_no, {f: (cells[i] if i < width else "") for f, i in items}, cells

        total = 0
        for message in _batches(_Checker(rules, labels), raw_rows()):
            total += len(message[1]) + len(message[2])
            if progress:
                # The reader counts bytes (CSV) or sheet rows (XLSX); the bar counts data
                # rows, so scale the rows so far by the share of the file read.
                done, size = progress[-1]
                progress.clear()
                estimate = round(total * size / done) if 0 < done < size else total
                yield ("progress", total, max(estimate, total))
            yield message
        yield ("progress", total, total)
        yield ("end", total)
    except tabular.TabularError as exc:
        yield ("fatal", [tabular_message(exc)])


def _rows_stream(rows: Iterable[dict[str, str]], rules: ImportRules, expected: int):
    yield ("header", {}, None)
    count = 0

    def numbered():
        nonlocal count
        for count, raw in enumerate(rows, start=1):
            yield count + 1, raw, None  # numbered as if row 1 were a header

    for message in _batches(_Checker(rules, {}), numbered()):
        yield message
        yield ("progress", count, max(expected, count))
    yield ("end", count)


def validation_stream(source: tuple, rules: ImportRules) -> Iterator[tuple]:
    """Messages for a source: ("file", path, file_name) or ("rows", iterable, expected)
    or ("demo", count, seed, places)."""
    kind = source[0]
    if kind == "file":
        yield from _file_stream(source[1], source[2], rules)
    elif kind == "rows":
        yield from _rows_stream(source[1], rules, source[2])
    elif kind == "demo":
        from kefu.customers.demo_data import customer_rows

        count, seed, places = source[1:]
        yield from _rows_stream(customer_rows(count, seed=seed, places=places), rules, count)
    else:  # pragma: no cover - programming error
        raise ValueError(kind)
