"""Upgrading: default templates nobody edited get the new text (each notice names its own
clock); an administrator's edits are kept."""

from __future__ import annotations

import importlib

from django.apps import apps

from kefu.notify.defaults import DEFAULT_TEMPLATES
from kefu.notify.models import NotificationTemplate

refresh = importlib.import_module("kefu.notify.migrations.0002_refresh_default_templates")


def test_unedited_defaults_are_refreshed_and_edited_ones_kept(db):
    old_subject, old_body = refresh.PREVIOUS["sla_breached"]
    NotificationTemplate.objects.filter(code="sla_breached").update(
        subject=old_subject, body=old_body
    )
    NotificationTemplate.objects.filter(code="sla_warning").update(body="本单位自己的预警文字")

    refresh.refresh(apps, None)

    breached = NotificationTemplate.objects.get(code="sla_breached")
    assert breached.body == DEFAULT_TEMPLATES["sla_breached"][2]
    assert "{{ clock" in breached.body
    assert NotificationTemplate.objects.get(code="sla_warning").body == "本单位自己的预警文字"
