"""The scheduled work as the scheduler and the CLI run it (docs/rules.md, Scheduled work).

The rules live in pec.domain.lifecycle and pec.domain.daily_jobs runs them; this module
gives them the member e-mails (pec.member_mail) and the app's settings. Every run is
recorded in JobRun (pec.domain.job_runs).
"""

import datetime as dt

from flask import current_app

from pec import delivery
from pec.domain import clock
from pec.domain.daily_jobs import run_daily_jobs
from pec.domain.job_runs import DAILY_JOBS, JOB_SEND_OUTBOX, JobResult, run_job
from pec.member_mail import MemberMail
from pec.models import JobRun


def run_daily(today: dt.date, only=DAILY_JOBS) -> list[JobRun]:
    """The daily jobs (all, or `only` these) once as of `today`, each recorded in JobRun."""
    # The clean-up also purges identity documents past retention (data minimisation).
    documents_dir = current_app.config["PEC_DOCUMENTS_DIR"]
    return run_daily_jobs(today, MemberMail(), only, documents_dir)


def _deliver() -> JobResult:
    counts = delivery.deliver_all()
    result = JobResult(counts=counts)
    undelivered = counts["retry_later"] + counts["failed"]
    if undelivered:
        result.errors.append(f"{undelivered} message(s) not delivered: see the outbox errors")
    return result


def send_outbox() -> JobRun:
    """Deliver the due outbox messages now, recorded in JobRun."""
    return run_job(JOB_SEND_OUTBOX, clock.today(), _deliver)
