"""User-facing messages about tabular files: the row-and-column form every importer uses.

`第12行 身份证号: 校验位错误` — rows as Excel shows them (header = row 1), columns as the
user's file names them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import tabular

# Reasons raised by tabular.py (pure), listed so makemessages sees them.
TABULAR_REASONS = {
    "not a valid .xlsx file (it is not a zip archive)": gettext_lazy(
        "not a valid .xlsx file (it is not a zip archive)"
    ),
    "unsupported file type %(suffix)s: use .xlsx or .csv": gettext_lazy(
        "unsupported file type %(suffix)s: use .xlsx or .csv"
    ),
    "the file is neither UTF-8 nor GBK/GB18030 text; save it from Excel as "
    '"CSV UTF-8" or as .xlsx': gettext_lazy(
        "the file is neither UTF-8 nor GBK/GB18030 text; save it from Excel as "
        '"CSV UTF-8" or as .xlsx'
    ),
    "a line is longer than %(limit)d characters; the file cannot be read": gettext_lazy(
        "a line is longer than %(limit)d characters; the file cannot be read"
    ),
    "row %(row)d cannot be read as CSV (%(detail)s)": gettext_lazy(
        "row %(row)d cannot be read as CSV (%(detail)s)"
    ),
    "not a valid .xlsx file (the zip archive is damaged)": gettext_lazy(
        "not a valid .xlsx file (the zip archive is damaged)"
    ),
    "the .xlsx file unpacks to more than 2 GB; split it or use CSV": gettext_lazy(
        "the .xlsx file unpacks to more than 2 GB; split it or use CSV"
    ),
    "the .xlsx file holds too much text to stream; save it as CSV": gettext_lazy(
        "the .xlsx file holds too much text to stream; save it as CSV"
    ),
    "not a valid .xlsx file (%(detail)s)": gettext_lazy("not a valid .xlsx file (%(detail)s)"),
}


def row_message(row: int, column: str, message: str) -> str:
    """第12行 身份证号: 校验位错误"""
    return _("Row %(row)d %(column)s: %(message)s") % {
        "row": row,
        "column": column,
        "message": message,
    }


def file_message(message: str) -> str:
    return _("File: %(message)s") % {"message": message}


def tabular_message(exc: tabular.TabularError) -> str:
    reason = TABULAR_REASONS.get(exc.reason, exc.reason)
    return file_message(str(reason) % exc.params if exc.params else str(reason))
