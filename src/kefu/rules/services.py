"""Every edit of routing rules and reference data, each written to the audit log.

Keyword-only, one transaction each. Each service checks the permission, validates the
content (a dispatch rule's area and target unit inside the editor's reach), saves with
`.save()` — so the per-process reference caches (kefu.core.refcache) drop their copy at
once — and writes one RuleChange with the row's fields before and after.

Who may do what:
- dispatch rules: `rules.manage_dispatch_rules`, only for rules whose area and target
  are inside the editor's reach (`unit_in_reach`); a rule for every area (no area) only
  with an all-units scope;
- work-order types, business lines, categories, notification templates:
  `rules.manage_reference_data` (the same rows serve every unit);
- time-limit policies: `sla.change_slapolicy`, checked by kefu.sla.policies.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from kefu.complaints.models import ComplaintSettings
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.customers.models import ServiceTier
from kefu.notify.models import NotificationTemplate
from kefu.org.scope import scope_for
from kefu.rules.models import ChangeAction, RuleChange
from kefu.sla import policies as sla_policies
from kefu.sla.models import SlaPolicy
from kefu.workorders.capacity import OUTSIDE_SCOPE, unit_in_reach
from kefu.workorders.models import (
    Assignment,
    BusinessLine,
    Category,
    DispatchRule,
    WorkOrderType,
)

MANAGE_DISPATCH_RULES = "rules.manage_dispatch_rules"
MANAGE_REFERENCE_DATA = "rules.manage_reference_data"

# The fields a service accepts, per model; anything else is refused by name.
DISPATCH_RULE_FIELDS = (
    "name",
    "priority",
    "order_type",
    "business_line",
    "area",
    "tiers",
    "target_unit",
    "assignment",
    "skill",
    "is_active",
)
REFERENCE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    WorkOrderType: (
        "code",
        "name",
        "is_complaint",
        "is_fault",
        "is_internal",
        "needs_callback",
        "is_active",
        "sort",
    ),
    BusinessLine: ("code", "name", "is_active", "sort"),
    Category: ("kind", "code", "name", "parent", "is_active"),
}
TEMPLATE_FIELDS = ("name", "subject", "body", "is_active")
# Codes are what callers (API clients, the notify calls) name a row by: fixed once made.
_FIXED_AFTER_CREATE = ("code", "kind")


# --- the audit record ---


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row's fields as JSON: plain values as they are, a foreign key as {id, name}."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            pk = getattr(obj, field.attname)
            out[field.name] = (
                None if pk is None else {"id": pk, "name": str(getattr(obj, field.name))}
            )
        else:
            out[field.name] = field.value_from_object(obj)
    return out


def _record(actor, obj: models.Model, action: str, before: dict | None) -> RuleChange:
    change = RuleChange(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        before=before,
        after=snapshot(obj),
    )
    change.save()
    return change


def _update_action(before: dict, obj: models.Model) -> str:
    was, now = before.get("is_active"), getattr(obj, "is_active", None)
    if was and now is False:
        return ChangeAction.DEACTIVATE
    if was is False and now:
        return ChangeAction.REACTIVATE
    return ChangeAction.UPDATE


def _require(actor, perm: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDenied()


def _refuse_unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed.for_fields({f: [_("Unknown field.")] for f in unknown})


def _clean_and_save(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ValidationFailed.for_fields(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from None
    obj.save()


# --- dispatch rules 派单规则 ---


def dispatch_rule_in_reach(actor, rule: DispatchRule) -> bool:
    """Whether `actor` may see the rule: its area or its target unit is in their reach."""
    if scope_for(actor).sees_all:
        return True
    units = [u for u in (rule.area, rule.target_unit) if u is not None]
    return any(unit_in_reach(actor, u) for u in units)


def _check_dispatch_rule(actor, rule: DispatchRule) -> None:
    errors: dict[str, list[str]] = {}
    if rule.area_id is None:
        if not scope_for(actor).sees_all:
            errors["area"] = [_("Choose an area: a rule for every area needs an all-units scope.")]
    elif not unit_in_reach(actor, rule.area):
        errors["area"] = [str(OUTSIDE_SCOPE)]
    if rule.target_unit_id is not None:
        if not unit_in_reach(actor, rule.target_unit):
            errors["target_unit"] = [str(OUTSIDE_SCOPE)]
        elif not rule.target_unit.is_active:
            errors["target_unit"] = [_("This unit is inactive.")]
    tiers = rule.tiers
    valid = set(ServiceTier.values)
    if not isinstance(tiers, list) or not all(isinstance(t, str) and t in valid for t in tiers):
        errors["tiers"] = [_("Choose customer tiers from the list, or none for every tier.")]
    elif len(set(tiers)) != len(tiers):
        rule.tiers = list(dict.fromkeys(tiers))
    if rule.assignment == Assignment.SKILL and not rule.skill.strip():
        errors["skill"] = [_("Name the skill to assign by.")]
    if errors:
        raise ValidationFailed.for_fields(errors)


def _apply(rule: DispatchRule, data: dict[str, Any]) -> None:
    _refuse_unknown(data, DISPATCH_RULE_FIELDS)
    for field, value in data.items():
        setattr(rule, field, value)
    if rule.assignment != Assignment.SKILL:
        rule.skill = ""


@transaction.atomic
def dispatch_rule_create(*, actor, data: dict[str, Any]) -> DispatchRule:
    """A new dispatch rule; it routes orders taken in from now on."""
    _require(actor, MANAGE_DISPATCH_RULES)
    rule = DispatchRule()
    _apply(rule, data)
    _check_dispatch_rule(actor, rule)
    _clean_and_save(rule)
    _record(actor, rule, ChangeAction.CREATE, None)
    return rule


def _locked_rule(actor, rule: DispatchRule) -> DispatchRule:
    locked = (
        DispatchRule.objects.select_for_update(of=("self",))
        .select_related("area", "target_unit", "order_type", "business_line")
        .filter(pk=rule.pk)
        .first()
    )
    if locked is None or not dispatch_rule_in_reach(actor, locked):
        raise NotFound()
    return locked


@transaction.atomic
def dispatch_rule_update(*, actor, rule: DispatchRule, data: dict[str, Any]) -> DispatchRule:
    """Change a rule. Orders already routed keep their unit; new orders follow the rule.
    The changed rule must still lie inside the editor's reach."""
    _require(actor, MANAGE_DISPATCH_RULES)
    rule = _locked_rule(actor, rule)
    before = snapshot(rule)
    _apply(rule, data)
    _check_dispatch_rule(actor, rule)
    _clean_and_save(rule)
    _record(actor, rule, _update_action(before, rule), before)
    return rule


