"""Admin: callback settings (one row), per-type policies with their script outlines, the
dissatisfaction reason tree; tasks, answers and inbound SMS to browse (they are written
by the callback desk, the SMS gateway and the monitor, which check scope and state)."""

from __future__ import annotations

from django.contrib import admin

from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackItem,
    CallbackPolicy,
    CallbackSettings,
    CallbackTask,
    DissatisfactionReason,
    InboundSms,
)


@admin.register(CallbackSettings)
class CallbackSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "limit_days", "merge_days", "no_reply_hours", "max_attempts")

    def has_add_permission(self, request):
        # One row: the defaults apply until it is saved.
        return super().has_add_permission(request) and not CallbackSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CallbackPolicy)
class CallbackPolicyAdmin(admin.ModelAdmin):
    list_display = ("order_type", "share", "unit")
    list_select_related = ("order_type", "unit")
    autocomplete_fields = ("unit",)


@admin.register(DissatisfactionReason)
class DissatisfactionReasonAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "is_active", "sort")
    list_select_related = ("parent",)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CallbackTask)
class CallbackTaskAdmin(_ReadOnly):
    list_display = ("__str__", "unit", "status", "mode", "clock_state", "due_at", "deadline_at")
    list_filter = ("status", "mode", "clock_state")
    list_select_related = ("unit",)
    date_hierarchy = "created_at"


@admin.register(CallbackItem)
class CallbackItemAdmin(_ReadOnly):
    list_display = ("task", "order", "level", "reason", "on_time", "due_on")
    list_filter = ("level", "status")
    list_select_related = ("task", "order", "reason", "reason__parent")


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(_ReadOnly):
    list_display = ("task", "at", "mode", "outcome", "actor")
    list_select_related = ("task", "actor")


@admin.register(InboundSms)
class InboundSmsAdmin(_ReadOnly):
    list_display = ("message_id", "received_at", "status", "level")
    list_filter = ("status",)
