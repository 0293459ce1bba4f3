"""Reads of notifications: a user sees only their own inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.notify.models import Channel, Message


def inbox_messages(user) -> QuerySet[Message]:
    """我的通知: the user's inbox messages, newest first."""
    return Message.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox_messages(user).filter(read_at__isnull=True).count()
