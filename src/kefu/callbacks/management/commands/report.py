"""`kefu report callbacks --from DATE --to DATE [--unit CODE] (--json | --format xlsx
--output FILE)`: the satisfaction figures of a period, as the system sees them (the whole
tree, or one unit's subtree)."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.callbacks.stats import callback_stats
from kefu.org.models import OrgUnit

SHEETS = (
    ("unit", "按责任单位"),
    ("type", "按工单类型"),
    ("line", "按业务线"),
    ("handler", "按处理人"),
    ("agent", "按受理坐席"),
    ("day", "按日"),
)
HEADER = ["分组", "非常满意", "满意", "不满意", "应回访", "满意率", "覆盖率", "及时率"]


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(
            _("%(option)s: %(value)s is not a date (YYYY-MM-DD).")
            % {"option": option, "value": text}
        ) from None


class Command(BaseCommand):
    help = "Satisfaction figures of the callbacks due in a period (JSON or an .xlsx file)."

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=["callbacks"])
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--unit", help="only this org unit and its subtree (code)")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument("--format", choices=["json", "xlsx"], default="json")
        parser.add_argument("--output", help="the .xlsx file to write (with --format xlsx)")

    def handle(self, *args, **options):
        date_from = _date(options["date_from"], "--from")
        date_to = _date(options["date_to"], "--to")
        if date_to < date_from:
            raise CommandError(_("--to: the end date is before --from."))
        unit = None
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(
                    _("--unit: org unit %(code)s does not exist.") % {"code": options["unit"]}
                )
        period = {"date_from": date_from, "date_to": date_to, "unit": unit}
        if options["format"] == "xlsx" and not options["json"]:
            if not options["output"]:
                raise CommandError(_("--output: name the .xlsx file to write."))
            self._xlsx(options["output"], period)
            self.stdout.write(_("Wrote %(path)s.") % {"path": options["output"]})
            return
        stats = callback_stats(None, reasons=False, **period)
        self.stdout.write(json.dumps(stats.total.as_json()))

    def _xlsx(self, path: str, period: dict) -> None:
        from openpyxl import Workbook

        workbook = Workbook()
        summary = workbook.active
        summary.title = "汇总"
        stats = callback_stats(None, **period)
        summary.append(HEADER)
        summary.append(_row("合计", stats.total))
        for by, title in SHEETS:
            sheet = workbook.create_sheet(title)
            sheet.append(HEADER)
            for group in callback_stats(None, by=by, reasons=False, **period).groups:
                sheet.append(_row(group.label, group))
        reasons = workbook.create_sheet("不满意原因")
        reasons.append(["原因", "次数"])
        for name, count in stats.reasons:
            reasons.append([name, count])
        workbook.save(path)


def _row(label: str, f) -> list:
    return [
        _safe(label),
        f.very_satisfied,
        f.satisfied,
        f.dissatisfied,
        f.due,
        f.rate,
        f.coverage,
        f.on_time,
    ]


def _safe(text: str) -> str:
    """No formula from a name (a cell starting with = + - @ is text)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
