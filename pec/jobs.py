"""The scheduled work as the scheduler and the CLI run it (SPEC §4).

The rules live in pec.domain.lifecycle; this module gives them the member e-mails
(pec.member_mail) and the app's settings, and records each run in JobRun.
"""

import datetime as dt

from flask import current_app

from pec import delivery
from pec.domain import clock, lifecycle
from pec.member_mail import MemberMail
from pec.models import JobRun


def run_daily(today: dt.date, only=lifecycle.DAILY_JOBS) -> list[JobRun]:
    """The daily jobs (all, or `only` these) once as of `today`, each recorded in JobRun."""
    # The clean-up also purges identity documents past retention (data minimisation).
    documents_dir = current_app.config["PEC_DOCUMENTS_DIR"]
    return lifecycle.run_daily_jobs(today, MemberMail(), only, documents_dir)


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
