"""Admins extend the calendar year by year from the State Council's notice."""

import json

import pytest
from django.core.management import CommandError, call_command

from kefu.calendars.models import CalendarDay, CalendarYear
from kefu.calendars.selectors import business_calendar
from kefu.core.errors import NotFound, ValidationFailed

NOTICE_2038 = "日期,类型,名称\n2038-01-01,休,元旦\n2038-02-05,休,春节\n2038-02-06,班,春节调休\n"


def write(tmp_path, text: str, encoding: str = "utf-8-sig"):
    path = tmp_path / "notice.csv"
    path.write_bytes(text.encode(encoding))
    return path


def business_time(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("business_time", "add", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_importing_a_year_makes_it_computable(tmp_path):
    args = (
        "--calendar",
        "cn-standard",
        "--start",
        "2038-02-04T17:30:00+08:00",
        "--minutes",
        "60",
        "--json",
    )
    with pytest.raises(CommandError, match="2038"):
        business_time(*args)
    call_command("calendar", "import", str(write(tmp_path, NOTICE_2038, "gbk")))
    assert CalendarYear.objects.filter(year=2038).exists()
    # Thu 4 Feb 17:30 → half an hour; Fri 5 Feb is a holiday; Sat 6 Feb a make-up day.
    assert json.loads(business_time(*args)) == {"due": "2038-02-06T09:30:00+08:00"}


@pytest.mark.django_db
def test_table_entries_override_the_seed_data(tmp_path):
    CalendarDay.objects.create(date="2026-06-02", kind="holiday", name="抢修停工")
    calendar = business_calendar("cn-standard")
    import datetime as dt

    assert not calendar.is_workday(dt.date(2026, 6, 2))
    assert calendar.is_workday(dt.date(2026, 6, 3))


@pytest.mark.django_db
def test_bad_rows_are_all_reported_and_nothing_is_imported(tmp_path):
    text = (
        "日期,类型,名称\n2038-01-01,休,元旦\n2038-13-01,休,x\n2038-02-06,上班,x\n2038-01-01,班,x\n"
    )
    years_before = list(CalendarYear.objects.values_list("year", flat=True))
    with pytest.raises(ValidationFailed) as err:
        from kefu.calendars.services import calendar_import

        calendar_import(path=write(tmp_path, text))
    problems = err.value.extra["problems"]
    assert len(problems) == 3
    assert any("3" in p and "日期" in p for p in problems)
    assert any("4" in p and "类型" in p for p in problems)
    assert not CalendarDay.objects.exists()
    assert list(CalendarYear.objects.values_list("year", flat=True)) == years_before


@pytest.mark.django_db
def test_unknown_calendar_is_named():
    with pytest.raises(NotFound):
        business_calendar("lunar")


def test_cli_accepts_the_dashed_name_and_prints_json(capsys, db):
    from kefu.cli import main

    main(
        [
            "business-time",
            "add",
            "--calendar",
            "24x7",
            "--start",
            "2025-09-30T17:00:00+08:00",
            "--minutes",
            "120",
            "--json",
        ]
    )
    assert json.loads(capsys.readouterr().out) == {"due": "2025-09-30T19:00:00+08:00"}
