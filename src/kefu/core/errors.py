"""Domain errors. Services raise these; the API and the views render them once."""

from __future__ import annotations

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


class ValidationFailed(KefuError):
    """Bad input. `extra["errors"]` maps field names to lists of messages."""

    code = "validation_failed"
    default_message = _("Some fields are invalid.")

    @classmethod
    def for_fields(cls, errors: dict[str, list[str]]) -> ValidationFailed:
        parts = [f"{field}: {'; '.join(str(m) for m in msgs)}" for field, msgs in errors.items()]
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
