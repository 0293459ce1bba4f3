"""Domain errors. Services raise these; the API and the views render them once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _


class KefuError(Exception):
    """Base of every error a user may see. `code` is stable English, `message` translated."""

    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, extra: dict[str, Any] | None = None):
        self.message = message if message is not None else self.default_message
        self.extra = extra or {}
        super().__init__(str(self.message))


# The labels users know the fields by, keyed by the field code that services, the API and
# `extra["errors"]` use. A message names a field by its label in the active language
# (版本, 渠道, 处理人), never by its code; a code with no label here is shown as it is.
# The msgids are the forms' and models' own labels, so each has one translation.
FIELD_LABELS: dict[str, Any] = {
    # work-order intake and correction
    "order_type": _("Type"),
    "business_line": _("Business line"),
    "category": _("Problem category"),
    "channel": _("Channel"),
    "source": _("Complaint source"),
    "title": _("Title"),
    "description": _("Description"),
    "customer": _("Customer"),
    "area_unit": _("Area"),
    "area": _("Area"),
    "caller_phone": _("Caller number"),
    "contact_name": _("Contact name"),
    # work-order actions
    "version": _("Version"),
    "unit": _("Unit"),
    "handling_unit": _("Handling unit"),
    "handler": _("Handler"),
    "reason": _("Reason"),
    "note": _("Note"),
    "resolution": _("Resolution"),
    "reply": _("Reply to the customer"),
    "cause": _("Cause"),
    "justified": _("Complaint justified?"),
    "remedy": _("Remedy claimed"),
    "responsible_unit": _("Responsible unit"),
    "responsible_person": _("Responsible person"),
    "target": _("Other work-order number"),
    "units": _("Co-handling units"),
    "part": _("What your unit did"),
    "hand_to": _("Hand open orders to"),
    "status": _("Status"),
    "queue": _("Queue"),
    # elsewhere
    "org_unit": _("Org unit"),
    "parent": _("Parent unit"),
    "scope": _("Data scope"),
    "caller": _("Caller number"),
    "areas": _("Affected areas"),
    "expected_restore_at": _("Expected restore"),
    "order": _("Work order"),
    "year": _("Year"),
}

# Keys that stand for the whole input rather than one field: their messages carry no label.
NON_FIELD_KEYS = frozenset({"__all__", "non_field_errors"})


def field_label(field: str, labels: Mapping[str, Any] | None = None) -> str:
    """The label a user knows `field` by, in the active language (the code if none)."""
    label = (labels or {}).get(field) or FIELD_LABELS.get(field)
    return str(label) if label is not None else field


class ValidationFailed(KefuError):
    """Bad input. `extra["errors"]` maps field names to lists of messages."""

    code = "validation_failed"
    default_message = _("Some fields are invalid.")

    @classmethod
    def for_fields(
        cls, errors: dict[str, list[str]], *, labels: Mapping[str, Any] | None = None
    ) -> ValidationFailed:
        """`errors` keyed by field code (kept so in `extra["errors"]` for API clients); the
        message names each field by its label (`labels`, else FIELD_LABELS)."""
        parts = []
        for field, msgs in errors.items():
            text = "; ".join(str(m) for m in msgs)
            if field not in NON_FIELD_KEYS:
                text = _("%(field)s: %(message)s") % {
                    "field": field_label(field, labels),
                    "message": text,
                }
            parts.append(str(text))
        return cls(
            "；".join(parts), extra={"errors": {k: [str(m) for m in v] for k, v in errors.items()}}
        )


class PermissionDenied(KefuError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(KefuError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(KefuError):
    code = "conflict"
    status = 409
    default_message = _("The record was changed by someone else; reload and try again.")


class IdentityCheckFailed(KefuError):
    code = "identity_check_failed"
    default_message = _("Identity check failed.")


class TooManyIdentityChecks(KefuError):
    """Too many failed identity checks on one customer: the check is not even made."""

    code = "too_many_identity_checks"
    status = 429
    default_message = _(
        "Too many failed identity checks for this customer. Try again later; "
        "a supervisor can see the attempts in the access log."
    )
