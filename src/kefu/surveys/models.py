"""Surveys 问卷: a questionnaire in versions (a campaign keeps the version it was sent
with), its questions in sections, campaigns to a sample of customers, the invitations and
the answers (one row per answered value, indexed for the results)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer
from kefu.org.models import OrgUnit


class QuestionKind(models.TextChoices):
    SCORE_10 = "score_10", _("Score 1–10")  # 1–10 分
    LEVEL_3 = "level_3", _("Very satisfied / satisfied / dissatisfied")  # 三级
    SINGLE = "single", _("Single choice")  # 单选
    MULTIPLE = "multiple", _("Multiple choice")  # 多选
    TEXT = "text", _("Free text")  # 文字


class Survey(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)  # 功能 / 关系 / 流程 …
    # None: a template every unit may run (the seeded ones).
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"))
    is_template = models.BooleanField(_("template"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        permissions = [
            ("manage_survey", _("Can build surveys and run campaigns")),
            ("call_survey", _("Can make survey calls")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> SurveyVersion:
        return self.versions.order_by("-number").first()


class SurveyVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="uniq_survey_version")
        ]

    def __str__(self) -> str:
        return f"{self.survey.name} v{self.number}"


class Question(models.Model):
    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("order"))
    section = models.CharField(_("section"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    is_nps = models.BooleanField(_("would you recommend (NPS, 0–10)"), default=False)
    tags = models.JSONField(_("tags"), default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.text

    @property
    def low(self) -> int:
        return 0 if self.is_nps else 1


class Channel(models.TextChoices):
    SMS = "sms", _("SMS, question by question")  # 短信逐题
    WEB = "web", _("Web link by SMS")  # 链接
    CALL = "call", _("Outbound call by an agent")  # 外呼


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Running")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    criteria = models.JSONField(_("sample"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    expires_at = models.DateTimeField(_("links expire"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Not answered")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")


class Invitation(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("phone"), max_length=20)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=40, blank=True)
    nonce = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    step = models.PositiveSmallIntegerField(default=0)  # the SMS sequence's next question
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="survey_inv_campaign"),
            models.Index(fields=["phone", "status"], name="survey_inv_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.pk}"


class Answer(models.Model):
    """One value answered: a score, a level (1–3), a choice's index (one row per choice
    ticked), or text (value NULL)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "question", "value"], name="survey_answer_results")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value if self.value is not None else self.text}"
