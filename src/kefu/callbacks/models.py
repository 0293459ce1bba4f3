"""Callbacks 回访: who is called back after which order, when, how, and what they said.

A callback task 回访任务 is one call to one customer. It covers one or more resolved
orders (items): one customer's callbacks due within a few days merge into one call,
whichever departments resolved the orders (001:472-478, "no redundant callbacks"). Each
item keeps the figures the statistics count — its level, whether it was done within the
limit, and the order's type, line, units and people copied at creation — so a month of a
million callbacks is aggregated from one table.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.callbacks.satisfaction import REPLY_CODES
from kefu.core.refcache import ProcessCached
from kefu.org.models import OrgUnit
from kefu.workorders.models import BusinessLine, WorkOrder, WorkOrderType


class Mode(models.TextChoices):
    SMS = "sms", _("SMS")  # 短信回访
    IVR = "ivr", _("Automatic voice")  # 语音自动回访
    MANUAL = "manual", _("Manual call")  # 人工回访


class DissatisfiedAction(models.TextChoices):
    REOPEN = "reopen", _("Reopen the order for its unit")  # 重新打开
    COMPLAINT = "complaint", _("Open a new complaint linked to it")  # 新建关联投诉


class CallbackSettings(models.Model):
    """The tunable numbers of callbacks (one row; business parameters the service-quality
    office changes without a deployment, like ComplaintSettings)."""

    limit_days = models.PositiveSmallIntegerField(
        _("time limit (business days)"),
        default=3,
        help_text=_("A callback is due the same business day, at the latest this many."),
    )
    merge_days = models.PositiveSmallIntegerField(
        _("merge window (days)"),
        default=3,
        help_text=_("One customer's callbacks created within this many days merge into one."),
    )
    no_reply_hours = models.PositiveSmallIntegerField(
        _("no SMS reply: manual call after (business hours)"), default=4
    )
    max_attempts = models.PositiveSmallIntegerField(_("call attempts"), default=3)
    retry_minutes = models.PositiveSmallIntegerField(
        _("next attempt after (business minutes)"), default=60
    )
    manual_tiers = models.JSONField(
        _("tiers called by a person"),
        default=list,
        blank=True,
        help_text=_('Important and high-value customers, e.g. ["diamond", "gold", "1A"].'),
    )
    automatic = models.CharField(
        _("automatic callback by"),
        max_length=8,
        choices=[("sms", _("SMS")), ("ivr", _("Automatic voice"))],
        default="sms",
        help_text=_(
            "Automatic voice needs an active webhook endpoint subscribed to the event "
            "callback.ivr_call (the voice gateway); without one, SMS is used."
        ),
    )
    reply_codes = models.JSONField(
        _("SMS reply codes"),
        default=dict,
        blank=True,
        help_text=_(
            'The digit for each answer, as the callback SMS offers it, e.g. {"1": '
            '"very_satisfied", "2": "satisfied", "3": "dissatisfied"}; empty: these.'
        ),
    )
    dissatisfied_action = models.CharField(
        _("after a dissatisfied answer"),
        max_length=16,
        choices=DissatisfiedAction.choices,
        default=DissatisfiedAction.REOPEN,
    )

    class Meta:
        verbose_name = _("callback settings")
        verbose_name_plural = _("callback settings")

    def __str__(self) -> str:
        return str(_("Callback settings"))

    @classmethod
    def current(cls) -> CallbackSettings:
        """The saved row, or the defaults (per process: every resolve reads it)."""
        return _current_settings()

    def codes(self) -> dict[str, str]:
        """Digit → level of an SMS reply."""
        return dict(self.reply_codes) or {d: str(level) for d, level in REPLY_CODES.items()}

    def codes_text(self) -> str:
        """What the outgoing texts say: "1 非常满意，2 满意，3 不满意"."""
        labels = dict(Level.choices)
        return "，".join(f"{d} {labels[level]}" for d, level in sorted(self.codes().items()))

    def clean(self) -> None:
        codes = self.reply_codes or {}
        ok = (
            isinstance(codes, dict)
            and all(isinstance(d, str) and len(d) == 1 and d.isdigit() for d in codes)
            and sorted(codes.values()) == sorted(Level.values)
        )
        if codes and not ok:
            raise ValidationError(
                {"reply_codes": _("Give each of the three answers one digit of its own.")}
            )


DEFAULT_MANUAL_TIERS = ["diamond", "gold", "1A", "2A"]


def _load_settings() -> CallbackSettings:
    return CallbackSettings.objects.order_by("pk").first() or CallbackSettings(
        manual_tiers=DEFAULT_MANUAL_TIERS
    )


_current_settings = ProcessCached(_load_settings, models=(CallbackSettings,))


class CallbackPolicy(models.Model):
    """回访制度 for one order type: the share called back, who calls, and the script."""

    order_type = models.OneToOneField(
        WorkOrderType,
        verbose_name=_("type"),
        on_delete=models.CASCADE,
        related_name="callback_policy",
    )
    share = models.PositiveSmallIntegerField(
        _("share called back (%)"),
        default=100,
        help_text=_("100 for every order; e.g. 30 to sample consultations."),
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("callback unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Blank: the unit that took the order in."),
    )
    script = models.TextField(_("script outline"), blank=True)  # 回访提纲

    class Meta:
        verbose_name = _("callback policy")
        verbose_name_plural = _("callback policies")

    def __str__(self) -> str:
        return f"{self.order_type} {self.share}%"


class DissatisfactionReason(models.Model):
    """The reason tree for a dissatisfied answer (不满意原因)."""

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
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = _("dissatisfaction reason")
        verbose_name_plural = _("dissatisfaction reasons")

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To call")  # 待回访
    DONE = "done", _("Done")  # 已回访
    EXHAUSTED = "exhausted", _("Not reached")  # 回访失败 (attempts exhausted, refused …)
    CANCELLED = "cancelled", _("Cancelled")  # 已取消 (the order was reopened first)


class ClockState(models.TextChoices):
    RUNNING = "running", _("On time")  # 计时中
    WARNING = "warning", _("Not done the same day")  # 预警: past the same-day target
    BREACHED = "breached", _("Overdue")  # 已超时: past the limit
    MET = "met", _("Done on time")  # 按时完成
    LATE = "late", _("Done late")  # 超时完成


class TaskKind(models.TextChoices):
    ORDER = "order", _("After an order")  # 工单回访
    THANK_YOU = "thank_you", _("Thank-you call")  # 感谢回访
    RESIDENCE = "residence", _("Residence callback")  # 居住回访
    HANDOVER = "handover", _("New account manager")  # 顾问离职回访


class CallbackPlan(models.Model):
    """A callback plan without an order (回访计划): thank-you calls to loyal customers, the
    residence callback three months after a move-in, the customers of a leaving account
    manager. Its tasks go to the callback desk like any other."""

    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind.choices)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("callback unit"), on_delete=models.PROTECT, related_name="+"
    )
    script = models.TextField(_("script outline"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("callback plan")
        verbose_name_plural = _("callback plans")

    def __str__(self) -> str:
        return self.name


class CallbackTask(models.Model):
    """One call to one customer (回访任务), with its own time limit.

    `due_at` is the same-day target (the end of the business day the first order was
    resolved on), `deadline_at` the limit (3 business days); `next_check_at` is when the
    monitor must look next (warning, breach, escalation, the no-reply switch to a
    person), NULL when nothing can happen without a user.
    """

    kind = models.CharField(
        _("kind"), max_length=12, choices=TaskKind.choices, default=TaskKind.ORDER
    )
    plan = models.ForeignKey(
        CallbackPlan,
        verbose_name=_("callback plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callback_tasks",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("callback unit"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    follow_up = models.BooleanField(_("dissatisfied: follow-up call"), default=False)
    mode_reason = models.CharField(_("why this mode"), max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("callback agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    due_at = models.DateTimeField(_("due (same day)"))
    deadline_at = models.DateTimeField(_("time limit"))
    clock_state = models.CharField(
        _("time-limit state"), max_length=10, choices=ClockState.choices, default="running"
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("SMS sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome_note = models.CharField(_("why not reached"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("callback task")
        verbose_name_plural = _("callback tasks")
        permissions = [("handle_callback", _("Can make callbacks"))]
        indexes = [
            # The callback desk: a unit's open tasks by due time.
            models.Index(
                fields=["unit", "due_at", "id"],
                condition=Q(status="open"),
                name="cb_task_open_unit_due",
            ),
            # Matching an SMS reply, and merging: a customer's or a phone's open tasks.
            models.Index(fields=["phone"], condition=Q(status="open"), name="cb_task_open_phone"),
            models.Index(
                fields=["customer", "created_at"],
                condition=Q(status="open"),
                name="cb_task_open_customer",
            ),
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="cb_task_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class Level(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")  # 非常满意
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class CallbackItem(models.Model):
    """One order (or one plan entry) a callback covers, and what the customer said of it.

    The order's type, line, units and people are copied here when the callback is due:
    the statistics group and filter by them without a join, and a later correction of
    the order does not rewrite last month's figures.
    """

    # NULL until the callback monitor puts the item into a call: a new task, or the
    # customer's open one (see kefu.callbacks.services.callbacks_assign).
    task = models.ForeignKey(
        CallbackTask,
        verbose_name=_("callback"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )
    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="callback_items",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_on = models.DateField(_("due day"))  # the period the statistics count it in
    deadline_at = models.DateTimeField(_("time limit"))
    area_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order_type = models.ForeignKey(
        WorkOrderType,
        verbose_name=_("type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepting agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    level = models.CharField(_("satisfaction"), max_length=16, choices=Level.choices, blank=True)
    reason = models.ForeignKey(
        DissatisfactionReason,
        verbose_name=_("dissatisfaction reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.CharField(_("customer's words"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    on_time = models.BooleanField(_("within the limit"), null=True)
    # A satisfied automatic answer: the monitor's next pass archives the order.
    to_archive = models.BooleanField(default=False, editable=False)
    follow_up_order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("follow-up order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["task_id", "id"]
        verbose_name = _("callback item")
        verbose_name_plural = _("callback items")
        indexes = [
            # The statistics: one period, one area subtree.
            models.Index(fields=["due_on", "area_unit"], name="cb_item_period_area"),
            # The monitor's next batch of items to put into calls.
            models.Index(
                fields=["id"],
                condition=Q(task__isnull=True, status="open"),
                name="cb_item_unassigned",
            ),
            models.Index(fields=["id"], condition=Q(to_archive=True), name="cb_item_to_archive"),
        ]
        constraints = [
            # An order has one live callback (a reopened and re-resolved one gets another).
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="open"), name="cb_item_one_open_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.order_id} {self.level}"


class Outcome(models.TextChoices):
    SMS_SENT = "sms_sent", _("SMS sent")  # 短信已发
    CALL_PLACED = "ivr_called", _("Automatic call placed")  # 已发起语音回访
    ANSWERED = "answered", _("Answered")  # 接通
    NO_ANSWER = "no_answer", _("No answer")  # 无人接听
    BUSY = "busy", _("Busy")  # 占线
    WRONG_NUMBER = "wrong_number", _("Wrong number")  # 号码错误
    REFUSED = "refused", _("Refused")  # 拒绝回访
    SMS_REPLY = "sms_reply", _("SMS reply")  # 短信回复
    NO_REPLY = "no_reply", _("No SMS reply")  # 短信未回复


class CallbackAttempt(models.Model):
    """One try to reach the customer, and how it went."""

    task = models.ForeignKey(
        CallbackTask, verbose_name=_("callback"), on_delete=models.CASCADE, related_name="log"
    )
    at = models.DateTimeField(_("at"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The automatic voice gateway's id of the call: a result delivered twice counts once.
    call_id = models.CharField(_("call id"), max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["task_id", "at", "id"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome}"


class InboundStatus(models.TextChoices):
    MATCHED = "matched", _("Recorded")  # 已记录
    REVIEW = "review", _("To review")  # 待人工识别
    UNMATCHED = "unmatched", _("No open callback")  # 无待回访
    REVIEWED = "reviewed", _("Reviewed")  # 已人工处理


class InboundSms(models.Model):
    """An SMS a customer sent to the gateway, as it arrived (上行短信)."""

    message_id = models.CharField(_("message id"), max_length=100, unique=True)
    phone = models.CharField(_("from"), max_length=20)
    text = models.CharField(_("text"), max_length=1000)
    received_at = models.DateTimeField(_("received"))
    task = models.ForeignKey(
        CallbackTask,
        verbose_name=_("callback"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    status = models.CharField(_("status"), max_length=12, choices=InboundStatus.choices)
    level = models.CharField(_("satisfaction"), max_length=16, choices=Level.choices, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(status="review"), name="cb_sms_review"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"
