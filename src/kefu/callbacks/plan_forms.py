"""The forms of the callback-plan page: the shape of the input; the rules are the
services' (kefu.callbacks.plans)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import ServiceTier
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_filter
from kefu.workorders.selectors import target_units


class _PlanForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    unit = forms.ModelChoiceField(label=_("callback unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = target_units(viewer)


class ThankYouForm(_PlanForm):
    tiers = forms.MultipleChoiceField(
        label=_("customer tiers"), choices=ServiceTier.choices, widget=forms.CheckboxSelectMultiple
    )
    size = forms.IntegerField(label=_("sample size"), min_value=1, max_value=20_000, initial=100)
    seed = forms.IntegerField(label=_("sample seed"), min_value=0, initial=1)


class ResidenceForm(_PlanForm):
    file = forms.FileField(
        label=_("owner list"),
        help_text=_("xlsx or csv; columns 客户编号 or 手机号, and 入住日期."),
    )


class HandoverForm(_PlanForm):
    manager = forms.ModelChoiceField(
        label=_("leaving account manager"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        staff = get_user_model().objects.filter(
            scope_filter(viewer, unit_field="staff__org_unit"), staff__isnull=False
        )
        self.fields["manager"].queryset = staff.select_related("staff").order_by("username")
        self.fields["manager"].label_from_instance = lambda u: str(u.staff)