@transaction.atomic
def dispatch_rule_set_active(*, actor, rule: DispatchRule, active: bool) -> DispatchRule:
    """Deactivate (停用) or reactivate a rule; a deactivated rule routes nothing."""
    _require(actor, MANAGE_DISPATCH_RULES)
    rule = _locked_rule(actor, rule)
    if rule.is_active == active:
        return rule
    before = snapshot(rule)
    rule.is_active = active
    rule.save(update_fields=["is_active"])
    _record(actor, rule, _update_action(before, rule), before)
    return rule


# --- work-order types, business lines, categories ---


def _check_category(category: Category) -> None:
    parent = category.parent
    if parent is None:
        return
    if parent.kind != category.kind:
        raise ValidationFailed.for_fields(
            {"parent": [_("The parent must be a category of the same kind.")]}
        )
    node, seen = parent, set()
    while node is not None and node.pk not in seen:
        if category.pk is not None and node.pk == category.pk:
            raise ValidationFailed.for_fields(
                {"parent": [_("A category cannot sit below itself.")]}
            )
        seen.add(node.pk)
        node = node.parent


def _reference_model(obj_or_model) -> type[models.Model]:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    if model not in REFERENCE_FIELDS:
        raise ValueError(f"{model.__name__} is not reference data")
    return model


