"""The scheduled work as the scheduler and the CLI run it (SPEC §4).

The rules live in pec.domain.lifecycle; this module gives them the e-mails (rendered
from templates/emails/ in the holder's language) and records each run in JobRun.
"""

import datetime as dt
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from pec import delivery
from pec.domain import clock, lifecycle
from pec.domain.outbox import Email
from pec.mail import external_url, render_email
from pec.models import JobRun
from pec.web import format_date

TEMPLATES = {
    lifecycle.REMINDER: "reminder",
    lifecycle.DEACTIVATION: "deactivated",
    lifecycle.CEASING: "ceased",
}


def renewal_link(address: str) -> str:
    """The login with the PEC address prefilled, then Gestione PEC with RINNOVA (R7)."""
    next_path = urlsplit(external_url("mailboxes.index")).path
    return external_url("auth.login", login=address, next=next_path)


class EmailNotices:
    """Composes the lifecycle e-mails (lifecycle.Notices) with the app's templates."""

    def __init__(self):
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.sender_domain = sender.rpartition("@")[2].strip(">") or "localhost"

    def subject(self, due: lifecycle.Due):
        values = dict(address=due.mailbox.address, date=format_date(due.expires_on))
        if due.kind == lifecycle.REMINDER:
            return _l("La casella PEC %(address)s scade il %(date)s", **values)
        if due.kind == lifecycle.DEACTIVATION:
            return _l("La casella PEC %(address)s è stata disattivata", **values)
        return _l("La casella PEC %(address)s è cessata", **values)

    def compose(self, due: lifecycle.Due) -> Email:
        account = due.mailbox.account
        return render_email(
            TEMPLATES[due.kind],
            to=due.to_address,
            language=account.language,
            subject=self.subject(due),
            due=due,
            name=account.display_name,
            address=due.mailbox.address,
            expires_on=due.expires_on,
            order=due.order,
            convention=account.convention,
            renewal_url=renewal_link(due.mailbox.address),
        )


def run_daily(today: dt.date, only=lifecycle.DAILY_JOBS) -> list[JobRun]:
    """The daily jobs (all, or `only` these) once as of `today`, each recorded in JobRun."""
    # The clean-up also purges identity documents past retention (data minimisation).
    documents_dir = current_app.config["PEC_DOCUMENTS_DIR"]
    return lifecycle.run_daily_jobs(today, EmailNotices(), only, documents_dir)


def _deliver() -> lifecycle.JobResult:
    counts = delivery.deliver_all()
    result = lifecycle.JobResult(counts=counts)
    undelivered = counts["retry_later"] + counts["failed"]
    if undelivered:
        result.errors.append(f"{undelivered} message(s) not delivered: see the outbox errors")
    return result


def send_outbox() -> JobRun:
    """Deliver the due outbox messages now, recorded in JobRun."""
    return lifecycle.run_job(lifecycle.JOB_SEND_OUTBOX, clock.today(), _deliver)
