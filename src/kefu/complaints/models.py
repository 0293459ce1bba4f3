"""Complaint intelligence 投诉研判: its settings and the batch alerts 批量投诉预警 it raises.

A batch alert is raised by the complaint intake when one problem category piles up in one
county (002:15, the trigger for a process walk-through 流程穿越). Repeat 重复投诉 and
escalated 越级投诉 complaints are flags on the work order itself (`is_repeat`,
`is_escalated`); only the repeat window is configured here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.refcache import ProcessCached
from kefu.org.models import OrgUnit


class ComplaintSettings(models.Model):
    """The tunable numbers of complaint intelligence (one row).

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

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return str(_("Complaint settings"))

    @classmethod
    def current(cls) -> ComplaintSettings:
        """The saved row, or the defaults while an administrator has saved none (per
        process, see kefu.core.refcache: every complaint intake reads it). Read only."""
        return _current_settings()


def _load_settings() -> ComplaintSettings:
    return ComplaintSettings.objects.order_by("pk").first() or ComplaintSettings()


_current_settings = ProcessCached(_load_settings, models=(ComplaintSettings,))


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
