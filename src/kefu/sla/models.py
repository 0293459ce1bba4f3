"""Time limits 时限 (SLA): the policies administrators configure and the clocks they start.

A policy says how long an order of a kind may take; a clock is one such time limit running
on one order. Clocks keep their own copy of budget, calendar and warning share, so editing
a policy changes new orders only — a running promise to a customer is not moved.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.calendars.selectors import CALENDAR_NAMES
from kefu.workorders.models import BusinessLine, Channel, WorkOrder, WorkOrderType

LADDER_STEPS = 3  # 1 handler, 2 unit supervisor, 3 parent unit (超时升级)


class CalendarName(models.TextChoices):
    ALWAYS = "24x7", _("24x7 (every minute counts)")  # 全天候
    # 工作时间
    CN_STANDARD = "cn-standard", _("Working hours (09-12, 13-18 on Chinese working days)")


assert tuple(CalendarName.values) == CALENDAR_NAMES  # one list of calendars, kept in calendars


class ClockKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")  # 首次联系
    RESOLUTION = "resolution", _("Resolution")  # 处理时限
    REPLY = "reply", _("Reply to customer")  # 回复时限


# What notifications call each clock's limit: a first-contact breach is no 处理时限.
LIMIT_NAMES = {
    ClockKind.FIRST_CONTACT: _("first-contact time limit"),  # 首次联系时限
    ClockKind.RESOLUTION: _("resolution time limit"),  # 处理时限
    ClockKind.REPLY: _("reply time limit"),  # 回复时限
}


class ClockState(models.TextChoices):
    """A clock's state. Pausing (挂起) is not a state: `paused_at` is set on a clock in any
    running state, so a breached clock stays breached while the order is suspended."""

    RUNNING = "running", pgettext_lazy("time limit", "Running")  # 计时中
    WARNING = "warning", _("Warning")  # 预警
    BREACHED = "breached", _("Breached")  # 已超时
    NO_CALENDAR = "no_calendar", _("Calendar missing")  # 日历缺失: no deadline computable
    MET = "met", _("Met")  # 按时完成
    LATE = "late", _("Met late")  # 超时完成
    CANCELLED = "cancelled", _("Cancelled")  # 已撤销 (order cancelled or merged)
    STOPPED = "stopped", _("Stopped without deadline")  # 停止 (calendar never available)


ACTIVE_STATES = (
    ClockState.RUNNING,
    ClockState.WARNING,
    ClockState.BREACHED,
    ClockState.NO_CALENDAR,
)


class SlaPolicy(models.Model):
    """时限策略: which orders it applies to and how long each clock may run.

    Matching: active policies by ascending priority; the first whose criteria all match an
    order wins. Blank criteria match anything (type, business line, channel; an empty tier
    list matches every tier and orders without a customer). A blank number of minutes
    means the policy starts no such clock.
    """

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable key; the seeded defaults use it to recognise themselves."),
    )
    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    order_type = models.ForeignKey(
        WorkOrderType, verbose_name=_("type"), null=True, blank=True, on_delete=models.CASCADE
    )
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    tiers = models.JSONField(
        _("customer tiers"),
        default=list,
        blank=True,
        help_text=_('e.g. ["diamond", "gold", "1A", "2A"]; empty: every tier.'),
    )
    first_contact_minutes = models.PositiveIntegerField(
        _("first contact (minutes)"), null=True, blank=True
    )
    first_contact_calendar = models.CharField(
        _("first contact calendar"),
        max_length=16,
        choices=CalendarName.choices,
        default=CalendarName.ALWAYS,
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), null=True, blank=True
    )
    resolution_calendar = models.CharField(
        _("resolution calendar"),
        max_length=16,
        choices=CalendarName.choices,
        default=CalendarName.CN_STANDARD,
    )
    reply_minutes = models.PositiveIntegerField(_("reply (minutes)"), null=True, blank=True)
    reply_calendar = models.CharField(
        _("reply calendar"),
        max_length=16,
        choices=CalendarName.choices,
        default=CalendarName.CN_STANDARD,
    )
    warn_ratio = models.FloatField(
        _("warning at share elapsed"),
        default=0.8,
        # 事前预警
        help_text=_("Warn in advance when this share of the time limit has passed (0.8 = 80 %)."),
    )
    escalation_minutes = models.PositiveIntegerField(
        _("minutes between escalation steps"),
        default=60,
        help_text=_(
            "After a breach the handler is told at once, the unit's supervisors this many "
            "minutes later, the parent unit's supervisors as much again (on the clock's "
            "calendar)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("source / note"), max_length=300, blank=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not 0 < (self.warn_ratio or 0) < 1:
            errors["warn_ratio"] = _("Enter a share between 0 and 1, e.g. 0.8.")
        if not isinstance(self.tiers, list) or not all(
            isinstance(t, str) and t for t in self.tiers
        ):
            errors["tiers"] = _("Enter a list of tier codes, or leave empty.")
        else:
            from kefu.customers.models import ServiceTier

            unknown = [t for t in self.tiers if t not in ServiceTier.values]
            if unknown:
                errors["tiers"] = _("Unknown tiers: %(tiers)s") % {"tiers": ", ".join(unknown)}
        for kind in ClockKind.values:
            if getattr(self, f"{kind}_minutes", None) == 0:
                errors[f"{kind}_minutes"] = _("Enter at least one minute, or leave blank.")
        if errors:
            raise ValidationError(errors)

    def minutes_for(self, kind: str) -> int | None:
        return getattr(self, f"{kind}_minutes")

    def calendar_for(self, kind: str) -> str:
        return getattr(self, f"{kind}_calendar")


class SlaClock(models.Model):
    """One time limit running on one order (first contact, resolution or reply).

    `next_check_at` is when the monitor must look at the clock next (warning time, due
    time, next escalation step, or a retry of a missing calendar); it is NULL once nothing
    can happen without a user's action (stopped, paused, top of the ladder). The monitor
    reads only rows with `next_check_at <= now`, through a partial index that leaves out
    the NULLs — the closed history of millions of orders is never scanned.
    """

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="sla_clocks"
    )
    kind = models.CharField(_("clock"), max_length=16, choices=ClockKind.choices)
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clocks",
    )
    calendar = models.CharField(_("calendar"), max_length=16, choices=CalendarName.choices)
    budget_minutes = models.PositiveIntegerField(_("time limit (minutes)"))
    warn_ratio = models.FloatField(_("warning at share elapsed"), default=0.8)
    escalation_minutes = models.PositiveIntegerField(_("minutes between escalation steps"))
    state = models.CharField(
        _("state"), max_length=12, choices=ClockState.choices, default=ClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    # Every suspension as [paused ISO time, resumed ISO time]: the due time is the start plus
    # the budget, pushed back by the working time inside each pause; kept so a deadline
    # that could not be computed at first (calendar missing) is computed exactly later.
    pauses = models.JSONField(_("pauses"), default=list, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    next_step_at = models.DateTimeField(_("next escalation step"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    problem = models.CharField(_("problem"), max_length=200, blank=True)
    # 暂定: due/warning times counted on weekends only because a year they run into has no
    # holiday data; they drive warnings and escalation until the year is imported.
    provisional = models.BooleanField(_("provisional"), default=False)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("time-limit clock")
        verbose_name_plural = _("time-limit clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(stopped_at__isnull=True),
                name="sla_one_live_clock_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="sla_clock_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.state}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_live(self) -> bool:
        return self.stopped_at is None
