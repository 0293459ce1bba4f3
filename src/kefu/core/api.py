"""Shared REST API plumbing: pagination and the one place domain errors become HTTP.

Every error response of the API has one shape, `{code, message, extra}`: domain errors
(KefuError) as the services raise them, and DRF's own errors (not authenticated, not found,
throttled, malformed input) reshaped here so clients and the OpenAPI schema see one format.
"""

from __future__ import annotations

import math
import threading
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from kefu.core.errors import KefuError, NotFound, ValidationFailed

MAX_PK = 2**63 - 1  # BigAutoField; larger values would overflow the database integer


class LabelField(serializers.CharField):
    """The translated label of a choices field, e.g. tier "gold" → "金卡".

    Reads the stored value and looks the label up in a dict. DRF's usual
    `source="get_tier_display"` inspects the bound method's signature for every value,
    which was half the time of a 50-row customer page.
    """

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        label = self.labels.get(value, value)
        return str(label) if label is not None else ""


class ReusedFieldsMixin:
    """Build a read-only serializer's fields once per class and thread, not per instance.

    DRF builds a ModelSerializer's fields anew for every instance, by model introspection:
    for the 70-field order detail with its timeline that was 40 % of a create request.
    The fields are re-parented to each new instance (so `context` and method fields
    resolve to it) and keep no other state between uses. Per thread, because a field
    object can belong to one serializer at a time.
    """

    _reused = threading.local()

    @cached_property
    def fields(self):
        built = self._reused.__dict__.setdefault("fields", {})
        fields = built.get(type(self))
        if fields is None:
            fields = built[type(self)] = super().fields
        else:
            fields.serializer = self
            for field in fields.values():
                field.parent = self
        return fields


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def require_perms(*perms: str) -> type[permissions.BasePermission]:
    """A DRF permission class: authenticated and holding every one of `perms`.

    This only guards the endpoint; which rows the user sees is still the selector's job.
    """

    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    HasPerms.__name__ = f"HasPerms({', '.join(perms)})"
    return HasPerms


def pk_or_404(value: object) -> int:
    """A primary key from the URL, or NotFound: "abc", "-1" or 2**70 name no record."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_PK:
        raise NotFound()
    return int(text)


def exception_handler(exc, context):
    if isinstance(exc, KefuError):
        return Response(
            {"code": exc.code, "message": str(exc.message), "extra": exc.extra},
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        failed = ValidationFailed.for_fields(errors)
        return Response(
            {"code": failed.code, "message": str(failed.message), "extra": failed.extra},
            status=400,
        )
    if isinstance(exc, (OverflowError, DataError)):
        # A number beyond the database's integer range (2**70 as an id or filter) that a
        # field let through: the input is at fault, not the server. Nothing was written,
        # since every service runs in one transaction.
        set_rollback()
        failed = ValidationFailed(_("A number in the request is out of range."))
        return Response(
            {"code": failed.code, "message": str(failed.message), "extra": failed.extra},
            status=400,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _error_body(exc, response.data)
    return response


def error_json(*, code: str, message: str, status: int, extra: dict | None = None):
    """An error in the API's shape outside DRF (URL resolution, the 404 handler)."""
    return JsonResponse(
        {"code": code, "message": message, "extra": extra or {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def page_not_found(request, exception=None):
    """The site's 404 handler: JSON in the error shape under /api/, Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return error_json(code="not_found", message=str(NotFound.default_message), status=404)
    return defaults.page_not_found(request, exception)


def format_suffix_refused(request, *args, **kwargs):
    """URLs ending in .json/.api/…: the API picks its format from the Accept header only.

    DRF's format-suffix routes passed `format` on to every view method, and views that take
    named arguments (actions, retrieve) failed with a server error on it.
    """
    return error_json(
        code="format_suffix",
        message=_("Format suffixes such as .json are not supported; use the Accept header."),
        status=400,
    )


def _error_body(exc, data) -> dict:
    """DRF's error payloads ({"detail": …} or per-field lists) as {code, message, extra}."""
    if isinstance(exc, exceptions.ValidationError):
        failed = ValidationFailed.for_fields(flatten_errors(data))
        return {"code": failed.code, "message": str(failed.message), "extra": failed.extra}
    detail = data.get("detail", "") if isinstance(data, dict) else data
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["wait_seconds"] = math.ceil(exc.wait)
    return {
        "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
        "message": str(detail),
        "extra": extra,
    }


def flatten_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """Nested DRF error details as {"products[0].kind": ["…"]}; top-level lists as __all__."""
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(key, int):  # ListField / DictField errors are keyed by index
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors":
                name = f"{prefix}.__all__" if prefix else "__all__"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, name))
        return out
    if isinstance(data, list) and any(isinstance(item, (dict, list)) for item in data):
        out = {}
        for index, item in enumerate(data):
            if item:
                out.update(flatten_errors(item, f"{prefix}[{index}]"))
        return out
    messages = data if isinstance(data, list) else [data]
    return {prefix or "__all__": [str(m) for m in messages]}


def validated(serializer: serializers.Serializer) -> dict:
    """The serializer's validated data, or ValidationFailed naming each field."""
    if not serializer.is_valid():
        raise ValidationFailed.for_fields(flatten_errors(serializer.errors))
    return dict(serializer.validated_data)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text="Stable English error code, e.g. not_found.")
    message = serializers.CharField(help_text="Translated message naming the field at fault.")
    extra = serializers.DictField(
        help_text='Details; validation errors carry {"errors": {field: [messages]}}.'
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid input (code validation_failed, identity_check_failed …).",
    401: "Not authenticated.",
    403: "Not authenticated, or missing the permission.",
    404: "Not found, or outside your data scope.",
    409: "Conflict: the record changed since you read it (code conflict).",
    429: "Too many requests; extra.wait_seconds says how long to wait.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, all with the ErrorSerializer body."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS[status])
        for status in statuses
    }
