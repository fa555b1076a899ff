"""E-mails to operators (an invitation, a password reset): the web layer's
implementation of pec.domain.operator_accounts.OperatorMessages.

Operators are not members: these e-mails are not part of the members' Notices port
(pec.member_mail). They are rendered from templates/emails/operator_<kind>.txt and
.html in the language of the admin who acted, and queued in the outbox inside the
caller's transaction like every other e-mail.
"""

from flask import current_app

from pec.domain.operator_accounts import LINK_LIFETIMES
from pec.domain.outbox import enqueue
from pec.language import current_language
from pec.language import lazy_gettext as _l
from pec.links import external_url
from pec.member_mail import render_email
from pec.vocabulary import OperatorLinkPurpose


class OperatorMail:
    def __init__(self):
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.sender_domain = sender.rpartition("@")[2].strip(">") or "localhost"
        self.base_url = current_app.config["PEC_BASE_URL"]

    def _queue(self, kind, operator, token, by, subject, purpose):
        language = current_language()
        hours = int(LINK_LIFETIMES[purpose].total_seconds() // 3600)
        email = render_email(
            f"operator_{kind}",
            to=operator.email,
            language=language,
            subject=subject,
            name=operator.display_name,
            by=by.display_name,
            link=external_url("operators.access.welcome", token=token),
            login_url=external_url("operators.login"),
            hours=hours,
            help_url=external_url("pages.help_page"),
            privacy_url=external_url("pages.privacy"),
        )
        enqueue(email, sender_domain=self.sender_domain, base_url=self.base_url)

    def invitation(self, operator, token: str, invited_by) -> None:
        self._queue(
            "invitation",
            operator,
            token,
            invited_by,
            _l("Invito all'area operatori del portale di rinnovo PEC"),
            OperatorLinkPurpose.INVITE,
        )

    def password_reset(self, operator, token: str, reset_by) -> None:
        self._queue(
            "password_reset",
            operator,
            token,
            reset_by,
            _l("Scegli una nuova password per l'area operatori"),
            OperatorLinkPurpose.RESET,
        )
