"""Turning domain errors (KefuError) into HTTP responses and form errors, once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import render

from kefu.core.errors import KefuError, NotFound, PermissionDenied, ValidationFailed


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


def form_add_kefu_error(form: forms.Form, exc: KefuError) -> None:
    """Put a service's error into the form: one line per field, each naming its field."""
    errors = exc.extra.get("errors") if isinstance(exc, ValidationFailed) else None
    if errors:
        for field, messages in errors.items():
            for message in messages:
                form.add_error(None, f"{field}: {message}")
    else:
        form.add_error(None, str(exc.message))
