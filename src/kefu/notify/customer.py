"""What every message to a customer shares: who signs it and the hotline to call.

Customers get letters, not internal notices: a message to a customer names no internal
unit, ends each sentence once, and is signed with the organisation's name —
KEFU_ORG_NAME, or the name of the top unit of the org tree.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

# Closing punctuation a sentence handed to a template may already carry: the template
# ends the sentence itself, so “已修复。” must not become “已修复。。”.
_SENTENCE_END = "。．.!！;；,，、 \t\r\n"


def org_name() -> str:
    """The organisation's name as customers know it."""
    name = settings.KEFU_ORG_NAME.strip()
    if name:
        return name
    from kefu.org.models import OrgUnit

    root = OrgUnit.objects.filter(parent__isnull=True).order_by("depth", "pk").first()
    return root.name if root is not None else ""


def clause(text: str) -> str:
    """`text` without the closing punctuation a template adds."""
    return (text or "").strip().rstrip(_SENTENCE_END)


def customer_context(**extra: Any) -> dict[str, Any]:
    """The variables every customer template may use: org_name, hotline."""
    return {
        "org_name": org_name(),
        "hotline": settings.KEFU_HOTLINE.strip(),
        **extra,
    }
