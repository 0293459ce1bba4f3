"""Org web forms: the staff list's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or employee number"), required=False, max_length=50)
    org_unit = forms.ChoiceField(label=_("Org unit"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        base_depth = min((u.depth for u in units), default=0)
        self.fields["org_unit"].choices = [("", _("All units in my scope"))] + [
            (str(u.pk), "\u3000" * (u.depth - base_depth) + u.name) for u in units
        ]
