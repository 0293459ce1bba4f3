"""`kefu business-time add --calendar NAME --start ISO8601 --minutes N [--json]`."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from kefu.calendars.business_time import CalendarYearMissing, add_business_minutes
from kefu.calendars.selectors import business_calendar
from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Business-time arithmetic: the due time N working minutes after a start."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add"])
        parser.add_argument("--calendar", required=True, help="24x7 or cn-standard")
        parser.add_argument("--start", required=True, help="ISO 8601, e.g. 2025-09-30T17:00+08:00")
        parser.add_argument("--minutes", required=True, type=int)
        parser.add_argument("--json", action="store_true", help='print {"due": "..."}')

    def handle(self, *args, **options):
        try:
            start = dt.datetime.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(f"--start: not an ISO 8601 time: {options['start']}") from None
        if start.tzinfo is None:
            raise CommandError("--start: give the UTC offset, e.g. +08:00")
        if options["minutes"] < 0:
            raise CommandError("--minutes: must not be negative")
        try:
            due = add_business_minutes(
                business_calendar(options["calendar"]), start, options["minutes"]
            )
        except CalendarYearMissing as exc:
            raise CommandError(
                f"日历 {exc.calendar} 没有 {exc.year} 年的节假日数据，请先导入国务院办公厅通知 "
                f"(kefu calendar import) / no holiday data for {exc.year}"
            ) from None
        except KefuError as exc:
            raise CommandError(str(exc.message)) from None
        text = due.isoformat()
        self.stdout.write(json.dumps({"due": text}) if options["json"] else text)
