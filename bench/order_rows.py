"""Benchmark data: millions of work-order rows for bench/order_list.py, COPYed in bulk.

NOT the demo. The demo (`kefu.workorders.demo`) drives the real services, so its orders
are exactly what production makes, at some 100 ms an order. The list benchmark needs a
year of five million rows in minutes, so this module keeps a simplified in-memory
replay of the lifecycle: every step is checked against `transitions.next_state`, numbers
follow the services' format, and the mixes (types, channels, hours, titles) are the
demo's own — but time limits are a crude wall-clock rule per type (`LIMITS`,
`WARNING_SHARE`), no SLA clocks, events or notifications are written, and the rows are
only fit for measuring list queries. Same seed and same `now` → the same rows.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from kefu.customers.demo_data import people_names
from kefu.customers.models import Customer
from kefu.org.models import OrgLevel, OrgUnit
from kefu.workorders.demo_mix import (
    CAUSES,
    CHANNEL_MIX,
    COMPLAINT_CHANNEL_MIX,
    DURATIONS,
    FIELD_TYPES,
    FIRST_CONTACT_SHARE,
    HOUR_WEIGHTS,
    LINE_MIX,
    LINE_NAMES,
    REFERRAL_SOURCES,
    REPLIES,
    RESOLUTIONS,
    TITLES,
    TYPE_MIX,
    WEEKDAY_WEIGHTS,
)
from kefu.workorders.demo_world import Area, Person, area_of, staff_holding
from kefu.workorders.models import (
    Assignment,
    BusinessLine,
    Category,
    ComplaintSource,
    DispatchRule,
    WorkOrder,
    WorkOrderType,
)
from kefu.workorders.routing import rule_matches
from kefu.workorders.transitions import State, Who, next_state

H = 3600.0  # seconds per hour

# Benchmark only: type → (first-contact limit, resolution limit) in hours; None: no
# first-contact clock. The real limits are the SLA policies' (kefu.sla).
LIMITS = {
    "complaint": (2, 48), "fault": (4, 24), "install": (24, 72), "move": (24, 72),
    "remove": (24, 72), "consultation": (None, 24), "report": (24, 120),
    "suggestion": (None, 120), "praise": (None, 120), "internal": (None, 72),
}  # fmt: skip
WARNING_SHARE = 0.25  # benchmark only: the last quarter of a limit shows as a warning

# --- what the demo org looks like ------------------------------------------------------


@dataclass
class World:
    """Everything the generator needs, loaded once (no queries while generating)."""

    types: dict[str, WorkOrderType]
    lines: dict[str, int]
    categories: dict[str, int]
    units: dict[int, tuple[str, str, int | None, str]]  # id → (name, path, parent, level)
    areas: list[Area]
    area_by_unit: dict[int, Area]
    handlers: dict[int, list[Person]]  # unit id → handlers sitting there, by user id
    skills: dict[int, list[str]]
    rules: list[DispatchRule]
    customers: list[tuple]  # (id, unit id, tier, contact name, phone)

    @classmethod
    def load(cls, *, max_customers: int = 200_000) -> World:
        units = {
            pk: (name, path, parent, level)
            for pk, name, path, parent, level in OrgUnit.objects.filter(is_active=True).values_list(
                "pk", "name", "path", "parent_id", "level"
            )
        }
        holders = {code: staff_holding(code) for code in ("add", "dispatch", "supervise", "handle")}
        handlers: dict[int, list[Person]] = {}
        skills: dict[int, list[str]] = {}
        for person, _scope, _anchor, on_leave, have in holders["handle"]:
            if not on_leave and person not in handlers.get(person.unit_id, []):
                handlers.setdefault(person.unit_id, []).append(person)
                skills[person.user_id] = list(have or [])
        for people in handlers.values():
            people.sort(key=lambda p: p.user_id)
        customers = list(
            Customer.objects.order_by("id").values_list(
                "id", "org_unit_id", "tier", "tier_override", "name", "kind", "phone"
            )[:max_customers]
        )
        names = itertools.cycle(people_names(500, seed=7))
        rows = []
        for pk, unit_id, tier, override, name, kind, phone in customers:
            if unit_id not in units:
                continue
            contact = name if kind == "individual" else next(names)
            rows.append((pk, unit_id, override or tier, contact[:50], phone))
        area_ids = sorted({r[1] for r in rows}) or sorted(
            pk
            for pk in OrgUnit.objects.filter(is_active=True, level=OrgLevel.COUNTY).values_list(
                "pk", flat=True
            )
            if pk in units
        )
        areas = [area_of(pk, units, holders, handlers) for pk in area_ids]
        areas = [a for a in areas if a.agents or a.top_supervisor]
        return cls(
            types={t.code: t for t in WorkOrderType.objects.filter(is_active=True)},
            lines=dict(BusinessLine.objects.filter(is_active=True).values_list("code", "pk")),
            categories=dict(Category.objects.filter(is_active=True).values_list("code", "pk")),
            units=units,
            areas=areas,
            area_by_unit={a.unit_id: a for a in areas},
            handlers=handlers,
            skills=skills,
            rules=list(DispatchRule.objects.filter(is_active=True).select_related("area")),
            customers=[r for r in rows if r[1] in {a.unit_id for a in areas}],
        )


def _weighted(pairs):
    keys = [k for k, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))
    return keys, cum


class _Stop(Exception):
    """The next step lies in the future (or the order is stuck before it)."""


_HOURS_CUM = [0, *itertools.accumulate(HOUR_WEIGHTS)]


@dataclass
class _Life:
    """One order being replayed; `o` are its fields, `events` its timeline."""

    o: dict
    events: list = field(default_factory=list)
    status: str = State.ACCEPTED
    t: datetime | None = None


class Generator:
    """Yields (order fields, events) in accept order. Pure given the World: no queries."""

    def __init__(self, world: World, *, seed: int, count: int, days: int, now: datetime):
        if not world.areas:
            raise ValueError("demo work orders need org units with intake staff")
        self.w = world
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
        self.rr_cursor: dict[int, int] = {}
        self.last_complaint: dict[int, datetime] = {}
        self.areas_with_customers = {c[1] for c in world.customers}
        self.names = people_names(300, seed=seed)

    # small draws
    def pick(self, keys_cum):
        keys, cum = keys_cum
        return keys[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def hours(self, median: float, sigma: float) -> timedelta:
        return timedelta(hours=median * math.exp(self.rng.gauss(0, sigma)))

    def daytime(self, t: datetime) -> datetime:
        """Appointments and office work happen 8:00–21:00; later ones the next morning."""
        if 8 <= t.hour < 21:
            return t
        day = t if t.hour >= 8 else t - timedelta(days=1)
        morning = (day + timedelta(days=1)).replace(hour=8, minute=0, second=0)
        return morning + timedelta(minutes=self.rng.randrange(0, 90))

    # the calendar: how many orders on which day, at which second
    def _day_counts(self) -> list[tuple[datetime, int, float]]:
        start = (self.now - timedelta(days=self.days - 1)).replace(hour=0, minute=0, second=0)
        days, weights = [], []
        for i in range(self.days):
            day = start + timedelta(days=i)
            limit = 24.0
            if day.date() == self.now.date():
                limit = (self.now - day).total_seconds() / H
            elapsed = _hours_weight(limit) / _HOURS_CUM[-1]
            trend = 0.85 + 0.15 * i / self.days  # volume grows a little over the months
            jitter = math.exp(self.rng.gauss(0, 0.1))
            days.append((day, limit))
            weights.append(WEEKDAY_WEIGHTS[day.weekday()] * trend * jitter * elapsed)
        total, out, done = sum(weights), [], 0
        cum = 0.0
        for (day, limit), weight in zip(days, weights, strict=True):
            cum += weight
            upto = round(self.count * cum / total) if total else 0
            out.append((day, upto - done, limit))
            done = upto
        return out

    def _second(self, limit_hours: float) -> float:
        x = self.rng.random() * _hours_weight(limit_hours)
        hour = min(bisect.bisect_right(_HOURS_CUM, x) - 1, 23)
        return hour * H + (x - _HOURS_CUM[hour]) / HOUR_WEIGHTS[hour] * H

    def __iter__(self) -> Iterator[_Life]:
        for day, n, limit in self._day_counts():
            seconds = sorted(self._second(limit) for _ in range(n))
            for s in seconds:
                yield self.order(day + timedelta(seconds=int(s)))

    # one order
    def order(self, t0: datetime) -> _Life:
        rng, w = self.rng, self.w
        code = self.pick(self.type_pick)
        otype = w.types[code]
        customer = None
        if code != "internal" and w.customers:
            customer = w.customers[rng.randrange(len(w.customers))]
        area = w.area_by_unit[customer[1]] if customer else w.areas[rng.randrange(len(w.areas))]
        line_code = self.pick(self.line_pick.get(code, self.line_pick[""]))
        title, category = self._title(code, line_code)
        channel, source = self._channel(code, t0)
        if channel == "referral" and area.top_supervisor is not None:
            owner = area.top_supervisor
        else:
            owner = area.agents[rng.randrange(len(area.agents))] if area.agents else None
            owner = owner or area.top_supervisor
        tier = customer[2] if customer else ""
        is_complaint = otype.is_complaint
        repeat = False
        if is_complaint and customer is not None:
            last = self.last_complaint.get(customer[0])
            repeat = last is not None and t0 - last <= timedelta(days=30)
            self.last_complaint[customer[0]] = t0
        o = {
            "order_type_id": otype.pk,
            "business_line_id": w.lines.get(line_code),
            "channel": channel,
            "source": str(source),
            "status": str(State.ACCEPTED),
            "suspended_from": "",
            "title": title,
            "description": self._description(code, title, customer, channel),
            "customer_id": customer[0] if customer else None,
            "customer_tier": tier,
            "caller_phone": (customer[4] if customer else "")[:20],
            "contact_name": customer[3] if customer else self.names[rng.randrange(300)],
            "area_unit_id": area.unit_id,
            "owner_id": owner.user_id,
            "accepting_unit_id": owner.unit_id,
            "dispatching_unit_id": None,
            "handling_unit_id": None,
            "handler_id": None,
            "dispatch_rule_id": None,
            "supervising_unit_id": None,
            "escalation_level": 0,
            "escalated_to_id": None,
            "urge_count": 0,
            "category_id": w.categories.get(category) if category else None,
            "cause_id": None,
            "is_complaint": is_complaint,
            "is_repeat": repeat,
            "is_escalated": is_complaint and source != ComplaintSource.DIRECT,
            "is_difficult": is_complaint and rng.random() < 0.04,
            "first_contact_resolution": False,
            "justified": None,
            "responsible_unit_id": None,
            "responsible_person": "",
            "remedy": "",
            "resolution": "",
            "reply": "",
            "merged_into_id": None,
            "due_at": None,
            "sla_state": "",
            "created_at": t0,
            "updated_at": t0,
            "dispatched_at": None,
            "first_contact_at": None,
            "resolved_at": None,
            "replied_at": None,
            "closed_at": None,
            "version": 1,
        }
        life = _Life(o=o, t=t0)
        life.events.append(_event("create", owner, "", State.ACCEPTED, t0))
        with contextlib.suppress(_Stop):  # the rest of its life is yet to come
            self._live(life, code, area, owner, line_code, category)
        self._sla(life, code)
        o["updated_at"] = life.t
        return life

    def _title(self, code: str, line: str) -> tuple[str, str]:
        options = TITLES.get((code, line)) or TITLES.get((code, ""))
        if options is None:
            name = self.w.types[code].name
            return f"{LINE_NAMES.get(line, '')}{name}", ""
        title, category = options[self.rng.randrange(len(options))]
        if code in ("move", "remove") and line in LINE_NAMES:
            title = f"{LINE_NAMES[line]}{title}"
        return title, category

    def _channel(self, code: str, t0: datetime) -> tuple[str, str]:
        if code == "internal":
            return "api" if self.rng.random() < 0.3 else "web", ComplaintSource.DIRECT
        pick = self.complaint_channel_pick if code == "complaint" else self.channel_pick
        channel = self.pick(pick)
        if channel == "hall" and not (9 <= t0.hour < 18):
            channel = "hotline"  # halls are closed at night
        if channel == "referral":
            return channel, self.pick(self.source_pick)
        return channel, ComplaintSource.DIRECT

    def _description(self, code, title, customer, channel) -> str:
        via = {"hotline": "来电", "hall": "到厅", "web": "网上", "email": "来信", "api": "系统"}
        if code == "internal":
            return f"内部工单：{title}。"
        if channel == "referral":
            return f"上级转办：客户反映{title}，请按时限处理并回复。"
        who = "客户" if customer else "来电人"
        return f"{who}{via.get(channel, '')}反映：{title}。"

    # the life of one order
    def act(self, life: _Life, action: str, who: Who, person: Person | None, at: datetime,
            note: str = "", data: dict | None = None) -> datetime:  # fmt: skip
        """One step; returns its time (whole seconds, never before the previous step)."""
        at = max(at.replace(microsecond=0), life.t)
        if at > self.now:
            raise _Stop
        target = next_state(life.status, action, {who, Who.VIEWER})
        life.events.append(_event(action, person, life.status, target, at, note, data))
        life.status = target
        life.o["status"] = str(target)
        life.o["version"] += 1
        life.t = at
        return at

    def _live(self, life: _Life, code, area: Area, owner: Person, line, category) -> None:
        rng, o = self.rng, life.o
        t0 = o["created_at"]
        recent = self.now - t0 < timedelta(days=14)
        stuck = ""
        if recent and rng.random() < 0.15:
            stuck = rng.choice(("dispatch", "accept", "contact", "resolve", "resume", "reply"))
        if rng.random() < FIRST_CONTACT_SHARE.get(code, 0):
            at = t0 + timedelta(seconds=rng.randrange(60, 600))
            at = self._resolve(life, code, category, Who.OWNER, owner, at, at_intake=True)
            self._reply_close(life, code, owner, area, stuck, at, quick=True)
            return
        rule = self._rule(o, area)
        if rule is None and rng.random() < 0.02:
            at = t0 + timedelta(minutes=rng.randrange(5, 60))
            self.act(life, "cancel", Who.OWNER, owner, at, "客户来电撤销，问题已自行解决")
            return
        if stuck == "dispatch" and rule is None:
            raise _Stop
        at = self._dispatch(life, code, area, rule, t0)
        at = self._work(life, code, area, owner, category, stuck, at)
        self._reply_close(life, code, owner, area, stuck, at)
        # 重新打开: the customer comes back not satisfied (then a second round).
        if code in ("complaint", "fault") and life.status == State.CLOSED and rng.random() < 0.02:
            at = life.t + timedelta(days=rng.uniform(0.5, 4))
            at = self.act(life, "reopen", Who.OWNER, owner, at, "客户反映问题仍未解决，重新处理")
            o["first_contact_resolution"] = False
            o["resolved_at"] = o["replied_at"] = o["closed_at"] = None
            at = self._dispatch(life, code, area, None, at)
            at = self._work(life, code, area, owner, category, "", at)
            self._reply_close(life, code, owner, area, "", at)

    def _rule(self, o: dict, area: Area) -> DispatchRule | None:
        probe = _Probe(o["order_type_id"], o["business_line_id"], o["customer_tier"])
        return next((r for r in self.w.rules if rule_matches(r, probe, area.path)), None)

    def _dispatch(self, life: _Life, code, area: Area, rule, since: datetime) -> datetime:
        rng, o = self.rng, life.o
        if rule is not None:
            unit = rule.target_unit_id
            handler = self._assign(unit, rule.assignment, rule.skill)
            at = since  # routed in the intake's own transaction
            data = {"unit": self._unit_name(unit), "handler": handler.name if handler else ""}
            data["rule"] = rule.name
            at = self.act(life, "dispatch", Who.SYSTEM, None, at, "", data)
            o["dispatching_unit_id"] = o["dispatching_unit_id"] or o["accepting_unit_id"]
            o["dispatch_rule_id"] = rule.pk
        else:
            night = not (8 <= since.hour < 22)
            at = since + self.hours(0.5 if night else 0.2, 0.8)
            unit = self._unit_for(code, area)
            handlers = self.w.handlers.get(unit, [])
            handler = (
                handlers[rng.randrange(len(handlers))] if handlers and rng.random() < 0.4 else None
            )
            disp = area.dispatcher
            data = {"unit": self._unit_name(unit), "handler": handler.name if handler else ""}
            at = self.act(life, "dispatch", Who.DISPATCHER, disp, at, "", data)
            o["dispatching_unit_id"] = disp.unit_id if disp else o["accepting_unit_id"]
        o["handling_unit_id"] = unit
        o["handler_id"] = handler.user_id if handler else None
        o["dispatched_at"] = o["dispatched_at"] or at
        # 退单: now and then the unit sends it back and the dispatcher tries again.
        if rule is None and rng.random() < 0.03:
            member = self._member(o)
            at += self.hours(0.5, 0.6)
            data = {"from_unit": self._unit_name(unit)}
            note = "派单信息不全，退回重派"
            at = self.act(life, "return", Who.HANDLING_UNIT, member, at, note, data)
            o["handling_unit_id"] = o["handler_id"] = None
            return self._dispatch(life, code, area, None, at)
        return at

    def _assign(self, unit: int, assignment: str, skill: str) -> Person | None:
        people = self.w.handlers.get(unit, [])
        if assignment == Assignment.NONE or not people:
            return None
        if assignment == Assignment.SKILL:
            skilled = [p for p in people if skill in self.w.skills.get(p.user_id, [])]
            pool = skilled or people
            return pool[self.rng.randrange(len(pool))]
        if assignment == Assignment.ROUND_ROBIN:
            last = self.rr_cursor.get(unit, 0)
            chosen = next((p for p in people if p.user_id > last), people[0])
            self.rr_cursor[unit] = chosen.user_id
            return chosen
        return people[self.rng.randrange(len(people))]

    def _unit_for(self, code: str, area: Area) -> int:
        units = area.field_units if code in FIELD_TYPES else area.office_units
        return units[self.rng.randrange(len(units))]

    def _unit_name(self, unit: int | None) -> str:
        return self.w.units[unit][0] if unit in self.w.units else ""

    def _member(self, o: dict) -> Person | None:
        """Who in the handling unit acts: the handler, else one of the unit."""
        people = self.w.handlers.get(o["handling_unit_id"], [])
        if o["handler_id"]:
            mine = [p for p in people if p.user_id == o["handler_id"]]
            if mine:
                return mine[0]
        return people[self.rng.randrange(len(people))] if people else None

    def _take(self, o: dict, person: Person | None) -> None:
        if o["handler_id"] is None and person is not None:
            o["handler_id"] = person.user_id

    def _work(self, life, code, area: Area, owner, category, stuck, since) -> datetime:
        """Take on, first contact, perhaps transfer / suspend / urge / escalate, resolve."""
        rng, o = self.rng, life.o
        contact_median, resolve_median, sigma = DURATIONS.get(code, (2, 20, 0.8))
        contact_at = since + self.hours(contact_median, 0.9)
        if code in ("install", "move", "remove"):
            contact_at = self.daytime(contact_at)
        # 转派: the unit finds it is not theirs and passes it on.
        if rng.random() < 0.04:
            at = since + (contact_at - since) / 2
            member = self._member(o)
            others = [u for u in area.field_units + area.office_units if u != o["handling_unit_id"]]
            if others and member is not None:
                unit = others[rng.randrange(len(others))]
                data = {
                    "from_unit": self._unit_name(o["handling_unit_id"]),
                    "unit": self._unit_name(unit),
                }
                note = "非本部门处理范围，转派"
                at = self.act(life, "transfer", Who.HANDLING_UNIT, member, at, note, data)
                o["handling_unit_id"], o["handler_id"] = unit, None
                contact_at = at + self.hours(contact_median, 0.9)
        if stuck == "accept":
            raise _Stop
        member = self._member(o)
        if rng.random() < 0.7:
            at = since + (contact_at - since) * rng.uniform(0.2, 0.8)
            self.act(life, "accept", Who.HANDLING_UNIT, member, at)
            self._take(o, member)
        if stuck == "contact":
            raise _Stop
        first = o["first_contact_at"] is None
        note = "已联系客户，约定处理时间"
        data = {"first": first}
        contact_at = self.act(life, "contact", Who.HANDLING_UNIT, member, contact_at, note, data)
        o["first_contact_at"] = o["first_contact_at"] or contact_at
        self._take(o, member)
        resolve_at = contact_at + self.hours(resolve_median, sigma)
        if code in FIELD_TYPES - {"fault"} or code == "internal":
            resolve_at = self.daytime(resolve_at)
        # 挂起: the customer is away or a part is missing; the clock pauses meanwhile.
        if rng.random() < (0.08 if code in FIELD_TYPES else 0.02):
            at = contact_at + self.hours(1, 0.5)
            at = self.act(life, "suspend", Who.HANDLER, member, at, "客户不在家，约定改期上门")
            o["suspended_from"] = State.IN_PROGRESS
            if stuck == "resume":
                raise _Stop
            back = self.daytime(at + timedelta(days=rng.uniform(0.5, 3)))
            back = self.act(life, "resume", Who.HANDLER, member, back, "客户已在家，恢复处理")
            o["suspended_from"] = ""
            # The work left when it was suspended is done after it resumes.
            resolve_at = back + max(resolve_at - at, timedelta(minutes=30))
        # 催办 / 督办 / 升级: pressure on orders that take long.
        limit = LIMITS.get(code, (None, 72))[1]
        if resolve_at - since > timedelta(hours=12) and rng.random() < (
            0.4 if o["is_complaint"] else 0.15
        ):
            at = since + (resolve_at - since) * rng.uniform(0.4, 0.9)
            self.act(life, "urge", Who.OWNER, owner, at, "客户再次来电催促")
            o["urge_count"] += 1
            if o["is_complaint"] and area.supervisor and rng.random() < 0.25:
                at = life.t + (resolve_at - life.t) * 0.3
                unit_name = self._unit_name(area.supervisor.unit_id)
                self.act(
                    life,
                    "supervise",
                    Who.SUPERVISOR,
                    area.supervisor,
                    at,
                    "请加快处理",
                    {"unit": unit_name},
                )
                o["supervising_unit_id"] = area.supervisor.unit_id
        due = o["created_at"] + timedelta(hours=limit)
        if resolve_at > due and rng.random() < 0.4:
            base = o["escalated_to_id"] or o["handling_unit_id"] or o["area_unit_id"]
            target = self.w.units[base][2] or base
            o_level = o["escalation_level"] + 1
            data = {"level": o_level, "unit": self._unit_name(target)}
            self.act(life, "escalate", Who.SYSTEM, None, due, "", data)
            o["escalation_level"], o["escalated_to_id"] = o_level, target
        if stuck == "resolve":
            raise _Stop
        return self._resolve(life, code, category, Who.HANDLER, member, resolve_at, at_intake=False)

    def _resolve(self, life: _Life, code, category, who, person, at, *, at_intake) -> datetime:
        """处理完成: complaints also get cause, justified, remedy and who is responsible."""
        rng, o = self.rng, life.o
        texts = RESOLUTIONS.get(code, RESOLUTIONS[""])
        fields = {"resolution": texts[rng.randrange(len(texts))]}
        if o["is_complaint"]:
            root = (category or "service").split("-")[0]
            cause = self.pick(self.cause_pick.get(root, self.cause_pick["service"]))
            third_party = cause == "cause-third-party"
            justified = cause != "cause-customer" and (not third_party or rng.random() < 0.5)
            r = rng.random()
            remedy = ("compensation", "repair_replace_redo", "non_property", "")[
                bisect.bisect((0.18, 0.3, 0.33), r)
            ]
            fields.update(cause_id=self.w.categories.get(cause), justified=justified, remedy=remedy)
            if justified:
                staff_cause = cause.startswith("cause-staff")
                unit = o["handling_unit_id"] or o["area_unit_id"]
                if staff_cause and rng.random() < 0.5:
                    unit = o["accepting_unit_id"]
                fields["responsible_unit_id"] = unit
                if staff_cause:
                    fields["responsible_person"] = self.names[rng.randrange(len(self.names))]
            else:
                fields["resolution"] = "经核查非我方原因，已向客户耐心解释，客户表示理解"
        fcr = at_intake and not any(e["action"] == "reopen" for e in life.events)
        data = {"first_contact_resolution": fcr}
        at = self.act(life, "resolve", who, person, at, fields["resolution"], data)
        o.update(fields)
        o["first_contact_resolution"] = fcr
        o["first_contact_at"] = o["first_contact_at"] or at
        o["resolved_at"] = at
        return at

    def _reply_close(self, life, code, owner, area: Area, stuck, since, quick=False) -> None:
        rng, o = self.rng, life.o
        if stuck == "reply":
            raise _Stop
        callback = self.w.types[code].needs_callback
        at = since + (timedelta(seconds=rng.randrange(30, 240)) if quick else self.hours(2, 0.8))
        reply = REPLIES[rng.randrange(len(REPLIES))] if not quick else "已当场答复客户"
        at = self.act(life, "reply", Who.OWNER, owner, at, reply)
        o["reply"], o["replied_at"] = reply, at
        if callback:  # archived after the callback (回访), same day to three days later
            at += timedelta(hours=rng.uniform(2, 72))
            at = self.act(life, "close", Who.SYSTEM, None, at, "回访完成，归档")
        else:
            at += timedelta(seconds=rng.randrange(10, 600))
            at = self.act(life, "close", Who.OWNER, owner, at)
        o["closed_at"] = at

    def _sla(self, life: _Life, code: str) -> None:
        """A simple wall-clock rule: first contact and resolution limits per type."""
        o = life.o
        contact_h, resolve_h = LIMITS.get(code, (None, 72))
        created = o["created_at"]
        contact_due = created + timedelta(hours=contact_h) if contact_h else None
        resolve_due = created + timedelta(hours=resolve_h)
        late = (
            contact_due is not None
            and (o["first_contact_at"] or self.now) > contact_due
            and o["status"] != State.CANCELLED
        )
        if o["status"] in (State.CANCELLED,):
            o["due_at"], o["sla_state"] = None, ""
            return
        if o["resolved_at"] is not None and o["status"] not in _OPEN:
            o["due_at"] = resolve_due
            o["sla_state"] = "breached" if late or o["resolved_at"] > resolve_due else ""
            return
        running = contact_due if contact_due and o["first_contact_at"] is None else resolve_due
        limit = timedelta(hours=contact_h if running is contact_due else resolve_h)
        o["due_at"] = running
        if late or self.now > running or self.now > resolve_due:
            o["sla_state"] = "breached"
        elif self.now > running - limit * WARNING_SHARE:
            o["sla_state"] = "warning"
        else:
            o["sla_state"] = ""


_TZ = ZoneInfo(settings.TIME_ZONE)
_OPEN = {str(s) for s in (State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS,
                          State.SUSPENDED, State.RETURNED, State.REOPENED)}  # fmt: skip


@dataclass(frozen=True)
class _Probe:
    """What routing.rule_matches reads of an order."""

    order_type_id: int
    business_line_id: int | None
    customer_tier: str


def _hours_weight(limit_hours: float) -> float:
    """Weight of the hours of one day before `limit_hours` (a partial last hour counts pro rata)."""
    if limit_hours >= 24:
        return float(_HOURS_CUM[-1])
    hour = int(limit_hours)
    return _HOURS_CUM[hour] + HOUR_WEIGHTS[hour] * (limit_hours - hour)


def _event(action, person: Person | None, from_status, to_status, at, note="", data=None):
    return {
        "action": action,
        "actor_id": person.user_id if person else None,
        "actor_unit_id": person.unit_id if person else None,
        "from_status": str(from_status),
        "to_status": str(to_status),
        "note": note,
        "data": dict(data or {}),
        "created_at": at,
    }


def order_rows(*, count: int, seed: int, days: int = 180, now: datetime | None = None,
               world: World | None = None) -> Iterator[_Life]:  # fmt: skip
    """The demo orders as plain field dicts with their events (nothing written)."""
    world = world or World.load()
    now = now or timezone.now()
    return iter(Generator(world, seed=seed, count=count, days=days, now=now))


def number(o: dict, pk: int) -> None:
    """Id and number as services._number gives them: local accept date + 8-digit id."""
    o["id"] = pk
    o["number"] = f"{o['created_at'].astimezone(_TZ).strftime('%Y%m%d')}{pk:08d}"


def _next_ids(n: int) -> Iterator[int]:
    """Ids for `n` new orders, taken as the database would give them (see module doc)."""
    table = WorkOrder._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return iter(sorted(r[0] for r in cursor.fetchall()))
        # SQLite: inside the write transaction nobody else can insert meanwhile.
        top = WorkOrder.objects.aggregate(m=Max("id"))["m"] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
        return iter(range(top + 1, top + n + 1))


class RowWriter:
    """Rows straight into a model's table: COPY on PostgreSQL, executemany elsewhere.

    The ORM's bulk_create spends ~150 µs per object building and adapting model instances
    (and would overwrite the generated times with auto_now); this takes attname → value
    dicts and does by hand the only adaptations these tables need: JSON as text, and
    datetimes as the backend stores them. A field missing from a dict gets its default.
    """

    def __init__(self, model, *, with_pk: bool = True):
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.table = model._meta.db_table
        self.attnames = [f.attname for f in fields]
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        self.defaults = {
            f.attname: f.get_default() for f in fields if not f.primary_key and f.has_default()
        }
        self.json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        self.times = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]

    def _row(self, d: dict) -> list:
        row = [d[a] if a in d else self.defaults.get(a) for a in self.attnames]
        for i in self.json:
            row[i] = json.dumps(row[i], ensure_ascii=False)
        if connection.vendor != "postgresql":
            # What adapt_datetimefield_value gives (naive UTC text), ten times cheaper.
            for i in self.times:
                if row[i] is not None:
                    row[i] = str(row[i].astimezone(UTC).replace(tzinfo=None))
        return row

    def write(self, dicts) -> int:
        n = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for d in dicts:
                        copy.write_row(self._row(d))
                        n += 1
                return n
            marks = ", ".join(["%s"] * len(self.attnames))
            rows = [self._row(d) for d in dicts]
            # Table and column names come from the model's meta, never from input.
            sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, rows)
            return len(rows)
