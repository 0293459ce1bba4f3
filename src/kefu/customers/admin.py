"""Admin screens: tier thresholds and pyramid cut-offs are configuration; the archive itself
is changed through the services (web UI, API, import), so here it is read-only."""

from __future__ import annotations

from django.contrib import admin

from kefu.customers.models import (
    AccessLog,
    ChangeRequest,
    Customer,
    CustomerHistory,
    PyramidCutoff,
    Tag,
    TierThreshold,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TierThreshold)
class TierThresholdAdmin(admin.ModelAdmin):
    list_display = ("kind", "level", "min_monthly_value")
    list_editable = ("min_monthly_value",)
    list_filter = ("kind",)


@admin.register(PyramidCutoff)
class PyramidCutoffAdmin(admin.ModelAdmin):
    list_display = ("layer", "top_percent", "min_value")
    list_editable = ("top_percent",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "tier", "pyramid", "org_unit")
    list_filter = ("kind", "tier", "pyramid")
    search_fields = ("code", "name")
    list_select_related = ("org_unit",)
    exclude = ("id_number", "id_number_rev", "phone")  # personal data: reveal in the 360 page


@admin.register(CustomerHistory)
class CustomerHistoryAdmin(ReadOnlyAdmin):
    list_display = ("customer", "source", "actor", "at")
    list_filter = ("source",)
    list_select_related = ("customer", "actor")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("customer", "registered_by", "registered_at", "reason")
    list_select_related = ("customer", "registered_by")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "customer", "fields", "row_count", "ip")
    list_filter = ("action",)
    list_select_related = ("actor", "customer")
