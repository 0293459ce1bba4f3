"""Idempotent API writes (幂等写入): the `Idempotency-Key` request header.

A client that may send a write twice (a timeout, a dropped connection, a double click, a
queue that redelivers) sends `Idempotency-Key: <1–100 printable ASCII characters>`. The
first request with a key, per user, runs; its status and JSON body are stored in the same
database transaction as the write itself. Every retry with that key gets the stored
answer, with `Idempotent-Replayed: true`, and writes nothing.

Usage, on a DRF viewset method (`create` or an `@action`), innermost:

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={201: OrderSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def escalate(self, request, pk): ...

Requests without the header run exactly as before. With it, the view runs inside one
transaction (services nest in it as savepoints; their on_commit hooks wait for it).

The stored body is kept for a day (by default): do not put this on an endpoint whose
response carries personal data in clear (customers' `reveal`), which should not be kept.

Decisions:
- Only 2xx outcomes are stored. A request that fails leaves no record and its retry runs
  afresh: a 400 is usually corrected and resent, a 409 or a 5xx may succeed next time.
  When the view raises, everything it wrote rolls back together with the record; when it
  returns an error response, what it wrote stays (as it would without the header) and only
  the record is dropped.
- A key belongs to a user, not to an endpoint: the same key with another method, path or
  body is a client bug and gets 422 `idempotency_key_reused`.
- Concurrency: the record is inserted first in the transaction, before the view runs. On
  PostgreSQL a second request with the key blocks on the unique (user, key) index until
  the first commits, then fails to insert and replays the stored answer (or, if the first
  rolled back, inserts and runs). On SQLite every write transaction starts with BEGIN
  IMMEDIATE (settings), so the second waits before its first statement and then finds the
  record. Where a database answers at once instead of waiting, the retry gets 409
  `idempotency_in_progress` and should try again shortly.
- Records are kept KEFU_IDEMPOTENCY_TTL_HOURS (24) hours; after that the key is free again.
  `purge_expired()` deletes them (hourly task in kefu.core.tasks).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.core.api import ErrorSerializer
from kefu.core.errors import KefuError, ValidationFailed
from kefu.core.models import IdempotencyRecord

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 100
_KEY = re.compile(rf"[\x20-\x7e]{{1,{KEY_MAX_LENGTH}}}")
_PURGE_BATCH = 5000


class IdempotencyKeyReused(KefuError):
    code = "idempotency_key_reused"
    status = 422
    default_message = _(
        "This Idempotency-Key was already used for a different request; "
        "send a new key with every new request."
    )


class IdempotencyInProgress(KefuError):
    code = "idempotency_in_progress"
    status = 409
    default_message = _(
        "A request with this Idempotency-Key is still being processed; "
        "retry in a moment to receive its result."
    )


# --- OpenAPI ----------------------------------------------------------------------------

IDEMPOTENCY_HEADER = OpenApiParameter(
    name=KEY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[ -~]{1,100}$",
    description=(
        "Optional. 1–100 printable ASCII characters, new for every new request (a UUID will "
        "do). A retry with the same key by the same user, while the first is kept (24 hours "
        "by default), returns the first successful response (same status and body, header "
        "Idempotent-Replayed: true) and creates nothing. The same key with a different body "
        "or endpoint: 422 idempotency_key_reused. Failed requests are not stored: a retry "
        "runs again."
    ),
)

IDEMPOTENT_REPLAYED_HEADER = OpenApiParameter(
    name=REPLAYED_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    enum=["true"],
    response=[200, 201, 202, 204],  # only successes are stored, so only they are replayed
    description=(
        "Present when this is the stored response of an earlier request with the same "
        "Idempotency-Key: nothing was written this time."
    ),
)

IDEMPOTENCY_ERRORS = {
    409: OpenApiResponse(
        response=ErrorSerializer,
        description=(
            "Conflict: the record changed since you read it (code conflict), or a request "
            "with the same Idempotency-Key is still in progress (code "
            "idempotency_in_progress; retry shortly)."
        ),
    ),
    422: OpenApiResponse(
        response=ErrorSerializer,
        description=(
            "The Idempotency-Key was already used for a different request "
            "(code idempotency_key_reused)."
        ),
    ),
}


# --- the decorator ----------------------------------------------------------------------


def idempotent(view_method):
    """Make a DRF viewset method honour the `Idempotency-Key` header (see module doc)."""

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if raw is None:
            return view_method(view, request, *args, **kwargs)
        user = request.user
        key = _clean_key(raw, user)
        fingerprint = _fingerprint(request)
        # Most retries arrive after the first request committed: answer them without
        # opening a write transaction (on SQLite that would queue behind every writer).
        replay = _stored_response(user, key, fingerprint)
        if replay is not None:
            return replay
        try:
            return _run_once(view_method, view, request, args, kwargs, user, key, fingerprint)
        except _KeyTaken:
            # Another request with this key committed meanwhile (we waited for it on the
            # unique index), or is still open on a database that did not make us wait.
            replay = _stored_response(user, key, fingerprint)
            if replay is None:
                raise IdempotencyInProgress(extra={"header": KEY_HEADER}) from None
            return replay

    return wrapper


class _KeyTaken(Exception):
    """The record insert hit the unique (user, key) index."""


def _run_once(view_method, view, request, args, kwargs, user, key, fingerprint) -> Response:
    with transaction.atomic():
        try:
            # First statement of the transaction: a concurrent twin stops here, not halfway
            # through the write.
            now = timezone.now()
            record = IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
                expires_at=now + timedelta(hours=settings.KEFU_IDEMPOTENCY_TTL_HOURS),
            )
        except IntegrityError:
            raise _KeyTaken() from None
        response = view_method(view, request, *args, **kwargs)
        if not isinstance(response, Response):
            raise TypeError(f"@idempotent needs a DRF Response, got {type(response).__name__}")
        if not 200 <= response.status_code < 300:
            record.delete()
            return response
        record.status_code = response.status_code
        record.response_body = (
            "" if response.data is None else JSONRenderer().render(response.data).decode()
        )
        record.save(update_fields=["status_code", "response_body"])
    return response


def _stored_response(user, key: str, fingerprint: str) -> Response | None:
    """The replay of a stored outcome; None if the key is free; 422/409 if it cannot be."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    now = timezone.now()
    if record.expires_at <= now:
        # Past its time but not purged yet: the key is free again.
        IdempotencyRecord.objects.filter(pk=record.pk, expires_at__lte=now).delete()
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(extra={"header": KEY_HEADER})
    if record.status_code is None:
        # Only visible on a database that reads uncommitted rows (SQLite shared cache).
        raise IdempotencyInProgress(extra={"header": KEY_HEADER})
    data = json.loads(record.response_body) if record.response_body else None
    return Response(data, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def _clean_key(raw: str, user) -> str:
    # Optional whitespace around a header value is not part of it (RFC 9110 5.5); WSGI
    # servers strip it already, Django's test client does not.
    key = raw.strip(" \t")
    if not _KEY.fullmatch(key):
        raise ValidationFailed.for_fields(
            {KEY_HEADER: [_("must be 1–100 printable ASCII characters")]}
        )
    if not user.is_authenticated:
        # Keys are kept per user; an anonymous caller has none to keep them under.
        raise ValidationFailed.for_fields(
            {KEY_HEADER: [_("is accepted only from a signed-in user")]}
        )
    return key


def _fingerprint(request: Request) -> str:
    """sha256 over method, path with query and the parsed body.

    The parsed body, not the bytes: a client that re-encodes its retry (another key order,
    other whitespace, a new multipart boundary) still sends the same request.
    """
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\n")
    digest.update(request.get_full_path().encode(errors="backslashreplace"))
    digest.update(b"\n")
    data = request.data
    if isinstance(data, MultiValueDict):  # form and multipart bodies (QueryDict)
        data = {name: data.getlist(name) for name in data}
    # ASCII out (escapes), so even a lone surrogate that JSON admits hashes without error.
    digest.update(
        json.dumps(data, sort_keys=True, separators=(",", ":"), default=_jsonable).encode()
    )
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "chunks"):  # an uploaded file: its name and content
        content = hashlib.sha256()
        for chunk in value.chunks():
            content.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": content.hexdigest()}
    return str(value)


# --- housekeeping -----------------------------------------------------------------------


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete records past their time; returns how many. In batches, so a large backlog
    never holds one long lock on the table."""
    cutoff = now or timezone.now()
    deleted = 0
    while True:
        expired = IdempotencyRecord.objects.filter(expires_at__lte=cutoff)
        batch = list(expired.values_list("pk", flat=True)[:_PURGE_BATCH])
        if not batch:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=batch).delete()[0]
