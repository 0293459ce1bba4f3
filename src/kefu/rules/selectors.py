"""Reads of the rule pages and API, narrowed to the viewer's data scope.

A dispatch rule is visible to a holder of `rules.manage_dispatch_rules` whose reach
(`unit_in_reach`: the data scope plus their own unit) covers the rule's area or its
target unit; any other rule answers 404, as if it did not exist. Reference data (types,
lines, categories, templates, time-limit policies) is the same for every unit.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from kefu.notify.models import NotificationTemplate
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.org.selectors import org_units_visible
from kefu.rules.models import RuleChange
from kefu.rules.services import (
    MANAGE_DISPATCH_RULES,
    MANAGE_REFERENCE_DATA,
    REFERENCE_FIELDS,
)
from kefu.workorders.capacity import actor_unit, unit_in_reach
from kefu.workorders.models import Category, DispatchRule

CHANGE_READ_PERMS = (MANAGE_DISPATCH_RULES, MANAGE_REFERENCE_DATA, "sla.change_slapolicy")


def can_configure(user) -> bool:
    """Whether the user may open 规则配置 at all."""
    return any(user.has_perm(p) for p in CHANGE_READ_PERMS)


def _reach_q(viewer, field: str) -> Q:
    scope = scope_for(viewer)
    q = scope.q(unit_field=field, owner_field=None, user_id=viewer.pk)
    own = actor_unit(viewer)
    return q | Q(**{f"{field}_id": own.pk}) if own is not None else q


def dispatch_rules_visible(viewer) -> QuerySet[DispatchRule]:
    """Rules whose area or target unit is in the viewer's reach, in matching order."""
    rules = DispatchRule.objects.select_related(
        "order_type", "business_line", "area", "target_unit"
    ).order_by("priority", "id")
    if not viewer.has_perm(MANAGE_DISPATCH_RULES):
        return rules.none()
    if scope_for(viewer).sees_all:
        return rules
    return rules.filter(_reach_q(viewer, "area") | _reach_q(viewer, "target_unit"))


def dispatch_rule_visible(viewer, pk: int) -> DispatchRule | None:
    return dispatch_rules_visible(viewer).filter(pk=pk).first()


def units_in_reach(viewer) -> list[OrgUnit]:
    """Active units a dispatch rule of the viewer may name (area or target), tree order."""
    units = org_units_visible(viewer).only("pk", "name", "depth", "path", "is_active")
    return [u for u in units if u.is_active and unit_in_reach(viewer, u)]


def reference_rows(model) -> QuerySet:
    """Every row of a reference table, inactive ones too (the pages reactivate them)."""
    rows = model.objects.all()
    if model is Category:
        rows = rows.select_related("parent").order_by("kind", "code")
    return rows


def reference_row(model, pk: int):
    if model not in REFERENCE_FIELDS:
        return None
    return reference_rows(model).filter(pk=pk).first()


def notification_templates() -> QuerySet[NotificationTemplate]:
    return NotificationTemplate.objects.order_by("code")


def rule_changes_visible(viewer, *, model=None, object_id: int | None = None) -> QuerySet:
    """The audit log, newest first: every change to reference data, and the changes of
    the dispatch rules the viewer can see. Optionally of one object."""
    changes = RuleChange.objects.select_related("actor", "content_type")
    if not can_configure(viewer):
        return changes.none()
    if model is not None:
        changes = changes.filter(content_type=ContentType.objects.get_for_model(model))
        if object_id is not None:
            changes = changes.filter(object_id=object_id)
    if scope_for(viewer).sees_all:
        return changes
    rule_type = ContentType.objects.get_for_model(DispatchRule)
    rules = dispatch_rules_visible(viewer).values("pk")
    return changes.exclude(Q(content_type=rule_type) & ~Q(object_id__in=rules))
