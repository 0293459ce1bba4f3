"""Work orders 工单: types, business lines, categories, the order, its events, routing rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.org.models import OrgUnit
from kefu.workorders.transitions import Action, State


class Status(models.TextChoices):
    ACCEPTED = State.ACCEPTED, _("Accepted")  # 已受理
    DISPATCHED = State.DISPATCHED, _("Dispatched")  # 已派单
    IN_PROGRESS = State.IN_PROGRESS, _("In progress")  # 处理中
    SUSPENDED = State.SUSPENDED, _("Suspended")  # 挂起
    RESOLVED = State.RESOLVED, _("Resolved")  # 已处理
    REPLIED = State.REPLIED, _("Replied")  # 已回复
    CLOSED = State.CLOSED, _("Closed")  # 已归档
    RETURNED = State.RETURNED, _("Returned")  # 退单
    CANCELLED = State.CANCELLED, _("Cancelled")  # 已撤销
    REOPENED = State.REOPENED, _("Reopened")  # 重新打开


class SlaState(models.TextChoices):
    """An order's time-limit state, the worst of its live clocks' (kept by kefu.sla)."""

    ON_TIME = "", _("On time")  # 正常
    WARNING = "warning", _("Warning")  # 预警
    BREACHED = "breached", _("Overdue")  # 超时
    ERROR = "error", _("No calendar")  # 日历缺失


class Channel(models.TextChoices):
    """Intake channel 受理渠道."""

    HOTLINE = "hotline", _("Hotline")  # 热线
    HALL = "hall", _("Service hall")  # 营业厅
    WEB = "web", _("Web portal")  # 网上营业厅
    EMAIL = "email", _("E-mail")  # 电子邮件
    API = "api", _("API")  # 系统接口
    REFERRAL = "referral", _("Higher-level referral")  # 上级转办


class ComplaintSource(models.TextChoices):
    """Where a complaint came from; all but DIRECT make it an escalated complaint 越级投诉."""

    DIRECT = "direct", _("Customer directly")  # 客户直接投诉
    GROUP = "group", _("Group headquarters")  # 集团
    PROVINCE = "province", _("Provincial company")  # 省公司
    MIIT = "miit", _("MIIT appeal")  # 工信部申诉
    CONSUMER_COUNCIL = "consumer_council", _("Consumer council")  # 消委
    HOTLINE_12315 = "12315", _("12315 hotline")  # 12315
    OTHER_REGULATOR = "regulator", _("Other regulator")  # 其他监管部门


class Remedy(models.TextChoices):
    """The customer's remedy claim 投诉权益主张 (001:290)."""

    NONE = "", _("None")
    COMPENSATION = "compensation", _("Compensation")  # 损害赔偿
    REPAIR_REPLACE_REDO = "repair_replace_redo", _("Repair, replace or redo")  # 修理、更换、重做
    NON_PROPERTY = "non_property", _("Non-property damages")  # 非财产损害的赔偿


# The open states in one fixed order: the partial indexes' predicate, and the list every
# queue filters by. Written the same way, PostgreSQL sees one condition; as two differently
# ordered lists (a frozenset's order changes from process to process) it took them for two
# independent conditions, ANDed two indexes on the same thing and misjudged the plan.
OPEN_STATUSES = ("accepted", "dispatched", "in_progress", "suspended", "returned", "reopened")
WAITING_DISPATCH_STATUSES = ("accepted", "returned", "reopened")


