"""Customer archive (客户档案): customers, contacts, products, tiers, history, access log."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.org.models import OrgUnit

NAME_MAX = 100


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual / household")  # 公众/家庭客户
    GOV_ENTERPRISE = "gov_enterprise", _("Government / enterprise")  # 政企客户


class ServiceTier(models.TextChoices):
    """钻/金/银/基础 for individuals; 1A–5A and 1B–5B for gov-enterprise (001:76)."""

    DIAMOND = "diamond", _("Diamond")  # 钻石
    GOLD = "gold", _("Gold")  # 金卡
    SILVER = "silver", _("Silver")  # 银卡
    BASIC = "basic", _("Basic")  # 基础
    L1A = "1A", "1A"
    L2A = "2A", "2A"
    L3A = "3A", "3A"
    L4A = "4A", "4A"
    L5A = "5A", "5A"
    L1B = "1B", "1B"
    L2B = "2B", "2B"
    L3B = "3B", "3B"
    L4B = "4B", "4B"
    L5B = "5B", "5B"


class GovSeries(models.TextChoices):
    """Which gov-enterprise series a customer is levelled in."""

    A = "A", _("A series: government and key industries")  # 党政军及重点行业
    B = "B", _("B series: commercial enterprises")  # 商业客户


class Pyramid(models.TextChoices):
    """Customer pyramid by revenue rank (001:202-204)."""

    VIP = "vip", _("VIP")  # VIP客户
    MAJOR = "major", _("Major")  # 主要客户
    ORDINARY = "ordinary", _("Ordinary")  # 普通客户
    SMALL = "small", _("Small")  # 小客户


class CustomerClass(models.TextChoices):
    """A/B/C by value and loyalty (004:657-661)."""

    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A customer record (客户档案). Written only through customers.services."""

    code = models.CharField(_("customer number"), max_length=32, unique=True)
    kind = models.CharField(_("customer type"), max_length=16, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    # Reversed ID number: a suffix search ("last six digits") becomes an indexed prefix search.
    id_number_rev = models.CharField(max_length=18, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owning org unit"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    gov_series = models.CharField(
        _("gov-enterprise series"), max_length=1, choices=GovSeries.choices, blank=True
    )
    monthly_value = models.DecimalField(
        _("monthly consumption (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    tier = models.CharField(_("service tier"), max_length=8, choices=ServiceTier.choices)
    tier_override = models.CharField(
        _("tier override"), max_length=8, choices=ServiceTier.choices, blank=True
    )
    tier_override_reason = models.CharField(_("override reason"), max_length=200, blank=True)
    pyramid = models.CharField(
        _("value pyramid"), max_length=8, choices=Pyramid.choices, default=Pyramid.SMALL
    )
    customer_class = models.CharField(
        _("customer class"), max_length=1, choices=CustomerClass.choices, default=CustomerClass.C
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("view_pii", _("Can reveal full phone and ID numbers")),
            ("export_customer", _("Can export customers")),
            ("import_customer", _("Can import customers")),
            ("register_change", _("Can register sensitive customer changes")),
        ]
        indexes = [
            models.Index(fields=["org_unit", "id"], name="customer_unit_id"),
            # Name-prefix search: the range on name, and the scope check on org_unit read
            # from the index alone — a broad prefix's page count touches no table rows.
            models.Index(fields=["name", "org_unit"], name="customer_name_unit"),
            models.Index(fields=["-monthly_value"], name="customer_value_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def effective_tier(self) -> str:
        return self.tier_override or self.tier


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    EMAIL = "email", _("E-mail")
    ADDRESS = "address", _("Address")


class CustomerContact(models.Model):
    """Further contacts beyond the primary phone and address on the customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=200)
    search_key = models.CharField(max_length=200, db_index=True, editable=False, blank=True)
    label = models.CharField(_("label"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label or self.kind}"


class ProductKind(models.TextChoices):
    BROADBAND = "broadband", _("Broadband")  # 宽带
    FIXED_LINE = "fixed_line", _("Fixed line")  # 固话
    MOBILE = "mobile", _("Mobile")  # 移动
    VALUE_ADDED = "value_added", _("Value-added")  # 增值业务


class CustomerProduct(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="products")
    kind = models.CharField(_("product type"), max_length=16, choices=ProductKind.choices)
    account_number = models.CharField(_("account number"), max_length=40, db_index=True)
    name = models.CharField(_("product name"), max_length=100, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product held")
        verbose_name_plural = _("products held")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.account_number}"


class TierThreshold(models.Model):
    """Minimum monthly consumption for a tier. Configurable by administrators."""

    kind = models.CharField(_("customer type"), max_length=16, choices=CustomerKind.choices)
    level = models.CharField(_("level"), max_length=8)  # diamond/gold/silver/basic or 1..5
    min_monthly_value = models.DecimalField(
        _("minimum monthly consumption"), max_digits=12, decimal_places=2
    )

    class Meta:
        verbose_name = _("tier threshold")
        verbose_name_plural = _("tier thresholds")
        constraints = [
            models.UniqueConstraint(fields=["kind", "level"], name="uniq_tier_threshold")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.level} ≥ {self.min_monthly_value}"


class PyramidCutoff(models.Model):
    """Share of customers (by revenue rank, top first) in each pyramid layer."""

    layer = models.CharField(_("layer"), max_length=8, choices=Pyramid.choices, unique=True)
    top_percent = models.DecimalField(
        _("cumulative top percent"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Customers ranked within this cumulative top share fall in this layer."),
    )
    min_value = models.DecimalField(
        _("minimum monthly value at last ranking"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        ordering = ["top_percent"]
        verbose_name = _("pyramid cut-off")
        verbose_name_plural = _("pyramid cut-offs")

    def __str__(self) -> str:
        return f"{self.get_layer_display()} ≤ {self.top_percent}%"


class HistorySource(models.TextChoices):
    CREATE = "create", _("Created")
    EDIT = "edit", _("Edited")
    CHANGE_REGISTER = "change_register", _("Change register")
    IMPORT = "import", _("Import")
    TIER = "tier", _("Tier change")


class CustomerHistory(models.Model):
    """One change to a customer: which fields went from what to what, by whom."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="history"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=HistorySource.choices)
    changes = models.JSONField(_("changes"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("customer history")
        verbose_name_plural = _("customer history")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.get_source_display()} {self.at:%Y-%m-%d %H:%M}"


class IdentityCheck(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")


class ChangeRequest(models.Model):
    """客户信息变更登记: a sensitive change, applied only after an identity check (001:740)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    changes = models.JSONField(_("changes"))
    identity_checks = models.JSONField(_("identity checks passed"))
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("change register entry")
        verbose_name_plural = _("change register")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reason}"


class AccessAction(models.TextChoices):
    REVEAL = "reveal", _("Revealed personal data")  # 查看明文
    EXPORT = "export", _("Exported personal data")  # 导出
    # 身份核验: comparing what a caller states with the archive confirms personal data too,
    # so every check the change register makes is logged, passed or failed.
    IDENTITY_PASSED = "identity_passed", _("Identity check passed")  # 身份核验通过
    IDENTITY_FAILED = "identity_failed", _("Identity check failed")  # 身份核验失败


class AccessLog(models.Model):
    """查阅登记: every unmasked view and every export of personal data (001:742)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=AccessAction.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL
    )
    fields = models.CharField(_("fields"), max_length=100, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=1)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    actor_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.SET_NULL)
    # The work order a reveal was made for (联系客户 by its handler or owner): a number, not
    # a key, so the customer archive does not depend on the work-order app.
    work_order_number = models.CharField(_("work order"), max_length=32, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.actor_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")  # 等待中
    RUNNING = "running", _("Running")  # 进行中
    DONE = "done", _("Done")  # 已完成
    FAILED = "failed", _("Failed")  # 失败


class ImportJob(models.Model):
    """导入批次: one customer import (web upload or `kefu import`), its outcome and problems.

    Imported customers point here through their CustomerHistory note ("import #id"); live
    progress while a job runs is kept in the cache, because the import's own transaction
    hides intermediate writes from other connections.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    stored_path = models.CharField(max_length=500, blank=True, editable=False)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)  # the first ones
    rejects_path = models.CharField(max_length=500, blank=True, editable=False)
    message = models.CharField(_("message"), max_length=500, blank=True)
    # The uploader's UI language: the worker writes the problems in it.
    language = models.CharField(max_length=10, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.get_status_display()})"
