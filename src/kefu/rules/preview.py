"""The preview of a notification template: notify's own rendering, on sample values."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from kefu.core.errors import ValidationFailed
from kefu.notify.models import NotificationTemplate
from kefu.notify.services import TemplateInvalid, render


def sample_context() -> dict:
    """Every variable the default templates use (kefu.notify.defaults), with sample values."""
    at = datetime(2026, 3, 18, 17, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return {
        "order": {
            "number": "2026031800001234",
            "title": "宽带每晚无法上网",
            "type_name": "故障申告",
        },
        "due": "2026-03-19 17:30",
        "first_contact_due": "2026-03-18 19:30",
        "clock": "处理时限",
        "clock_kind": "resolution",
        "changes": [
            {"at": at, "action": "派单", "actor": "赵派单", "note": "请尽快上门"},
            {"at": at, "action": "首次联系", "actor": "孙师傅", "note": "约今晚上门"},
        ],
        "actor_name": "周主管",
        "unit": "A市网络维护中心",
        "note": "客户要求今天处理",
        "outage": {
            "cause": "市政施工挖断主干光缆",
            "eta": "2026-03-18 22:00",
            "restored": False,
            "area": "城东片区",
        },
        "count": 6,
        "topic": "宽带无法上网",
        "area": "A1县",
        "since": "2026-03-18 15:00",
        "orders": ["2026031800001234", "2026031800001240"],
        "hotline": "10000",
        "org_name": "江南省分公司",
        "thread_subject": "关于宽带故障的投诉",
    }


def template_preview(*, code: str, subject: str, body: str) -> tuple[str, str]:
    """Subject and body as a recipient would get them, or the syntax error by field."""
    draft = NotificationTemplate(code=code, name=code, subject=subject, body=body)
    errors = {}
    for field in ("subject", "body"):
        probe = NotificationTemplate(code=code, subject="", body="")
        setattr(probe, field, getattr(draft, field))
        try:
            render(probe, {})
        except TemplateInvalid as exc:
            errors[field] = [str(exc.message)]
    if errors:
        raise ValidationFailed.for_fields(errors)
    return render(draft, sample_context())
