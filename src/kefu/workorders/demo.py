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
50–100 ms per order. The mix (types, channels, hours, texts, durations) is in `demo_mix`,
who works where and the demo routing in `demo_world`; the list benchmark's millions of
rows are bench/order_rows.py, not this.
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
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.callbacks.demo import DemoCallbacks
from kefu.callbacks.models import CallbackTask
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.core.errors import KefuError
from kefu.customers.demo_data import people_names
from kefu.customers.models import Customer
from kefu.org.demo import DemoAccount
from kefu.org.models import OrgUnit
from kefu.sla.models import SlaClock
from kefu.sla.monitor import sla_monitor_pass
from kefu.workorders import actions, services
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
from kefu.workorders.demo_world import Area, Person, World, demo_routing_seed
from kefu.workorders.models import (
    ComplaintSource,
    WorkOrder,
    WorkOrderEvent,
)
from kefu.workorders.transitions import State

ProgressFn = Callable[[str, int, int], None]  # (phase, done, total)
H = 3600.0  # seconds per hour
DEFAULT_COUNT = 800  # `kefu setup`'s first start: ~45 s of seeding here (docs/admin-guide.md)
DEFAULT_DAYS = 60

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
        self.callbacks = DemoCallbacks()

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
        if order.status == State.REPLIED and self.w.types[code].needs_callback:
            yield from self.callbacks.live(rng, order, owner, self.clock)
            return
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
        reopenable = order is not None and order.status in (State.REPLIED, State.CLOSED)
        if reopenable and code in ("complaint", "fault") and rng.random() < 0.06:
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
            yield from self.callbacks.live(rng, order, owner, self.clock)
            return WorkOrder.objects.get(pk=order.pk)
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


def _next_check() -> datetime | None:
    """The earliest moment a time-limit clock or a callback needs its monitor."""
    moments = [
        model.objects.filter(next_check_at__isnull=False).aggregate(m=Min("next_check_at"))["m"]
        for model in (SlaClock, CallbackTask)
    ]
    return min((m for m in moments if m is not None), default=None)


def _monitor_until(clock: SimulatedClock, until: datetime) -> None:
    """Run the real SLA and callback monitors at every moment one is due, up to `until`."""
    last = None
    while True:
        due = _next_check()
        if due is None or due > until:
            return
        if last is not None and due <= last:
            due = last + timedelta(minutes=1)  # one the monitor put off: look again later
            if due > until:
                return
        clock.set(due)
        sla_monitor_pass(now=due)
        callbacks_monitor_pass(now=due)
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
