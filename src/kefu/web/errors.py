"""Turning domain errors (KefuError) into HTTP responses and form errors, once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from kefu.core.errors import (
    NON_FIELD_KEYS,
    KefuError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    field_label,
)


def http_errors(view: Callable) -> Callable:
    """NotFound → 404, PermissionDenied → 403, any other KefuError → its status and message."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise HttpForbidden(str(exc.message)) from None
        except KefuError as exc:
            context = {"message": exc.message, "code": exc.code}
            return render(request, "web/error.html", context, status=exc.status)

    return wrapper


def form_add_kefu_error(
    form: forms.Form, exc: KefuError, *, field_labels: Mapping[str, Any] | None = None
) -> None:
    """Put a service's error into the form: one line per field, each naming its field.

    With `field_labels` (form field name → the label services name it by, such as
    customers.validation.FIELD_LABELS), an error about a field the form has is shown at
    that field instead of above the form. Above the form, a field is named by its label
    (`kefu.core.errors.FIELD_LABELS`).
    """
    errors = exc.extra.get("errors") if isinstance(exc, ValidationFailed) else None
    if not errors:
        form.add_error(None, str(exc.message))
        return
    by_label = {
        str(label): name for name, label in (field_labels or {}).items() if name in form.fields
    }
    for field, messages in errors.items():
        name = by_label.get(field) or (field if field_labels and field in form.fields else None)
        for message in messages:
            if name is not None:
                form.add_error(name, message)
            elif field in NON_FIELD_KEYS:
                form.add_error(None, message)
            else:
                # Above the form, the field is named by its label (版本, 渠道), not its code.
                named = _("%(field)s: %(message)s") % {
                    "field": field_label(field),
                    "message": message,
                }
                form.add_error(None, named)
