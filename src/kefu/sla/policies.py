"""Time-limit policies 时限标准: created and changed by administrators."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.sla.models import (
    SlaPolicy,
)

log = logging.getLogger(__name__)


# --- policies -----------------------------------------------------------------------------

POLICY_FIELDS = (
    "code",
    "name",
    "priority",
    "order_type",
    "business_line",
    "channel",
    "tiers",
    "first_contact_minutes",
    "first_contact_calendar",
    "resolution_minutes",
    "resolution_calendar",
    "reply_minutes",
    "reply_calendar",
    "warn_ratio",
    "escalation_minutes",
    "is_active",
    "note",
)


def _require_policy_admin(actor) -> None:
    if actor is None or not actor.has_perm("sla.change_slapolicy"):
        raise PermissionDenied()


def _save_policy(policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationFailed.for_fields({f: [_("Unknown field.")] for f in unknown})
    for field, value in data.items():
        setattr(policy, field, value)
    try:
        policy.full_clean()
    except ValidationError as exc:
        raise ValidationFailed.for_fields(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from None
    policy.save()
    return policy


@transaction.atomic
def sla_policy_create(*, actor, data: dict[str, Any]) -> SlaPolicy:
    """A new policy; it applies to orders taken in from now on."""
    _require_policy_admin(actor)
    return _save_policy(SlaPolicy(), data)


@transaction.atomic
def sla_policy_update(*, actor, policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    """Change a policy. Clocks already running keep the budget they started with: a time
    limit promised to a customer does not move because the rules changed."""
    _require_policy_admin(actor)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    return _save_policy(policy, data)
