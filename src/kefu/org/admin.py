"""Admin screens for the org tree, staff, roles and vendors."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from kefu.org.models import OrgUnit, Role, RoleAssignment, StaffProfile, Vendor
from kefu.org.services import org_unit_save
from kefu.web.forms import ThrottledAdminAuthenticationForm


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "code", "level", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: OrgUnit) -> str:
        return f"{'　' * obj.depth}{obj.name}"

    def save_model(self, request, obj, form, change):
        # Paths of a moved subtree must be rewritten together: the service does that.
        saved = org_unit_save(obj)
        obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "default_scope", "description")
    filter_horizontal = ("permissions",)
    search_fields = ("name", "code")


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "contact")
    search_fields = ("name",)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ("org_unit", "vendor")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("org_unit",)


user_model = get_user_model()
admin.site.unregister(user_model)


@admin.register(user_model)
class StaffUserAdmin(UserAdmin):
    inlines = (StaffProfileInline, RoleAssignmentInline)
    list_display = ("username", "staff_name", "staff_unit", "is_active", "last_login")
    list_select_related = ("staff__org_unit",)
    search_fields = ("username", "staff__display_name", "staff__employee_no")

    @admin.display(description=_("name"))
    def staff_name(self, obj) -> str:
        return getattr(getattr(obj, "staff", None), "display_name", "")

    @admin.display(description=_("org unit"))
    def staff_unit(self, obj) -> str:
        staff = getattr(obj, "staff", None)
        return staff.org_unit.name if staff else ""


# /admin/login/ counts failures into the lock-out of /login/ and the API token endpoint.
admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("Kefu administration")
admin.site.site_title = _("Kefu")
