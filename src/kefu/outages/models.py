"""Incidents: mass outages 大面积故障 and complaint batch alerts 批量投诉预警.

Both are events that affect many customers of one area at once. An outage is registered
by the field side so the hotline can tell callers the cause and the repair deadline
(001:536-540); a batch alert is raised by the complaint intake when one category piles up
in one county (002:15, the trigger for a process walk-through 流程穿越).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.refcache import ProcessCached
from kefu.org.models import OrgUnit


class IncidentSettings(models.Model):
    """The tunable numbers of complaint intelligence and outage reports (one row).

    A table rather than KEFU_* environment settings: these are business parameters that
    the service-quality office changes by season (a 7-day repeat window during a campaign,
    a lower batch threshold in a small county) without a deployment, every web node and
    worker reads the same row at once, and the admin log records who changed them.
    """

    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat-complaint window (days)"),
        default=30,
        help_text=_(
            "A complaint is a repeat complaint when the same customer complained in the same "
            "problem category within this many days."
        ),
    )
    batch_threshold = models.PositiveSmallIntegerField(
        _("batch-alert threshold (complaints)"),
        default=5,
        help_text=_("Complaints of one category in one county that raise a batch alert."),
    )
    batch_window_hours = models.PositiveSmallIntegerField(
        _("batch-alert window (hours)"), default=24
    )
    report_due_days = models.PositiveSmallIntegerField(
        _("fault-analysis report due (days after restore)"), default=3
    )

    class Meta:
        verbose_name = _("complaint and outage settings")
        verbose_name_plural = _("complaint and outage settings")

    def __str__(self) -> str:
        return str(_("Complaint and outage settings"))

    @classmethod
    def current(cls) -> IncidentSettings:
        """The saved row, or the defaults while an administrator has saved none (per
        process, see kefu.core.refcache: every complaint intake reads it). Read only."""
        return _current_settings()


def _load_settings() -> IncidentSettings:
    return IncidentSettings.objects.order_by("pk").first() or IncidentSettings()


_current_settings = ProcessCached(_load_settings, models=(IncidentSettings,))


class OutageStatus(models.TextChoices):
    # Context "outage": a work order's "Closed" is 已归档, an outage's is 已关闭.
    ACTIVE = "active", pgettext_lazy("outage", "Active")  # 抢修中
    RESTORED = "restored", pgettext_lazy("outage", "Restored")  # 已恢复
    CLOSED = "closed", pgettext_lazy("outage", "Closed")  # 已关闭


class Outage(models.Model):
    """A mass outage 大面积故障 (network cutover 割接, cable cut, natural disaster).

    `areas` are the org units whose customers are affected, each with its whole subtree.
    A major outage (重大故障) needs a fault-analysis report 故障分析报告 after restore
    (001:434) before it can be closed.
    """

    title = models.CharField(_("title"), max_length=200)
    business_line = models.ForeignKey(
        "workorders.BusinessLine",
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every business line of the areas."),
    )
    areas = models.ManyToManyField(OrgUnit, verbose_name=_("affected areas"), related_name="+")
    cause = models.TextField(_("outage cause"))
    started_at = models.DateTimeField(_("started at"))
    expected_restore_at = models.DateTimeField(_("expected restore"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    restore_note = models.TextField(_("restore note"), blank=True)
    is_major = models.BooleanField(_("major outage"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=OutageStatus.choices, default=OutageStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("restored by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(pgettext_lazy("outage", "closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("outage", "closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Fault-analysis report 故障分析报告 (001:434): cause, lessons, improvements, prevention.
    report_cause = models.TextField(_("cause analysis"), blank=True)
    report_lessons = models.TextField(_("lessons learned"), blank=True)
    report_improvements = models.TextField(_("improvements"), blank=True)
    report_prevention = models.TextField(_("preventive measures"), blank=True)
    report_submitted_at = models.DateTimeField(_("report submitted at"), null=True, blank=True)
    report_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("report submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("mass outage")
        verbose_name_plural = _("mass outages")
        indexes = [models.Index(fields=["status", "-started_at"], name="outage_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def report_required(self) -> bool:
        """A major outage that is restored and still lacks its fault-analysis report."""
        return (
            self.is_major
            and self.status == OutageStatus.RESTORED
            and self.report_submitted_at is None
        )

    def report_due_at(self, days: int):
        return self.restored_at + timedelta(days=days) if self.restored_at else None


class OutageLink(models.Model):
    """A fault report 故障申告 linked to the outage that explains it (one outage per order)."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="links")
    work_order = models.OneToOneField(
        "workorders.WorkOrder",
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="outage_link",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    customer_notified = models.BooleanField(_("customer notified"), default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("linked fault report")
        verbose_name_plural = _("linked fault reports")
        indexes = [models.Index(fields=["outage", "-id"], name="outage_link_outage")]

    def __str__(self) -> str:
        return f"{self.outage_id} ← {self.work_order_id}"


class ComplaintBatchAlert(models.Model):
    """批量投诉预警: N complaints of one problem category in one county within a window.

    Suggests a process walk-through 流程穿越 (002:15): a manager walks the whole process as a
    customer would to find the broken step. Raised once per batch: `bucket` numbers the
    window the alert was raised in, and the unique constraint keeps a race from raising two.
    """

    category = models.ForeignKey(
        "workorders.Category",
        verbose_name=_("problem category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        OrgUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    bucket = models.BigIntegerField(editable=False)
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    count = models.PositiveIntegerField(_("complaints"))
    last_complaint_at = models.DateTimeField(_("latest complaint"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    walkthrough_note = models.TextField(_("process walk-through note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint batch alert")
        verbose_name_plural = _("complaint batch alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area", "bucket"], name="batch_alert_once_per_window"
            )
        ]
        indexes = [
            models.Index(fields=["category", "area", "-window_end"], name="batch_alert_lookup"),
            models.Index(fields=["acknowledged_at", "-created_at"], name="batch_alert_open"),
        ]

    def __str__(self) -> str:
        return f"{self.area} / {self.category} × {self.count}"
