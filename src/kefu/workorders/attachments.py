"""Files kept with an order 附件: written under the data dir, size-limited, read back in scope.

`attachment_store` is the only write. The file goes to
DATA_DIR/attachments/<order number>/<random hex>: the name the sender gave it is kept on the
row for display and download only, never used for the path, so "../../etc/passwd", a name
of 500 characters or one with control characters lands in the order's folder like any other.
A file over KEFU_ATTACHMENT_MAX_BYTES is not written; a timeline note names it instead.

The file is written before the row commits, so a transaction that stores attachments runs
inside `attachments_kept_on_commit()`: when the transaction does not commit, the files
written in it are removed again, and no file is left that no row names. A failure of the
row itself removes its file at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.workorders.capacity import actor_unit
from kefu.workorders.models import Attachment, WorkOrder, WorkOrderEvent

FOLDER = "attachments"
NAME_MAX = 200
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}$")
DEFAULT_TYPE = "application/octet-stream"

# The files written inside the innermost attachments_kept_on_commit() block.
_written: ContextVar[list[Path] | None] = ContextVar("attachments_written", default=None)


@contextmanager
def attachments_kept_on_commit() -> Iterator[None]:
    """Around a transaction that stores attachments (`with attachments_kept_on_commit(),
    transaction.atomic():`): if the block raises, the transaction rolled back, and the
    files `attachment_store` wrote in it are deleted. Put it outside the atomic block, so
    a failing COMMIT is seen too."""
    written: list[Path] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        _written.reset(token)
        outer = _written.get()
        if outer is not None:  # nested: the outer block answers for these files too
            outer.extend(written)


def max_bytes() -> int:
    return settings.KEFU_ATTACHMENT_MAX_BYTES


def display_name(name: str) -> str:
    """The sender's file name as shown: its last path component, no control or format
    characters, at most NAME_MAX characters with the extension kept; never empty."""
    text = str(name or "").encode("utf-8", "replace").decode("utf-8")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    text = text.lstrip(".").strip() or _("attachment")
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: NAME_MAX - len(ext) - 1] + "." + ext
        else:
            text = text[:NAME_MAX]
    return text


def safe_content_type(value: str) -> str:
    value = str(value or "").strip().lower()
    return value if _CONTENT_TYPE.match(value) else DEFAULT_TYPE


def _root() -> Path:
    return Path(settings.DATA_DIR).resolve()


def attachment_file(attachment: Attachment) -> Path | None:
    """The stored file, or None when it is missing or (a tampered row) outside the folder."""
    base = (_root() / FOLDER).resolve()
    path = (_root() / attachment.path).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path


def _order_folder(order: WorkOrder) -> str:
    # The order number is digits; anything else (a hand-made row) is not used as a folder.
    number = order.number if order.number.isdigit() else f"id{order.pk}"
    return f"{FOLDER}/{number}"


@transaction.atomic
def attachment_store(
    *,
    order: WorkOrder,
    name: str,
    content_type: str,
    data: bytes,
    actor=None,
    message_id: str = "",
    event: WorkOrderEvent | None = None,
) -> Attachment | None:
    """Keep one file with the order. Returns the row, or None when the file is larger
    than KEFU_ATTACHMENT_MAX_BYTES: then it is dropped and the timeline says so."""
    shown = display_name(name)
    limit = max_bytes()
    if len(data) > limit:
        WorkOrderEvent.objects.create(
            order=order,
            action="note",
            actor=actor,
            actor_unit=actor_unit(actor),
            from_status=order.status,
            to_status=order.status,
            note=_("Attachment %(name)s (%(size)s) not kept: larger than the limit of %(limit)s.")
            % {"name": shown, "size": human_size(len(data)), "limit": human_size(limit)},
            data={"attachment_dropped": shown, "size": len(data)},
        )
        return None
    relative = f"{_order_folder(order)}/{uuid.uuid4().hex}"
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite; the random name makes a clash practically impossible.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        attachment = Attachment.objects.create(
            order=order,
            name=shown,
            content_type=safe_content_type(content_type),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            path=relative,
            event=event,
            message_id=message_id[:255],
        )
    except BaseException:
        target.unlink(missing_ok=True)  # no row names it: it goes with the failed write
        raise
    written = _written.get()
    if written is not None:
        written.append(target)
    return attachment


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def attachment_response(attachment: Attachment):
    """A download of the stored file: Content-Disposition attachment with the original
    name (RFC 5987 filename* for Chinese names), never rendered by the browser."""
    from django.http import FileResponse

    path = attachment_file(attachment)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or DEFAULT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
