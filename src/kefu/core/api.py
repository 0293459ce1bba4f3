"""Shared REST API plumbing: pagination and the one place domain errors become HTTP."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kefu.core.errors import KefuError


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    if isinstance(exc, KefuError):
        return Response(
            {"code": exc.code, "message": str(exc.message), "extra": exc.extra},
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Response(
            {
                "code": "validation_failed",
                "message": "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()),
                "extra": {"errors": errors},
            },
            status=400,
        )
    return drf_exception_handler(exc, context)
