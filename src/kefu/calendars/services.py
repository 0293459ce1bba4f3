"""Writes: importing a year's holidays and make-up working days (the State Council notice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.calendars.models import CalendarDay, CalendarYear, DayKind
from kefu.core.errors import ValidationFailed
from kefu.core.tabular import TabularError, read_rows
from kefu.core.tabular_messages import row_message, tabular_message

KIND_ALIASES = {
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "班": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}
HEADERS = {
    "日期": "date",
    "date": "date",
    "类型": "kind",
    "kind": "kind",
    "名称": "name",
    "节日": "name",
    "name": "name",
}


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip().replace("/", "-").replace(".", "-"))


@transaction.atomic
def calendar_import(*, path: str | Path, source: str = "") -> dict[int, int]:
    """Replace the listed years' holidays and make-up days with the file's rows.

    CSV or xlsx with columns 日期, 类型 (休/班), 名称. Every year that appears becomes a
    covered year. All rows are checked first; any problem → nothing changes. Time limits
    that were provisional (暂定) for want of these years are recomputed in the same
    transaction. Returns {year: number of days}.
    """
    from kefu.sla.clocks import sla_recompute_provisional  # sla builds on calendars

    try:
        rows = list(read_rows(path))
    except TabularError as exc:
        raise ValidationFailed(tabular_message(exc)) from None
    if not rows:
        raise ValidationFailed(_("The file is empty."))
    header_row, header = rows[0]
    columns = {
        HEADERS.get(h.strip().lower() if h.isascii() else h.strip()): i
        for i, h in enumerate(header)
    }
    missing = [c for c in ("date", "kind") if c not in columns]
    if missing:
        raise ValidationFailed(_("Row 1 needs the columns 日期 and 类型 (休/班)."))
    days: dict[dt.date, tuple[str, str]] = {}
    problems: list[str] = []
    for row_no, cells in rows[1:]:

        def cell(key: str, cells=cells) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        try:
            day = _parse_date(cell("date"))
        except ValueError:
            problems.append(
                row_message(row_no, header[columns["date"]], _("not a date (YYYY-MM-DD)"))
            )
            continue
        kind = KIND_ALIASES.get(cell("kind").lower())
        if kind is None:
            problems.append(
                row_message(
                    row_no,
                    header[columns["kind"]],
                    _("must be 休 (holiday) or 班 (make-up working day)"),
                )
            )
            continue
        if day in days:
            problems.append(row_message(row_no, header[columns["date"]], _("date listed twice")))
            continue
        days[day] = (kind, cell("name")[:50])
    if problems:
        raise ValidationFailed("\n".join(problems), extra={"problems": problems})
    years = sorted({d.year for d in days})
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, kind=kind, name=name) for d, (kind, name) in sorted(days.items())
    )
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:200]})
    sla_recompute_provisional()
    return {year: sum(1 for d in days if d.year == year) for year in years}
