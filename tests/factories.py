"""Test data builders. They go through our services, as real callers do."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory

from kefu.calendars.business_time import SHANGHAI
from kefu.core.cn_validation import id_check_char
from kefu.customers import services as customer_services
from kefu.org import services as org_services
from kefu.org.models import OrgLevel, Role

PASSWORD = "Kefu-test-pass-2026"
_seq = itertools.count(1)


def build_org() -> dict:
    unit = org_services.org_unit_create
    province = unit(name="测试省分公司", code="P", level=OrgLevel.PROVINCE, parent=None)
    units = {"province": province}
    for p in ("a", "b"):
        pref = unit(
            name=f"{p.upper()}市分公司", code=f"P-{p}", level=OrgLevel.PREFECTURE, parent=province
        )
        units[f"pref_{p}"] = pref
        for c in ("1", "2"):
            county = unit(
                name=f"{p.upper()}{c}县分公司",
                code=f"P-{p}-{c}",
                level=OrgLevel.COUNTY,
                parent=pref,
            )
            units[f"county_{p}{c}"] = county
            units[f"team_{p}{c}"] = unit(
                name=f"{p.upper()}{c}县营业班",
                code=f"P-{p}-{c}-t",
                level=OrgLevel.TEAM,
                parent=county,
            )
    return units


def make_staff(username: str, org_unit, role_code: str, *, scope: str | None = None):
    return org_services.staff_create(
        username=username,
        display_name=username,
        employee_no=f"E{next(_seq):05d}",
        org_unit=org_unit,
        password=PASSWORD,
        roles=[(Role.objects.get(code=role_code), scope)],
    )


def valid_id_number(birth: str = "19900307", region: str = "110101", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + id_check_char(first17)


def make_customer(
    *,
    actor,
    org_unit,
    name: str = "张三",
    phone: str | None = None,
    kind: str = "individual",
    monthly_value: str = "88",
    **extra,
):
    n = next(_seq)
    data = {
        "name": name,
        "kind": kind,
        "monthly_value": Decimal(monthly_value),
        "phone": phone or f"139{n:08d}",
        "address": "测试路1号",
        "id_number": valid_id_number(seq=f"{n % 1000:03d}") if kind == "individual" else "",
        **extra,
    }
    return customer_services.customer_create(actor=actor, data=data, org_unit=org_unit)


class CustomerDataFactory(factory.DictFactory):
    """A plain dict of valid customer fields (use with customer_create or an import row)."""

    name = factory.Sequence(lambda n: f"客户{n}")
    kind = "individual"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    id_number = factory.Sequence(lambda n: valid_id_number(seq=f"{n % 1000:03d}"))
    address = "人民路88号"
    monthly_value = "120.00"


def cover_calendar_years(years) -> list[int]:
    """Enter `years` on the working-hours calendar where neither the shipped data nor the
    admin's table has them: weekends only, no holidays (as `kefu calendar import` would
    with a file of no special days). Returns the years entered.

    For the real clock: a test that takes orders in on today's date must not get a
    "calendar missing" note because the suite runs in a year the seed data ends before."""
    from kefu.calendars.models import CalendarYear
    from kefu.calendars.selectors import _seed_days

    # Read from the tables, not the per-process calendar: that may still hold a year a
    # previous test entered (rolled back without a signal).
    covered = _seed_days()[1] | set(CalendarYear.objects.values_list("year", flat=True))
    added = [y for y in sorted(set(years)) if y not in covered]
    for year in added:
        CalendarYear.objects.create(year=year, source="tests: year of the real clock")
    return added


def real_clock_years() -> list[int]:
    """The years a time limit started on the real clock may run into: this year and next
    (a complaint's three working days from 29 December reach January)."""
    import datetime as dt

    from kefu.calendars.business_time import SHANGHAI

    this_year = dt.datetime.now(SHANGHAI).year
    return [this_year, this_year + 1]


def complaint_verdict(*, justified: bool = True) -> dict:
    """What resolving a complaint takes besides the resolution: a cause and the verdict
    (as the services take them: the cause category itself)."""
    from kefu.workorders.models import Category, CategoryKind

    cause = Category.objects.filter(kind=CategoryKind.CAUSE, is_active=True).first()
    return {"cause": cause, "justified": justified}


def complaint_verdict_ids(*, justified: bool = True) -> dict:
    """The same as a request body gives it: the cause by id."""
    verdict = complaint_verdict(justified=justified)
    return {**verdict, "cause": verdict["cause"].pk}


def api_client(user):
    """An API client that sends `user`'s token, as an integration would."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- Clock -------------------------------------------------------------------------------


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock time, e.g. at("2025-09-30 17:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local(moment: dt.datetime | None) -> str:
    """A moment as Shanghai wall-clock text ("2025-09-30 17:00"), "" for none."""
    from django.utils import timezone

    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


class FakeClock:
    """What timezone.now() returns under the `clock` fixture (tests/conftest.py): the
    services, auto_now fields and notify all ask it."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> dt.datetime:
        self.now = at(text)
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


# --- Local servers -----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on, for a real server a test starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Callbacks -----------------------------------------------------------------------------


def callback_refused(order) -> None:
    """The order's open callback ends with the customer refusing it (拒绝回访), so that
    the order may be archived by hand."""
    from kefu.callbacks.models import CallbackTask
    from kefu.callbacks.monitor import callbacks_monitor_pass
    from kefu.callbacks.outcomes import callback_record

    callbacks_monitor_pass()  # the periodic task: the new callback into a call
    task = CallbackTask.objects.get(items__order=order, items__status="open")
    agent = make_staff(f"cb_{order.pk}_{next(_seq)}", task.unit, "callback_agent")
    callback_record(actor=agent, task=task, outcome="refused")
