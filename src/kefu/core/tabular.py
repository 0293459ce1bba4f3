"""Reading and writing spreadsheet rows as Chinese offices produce them (pure: no Django).

- CSV in UTF-8 (with or without the BOM Excel adds) or GBK/GB18030 (what Excel on a Chinese
  Windows writes for "CSV"); UTF-16 with BOM ("Unicode text"), tab-separated or not.
- XLSX streamed with openpyxl in read-only mode.

Rows come out as `(row_number, [cell text, …])` with row numbers as Excel shows them
(the header is row 1), blank rows skipped but counted. Problems raise `TabularError` whose
`reason` is an English msgid the caller translates (params via `%`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, BinaryIO

CSV_FIELD_LIMIT = 131072  # characters per cell; longer cells make the file unreadable
CSV_LINE_LIMIT = 4 * CSV_FIELD_LIMIT
XLSX_MAX_UNCOMPRESSED = 2 * 1024**3  # zip-bomb guard
XLSX_MAX_SHARED_STRINGS = 200 * 1024**2  # openpyxl keeps the shared-string table in memory
_CHUNK = 1 << 20
# A cell starting with one of these is a formula to Excel / LibreOffice (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class TabularError(ValueError):
    """The file as a whole cannot be read. `reason` is an English msgid."""

    def __init__(self, reason: str, **params: Any):
        super().__init__(reason % params if params else reason)
        self.reason = reason
        self.params = params


def file_kind(path: str | os.PathLike[str], name: str | None = None) -> str:
    """'csv' or 'xlsx' from the file name; an .xlsx must really be a zip archive."""
    suffix = os.path.splitext(str(name or path))[1].lower()
    if suffix == ".xlsx":
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise TabularError("not a valid .xlsx file (it is not a zip archive)")
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise TabularError("unsupported file type %(suffix)s: use .xlsx or .csv", suffix=suffix or "?")


# --- CSV ------------------------------------------------------------------------------


def _decodes(fh: BinaryIO, encoding: str) -> bool:
    fh.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        while chunk := fh.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | os.PathLike[str]) -> str:
    """utf-8-sig if the whole file decodes strictly as UTF-8, else gb18030, else an error.

    The whole file is checked (fast, C speed): a GBK character may first appear in the
    millionth row. GB18030 is a superset of GBK/GB2312, so Excel's GBK files decode.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            if _decodes(fh, "utf-16"):
                return "utf-16"
        elif _decodes(fh, "utf-8-sig"):
            return "utf-8-sig"
        elif _decodes(fh, "gb18030"):
            return "gb18030"
    raise TabularError(
        "the file is neither UTF-8 nor GBK/GB18030 text; save it from Excel as "
        '"CSV UTF-8" or as .xlsx'
    )


class _CountingReader(io.RawIOBase):
    """Binary reader that remembers how many bytes were consumed (for progress)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _sniff_delimiter(path, encoding: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(65536).decode(encoding, errors="ignore")
    first = head.splitlines()[0] if head else ""
    return "\t" if first.count("\t") > first.count(",") else ","


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    """Physical lines, refusing absurdly long ones before they fill memory."""
    while line := text.readline(CSV_LINE_LIMIT):
        if len(line) >= CSV_LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise TabularError(
                "a line is longer than %(limit)d characters; the file cannot be read",
                limit=CSV_LINE_LIMIT,
            )
        yield line


def _csv_rows(path, encoding: str, on_bytes: Callable[[int, int], None] | None) -> Iterator:
    size = os.path.getsize(path)
    delimiter = _sniff_delimiter(path, encoding)
    raw = open(path, "rb")  # noqa: SIM115 - closed by the TextIOWrapper below
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, _CHUNK), encoding=encoding, newline="")
    try:
        reader = csv.reader(_lines(text), delimiter=delimiter, strict=False)
        row_no = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise TabularError(
                    "row %(row)d cannot be read as CSV (%(detail)s)",
                    row=row_no + 1,
                    detail=str(exc),
                ) from None
            row_no += 1  # Excel shows one row per record, even with line breaks in a cell
            if on_bytes is not None and not row_no % 2048:
                on_bytes(counter.consumed, size)
            yield row_no, cells
        if on_bytes is not None:
            on_bytes(counter.consumed, size)
    finally:
        text.close()


# --- XLSX -----------------------------------------------------------------------------


def _check_zip(path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise TabularError("not a valid .xlsx file (the zip archive is damaged)") from None
    if sum(i.file_size for i in infos) > XLSX_MAX_UNCOMPRESSED:
        raise TabularError("the .xlsx file unpacks to more than 2 GB; split it or use CSV")
    shared = sum(i.file_size for i in infos if i.filename.endswith("sharedStrings.xml"))
    if shared > XLSX_MAX_SHARED_STRINGS:
        raise TabularError("the .xlsx file holds too much text to stream; save it as CSV")


def cell_text(value: Any) -> str:
    """Spreadsheet cell value as the text a user typed (no 1.3812345678E10, no '.0')."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path, on_rows: Callable[[int, int], None] | None) -> Iterator:
    _check_zip(path)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise TabularError(
            "not a valid .xlsx file (%(detail)s)", detail=type(exc).__name__
        ) from None
    try:
        sheet = workbook.worksheets[0]
        try:
            estimate = int(sheet.max_row or 0)  # from the stored dimension; only for progress
        except (TypeError, ValueError):
            estimate = 0
        sheet.reset_dimensions()  # do not trust the stored dimension; read what is there
        row_no = 0
        for cells in sheet.iter_rows():
            row_no += 1
            for cell in cells:
                if getattr(cell, "row", None):
                    row_no = cell.row
                    break
            if on_rows is not None and not row_no % 2048:
                on_rows(row_no, max(estimate, row_no))
            yield row_no, [cell_text(c.value) for c in cells]
    finally:
        workbook.close()


# --- public -----------------------------------------------------------------------------


def read_rows(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Yield (row_number, cells) for every non-blank row, header included.

    `on_progress(done, total)` receives bytes read (CSV) or rows read (XLSX).
    """
    kind = file_kind(path, name)
    if kind == "xlsx":
        rows = _xlsx_rows(path, on_progress)
    else:
        csv.field_size_limit(CSV_FIELD_LIMIT)
        rows = _csv_rows(path, detect_encoding(path), on_progress)
    for row_no, cells in rows:
        if any(c.strip() for c in cells):
            yield row_no, cells


def escape_formula(value: Any) -> Any:
    """Make text that Excel would run as a formula inert by prefixing an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_writer_for_excel(path: str | os.PathLike[str]) -> tuple[Any, io.TextIOWrapper]:
    """A csv.writer on a UTF-8-with-BOM file, which Excel opens with Chinese intact."""
    fh = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - caller closes
    return csv.writer(fh), fh
