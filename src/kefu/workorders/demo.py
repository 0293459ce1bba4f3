"""Demo work orders 演示工单: weeks of history over the demo org, made by the real services.

`demo_work_orders_create(count=N, seed=S)` takes N orders in over the last `days` days and
lives each one's life up to now through the same services production uses: intake by the
county agent (`services.work_order_take_in`: hotline most, then hall, web, e-mail, API;
complaints also referred from above; some resolved on the spot), routing by the demo
dispatch rules (inside the intake) or by the dispatcher, then the typed actions of
`kefu.workorders.actions` — taking on, first contact, now and then a suspension,
transfer, return, urge, supervision, escalation, cancellation or reopening, resolution
(complaints with their cause and verdict), reply and closure. Time limits are the real
SLA clocks the pipeline starts and stops; warnings, breaches and the escalation ladder
come from the real monitor (`kefu.sla.monitor.sla_monitor_pass`), run whenever a clock
is due as the simulated time passes. What has not happened by now has not happened:
recent orders sit in every queue, older ones are replied and closed, and a share of the
last fortnight's orders is stuck (the overdue backlog).

Simulated time: all orders' steps are replayed merged in time order (a heap of
(time, order)); before each step the clock is set to its time by `simulated_time`, which
patches `django.utils.timezone.now` — for this CLI process only (single-threaded, never
the web server). Each simulated day is one transaction, and every step is a service's
own transaction inside it: a crash leaves orders as they stood at the end of a day,
never an order without its events or clocks.

Same seed and same `now` → the same orders. Cost: some 10–15 ms per service call, about
100 ms per order. (The list benchmark's millions of rows are bench/order_rows.py.)
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import itertools
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.demo_data import people_names
from kefu.customers.models import Customer
from kefu.org import services as org_services
from kefu.org.demo import DEMO_PASSWORD, PREFECTURES, PROVINCE_CODE, DemoAccount
from kefu.org.models import OrgLevel, OrgUnit, Role, RoleAssignment
from kefu.sla.models import SlaClock
from kefu.sla.monitor import sla_monitor_pass
from kefu.workorders import actions, services
from kefu.workorders.models import (
    Assignment,
    BusinessLine,
    Category,
    ComplaintSource,
    DispatchRule,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import State

ProgressFn = Callable[[str, int, int], None]  # (phase, done, total)
H = 3600.0  # seconds per hour
DEFAULT_COUNT = 800  # `kefu setup`'s first start: ~45 s of seeding here (docs/admin-guide.md)
DEFAULT_DAYS = 60

# --- the mix -----------------------------------------------------------------------------

# Share of orders per type (per cent) on a telecom hotline.
TYPE_MIX = (
    ("consultation", 36), ("fault", 26), ("complaint", 10), ("install", 9), ("internal", 6),
    ("move", 4), ("remove", 3), ("suggestion", 3), ("praise", 2), ("report", 1),
)  # fmt: skip
LINE_MIX = {
    "fault": (("broadband", 55), ("fixed", 14), ("mobile", 14), ("iptv", 13), ("vas", 4)),
    "complaint": (("broadband", 38), ("mobile", 30), ("vas", 16), ("fixed", 8), ("iptv", 8)),
    "consultation": (
        ("mobile", 34), ("broadband", 30), ("vas", 14), ("fixed", 10), ("iptv", 6), ("other", 6),
    ),
    "install": (("broadband", 70), ("iptv", 18), ("fixed", 12)),
    "move": (("broadband", 75), ("fixed", 25)),
    "remove": (("broadband", 60), ("fixed", 30), ("iptv", 10)),
    "internal": (("other", 60), ("broadband", 40)),
    "": (("mobile", 30), ("broadband", 30), ("other", 40)),
}  # fmt: skip
CHANNEL_MIX = (("hotline", 66), ("hall", 15), ("web", 10), ("api", 5), ("email", 4))
COMPLAINT_CHANNEL_MIX = (("hotline", 62), ("referral", 16), ("hall", 10), ("web", 7), ("email", 5))
REFERRAL_SOURCES = (
    (ComplaintSource.GROUP, 20), (ComplaintSource.PROVINCE, 35), (ComplaintSource.MIIT, 20),
    (ComplaintSource.CONSUMER_COUNCIL, 10), (ComplaintSource.HOTLINE_12315, 15),
)  # fmt: skip
# Orders per hour of the day (local time): morning and afternoon peaks, a quiet night.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 19, 17, 12, 13, 16, 17, 15, 13, 11, 12, 11, 9, 6, 4)
WEEKDAY_WEIGHTS = (1.12, 1.0, 0.98, 0.97, 1.0, 0.86, 0.8)  # Monday first
# Resolved at intake (首问解决) by the agent, per type.
FIRST_CONTACT_SHARE = {
    "consultation": 0.72, "suggestion": 0.85, "praise": 0.9, "report": 0.2,
    "complaint": 0.1, "fault": 0.12,
}  # fmt: skip
FIELD_TYPES = frozenset({"fault", "install", "move", "remove"})
VIP_TIERS = ["diamond", "gold", "1A", "2A", "1B", "2B"]

# type: (first-contact limit, resolution limit) in hours; None: no first-contact clock.
# type: (median hours dispatch → first contact, median hours → resolved, log-normal sigma)
DURATIONS = {
    "complaint": (0.6, 20, 0.75), "fault": (0.7, 5, 0.95), "install": (3, 30, 0.6),
    "move": (3, 30, 0.6), "remove": (3, 20, 0.6), "consultation": (1, 7, 1.0),
    "report": (4, 40, 0.8), "suggestion": (6, 40, 0.8), "praise": (6, 30, 0.8),
    "internal": (2, 20, 0.9),
}  # fmt: skip

# (type, line) → [(title, problem category code or "")]; type alone as fallback.
TITLES = {
    ("complaint", "broadband"): [
        ("宽带网速慢，晚高峰经常卡顿", "network-slow"),
        ("宽带频繁掉线，多次报修仍未解决", "network-down"),
        ("装维人员未按预约时间上门", "service-appointment"),
        ("新装宽带超过承诺时限仍未安装", "service-timeliness"),
        ("宽带到期续费后仍被停机", "billing-overcharge"),
    ],
    ("complaint", "mobile"): [
        ("室内信号差，通话经常中断", "network-signal"),
        ("话费多收，套餐外费用不明", "billing-overcharge"),
        ("营业厅工作人员服务态度差", "service-attitude"),
        ("办理套餐时宣传与实际不符", "marketing-misleading"),
        ("手机上网速度慢", "network-slow"),
    ],
    ("complaint", "vas"): [
        ("未订购的增值业务被扣费", "billing-vas"),
        ("短信退订后仍继续扣费", "billing-vas"),
        ("彩铃业务被默认开通", "marketing-misleading"),
    ],
    ("complaint", "fixed"): [
        ("固话杂音大，报修后无人处理", "network-down"),
        ("固话月租多收", "billing-overcharge"),
    ],
    ("complaint", "iptv"): [
        ("IPTV频繁卡顿花屏", "network-slow"),
        ("IPTV点播费用争议", "billing-overcharge"),
    ],
    ("fault", "broadband"): [
        ("宽带无法上网", "network-down"),
        ("光猫LOS灯闪红，无法上网", "network-down"),
        ("宽带网速慢", "network-slow"),
        ("宽带经常掉线", "network-down"),
    ],
    ("fault", "fixed"): [("固话无拨号音", "network-down"), ("固话通话杂音大", "network-down")],
    ("fault", "mobile"): [("手机无信号", "network-signal"), ("手机无法上网", "network-down")],
    ("fault", "iptv"): [("IPTV无信号", "network-down"), ("IPTV画面卡顿", "network-slow")],
    ("fault", "vas"): [("彩铃设置不生效", "")],
    ("consultation", "mobile"): [
        ("咨询套餐变更及资费", ""), ("咨询话费账单明细", ""), ("咨询携号转网办理条件", ""),
        ("咨询积分兑换", ""),
    ],
    ("consultation", "broadband"): [
        ("咨询宽带提速办理", ""), ("咨询宽带资费及融合套餐", ""), ("咨询宽带安装进度", ""),
    ],
    ("consultation", "vas"): [("咨询增值业务退订方法", ""), ("咨询流量包订购", "")],
    ("consultation", "fixed"): [("咨询固话来电显示开通", "")],
    ("consultation", "iptv"): [("咨询IPTV节目点播", "")],
    ("consultation", "other"): [("咨询营业厅营业时间", ""), ("咨询发票开具", "")],
    ("install", "broadband"): [("新装宽带（300M）", ""), ("新装宽带（1000M）", "")],
    ("install", "iptv"): [("新装IPTV", "")],
    ("install", "fixed"): [("新装固话", "")],
    ("move", ""): [("搬家移机", ""), ("室内移机", "")],
    ("remove", ""): [("拆机", ""), ("销户拆机", "")],
    ("suggestion", ""): [
        ("建议延长营业厅周末营业时间", ""), ("建议增加故障处理进度短信提醒", ""),
        ("建议简化套餐变更流程", ""),
    ],
    ("praise", ""): [
        ("表扬装维人员服务热情", ""), ("表扬营业员耐心解答", ""), ("表扬热线坐席处理高效", ""),
    ],
    ("report", ""): [
        ("举报小区内私拉宽带线路", ""), ("举报骚扰电话", ""), ("举报代理商违规办卡", ""),
    ],
    ("internal", ""): [
        ("营业厅打印机故障报修", ""), ("申请调整宽带端口资源", ""), ("协调光交箱钥匙", ""),
        ("内部系统账号权限申请", ""),
    ],
}  # fmt: skip
LINE_NAMES = {"broadband": "宽带", "fixed": "固话", "iptv": "IPTV", "mobile": "移动"}
# problem category root → [(cause code, weight)]
CAUSES = {
    "network": (
        ("cause-network-line", 40), ("cause-network-equipment", 30),
        ("cause-network-cutover", 10), ("cause-customer", 15), ("cause-third-party", 5),
    ),
    "billing": (("cause-system", 40), ("cause-staff-process", 30), ("cause-customer", 30)),
    "service": (
        ("cause-staff-attitude", 45), ("cause-staff-process", 45), ("cause-third-party", 10),
    ),
    "marketing": (("cause-staff-process", 60), ("cause-customer", 40)),
}  # fmt: skip
RESOLUTIONS = {
    "fault": (
        "更换光猫后恢复正常，已现场测速", "重新熔接入户光缆，业务恢复", "端口故障，已调整端口",
        "远程重置后恢复", "更换机顶盒后恢复正常", "基站故障已修复，信号恢复",
    ),
    "complaint": (
        "经核查情况属实，已向客户解释并致歉，问题已处理", "已核实费用并退还多收部分",
        "已安排复测，网络质量恢复正常", "经核查非我方原因，已向客户耐心解释",
        "已对责任人进行批评教育，并向客户致歉",
    ),
    "install": ("已上门安装并调试完毕，客户确认可用", "已完成装机，现场测速达标"),
    "move": ("已完成移机，业务恢复正常",),
    "remove": ("已完成拆机，设备已回收",),
    "": ("已答复客户", "已按客户要求处理完毕", "已转相关部门落实并答复客户"),
}  # fmt: skip
REPLIES = (
    "已电话回复客户处理结果，客户表示认可",
    "已回复客户，客户表示满意",
    "已短信告知客户处理结果",
    "已回复客户，客户表示理解",
)

# --- what the demo org looks like ------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: int
    unit_id: int  # where they sit
    name: str


@dataclass
class Area:
    """A unit customers belong to (a county in the demo org) and who serves it."""

    unit_id: int
    path: str
    agents: list[Person]
    dispatcher: Person | None
    supervisor: Person | None  # the nearest supervisor covering the area
    top_supervisor: Person | None  # the one referrals from above arrive at
    field_units: list[int]  # handling units for installs and repairs
    office_units: list[int]  # handling units for everything else


@dataclass
class World:
    """The demo org as the lives need it, loaded once: records to hand the services."""

    types: dict[str, WorkOrderType]
    lines: dict[str, BusinessLine]
    categories: dict[str, Category]
    units: dict[int, tuple[str, str, int | None, str]]  # id → (name, path, parent, level)
    unit_records: dict[int, OrgUnit]
    users: dict[int, object]  # user id → User, for staff who act in the demo
    areas: list[Area]
    area_by_unit: dict[int, Area]
    handlers: dict[int, list[Person]]  # unit id → handlers sitting there, by user id
    customers: list[Customer]

    @classmethod
    def load(cls, *, max_customers: int = 20_000) -> World:
        units = {
            pk: (name, path, parent, level)
            for pk, name, path, parent, level in OrgUnit.objects.filter(is_active=True).values_list(
                "pk", "name", "path", "parent_id", "level"
            )
        }
        holders = {code: _holders(code) for code in ("add", "dispatch", "supervise", "handle")}
        handlers: dict[int, list[Person]] = {}
        for person, _scope, _anchor, on_leave, _skills in holders["handle"]:
            if not on_leave and person not in handlers.get(person.unit_id, []):
                handlers.setdefault(person.unit_id, []).append(person)
        for people in handlers.values():
            people.sort(key=lambda p: p.user_id)
        customers = [
            c
            for c in Customer.objects.select_related("org_unit").order_by("id")[:max_customers]
            if c.org_unit_id in units
        ]
        area_ids = sorted({c.org_unit_id for c in customers}) or sorted(
            pk
            for pk in OrgUnit.objects.filter(is_active=True, level=OrgLevel.COUNTY).values_list(
                "pk", flat=True
            )
            if pk in units
        )
        areas = [_area(pk, units, holders, handlers) for pk in area_ids]
        areas = [a for a in areas if a.agents or a.top_supervisor]
        user_ids = {p.user_id for rows in holders.values() for p, *_ in rows}
        in_areas = {a.unit_id for a in areas}
        return cls(
            types={t.code: t for t in WorkOrderType.objects.filter(is_active=True)},
            lines={b.code: b for b in BusinessLine.objects.filter(is_active=True)},
            categories={c.code: c for c in Category.objects.filter(is_active=True)},
            units=units,
            unit_records=OrgUnit.objects.in_bulk(list(units)),
            users=get_user_model().objects.select_related("staff").in_bulk(list(user_ids)),
            areas=areas,
            area_by_unit={a.unit_id: a for a in areas},
            handlers=handlers,
            customers=[c for c in customers if c.org_unit_id in in_areas],
        )


def _holders(perm: str) -> list[tuple[Person, str, str, bool, list]]:
    """Active staff holding workorders.<perm>_workorder: (person, scope, anchor path, on
    leave, skills). Administrators are left out: they configure, they do not take calls."""
    rows = (
        RoleAssignment.objects.filter(
            role__permissions__codename=f"{perm}_workorder",
            role__permissions__content_type__app_label="workorders",
            user__is_active=True,
            user__is_superuser=False,
            user__staff__isnull=False,
        )
        .exclude(role__code="administrator")
        .order_by("user_id", "id")
        .values_list(
            "user_id",
            "user__staff__org_unit_id",
            "user__staff__display_name",
            "scope",
            "org_unit__path",
            "user__staff__on_leave",
            "user__staff__skills",
        )
    )
    return [
        (Person(u, unit, name), scope, path, leave, sk)
        for u, unit, name, scope, path, leave, sk in rows
    ]


def _nearest(holders, path: str, *, exclude=frozenset()) -> list[Person]:
    """Holders whose scope covers `path`, nearest anchor first (all-scope last)."""
    found = []
    for person, scope, anchor, _leave, _skills in holders:
        covers = scope == "all" or (
            path.startswith(anchor) if scope == "subtree" else scope == "unit" and path == anchor
        )
        if covers and person.user_id not in exclude:
            found.append((0 if scope == "all" else len(anchor), person))
    found.sort(key=lambda x: (-x[0], x[1].user_id))
    return [p for _, p in found]


def _area(unit_id, units, holders, handlers) -> Area:
    path = units[unit_id][1]
    agents = [
        p for p, *_ in holders["add"] if p.unit_id in units and units[p.unit_id][1].startswith(path)
    ]
    supervisors = {p.user_id for p, *_ in holders["supervise"]}
    if not agents:
        agents = _nearest(holders["add"], path)[:1]
    agents = sorted(set(agents), key=lambda p: p.user_id)
    dispatchers = _nearest(holders["dispatch"], path, exclude=supervisors) or _nearest(
        holders["dispatch"], path
    )
    sups = _nearest(holders["supervise"], path)
    # Handling units inside the area, else inside the nearest ancestor that has some.
    scope_path, inside = path, []
    while True:
        inside = sorted(u for u in handlers if u in units and units[u][1].startswith(scope_path))
        if inside or len(scope_path) <= 8:
            break
        scope_path = scope_path[: scope_path.rstrip("/").rfind("/") + 1]
    inside = inside or sorted(u for u in handlers if u in units)
    teams = [u for u in inside if units[u][3] == OrgLevel.TEAM]
    departments = [u for u in inside if units[u][3] != OrgLevel.TEAM]
    return Area(
        unit_id=unit_id,
        path=path,
        agents=agents,
        dispatcher=dispatchers[0] if dispatchers else None,
        supervisor=sups[0] if sups else None,
        top_supervisor=sups[-1] if sups else (agents[0] if agents else None),
        field_units=teams or inside,
        office_units=departments or inside,
    )


# --- demo routing: units, staff and dispatch rules -------------------------------------

# Extra demo staff for routing, added beside the demo org (employee numbers JNW…).
MAINTENANCE = "网络维护中心"  # per prefecture: broadband faults, round robin
EXPERT_SEAT = ("省客户投诉专家席", f"{PROVINCE_CODE}-TS")  # VIP complaints, by skill


@transaction.atomic
def demo_routing_seed() -> list[DemoAccount]:
    """On the demo org only: each prefecture's network maintenance centre (three handlers)
    and dispatcher, the provincial complaint expert seat (four experts, two with the skill
    "vip"), and the dispatch rules that use them. Idempotent; returns the new accounts."""
    province = OrgUnit.objects.filter(code=PROVINCE_CODE).first()
    if province is None or OrgUnit.objects.filter(code=EXPERT_SEAT[1]).exists():
        return []
    roles = {r.code: r for r in Role.objects.filter(code__in=["handler", "dispatcher"])}
    password = make_password(DEMO_PASSWORD)
    names = iter(people_names(40, seed=20260202))
    numbers = iter(range(1, 1000))
    accounts: list[DemoAccount] = []

    def staff(username, role, unit, scope, skills=()):
        user = org_services.staff_create(
            username=username,
            display_name=next(names),
            employee_no=f"JNW{next(numbers):03d}",
            org_unit=unit,
            roles=[(roles[role], scope)],
            skills=list(skills),
        )
        user.password = password
        user.save(update_fields=["password"])
        accounts.append(DemoAccount(username, str(roles[role].name), unit.name))

    types = {t.code: t for t in WorkOrderType.objects.filter(code__in=["complaint", "fault"])}
    broadband = BusinessLine.objects.filter(code="broadband").first()
    seat = org_services.org_unit_create(
        name=EXPERT_SEAT[0], code=EXPERT_SEAT[1], level=OrgLevel.DEPARTMENT, parent=province
    )
    for i in range(1, 5):
        skills = ("vip", "complaint") if i <= 2 else ("complaint",)
        staff(f"expert_{PROVINCE_CODE.lower()}_{i}", "handler", seat, "unit", skills)
    if "complaint" in types:
        DispatchRule.objects.create(
            name="VIP客户投诉 → 省投诉专家席（技能：vip）",
            priority=10,
            order_type=types["complaint"],
            tiers=VIP_TIERS,
            target_unit=seat,
            assignment=Assignment.SKILL,
            skill="vip",
        )
    for pref in PREFECTURES:
        prefecture = OrgUnit.objects.filter(code=pref.code).first()
        if prefecture is None:
            continue
        centre = org_services.org_unit_create(
            name=f"{pref.city}{MAINTENANCE}",
            code=f"{pref.code}-WH",
            level=OrgLevel.DEPARTMENT,
            parent=prefecture,
        )
        for i in range(1, 4):
            staff(f"maint_{pref.code.lower()}_{i}", "handler", centre, "unit")
        staff(f"dispatcher_{pref.code.lower()}", "dispatcher", prefecture, "subtree")
        if "fault" in types and broadband is not None:
            DispatchRule.objects.create(
                name=f"{pref.city}宽带故障 → {centre.name}（轮询）",
                priority=20,
                order_type=types["fault"],
                business_line=broadband,
                area=prefecture,
                target_unit=centre,
                assignment=Assignment.ROUND_ROBIN,
            )
    return accounts


# --- the simulated clock -------------------------------------------------------------------


class SimulatedClock:
    """The time `django.utils.timezone.now()` returns inside `simulated_time`."""

    def __init__(self, at: datetime):
        self.at = at

    def set(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@contextlib.contextmanager
def simulated_time(at: datetime) -> Iterator[SimulatedClock]:
    """Make `django.utils.timezone.now()` return the clock's time (`clock.set(t)` moves it)
    until the block ends. Everything that asks Django for the time — the services, the
    SLA clocks and monitor, `auto_now` fields — then lives at the simulated moment.

    For the demo command only: it patches the module for the whole process, so it is
    safe only in a single-threaded CLI process, never in the web server (the tests do
    the same with monkeypatch)."""
    clock = SimulatedClock(at)
    original = timezone.now
    timezone.now = clock
    try:
        yield clock
    finally:
        timezone.now = original


# --- the lives -----------------------------------------------------------------------------


def _weighted(pairs):
    keys = [k for k, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))
    return keys, cum


_HOURS_CUM = [0, *itertools.accumulate(HOUR_WEIGHTS)]


def _hours_weight(limit_hours: float) -> float:
    """Weight of the hours of one day before `limit_hours` (a partial last hour pro rata)."""
    if limit_hours >= 24:
        return float(_HOURS_CUM[-1])
    hour = int(limit_hours)
    return _HOURS_CUM[hour] + HOUR_WEIGHTS[hour] * (limit_hours - hour)


Life = Iterator[datetime]  # performs a step each time it is advanced; yields the next time


class Generator:
    """When orders arrive, and what each one's life is (`life`: a generator that performs
    one step through the services each time it is advanced and yields the time of its
    next). Every draw of one order comes from its own random stream, so the history
    depends on the seed and `now` only."""

    def __init__(self, world: World, *, seed: int, count: int, days: int, now: datetime):
        if not world.areas:
            raise ValueError("demo work orders need org units with intake staff")
        self.w = world
        self.seed = seed
        self.rng = random.Random(seed)
        self.count, self.days = count, max(1, days)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = now.astimezone(self.tz).replace(microsecond=0)
        self.type_pick = _weighted([(c, w) for c, w in TYPE_MIX if c in world.types])
        self.line_pick = {k: _weighted(v) for k, v in LINE_MIX.items()}
        self.channel_pick = _weighted(CHANNEL_MIX)
        self.complaint_channel_pick = _weighted(COMPLAINT_CHANNEL_MIX)
        self.source_pick = _weighted(REFERRAL_SOURCES)
        self.cause_pick = {k: _weighted(v) for k, v in CAUSES.items()}
        self.complainers: list[tuple[datetime, Customer]] = []  # who complained, when
        self.names = people_names(300, seed=seed)
        self.refused = 0  # steps a service refused (the life ends there)

    # small draws
    @staticmethod
    def pick(rng, keys_cum):
        keys, cum = keys_cum
        return keys[bisect.bisect(cum, rng.random() * cum[-1])]

    @staticmethod
    def hours(rng, median: float, sigma: float) -> timedelta:
        return timedelta(hours=median * math.exp(rng.gauss(0, sigma)))

    @staticmethod
    def daytime(rng, t: datetime) -> datetime:
        """Appointments and office work happen 8:00–21:00; later ones the next morning."""
        if 8 <= t.hour < 21:
            return t
        day = t if t.hour >= 8 else t - timedelta(days=1)
        morning = (day + timedelta(days=1)).replace(hour=8, minute=0, second=0)
        return morning + timedelta(minutes=rng.randrange(0, 90))

    # the calendar: how many orders on which day, at which second
    def arrivals(self) -> list[datetime]:
        start = (self.now - timedelta(days=self.days - 1)).replace(hour=0, minute=0, second=0)
        days, weights = [], []
        for i in range(self.days):
            day = start + timedelta(days=i)
            limit = 24.0
            if day.date() == self.now.date():
                limit = (self.now - day).total_seconds() / H
            elapsed = _hours_weight(limit) / _HOURS_CUM[-1]
            trend = 0.85 + 0.15 * i / self.days  # volume grows a little over the weeks
            jitter = math.exp(self.rng.gauss(0, 0.1))
            days.append((day, limit))
            weights.append(WEEKDAY_WEIGHTS[day.weekday()] * trend * jitter * elapsed)
        total, done, cum, out = sum(weights), 0, 0.0, []
        for (day, limit), weight in zip(days, weights, strict=True):
            cum += weight
            upto = round(self.count * cum / total) if total else 0
            seconds = sorted(self._second(limit) for _ in range(upto - done))
            out.extend(day + timedelta(seconds=int(s)) for s in seconds)
            done = upto
        return out

    def _second(self, limit_hours: float) -> float:
        x = self.rng.random() * _hours_weight(limit_hours)
        hour = min(bisect.bisect_right(_HOURS_CUM, x) - 1, 23)
        return hour * H + (x - _HOURS_CUM[hour]) / HOUR_WEIGHTS[hour] * H

    # records
    def user(self, person: Person | None):
        return self.w.users[person.user_id] if person is not None else None

    def unit(self, unit_id: int | None) -> OrgUnit | None:
        return self.w.unit_records.get(unit_id) if unit_id is not None else None

    def member(self, rng, order: WorkOrder):
        """Who in the handling unit acts: the handler, else one of the unit's handlers."""
        if order.handler_id is not None:
            return self.w.users.get(order.handler_id) or order.handler
        people = self.w.handlers.get(order.handling_unit_id, [])
        return self.user(people[rng.randrange(len(people))]) if people else None

    # one order
    def _customer(self, rng, code: str, t0: datetime) -> Customer | None:
        w = self.w
        if code == "internal" or not w.customers:
            return None
        if code == "complaint":
            recent = [c for t, c in self.complainers if t0 - t <= timedelta(days=25)]
            if recent and rng.random() < 0.3:  # the same customer complains again: 重复投诉
                customer = recent[rng.randrange(len(recent))]
            else:
                customer = w.customers[rng.randrange(len(w.customers))]
            self.complainers.append((t0, customer))
            return customer
        return w.customers[rng.randrange(len(w.customers))]

    def life(self, index: int, t0: datetime) -> Life:
        """The life of the `index`-th order, taken in at `t0` (the clock's time when the
        life is first advanced)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        w = self.w
        code = self.pick(rng, self.type_pick)
        customer = self._customer(rng, code, t0)
        area = w.area_by_unit.get(customer.org_unit_id) if customer else None
        if area is None:
            area, customer = w.areas[rng.randrange(len(w.areas))], None
        line_code = self.pick(rng, self.line_pick.get(code, self.line_pick[""]))
        title, category = self._title(rng, code, line_code)
        channel, source = self._channel(rng, code, t0)
        if channel == "referral" and area.top_supervisor is not None:
            owner = area.top_supervisor
            channel = "hotline"
        else:
            owner = area.agents[rng.randrange(len(area.agents))] if area.agents else None
            owner = owner or area.top_supervisor
        owner = self.user(owner)
        is_complaint = w.types[code].is_complaint
        quick = rng.random() < FIRST_CONTACT_SHARE.get(code, 0)
        fields = {
            "actor": owner,
            "order_type": w.types[code],
            "channel": channel,
            "source": source,
            "title": title,
            "description": self._description(code, title, customer, channel, source),
            "customer": customer,
            "business_line": w.lines.get(line_code),
            "category": w.categories.get(category) if category else None,
            "caller_phone": customer.phone if customer else "",
            "contact_name": (customer.name if customer and customer.kind == "individual" else "")
            or self.names[rng.randrange(len(self.names))],
            "is_difficult": is_complaint and rng.random() < 0.04,
            "area_unit": None if customer else self.unit(area.unit_id),
        }
        if quick:
            fields["resolve_at_intake"] = "已当场答复客户"
            if is_complaint:
                fields["resolve_details"] = self._verdict(rng, category)
        order = services.work_order_take_in(**fields).order
        recent = self.now - t0 < timedelta(days=14)
        stuck = ""
        if recent and rng.random() < 0.3:
            stuck = rng.choice(("dispatch", "accept", "contact", "resolve", "resume", "reply"))
        if order.status == State.REPLIED:  # resolved on the phone
            yield t0 + timedelta(seconds=rng.randrange(10, 600))
            actions.work_order_close(actor=owner, order=order)
            return
        if order.status == State.ACCEPTED and rng.random() < 0.03:
            yield t0 + timedelta(minutes=rng.randrange(5, 60))
            reason = "客户来电撤销，问题已自行解决"
            actions.work_order_cancel(actor=owner, order=order, reason=reason)
            return
        if stuck == "dispatch" and order.status == State.ACCEPTED:
            return
        order = yield from self._dispatch(rng, order, code, area, t0)
        if order.status != State.DISPATCHED:
            return
        order = yield from self._work(rng, order, code, area, owner, category, stuck)
        if order is None:
            return
        order = yield from self._reply_close(rng, order, code, owner, stuck)
        # 重新打开: the customer comes back not satisfied (then a second round).
        if order is not None and code in ("complaint", "fault") and rng.random() < 0.06:
            yield self.clock() + timedelta(days=rng.uniform(0.5, 4))
            reason = "客户反映问题仍未解决，重新处理"
            order = actions.work_order_reopen(actor=owner, order=order, reason=reason)
            if self.now - self.clock() < timedelta(days=7):
                return  # waiting in the dispatch queue again
            order = yield from self._dispatch(rng, order, code, area, self.clock())
            if order.status != State.DISPATCHED:
                return
            order = yield from self._work(rng, order, code, area, owner, category, "")
            if order is not None:
                yield from self._reply_close(rng, order, code, owner, "")

    @staticmethod
    def clock() -> datetime:
        return timezone.now()

    def _title(self, rng, code: str, line: str) -> tuple[str, str]:
        options = TITLES.get((code, line)) or TITLES.get((code, ""))
        if options is None:
            return f"{LINE_NAMES.get(line, '')}{self.w.types[code].name}", ""
        title, category = options[rng.randrange(len(options))]
        if code in ("move", "remove") and line in LINE_NAMES:
            title = f"{LINE_NAMES[line]}{title}"
        return title, category

    def _channel(self, rng, code: str, t0: datetime) -> tuple[str, str]:
        if code == "internal":
            return "api" if rng.random() < 0.3 else "web", ComplaintSource.DIRECT
        pick = self.complaint_channel_pick if code == "complaint" else self.channel_pick
        channel = self.pick(rng, pick)
        if channel == "hall" and not (9 <= t0.astimezone(self.tz).hour < 18):
            channel = "hotline"  # halls are closed at night
        if channel == "referral":
            return channel, self.pick(rng, self.source_pick)
        return channel, ComplaintSource.DIRECT

    @staticmethod
    def _description(code, title, customer, channel, source) -> str:
        via = {"hotline": "来电", "hall": "到厅", "web": "网上", "email": "来信", "api": "系统"}
        if code == "internal":
            return f"内部工单：{title}。"
        if source != ComplaintSource.DIRECT:
            return f"上级转办：客户反映{title}，请按时限处理并回复。"
        who = "客户" if customer else "来电人"
        return f"{who}{via.get(channel, '')}反映：{title}。"

    def _verdict(self, rng, category: str) -> dict:
        """A complaint's cause and 有理由/无理由 verdict."""
        root = (category or "service").split("-")[0]
        cause = self.pick(rng, self.cause_pick.get(root, self.cause_pick["service"]))
        justified = cause != "cause-customer" and (
            cause != "cause-third-party" or rng.random() < 0.5
        )
        return {"cause": self.w.categories.get(cause), "justified": justified}

    def _dispatch(self, rng, order: WorkOrder, code, area: Area, since: datetime):
        """派单 by the area's dispatcher unless the rules routed it at intake; now and then
        the unit sends it back (退单) and the dispatcher tries again."""
        dispatcher = self.user(area.dispatcher)
        for _attempt in range(2):
            if order.status == State.DISPATCHED:
                break
            local = since.astimezone(self.tz)
            yield since + self.hours(rng, 0.5 if not (8 <= local.hour < 22) else 0.2, 0.8)
            units = area.field_units if code in FIELD_TYPES else area.office_units
            unit = self.unit(units[rng.randrange(len(units))])
            people = self.w.handlers.get(unit.pk, [])
            handler = None
            if people and rng.random() < 0.4:
                handler = self.user(people[rng.randrange(len(people))])
            order = actions.work_order_dispatch(
                actor=dispatcher, order=order, unit=unit, handler=handler
            )
            if order.dispatch_rule_id is None and rng.random() < 0.05:
                yield self.clock() + self.hours(rng, 0.5, 0.6)
                member = self.member(rng, order)
                order = actions.work_order_return(
                    actor=member, order=order, reason="派单信息不全，退回重派"
                )
                since = self.clock()
                if self.now - since < timedelta(days=2):
                    return order  # back in the dispatch queue
        return order

    def _work(self, rng, order: WorkOrder, code, area: Area, owner, category, stuck):
        """Take on, first contact, perhaps transfer / suspend / urge / escalate, resolve;
        None when the order is stuck before it is resolved."""
        contact_median, resolve_median, sigma = DURATIONS.get(code, (2, 20, 0.8))
        since = self.clock()
        contact_at = since + self.hours(rng, contact_median, 0.9)
        if code in ("install", "move", "remove"):
            contact_at = self.daytime(rng, contact_at)
        if rng.random() < 0.04 and area.dispatcher is not None:  # 转派: not theirs after all
            others = [
                u for u in area.field_units + area.office_units if u != order.handling_unit_id
            ]
            if others:
                yield since + (contact_at - since) / 2
                unit = self.unit(others[rng.randrange(len(others))])
                order = actions.work_order_transfer(
                    actor=self.user(area.dispatcher),
                    order=order,
                    unit=unit,
                    reason="非本部门处理范围，转派",
                )
                contact_at = self.clock() + self.hours(rng, contact_median, 0.9)
        if stuck == "accept":
            return None
        member = self.member(rng, order)
        if rng.random() < 0.7:
            yield since + (contact_at - since) * rng.uniform(0.2, 0.8)
            order = actions.work_order_accept(actor=member, order=order)
            member = self.member(rng, order)
        if stuck == "contact":
            return None
        yield contact_at
        order = actions.work_order_contact(
            actor=member, order=order, note="已联系客户，约定处理时间"
        )
        member = self.member(rng, order)
        contact_at = self.clock()
        resolve_at = contact_at + self.hours(rng, resolve_median, sigma)
        if code in FIELD_TYPES - {"fault"} or code == "internal":
            resolve_at = self.daytime(rng, resolve_at)
        # 挂起: the customer is away or a part is missing; the clock pauses meanwhile.
        if stuck == "resume" or rng.random() < (0.1 if code in FIELD_TYPES else 0.03):
            yield contact_at + self.hours(rng, 1, 0.5)
            at = self.clock()
            order = actions.work_order_suspend(
                actor=member, order=order, reason="客户不在家，约定改期上门"
            )
            if stuck == "resume":
                return None
            yield self.daytime(rng, at + timedelta(days=rng.uniform(0.5, 3)))
            order = actions.work_order_resume(
                actor=member, order=order, note="客户已在家，恢复处理"
            )
            # The work left when it was suspended is done after it resumes.
            resolve_at = self.clock() + max(resolve_at - at, timedelta(minutes=30))
        # 催办 / 督办 / 升级: pressure on orders that take long.
        long = resolve_at - since > timedelta(hours=12)
        if long and rng.random() < (0.4 if order.is_complaint else 0.15):
            yield since + (resolve_at - since) * rng.uniform(0.4, 0.9)
            order = actions.work_order_urge(actor=owner, order=order, note="客户再次来电催促")
            supervisor = self.user(area.supervisor)
            if order.is_complaint and supervisor is not None and rng.random() < 0.25:
                yield self.clock() + (resolve_at - self.clock()) * 0.3
                order = actions.work_order_supervise(
                    actor=supervisor, order=order, note="请加快处理"
                )
            if order.is_complaint and rng.random() < 0.2:
                yield self.clock() + timedelta(minutes=rng.randrange(5, 60))
                order = actions.work_order_escalate(
                    actor=owner, order=order, reason="客户情绪激动，要求上级处理"
                )
        if stuck == "resolve":
            return None
        yield resolve_at
        texts = RESOLUTIONS.get(code, RESOLUTIONS[""])
        details = {"resolution": texts[rng.randrange(len(texts))]}
        if order.is_complaint:
            verdict = self._verdict(rng, category)
            details.update(verdict)
            r = rng.random()
            details["remedy"] = ("compensation", "repair_replace_redo", "non_property", "")[
                bisect.bisect((0.18, 0.3, 0.33), r)
            ]
            if verdict["justified"]:
                details["responsible_unit"] = order.handling_unit
                if verdict["cause"] is not None and verdict["cause"].code.startswith("cause-staff"):
                    details["responsible_person"] = self.names[rng.randrange(len(self.names))]
            else:
                details["resolution"] = "经核查非我方原因，已向客户耐心解释，客户表示理解"
        return actions.work_order_resolve(actor=member, order=order, **details)

    def _reply_close(self, rng, order: WorkOrder, code, owner, stuck):
        if stuck == "reply":
            return None
        yield self.clock() + self.hours(rng, 2, 0.8)
        reply = REPLIES[rng.randrange(len(REPLIES))]
        order = actions.work_order_reply(actor=owner, order=order, reply=reply)
        if self.w.types[code].needs_callback:  # archived after the callback (回访)
            yield self.clock() + timedelta(hours=rng.uniform(2, 72))
            return actions.work_order_close(actor=None, order=order, note="回访完成，归档")
        yield self.clock() + timedelta(seconds=rng.randrange(10, 600))
        return actions.work_order_close(actor=owner, order=order)


