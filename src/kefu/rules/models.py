"""The audit log of rule and reference-data edits 规则变更记录.

One row per create, update, deactivate or reactivate of a dispatch rule, work-order type,
business line, category, time-limit policy or notification template: who, when, which
object, and the object's fields before and after as JSON. Written by kefu.rules.services
in the same transaction as the edit, never by a signal.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")  # 新建
    UPDATE = "update", _("Changed")  # 修改
    DEACTIVATE = "deactivate", _("Deactivated")  # 停用
    REACTIVATE = "reactivate", _("Reactivated")  # 启用


class RuleChange(models.Model):
    """One edit of a configuration row (规则变更)."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=12, choices=ChangeAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("rule change")
        verbose_name_plural = _("rule changes")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="rules_change_object")
        ]
        permissions = [
            # Dispatch rules whose area and target are in the holder's data scope.
            ("manage_dispatch_rules", _("Can manage dispatch rules in their data scope")),
            # Types, business lines, categories, notification templates: the same for all.
            ("manage_reference_data", _("Can manage work-order reference data")),
        ]

    def __str__(self) -> str:
        return f"{self.object_repr} · {self.get_action_display()}"

    @property
    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field whose value differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