@transaction.atomic
def reference_create(*, actor, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    """A new work-order type, business line or category (问题分类/原因分类)."""
    _require(actor, MANAGE_REFERENCE_DATA)
    fields = REFERENCE_FIELDS[_reference_model(model)]
    _refuse_unknown(data, fields)
    obj = model(**data)
    if isinstance(obj, Category):
        _check_category(obj)
    _clean_and_save(obj)
    _record(actor, obj, ChangeAction.CREATE, None)
    return obj


@transaction.atomic
def reference_update(*, actor, obj: models.Model, data: dict[str, Any]) -> models.Model:
    """Change a reference row. Its code (and a category's kind) stay as created: API
    clients and stored orders name them by it."""
    _require(actor, MANAGE_REFERENCE_DATA)
    model = _reference_model(obj)
    fields = REFERENCE_FIELDS[model]
    _refuse_unknown(data, fields)
    obj = model.objects.select_for_update().get(pk=obj.pk)
    fixed = {
        f: [_("This cannot be changed once created.")]
        for f in _FIXED_AFTER_CREATE
        if f in data and data[f] != getattr(obj, f)
    }
    if fixed:
        raise ValidationFailed.for_fields(fixed)
    before = snapshot(obj)
    for field, value in data.items():
        setattr(obj, field, value)
    if isinstance(obj, Category):
        _check_category(obj)
    _clean_and_save(obj)
    _record(actor, obj, _update_action(before, obj), before)
    return obj


# --- time-limit policies 时限策略 ---


@transaction.atomic
def sla_policy_create(*, actor, data: dict[str, Any]) -> SlaPolicy:
    """kefu.sla.policies.sla_policy_create, audited."""
    policy = sla_policies.sla_policy_create(actor=actor, data=data)
    _record(actor, policy, ChangeAction.CREATE, None)
    return policy


@transaction.atomic
def sla_policy_update(*, actor, policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    """kefu.sla.policies.sla_policy_update, audited (running clocks keep their budget)."""
    current = SlaPolicy.objects.select_for_update().filter(pk=policy.pk).first()
    if current is None:
        raise NotFound()
    before = snapshot(current)
    policy = sla_policies.sla_policy_update(actor=actor, policy=current, data=data)
    _record(actor, policy, _update_action(before, policy), before)
    return policy


# --- notification templates 通知模板 ---


@transaction.atomic
def notification_template_update(
    *, actor, template: NotificationTemplate, data: dict[str, Any]
) -> NotificationTemplate:
    """Change a template's name, subject, body or active flag (its code stays: callers
    name it). A syntax error is refused here, not later inside a work-order transaction."""
    _require(actor, MANAGE_REFERENCE_DATA)
    _refuse_unknown(data, TEMPLATE_FIELDS)
    template = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(template)
    for field, value in data.items():
        setattr(template, field, value)
    _clean_and_save(template)
    _record(actor, template, _update_action(before, template), before)
    return template


# --- complaint intelligence 投诉研判 ---

COMPLAINT_SETTINGS_FIELDS = ("repeat_window_days", "batch_threshold", "batch_window_hours")


@transaction.atomic
def complaint_settings_update(*, actor, data: dict[str, Any]) -> ComplaintSettings:
    """The repeat-complaint window and the batch-alert threshold and window (one row,
    made on the first save). New complaints are judged by them from the next intake on;
    complaints already taken in keep their flags."""
    _require(actor, MANAGE_REFERENCE_DATA)
    _refuse_unknown(data, COMPLAINT_SETTINGS_FIELDS)
    current = ComplaintSettings.objects.select_for_update().order_by("pk").first()
    if current is None:
        current = ComplaintSettings.objects.create()
    before = snapshot(current)
    for field, value in data.items():
        setattr(current, field, value)
    _clean_and_save(current)
    _record(actor, current, _update_action(before, current), before)
    return current
