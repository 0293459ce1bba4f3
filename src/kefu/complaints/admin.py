"""Admin: the complaint settings (one row); batch alerts to browse.

Alerts are raised by the complaint intake and acknowledged on the alert page (or the
API), which checks the supervisor's scope; the admin only reads them.
"""

from __future__ import annotations

from django.contrib import admin

from kefu.complaints.models import ComplaintBatchAlert, ComplaintSettings


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "repeat_window_days", "batch_threshold", "batch_window_hours")

    def has_add_permission(self, request):
        # One row: the defaults apply until it is saved.
        return super().has_add_permission(request) and not ComplaintSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplaintBatchAlert)
class ComplaintBatchAlertAdmin(admin.ModelAdmin):
    list_display = ("area", "category", "count", "window_start", "created_at", "acknowledged_at")
    list_filter = ("acknowledged_at",)
    list_select_related = ("area", "category", "category__parent")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
