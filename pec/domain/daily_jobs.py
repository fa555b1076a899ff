"""The daily jobs: which rules of pec.domain.lifecycle run under each job name, in
which order, each run recorded in JobRun (pec.domain.job_runs).

The scheduler and `pec jobs run` call run_daily_jobs through pec.jobs, which gives it
the member e-mails and the documents' directory.
"""

import datetime as dt
from collections.abc import Iterable

from pec.domain import lifecycle
from pec.domain.job_runs import (
    DAILY_JOBS,
    JOB_CEASE,
    JOB_CLEANUP,
    JOB_DEACTIVATE,
    JOB_REMINDERS,
    JobResult,
    delete_old_runs,
    run_job,
)
from pec.domain.notices import Notices
from pec.models import JobRun


def _clean_up(today: dt.date, documents_dir: str | None) -> JobResult:
    result = lifecycle.clean_up(today, documents_dir)
    result.counts["job_runs_deleted"] += delete_old_runs()
    return result


def run_daily_jobs(
    today: dt.date,
    notices: Notices,
    only: Iterable[str] = DAILY_JOBS,
    documents_dir: str | None = None,
) -> list[JobRun]:
    """The daily jobs (all, or `only` these) once as of `today`, in DAILY_JOBS order.
    Idempotent: safe to run again, late, or in two processes at once."""
    work = {
        JOB_CEASE: lambda: lifecycle.cease_lapsed(today, notices),
        JOB_DEACTIVATE: lambda: lifecycle.deactivate_overdue(today, notices),
        JOB_REMINDERS: lambda: lifecycle.send_due_reminders(today, notices),
        JOB_CLEANUP: lambda: _clean_up(today, documents_dir),
    }
    chosen = set(only)
    return [run_job(job, today, work[job]) for job in DAILY_JOBS if job in chosen]
