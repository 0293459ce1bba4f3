"""Customer web forms: the list's filters, 新建客户, the 360 page's edit, tier and change-register
forms, the access-log filters and the import upload. They check shape only (lengths,
choices); rules live in kefu.customers.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.customers import tiering
from kefu.customers.import_check import split_list
from kefu.customers.models import (
    NAME_MAX,
    AccessAction,
    CustomerKind,
    GovSeries,
    ProductKind,
    ServiceTier,
)
from kefu.customers.validation import FIELD_LABELS


class CustomerSearchForm(forms.Form):
    """The filters of the customer list (all optional)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    kind = forms.ChoiceField(label=_("Customer type"), required=False)
    org_unit = forms.ChoiceField(label=_("Org unit"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("All tiers")), *ServiceTier.choices]
        self.fields["kind"].choices = [("", _("All types")), *CustomerKind.choices]
        base_depth = min((u.depth for u in units), default=0)
        self.fields["org_unit"].choices = [("", _("All units in my scope"))] + [
            (str(u.pk), "\u3000" * (u.depth - base_depth) + u.name) for u in units
        ]
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("Phone, ID number suffix, account number or name"),
                "autocomplete": "off",
                "type": "search",
            }
        )


class CustomerEditForm(forms.Form):
    """Non-sensitive fields; name, phone, ID number and address go through the register."""

    prefix = "edit"

    monthly_value = forms.DecimalField(
        label=_("Monthly consumption (CNY)"), min_value=0, max_digits=12, decimal_places=2
    )
    gov_series = forms.ChoiceField(label=_("Gov-enterprise series"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=300,
        help_text=_("Separate tags with commas."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gov_series"].choices = [("", "—"), *GovSeries.choices]
        if customer is not None and customer.kind != CustomerKind.GOV_ENTERPRISE:
            del self.fields["gov_series"]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


def split_tags(raw: str) -> list[str]:
    """ "宽带, 老客户、VIP" → ["宽带", "老客户", "VIP"]: no blanks, no repeats.

    The importer's rule (import_check.split_list: ; ； , ， 、 |), so a tag typed here is
    never one the export writes and the import then reads back as two."""
    tags = split_list(raw)
    too_long = [t for t in tags if len(t) > 30]
    if too_long:
        raise ValidationError(
            _("each tag has at most 30 characters: %(tag)s") % {"tag": too_long[0][:40]}
        )
    return list(dict.fromkeys(tags))


class CustomerCreateForm(forms.Form):
    """新建客户. Field names are those of customers.validation.FIELD_LABELS, so the errors
    customer_create raises (keyed by those labels) land next to the field they name."""

    kind = forms.ChoiceField(label=FIELD_LABELS["kind"], choices=CustomerKind.choices)
    name = forms.CharField(label=FIELD_LABELS["name"], max_length=NAME_MAX)
    id_number = forms.CharField(
        label=FIELD_LABELS["id_number"],
        required=False,
        max_length=18,
        help_text=_(
            "18-digit resident ID for individuals; unified social credit code for enterprises."
        ),
    )
    phone = forms.CharField(
        label=FIELD_LABELS["phone"],
        required=False,
        max_length=30,
        help_text=_("Mobile, or landline with area code (0571-88886666)."),
    )
    address = forms.CharField(label=FIELD_LABELS["address"], required=False, max_length=200)
    org_unit = forms.ChoiceField(label=FIELD_LABELS["org_unit"])
    monthly_value = forms.DecimalField(
        label=_("Monthly consumption (CNY)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Decides the service tier."),
    )
    gov_series = forms.ChoiceField(
        label=FIELD_LABELS["gov_series"],
        required=False,
        help_text=_("Government and enterprise customers only; B when left empty."),
    )
    tags = forms.CharField(
        label=FIELD_LABELS["tags"],
        required=False,
        max_length=300,
        help_text=_("Separate tags with commas."),
    )
    product_kind = forms.ChoiceField(label=FIELD_LABELS["product_kind"], required=False)
    account_number = forms.CharField(
        label=FIELD_LABELS["account_number"], required=False, max_length=40
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._units = {str(u.pk): u for u in units}
        base_depth = min((u.depth for u in units), default=0)
        self.fields["org_unit"].choices = [("", "—")] + [
            (str(u.pk), "\u3000" * (u.depth - base_depth) + u.name) for u in units
        ]
        self.fields["gov_series"].choices = [("", "—"), *GovSeries.choices]
        self.fields["product_kind"].choices = [("", _("No product")), *ProductKind.choices]
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off"})

    def clean_org_unit(self):
        return self._units[self.cleaned_data["org_unit"]]  # the choices are these units

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != CustomerKind.GOV_ENTERPRISE:
            cleaned["gov_series"] = ""  # the series only levels gov-enterprise customers
        kind, account = cleaned.get("product_kind"), (cleaned.get("account_number") or "").strip()
        if kind and not account and "account_number" not in self.errors:
            self.add_error("account_number", _("Enter the account number of the product."))
        if account and not kind and "product_kind" not in self.errors:
            self.add_error("product_kind", _("Choose the type of the product."))
        return cleaned

    def customer_data(self) -> dict:
        """The customer's own fields, as customer_create validates them."""
        fields = ("kind", "name", "id_number", "phone", "address", "monthly_value", "gov_series")
        return {f: self.cleaned_data.get(f) for f in fields if self.cleaned_data.get(f) is not None}

    def products(self) -> list[dict[str, str]]:
        if not self.cleaned_data.get("product_kind"):
            return []
        return [
            {
                "kind": self.cleaned_data["product_kind"],
                "account_number": self.cleaned_data["account_number"].strip(),
            }
        ]


class TierOverrideForm(forms.Form):
    prefix = "tier"
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        individual = customer is None or customer.kind == CustomerKind.INDIVIDUAL
        allowed = [
            (value, label)
            for value, label in ServiceTier.choices
            if (value in tiering.INDIVIDUAL_TIERS) == individual
        ]
        self.fields["tier"].choices = [("", _("Automatic (no override)")), *allowed]


class ChangeRegisterForm(forms.Form):
    """变更登记: new values for sensitive fields, what the customer stated, and why."""

    prefix = "reg"

    name = forms.CharField(label=_("New name"), required=False, max_length=NAME_MAX)
    phone = forms.CharField(label=_("New phone"), required=False, max_length=30)
    id_number = forms.CharField(label=_("New ID number"), required=False, max_length=18)
    address = forms.CharField(label=_("New address"), required=False, max_length=200)
    check_id_number = forms.CharField(
        label=_("ID number stated by the customer"), required=False, max_length=18
    )
    check_phone = forms.CharField(
        label=_("Phone stated by the customer"), required=False, max_length=30
    )
    check_address = forms.CharField(
        label=_("Address stated by the customer"), required=False, max_length=200
    )
    channel = forms.CharField(label=_("Channel"), required=False, max_length=30)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    CHANGE_FIELDS = ("name", "phone", "id_number", "address")

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(f) or "").strip() for f in self.CHANGE_FIELDS):
            raise ValidationError(_("Enter at least one new value to register."))
        return cleaned

    def changes(self) -> dict[str, str]:
        return {
            f: self.cleaned_data[f].strip()
            for f in self.CHANGE_FIELDS
            if (self.cleaned_data.get(f) or "").strip()
        }

    def identity(self) -> dict[str, str]:
        return {
            f: (self.cleaned_data.get(f"check_{f}") or "").strip()
            for f in ("id_number", "phone", "address")
        }


class AccessLogFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    customer = forms.IntegerField(label=_("Customer ID"), required=False, min_value=1)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AccessAction.choices]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx or .csv (UTF-8 or GBK, as Excel saves it)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and list the others (skip invalid rows)"),
        required=False,
    )
