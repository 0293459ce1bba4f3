"""Admin screens for the org tree, staff, roles and vendors."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import KefuError
from kefu.org.models import OrgUnit, Role, RoleAssignment, StaffProfile, Vendor
from kefu.org.services import org_unit_save, staff_leave_set
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


class StaffProfileForm(forms.ModelForm):
    """The staff profile, plus who takes over the open orders when leave starts."""

    hand_to = forms.ModelChoiceField(
        label=_("Hand open orders to"),
        queryset=get_user_model().objects.filter(is_active=True, staff__on_leave=False),
        required=False,
        help_text=_(
            "When putting someone on leave: a colleague in the same unit who takes over "
            "their open work orders. Empty: the orders go back to the unit's queue."
        ),
    )

    class Meta:
        model = StaffProfile
        fields = (
            "org_unit",
            "employee_no",
            "display_name",
            "phone",
            "skills",
            "vendor",
            "on_leave",
        )

    def clean(self):
        cleaned = super().clean()
        hand_to = cleaned.get("hand_to")
        if hand_to is not None and not cleaned.get("on_leave"):
            self.add_error("hand_to", _("Only when putting someone on leave."))
        elif hand_to is not None and (
            hand_to.pk == self.instance.user_id
            or getattr(hand_to.staff, "org_unit_id", None)
            != getattr(cleaned.get("org_unit"), "pk", 0)
        ):
            self.add_error("hand_to", _("Choose a colleague in the same unit who is not on leave."))
        return cleaned


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
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

    def save_formset(self, request, form, formset, change):
        """Leave is set through its service, which hands the open orders back."""
        if formset.model is not StaffProfile:
            return super().save_formset(request, form, formset, change)
        leave = []
        for profile_form in formset.forms:
            if profile_form.instance.pk and "on_leave" in profile_form.changed_data:
                wanted = profile_form.cleaned_data["on_leave"]
                leave.append((profile_form.instance, wanted, profile_form.cleaned_data["hand_to"]))
                profile_form.instance.on_leave = not wanted  # the service sets it
        super().save_formset(request, form, formset, change)
        for profile, wanted, hand_to in leave:
            try:
                handed = staff_leave_set(
                    actor=request.user, staff=profile, on_leave=wanted, hand_to=hand_to
                )
            except KefuError as exc:
                messages.error(request, str(exc.message))
                continue
            if handed:
                messages.info(
                    request,
                    gettext("%(count)d open work order(s) handed back: %(numbers)s")
                    % {"count": len(handed), "numbers": "、".join(o.number for o in handed)},
                )
        return None

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
