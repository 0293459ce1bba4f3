"""Customer export (客户导出) to .xlsx: the actor's data scope, masked unless allowed, logged.

Rows come from `selectors.customer_list` (so the data scope and the search filters are the
ones the list page uses) and are streamed into an openpyxl write-only workbook: memory stays
flat for a million rows. The file is written beside its target and renamed into place, and
the access-log entry (查阅登记) commits with it, so there is never a logged export without a
file or a file without its log entry.

The columns are the importer's, so an unmasked export can be edited and imported again;
the extra columns (unit name, tier, pyramid, class) are ignored by the importer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.core.masking import mask_id_number, mask_phone
from kefu.core.tabular import escape_formula
from kefu.customers import selectors, services_pii
from kefu.customers.import_check import FILE_HEADERS, PRODUCT_WORDS
from kefu.customers.models import Customer, CustomerKind, Pyramid, ServiceTier
from kefu.customers.pii import masked_account

CHUNK = 2000
KIND_WORDS = {CustomerKind.INDIVIDUAL.value: "个人", CustomerKind.GOV_ENTERPRISE.value: "政企"}
# (header, width). Headers are the file format the importer reads, not UI text.
COLUMNS = (
    (FILE_HEADERS["code"], 14),
    (FILE_HEADERS["kind"], 8),
    (FILE_HEADERS["name"], 24),
    (FILE_HEADERS["id_number"], 21),
    (FILE_HEADERS["phone"], 15),
    (FILE_HEADERS["address"], 40),
    (FILE_HEADERS["org_unit"], 14),
    ("所属单位", 16),
    (FILE_HEADERS["monthly_value"], 10),
    (FILE_HEADERS["gov_series"], 8),
    ("服务等级", 8),
    ("价值层级", 8),
    ("客户分类", 8),
    (FILE_HEADERS["product_kind"], 16),
    (FILE_HEADERS["account_number"], 30),
    (FILE_HEADERS["tags"], 16),
)


def _cell(value: Any) -> Any:
    """Text as a spreadsheet cell: no formula injection, no characters XML cannot hold."""
    if isinstance(value, str):
        return escape_formula(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def export_row(customer: Customer, *, unmasked: bool) -> list[Any]:
    """One customer as the export's cells (personal data masked unless `unmasked`)."""
    phone = customer.phone if unmasked else mask_phone(customer.phone)
    id_number = customer.id_number if unmasked else mask_id_number(customer.id_number)
    products = list(customer.products.all())
    accounts = [p.account_number if unmasked else masked_account(p) for p in products]
    tier = customer.effective_tier
    return [
        _cell(v)
        for v in (
            customer.code,
            KIND_WORDS.get(customer.kind, customer.kind),
            customer.name,
            id_number,
            phone,
            customer.address,
            customer.org_unit.code,
            customer.org_unit.name,
            customer.monthly_value,
            customer.gov_series,
            str(ServiceTier(tier).label) if tier in ServiceTier.values else tier,
            str(Pyramid(customer.pyramid).label),
            customer.customer_class,
            ";".join(PRODUCT_WORDS.get(p.kind, p.kind) for p in products),
            ";".join(accounts),
            ";".join(t.name for t in customer.tags.all()),
        )
    ]


def _customers(actor, filters: dict[str, str] | None) -> Iterator[Customer]:
    queryset = selectors.customer_list(viewer=actor, filters=filters).prefetch_related(
        "products", "tags"
    )
    return queryset.iterator(chunk_size=CHUNK)


def customers_export(
    *,
    actor,
    path: str | os.PathLike[str],
    filters: dict[str, str] | None = None,
    unmasked: bool = False,
    reason: str = "",
    ip: str | None = None,
) -> int:
    """Write the customers `actor` may see (narrowed by list `filters`) to an .xlsx file.

    Needs customers.export_customer; `unmasked` also needs customers.view_pii and a reason.
    Every export — masked or not — is written to the access log with its row count.
    Returns the number of customers written.
    """
    if not actor.has_perm("customers.export_customer"):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if unmasked:
        if not actor.has_perm("customers.view_pii"):
            raise PermissionDenied(_("You may not export unmasked phone and ID numbers."))
        if not reason:
            raise ValidationFailed.for_fields({str(_("Reason")): [_("is required")]})
    path = os.fspath(path)
    if not path.lower().endswith(".xlsx"):
        raise ValidationFailed.for_fields({str(_("File")): [_("must end with .xlsx")]})
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kefu-export-", suffix=".xlsx", dir=directory)
    os.close(fd)
    try:
        with transaction.atomic():
            count = _write_workbook(tmp, _customers(actor, filters), unmasked=unmasked)
            services_pii.access_log_export(
                actor=actor,
                row_count=count,
                unmasked=unmasked,
                reason=reason,
                ip=ip,
                target=os.path.basename(path),
            )
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count


def _write_workbook(path: str, customers: Iterator[Customer], *, unmasked: bool) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers"))
    for index, (_header, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([header for header, _width in COLUMNS])
    count = 0
    for customer in customers:
        sheet.append(export_row(customer, unmasked=unmasked))
        count += 1
    workbook.save(path)
    return count
