"""Serializers of the customer API (客户档案, 查阅登记): the shape of what goes in and out.

Output serializers read what the selectors prefetched and mask phone and ID numbers (only
`reveal` answers them in clear, through RevealResultSerializer); input serializers check
shape only and leave the rules to the services. The viewsets are in `kefu.customers.api`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kefu.core.api import (
    MAX_PK,
    LabelField,
)
from kefu.core.masking import mask_id_number, mask_phone
from kefu.customers.models import (
    AccessAction,
    AccessLog,
    ChangeRequest,
    ContactKind,
    Customer,
    CustomerClass,
    CustomerContact,
    CustomerHistory,
    CustomerKind,
    CustomerProduct,
    GovSeries,
    HistorySource,
    ProductKind,
    Pyramid,
    ServiceTier,
)
from kefu.customers.pii import masked_account
from kefu.customers.selectors import ID_SUFFIX_MAX
from kefu.org.models import OrgUnit

_PHONE_CONTACTS = (ContactKind.MOBILE, ContactKind.LANDLINE)


# --- output -----------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    """A product held; a phone-number account (mobile, fixed line) masked like the phone."""

    kind_display = LabelField(ProductKind.choices, source="kind")
    account_number = serializers.SerializerMethodField(
        help_text="Masked (138****5678) when the account is a phone number; reveal to see it."
    )

    class Meta:
        model = CustomerProduct
        fields = ["id", "kind", "kind_display", "account_number", "name", "since", "is_active"]

    def get_account_number(self, obj: CustomerProduct) -> str:
        return masked_account(obj)


class ContactSerializer(serializers.ModelSerializer):
    """A further contact; phone numbers masked like the primary phone."""

    kind_display = LabelField(ContactKind.choices, source="kind")
    value = serializers.SerializerMethodField()

    class Meta:
        model = CustomerContact
        fields = ["id", "kind", "kind_display", "label", "value"]

    def get_value(self, obj: CustomerContact) -> str:
        return mask_phone(obj.value) if obj.kind in _PHONE_CONTACTS else obj.value


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as every list and detail shows it: phone and ID number always masked."""

    kind_display = LabelField(CustomerKind.choices, source="kind")
    phone = serializers.SerializerMethodField(help_text="Masked, e.g. 138****5678.")
    id_number = serializers.SerializerMethodField(help_text="Masked, e.g. 110101********123X.")
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    manager_name = serializers.SerializerMethodField()
    tier_display = LabelField(ServiceTier.choices, source="tier")
    # Declared so the schema admits "" (none set); read-only model fields lose allow_blank.
    gov_series = serializers.ChoiceField(
        choices=GovSeries.choices, allow_blank=True, read_only=True
    )
    tier_override = serializers.ChoiceField(
        choices=ServiceTier.choices, allow_blank=True, read_only=True
    )
    effective_tier = serializers.SerializerMethodField(
        help_text="The manual override if set, else the tier from the rules."
    )
    effective_tier_display = serializers.SerializerMethodField()
    pyramid_display = LabelField(Pyramid.choices, source="pyramid")
    customer_class_display = LabelField(CustomerClass.choices, source="customer_class")
    products = ProductSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "kind",
            "kind_display",
            "name",
            "phone",
            "id_number",
            "address",
            "org_unit",
            "org_unit_name",
            "manager",
            "manager_name",
            "gov_series",
            "monthly_value",
            "tier",
            "tier_display",
            "tier_override",
            "tier_override_reason",
            "effective_tier",
            "effective_tier_display",
            "pyramid",
            "pyramid_display",
            "customer_class",
            "customer_class_display",
            "products",
            "contacts",
            "tags",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_phone(self, obj: Customer) -> str:
        return mask_phone(obj.phone)

    def get_id_number(self, obj: Customer) -> str:
        return mask_id_number(obj.id_number)

    def get_manager_name(self, obj: Customer) -> str | None:
        if obj.manager is None:
            return None
        return obj.manager.get_full_name() or obj.manager.get_username()

    def get_effective_tier(self, obj: Customer) -> str:
        return obj.effective_tier

    def get_effective_tier_display(self, obj: Customer) -> str:
        return str(ServiceTier(obj.effective_tier).label) if obj.effective_tier else ""


_DETAIL_ONLY = ("products", "contacts", "tags")


class CustomerSummarySerializer(CustomerSerializer):
    """A customer as a list row: the detail without products, contacts and tags.

    Building and serialising those three for 50 rows was most of a list request's time;
    a search result needs the customer, the 360 view (detail) needs the rest.
    """

    products = None
    contacts = None
    tags = None

    class Meta(CustomerSerializer.Meta):
        fields = [f for f in CustomerSerializer.Meta.fields if f not in _DETAIL_ONLY]
        read_only_fields = fields


