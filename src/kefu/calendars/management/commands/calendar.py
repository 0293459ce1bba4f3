"""`kefu calendar import PATH.csv`: a year's holidays and make-up days (休/班)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.calendars.services import calendar_import
from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Import holidays (休) and make-up working days (班) from a CSV or xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import"])
        parser.add_argument("path")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        try:
            counts = calendar_import(path=path, source=path.name)
        except KefuError as exc:
            raise CommandError(f"未导入任何数据 / nothing imported:\n{exc.message}") from None
        for year, count in counts.items():
            self.stdout.write(f"{year}: {count}")