# --- replaying -----------------------------------------------------------------------------


@dataclass
class DemoResult:
    created: int
    events: int
    seconds: float
    accounts: list[DemoAccount]
    refused: int = 0  # steps a service refused: that order's life ended there


def _monitor_until(clock: SimulatedClock, until: datetime) -> None:
    """Run the real SLA monitor at every moment a clock is due, up to `until`."""
    last = None
    while True:
        due = SlaClock.objects.filter(next_check_at__isnull=False).aggregate(
            m=Min("next_check_at")
        )["m"]
        if due is None or due > until:
            return
        if last is not None and due <= last:
            due = last + timedelta(minutes=1)  # one the monitor put off: look again later
            if due > until:
                return
        clock.set(due)
        sla_monitor_pass(now=due)
        last = due


def replay(generator: Generator, *, progress: ProgressFn | None = None) -> list[int]:
    """Take the orders in and live their lives until `generator.now`, all steps merged in
    time order; returns the new orders' ids."""
    now, tz = generator.now, generator.tz
    arrivals = generator.arrivals()
    heap: list[tuple[datetime, int, Life | None]] = [(t, i, None) for i, t in enumerate(arrivals)]
    heapq.heapify(heap)
    top = WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    taken_in, day = 0, None
    with (
        simulated_time(arrivals[0] if arrivals else now) as clock,
        contextlib.ExitStack() as day_tx,
    ):
        while heap:
            at, index, life = heapq.heappop(heap)
            if at.astimezone(tz).date() != day:  # one transaction per simulated day
                day_tx.close()
                day_tx.enter_context(transaction.atomic())
                day = at.astimezone(tz).date()
            _monitor_until(clock, at)
            clock.set(at)
            if life is None:
                life = generator.life(index, at)
                taken_in += 1
                if progress and (taken_in % 20 == 0 or taken_in == len(arrivals)):
                    progress(str(_("Work orders")), taken_in, len(arrivals))
            try:
                following = next(life)
            except StopIteration:
                continue
            except KefuError:  # refused by a service: the order stays as it stands
                generator.refused += 1
                continue
            following = max(following.replace(microsecond=0), at + timedelta(seconds=1))
            if following <= now:
                heapq.heappush(heap, (following, index, life))
            else:
                life.close()  # the rest of its life is yet to come
        _monitor_until(clock, now)
        day_tx.close()
    return list(WorkOrder.objects.filter(pk__gt=top).order_by("pk").values_list("pk", flat=True))


def demo_work_orders_create(
    *,
    count: int,
    seed: int,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    progress: ProgressFn | None = None,
) -> DemoResult:
    """Add `count` demo work orders with their timelines, lived through the services."""
    started = time.perf_counter()
    accounts = demo_routing_seed()
    if count <= 0:
        return DemoResult(0, 0, time.perf_counter() - started, accounts)
    generator = Generator(
        World.load(), seed=seed, count=count, days=days, now=now or timezone.now()
    )
    ids = replay(generator, progress=progress)
    events = WorkOrderEvent.objects.filter(order_id__in=ids).count() if ids else 0
    return DemoResult(len(ids), events, time.perf_counter() - started, accounts, generator.refused)