class HistorySerializer(serializers.ModelSerializer):
    source_display = LabelField(HistorySource.choices, source="source")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="field: [old, new]; personal data masked.",
    )

    class Meta:
        model = CustomerHistory
        fields = ["id", "at", "source", "source_display", "actor", "changes", "note"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="field: [old, new]; personal data masked.",
    )
    identity_checks = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "customer",
            "registered_by",
            "registered_at",
            "changes",
            "identity_checks",
            "channel",
            "reason",
        ]


class RevealResultSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, help_text="In clear; only when requested.")
    id_number = serializers.CharField(required=False, help_text="In clear; only when requested.")
    account_number = serializers.CharField(
        required=False, help_text="The requested product's account number in clear."
    )

    def to_representation(self, instance: dict[str, str]) -> dict[str, str]:
        # The service keys a product's account "product:<id>"; one product per request.
        data = {k: v for k, v in instance.items() if k in ("phone", "id_number")}
        for key, value in instance.items():
            if key.startswith("product:"):
                data["account_number"] = value
        return data


class AccessLogSerializer(serializers.ModelSerializer):
    action_display = LabelField(AccessAction.choices, source="action")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    actor_name = serializers.SerializerMethodField()
    actor_unit_name = serializers.SerializerMethodField()
    customer_code = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()

    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "action",
            "action_display",
            "actor",
            "actor_name",
            "actor_unit",
            "actor_unit_name",
            "customer",
            "customer_code",
            "customer_name",
            "fields",
            "row_count",
            "reason",
            "ip",
            "work_order_number",
        ]

    def get_actor_name(self, obj: AccessLog) -> str:
        return obj.actor.get_full_name() or obj.actor.get_username()

    def get_actor_unit_name(self, obj: AccessLog) -> str | None:
        return obj.actor_unit.name if obj.actor_unit else None

    def get_customer_code(self, obj: AccessLog) -> str | None:
        return obj.customer.code if obj.customer else None

    def get_customer_name(self, obj: AccessLog) -> str | None:
        return obj.customer.name if obj.customer else None


# --- input ------------------------------------------------------------------------------


class CustomerFilterSerializer(serializers.Serializer):
    """Search parameters of the customer list; the selector interprets them."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Phone, ID-number suffix, account or name.",
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Name prefix."
    )
    account = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Account number."
    )
    id_suffix = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=ID_SUFFIX_MAX,
        help_text=f"Last digits of the ID number (at most {ID_SUFFIX_MAX}, as in the web box).",
    )
    tier = serializers.ChoiceField(
        choices=ServiceTier.choices, required=False, help_text="Effective tier."
    )
    kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
    org_unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="Org unit id; includes its whole subtree.",
    )


class ProductInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    account_number = serializers.CharField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    since = serializers.DateField(required=False, allow_null=True)


class CustomerCreateSerializer(serializers.Serializer):
    """Content rules (formats, lengths, tiers) are the service's; this checks shape only."""

    code = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = serializers.CharField()
    id_number = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    gov_series = serializers.ChoiceField(
        choices=GovSeries.choices, required=False, allow_blank=True
    )
    monthly_value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    products = ProductInputSerializer(many=True, required=False, max_length=50)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=20
    )


class CustomerUpdateSerializer(serializers.Serializer):
    """PATCH body. Name, ID number, phone and address are refused by the service: they
    change only through the change register."""

    monthly_value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    gov_series = serializers.ChoiceField(
        choices=GovSeries.choices, required=False, allow_blank=True
    )
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False)
    manager = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(staff__isnull=False),
        required=False,
        allow_null=True,
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=20
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you read; a different current version answers 409 conflict.",
    )
    name = serializers.CharField(required=False, help_text="Refused: use change-register.")
    id_number = serializers.CharField(required=False, help_text="Refused: use change-register.")
    phone = serializers.CharField(required=False, help_text="Refused: use change-register.")
    address = serializers.CharField(required=False, help_text="Refused: use change-register.")


class RevealSerializer(serializers.Serializer):
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=["phone", "id_number"]),
        min_length=1,
        max_length=2,
        default=["phone"],
    )
    product = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="A product id: reveal its phone-number account instead of `fields`.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SensitiveChangesSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    id_number = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)


class IdentitySerializer(serializers.Serializer):
    """What the customer stated to prove who they are; each item must match the archive."""

    id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ChangeRegisterSerializer(serializers.Serializer):
    changes = SensitiveChangesSerializer()
    identity = IdentitySerializer()
    reason = serializers.CharField(allow_blank=True, max_length=200)
    channel = serializers.CharField(required=False, allow_blank=True, max_length=30)


class TierOverrideSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(
        choices=ServiceTier.choices, allow_blank=True, help_text="Empty clears the override."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class AccessLogFilterSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=AccessAction.choices, required=False)
    actor = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="Username."
    )
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Customer id."
    )
