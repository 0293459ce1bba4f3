"""Web forms of the rule pages. They check shape; kefu.rules.services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.complaints.models import ComplaintSettings
from kefu.customers.models import ServiceTier
from kefu.notify.models import NotificationTemplate
from kefu.org.models import OrgUnit
from kefu.sla.models import SlaPolicy
from kefu.sla.policies import POLICY_FIELDS
from kefu.workorders.models import Assignment, BusinessLine, Category, WorkOrderType

_ANY = _("(any)")


def _unit_choices(units: list[OrgUnit], *, blank: str | None) -> list[tuple[str, str]]:
    # Indented by depth, as the org tree reads.
    indent = min((u.depth for u in units), default=0)
    rows = [(str(u.pk), "\u3000" * (u.depth - indent) + u.name) for u in units]
    return [("", blank), *rows] if blank is not None else rows


class DispatchRuleForm(forms.Form):
    """派单规则. Areas and target units are offered from the editor's reach only."""

    name = forms.CharField(label=_("Rule name"), max_length=100)
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=2**31 - 1,
        initial=100,
        help_text=_("Lower numbers are tried first; the first matching rule wins."),
    )
    order_type = forms.ModelChoiceField(
        label=_("Work-order type"),
        queryset=WorkOrderType.objects.filter(is_active=True),
        required=False,
        empty_label=_ANY,
    )
    business_line = forms.ModelChoiceField(
        label=_("Business line"),
        queryset=BusinessLine.objects.filter(is_active=True),
        required=False,
        empty_label=_ANY,
    )
    area = forms.TypedChoiceField(
        label=_("Area"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Orders of customers in this unit and every unit below it."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"),
        choices=ServiceTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier."),
    )
    target_unit = forms.TypedChoiceField(label=_("Handling unit"), coerce=int)
    assignment = forms.ChoiceField(
        label=_("Assignment"), choices=Assignment.choices, initial=Assignment.NONE
    )
    skill = forms.CharField(
        label=_("Skill"),
        max_length=40,
        required=False,
        help_text=_("Only with assignment by skill, e.g. vip."),
    )

    def __init__(self, *args, units: list[OrgUnit], every_area: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _unit_choices(
            units, blank=str(_("Every area")) if every_area else str(_("Choose…"))
        )
        self.fields["area"].required = not every_area
        self.fields["target_unit"].choices = _unit_choices(units, blank=str(_("Choose…")))
        self._units = {u.pk: u for u in units}

    @classmethod
    def initial_for(cls, rule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "priority": rule.priority,
            "order_type": rule.order_type_id,
            "business_line": rule.business_line_id,
            "area": rule.area_id,
            "tiers": list(rule.tiers or []),
            "target_unit": rule.target_unit_id,
            "assignment": rule.assignment,
            "skill": rule.skill,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        area = data.get("area")
        data["area"] = self._units[area] if area is not None else None
        data["target_unit"] = self._units[data["target_unit"]]
        return data


class RuleTestForm(forms.Form):
    """哪条规则会命中: the order's type, business line, area and customer tier."""

    order_type = forms.ModelChoiceField(
        label=_("Work-order type"),
        queryset=WorkOrderType.objects.filter(is_active=True),
        empty_label=_("Choose…"),
    )
    business_line = forms.ModelChoiceField(
        label=_("Business line"),
        queryset=BusinessLine.objects.filter(is_active=True),
        required=False,
        empty_label=_("(none)"),
    )
    area = forms.TypedChoiceField(label=_("Customer's unit"), coerce=int)
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"), required=False, choices=[("", _("(none)")), *ServiceTier.choices]
    )

    def __init__(self, *args, units: list[OrgUnit], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _unit_choices(units, blank=str(_("Choose…")))
        self._units = {u.pk: u for u in units}

    def area_unit(self) -> OrgUnit:
        return self._units[self.cleaned_data["area"]]


class WorkOrderTypeForm(forms.ModelForm):
    class Meta:
        model = WorkOrderType
        fields = [
            "code",
            "name",
            "is_complaint",
            "is_fault",
            "is_internal",
            "needs_callback",
            "sort",
        ]


class BusinessLineForm(forms.ModelForm):
    class Meta:
        model = BusinessLine
        fields = ["code", "name", "sort"]


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["kind", "code", "name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Category.objects.filter(is_active=True).select_related("parent")
        if self.instance.pk:
            parents = parents.filter(kind=self.instance.kind).exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents.order_by("kind", "code")


def fixed_after_create(form: forms.ModelForm) -> None:
    """An edit form shows the code (and a category's kind) but does not take them."""
    for name in ("code", "kind"):
        if name in form.fields and form.instance.pk:
            form.fields[name].disabled = True


class SlaPolicyForm(forms.ModelForm):
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"),
        choices=ServiceTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier."),
    )

    class Meta:
        model = SlaPolicy
        fields = [f for f in POLICY_FIELDS if f != "is_active"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "class": "mono"})}


class ComplaintSettingsForm(forms.ModelForm):
    class Meta:
        model = ComplaintSettings
        fields = ["repeat_window_days", "batch_threshold", "batch_window_hours"]


REFERENCE_FORMS = {
    WorkOrderType: WorkOrderTypeForm,
    BusinessLine: BusinessLineForm,
    Category: CategoryForm,
}
