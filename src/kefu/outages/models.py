"""Mass outages 大面积故障: events that affect many customers of one area at once.

An outage is registered by the field side so the hotline can tell callers the cause and
the repair deadline (001:536-540). Complaint batch alerts 批量投诉预警, the complaint side
of the same kind of event, belong to complaint intelligence (kefu.complaints).
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
    """The tunable numbers of outages (one row): when a fault-analysis report is due.

    A table rather than a KEFU_* environment setting, like the complaint settings
    (kefu.complaints.models.ComplaintSettings): a business parameter edited in the admin,
    read by every node at once, its changes in the admin log.
    """

    report_due_days = models.PositiveSmallIntegerField(
        _("fault-analysis report due (days after restore)"), default=3
    )

    class Meta:
        verbose_name = _("outage settings")
        verbose_name_plural = _("outage settings")

    def __str__(self) -> str:
        return str(_("Outage settings"))

    @classmethod
    def current(cls) -> IncidentSettings:
        """The saved row, or the defaults while an administrator has saved none (per
        process, see kefu.core.refcache). Read only."""
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
