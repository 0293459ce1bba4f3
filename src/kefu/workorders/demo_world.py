"""The demo org as the demo work orders need it: who takes calls, dispatches, supervises and
handles where (`World`), and the demo routing (network maintenance centres, the complaint
expert seat and their dispatch rules, `demo_routing_seed`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from kefu.customers.demo_data import people_names
from kefu.customers.models import Customer
from kefu.org import services as org_services
from kefu.org.demo import DEMO_PASSWORD, PREFECTURES, PROVINCE_CODE, DemoAccount
from kefu.org.models import OrgLevel, OrgUnit, Role, RoleAssignment
from kefu.workorders.demo_mix import VIP_TIERS
from kefu.workorders.models import (
    Assignment,
    BusinessLine,
    Category,
    DispatchRule,
    WorkOrderType,
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
        holders = {code: staff_holding(code) for code in ("add", "dispatch", "supervise", "handle")}
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
        areas = [area_of(pk, units, holders, handlers) for pk in area_ids]
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


def staff_holding(perm: str) -> list[tuple[Person, str, str, bool, list]]:
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


def area_of(unit_id, units, holders, handlers) -> Area:
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
