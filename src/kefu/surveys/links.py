"""The signed survey link 问卷链接 `/s/<token>/`: tampered → refused, expired (the
campaign's expiry) → refused, used (the invitation answered) → refused."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import KefuError

SALT = "kefu.surveys.link"


class LinkRefused(KefuError):
    code = "link_refused"
    status = 410
    default_message = gettext_lazy("This survey link is no longer valid.")


def link(invitation) -> str:
    token = signing.dumps([invitation.pk, invitation.nonce], salt=SALT, compress=True)
    return f"{settings.KEFU_PUBLIC_URL.rstrip('/')}/s/{token}/"


def invitation_for(token: str):
    """The invitation a token names, still open; LinkRefused (or 404 for a forged token)
    otherwise."""
    from kefu.surveys.models import Invitation, InvitationStatus

    try:
        pk, nonce = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    invitation = (
        Invitation.objects.select_related("campaign__version__survey")
        .filter(pk=pk, nonce=nonce)
        .first()
        if isinstance(pk, int) and isinstance(nonce, str)
        else None
    )
    if invitation is None:
        return None
    if invitation.status == InvitationStatus.ANSWERED:
        raise LinkRefused(_("This survey has already been answered. Thank you."))
    if (
        invitation.status == InvitationStatus.EXPIRED
        or timezone.now() > invitation.campaign.expires_at
    ):
        raise LinkRefused(_("This survey has closed."))
    return invitation