class WorkOrderType(models.Model):
    """咨询, 投诉, 故障申告, 装机 … configurable by administrators."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    is_fault = models.BooleanField(_("fault report"), default=False)
    is_internal = models.BooleanField(_("internal request"), default=False)
    needs_callback = models.BooleanField(_("callback required"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = _("work-order type")
        verbose_name_plural = _("work-order types")

    def __str__(self) -> str:
        return self.name


class BusinessLine(models.Model):
    """宽带, 固话, 移动, 增值业务 …"""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = _("business line")
        verbose_name_plural = _("business lines")

    def __str__(self) -> str:
        return self.name


class CategoryKind(models.TextChoices):
    PROBLEM = "problem", _("Problem")  # 问题分类
    CAUSE = "cause", _("Cause")  # 原因分类


class Category(models.Model):
    """A node of the problem-category or cause tree used in complaint analysis."""

    kind = models.CharField(_("kind"), max_length=8, choices=CategoryKind.choices)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class Assignment(models.TextChoices):
    """How a unit picks a person for a routed order."""

    NONE = "none", _("Unit queue (no person)")  # 只派到单位
    ROUND_ROBIN = "round_robin", _("Round robin")  # 轮询
    LEAST_LOAD = "least_load", _("Least open orders")  # 最少在办
    SKILL = "skill", _("By skill")  # 技能


class DispatchRule(models.Model):
    """Routes a new order by type × business line × area × tier to a handling unit.

    Blank criteria match anything; the area matches the customer's unit and everything
    below it. Rules are tried by ascending priority; the first match wins and is recorded
    on the order.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    order_type = models.ForeignKey(
        WorkOrderType, verbose_name=_("type"), null=True, blank=True, on_delete=models.CASCADE
    )
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    area = models.ForeignKey(
        OrgUnit,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    target_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("handling unit"), on_delete=models.PROTECT, related_name="+"
    )
    assignment = models.CharField(
        _("assignment"), max_length=16, choices=Assignment.choices, default=Assignment.NONE
    )
    skill = models.CharField(_("skill"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")

    def __str__(self) -> str:
        return self.name


class RoundRobinCursor(models.Model):
    """The last person a unit's round robin picked (locked while choosing the next)."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="+")
    last_user_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.last_user_id}"


class WorkOrder(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    order_type = models.ForeignKey(WorkOrderType, verbose_name=_("type"), on_delete=models.PROTECT)
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    source = models.CharField(
        _("complaint source"),
        max_length=16,
        choices=ComplaintSource.choices,
        default=ComplaintSource.DIRECT,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACCEPTED
    )
    suspended_from = models.CharField(max_length=16, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        db_index=False,  # led by a composite index below
    )
    customer_tier = models.CharField(_("customer tier"), max_length=8, blank=True)
    caller_phone = models.CharField(_("caller number"), max_length=20, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    # The area the order belongs to (the customer's unit, else the accepting unit).
    area_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by a composite index below
    )

    # 首问负责制: who took it and stays owner of record until closure.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="owned_work_orders",
        db_index=False,  # led by a composite index below
    )
    accepting_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("accepting unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by a composite index below
    )
    dispatching_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("dispatching unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handling_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by a composite index below
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_work_orders",
        db_index=False,  # led by a composite index below
    )
    dispatch_rule = models.ForeignKey(
        DispatchRule,
        verbose_name=_("dispatch rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    supervising_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("supervised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        OrgUnit,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    urge_count = models.PositiveSmallIntegerField(_("urged"), default=0)

    # Complaint analysis.
    category = models.ForeignKey(
        Category,
        verbose_name=_("problem category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.ForeignKey(
        Category,
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_complaint = models.BooleanField(default=False, editable=False)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    is_escalated = models.BooleanField(_("escalated complaint"), default=False)
    is_difficult = models.BooleanField(_("difficult / major"), default=False)
    first_contact_resolution = models.BooleanField(_("resolved at first contact"), default=False)
    justified = models.BooleanField(_("justified"), null=True, blank=True)  # 有理由/无理由
    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_person = models.CharField(_("responsible person"), max_length=50, blank=True)
    remedy = models.CharField(
        _("remedy"), max_length=24, choices=Remedy.choices, blank=True, default=Remedy.NONE
    )
    resolution = models.TextField(_("resolution"), blank=True)
    reply = models.TextField(_("reply to customer"), blank=True)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    related = models.ManyToManyField("self", verbose_name=_("related orders"), blank=True)

    # Time limits: the earliest running deadline, kept here by the SLA app for lists.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, blank=True, default="", choices=SlaState.choices
    )
    # due_at is provisional (暂定): a calendar year it runs into has no holiday data yet, so
    # it was counted on weekends only; recomputed when the year is imported.
    due_provisional = models.BooleanField(_("due time provisional"), default=False)

    created_at = models.DateTimeField(_("accepted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        permissions = [
            ("dispatch_workorder", _("Can dispatch work orders")),
            ("handle_workorder", _("Can handle work orders")),
            ("supervise_workorder", _("Can supervise work orders")),
        ]
        indexes = [
            # A unit's orders by state; the dispatch queue; mine.
            models.Index(fields=["handling_unit", "status", "-id"], name="wo_unit_status"),
            models.Index(fields=["area_unit", "status", "-id"], name="wo_area_status"),
            models.Index(fields=["accepting_unit", "-id"], name="wo_accepting"),
            models.Index(fields=["status", "-id"], name="wo_status"),
            # Open orders by due time, earliest first, across the six open states: the
            # default order of every open-order queue (ORDER BY due_at ASC NULLS LAST, id;
            # read backwards for the reverse).
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="wo_open_due",
            ),
            models.Index(fields=["owner", "-id"], name="wo_owner"),
            models.Index(fields=["handler", "status"], name="wo_handler_status"),
            models.Index(fields=["customer", "-created_at"], name="wo_customer"),
            # The dispatch queue by due time: its few orders among all open ones, so that
            # a county dispatcher's first page never reads the whole open backlog.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status__in=WAITING_DISPATCH_STATUSES),
                name="wo_dispatch_due",
            ),
            # The warning and overdue queues (open orders only: closed ones keep the state
            # they were closed in), by due time, the id making the page order stable.
            models.Index(
                fields=["sla_state", "due_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="wo_open_sla_due",
            ),
            models.Index(
                fields=["is_complaint", "category", "area_unit", "created_at"],
                name="wo_complaint_stats",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        from kefu.workorders.transitions import OPEN

        return self.status in OPEN


class WorkOrderEvent(models.Model):
    """One line of an order's timeline: who did what, from which state to which."""

    order = models.ForeignKey(
        WorkOrder,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # led by wo_event_order
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="wo_event_order")]
        verbose_name = _("work-order event")
        verbose_name_plural = _("work-order events")

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"


class CoHandling(models.Model):
    """A unit invited to co-handle 协办 an order; it records its part, the lead resolves."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="co_handlings")
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    part = models.TextField(_("their part"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "unit"], name="cohandling_once_per_unit")
        ]
        verbose_name = _("co-handling unit")
        verbose_name_plural = _("co-handling units")

    def __str__(self) -> str:
        return f"{self.order_id} / {self.unit_id}"


class Attachment(models.Model):
    """A file that came with an order (an e-mail's attachment), kept under the data dir.

    `path` is relative to settings.DATA_DIR and generated (never the sender's file name);
    `name` is the original name, shown and offered on download."""

    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    path = models.CharField(_("storage path"), max_length=255, unique=True, editable=False)
    event = models.ForeignKey(
        WorkOrderEvent,
        verbose_name=_("work-order event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
