"""The SMS sequence 短信逐题: a customer with an open SMS survey answers one question per
reply; the next question follows, then a thank-you. Called by kefu.callbacks.inbound for a
reply from a number with no open callback (an open callback takes precedence)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.notify.customer import customer_context
from kefu.notify.services import notify
from kefu.surveys.answers import one_value
from kefu.surveys.models import Answer, CampaignStatus, Channel, Invitation, InvitationStatus
from kefu.surveys.services import question_sms


def survey_sms_reply(*, phone: str, text: str) -> str | None:
    """None when `phone` has no SMS survey waiting; "matched" when the reply answered the
    current question; "review" when it could not be read (the question is asked again
    with what to reply). In the caller's transaction."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(
            phone=phone,
            status=InvitationStatus.PENDING,
            campaign__channel=Channel.SMS,
            campaign__status=CampaignStatus.SENT,
            campaign__expires_at__gt=timezone.now(),
        )
        .order_by("-campaign__sent_at", "-pk")
        .first()
    )
    if invitation is None:
        return None
    questions = list(invitation.campaign.version.questions.all())
    question = questions[invitation.step]
    try:
        values = one_value(question, text)
    except ValueError as exc:
        values, error = [], str(exc)
    else:
        error = "" if values or not question.required else _("Please answer this question.")
    if error:
        _send(invitation, f"{error}{question_sms(question, invitation.step, len(questions))}")
        return "review"
    Answer.objects.bulk_create(
        Answer(
            invitation=invitation,
            campaign_id=invitation.campaign_id,
            question=question,
            value=v if isinstance(v, int) else None,
            text="" if isinstance(v, int) else v,
        )
        for v in values
    )
    invitation.step += 1
    if invitation.step >= len(questions):
        invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, timezone.now()
        _send(invitation, _("Thank you for answering our survey."))
    else:
        nxt = questions[invitation.step]
        _send(invitation, question_sms(nxt, invitation.step, len(questions)))
    invitation.save(update_fields=["step", "status", "answered_at"])
    return "matched"


def _send(invitation: Invitation, text: str) -> None:
    notify(
        template="survey_question",
        context=customer_context(text=text),
        addresses=[invitation.phone],
        channel="sms",
    )
