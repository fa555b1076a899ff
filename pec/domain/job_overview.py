"""Job health at a glance for operators: each daily job's last run and result (a job
that never ran is listed too, as the most alarming case), and outbox delivery, which runs
every minute, summarised over the last day instead of listed run by run."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from pec.domain.job_runs import DAILY_JOBS, JOB_SEND_OUTBOX, JOB_SILENCE
from pec.models import JobRun, OutboxMessage
from pec.vocabulary import OutboxStatus

# Delivery runs every minute: a quarter of an hour without a run means it stopped.
OUTBOX_SILENCE = dt.timedelta(minutes=15)
OUTBOX_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class DailyJob:
    job: str
    runs: list  # the latest runs, newest first (may be empty: never ran)
    is_silent: bool  # never ran, or no run started within JOB_SILENCE

    @property
    def last(self) -> JobRun | None:
        return self.runs[0] if self.runs else None

    @property
    def has_failed(self) -> bool:
        return self.last is not None and self.last.status.is_failure


def daily_jobs(now: dt.datetime, per_job: int = 10) -> list[DailyJob]:
    """Every daily job, in the order they run, with its latest runs."""
    result = []
    for job in DAILY_JOBS:
        runs = list(
            JobRun.select()
            .where(JobRun.job == job)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(per_job)
        )
        silent = not runs or runs[0].started_at < now - JOB_SILENCE
        result.append(DailyJob(job, runs, silent))
    return result


@dataclass(frozen=True)
class OutboxDelivery:
    """Outbox delivery over the last OUTBOX_WINDOW."""

    last: JobRun | None
    runs: int
    failed_runs: int
    counts: Counter = field(default_factory=Counter)  # sent, retry_later, failed
    pending: int = 0  # messages waiting to be sent now
    failed_messages: int = 0  # messages given up on, until an operator retries them
    is_silent: bool = False
    last_error: str = ""

    @property
    def has_no_server(self) -> bool:
        """The last run found no SMTP server configured (the demo): mail stays queued."""
        return self.last is not None and "waiting" in (self.last.counts or {})

    @property
    def has_failed(self) -> bool:
        return self.last is not None and self.last.status.is_failure


def outbox_delivery(now: dt.datetime) -> OutboxDelivery:
    runs = list(
        JobRun.select()
        .where((JobRun.job == JOB_SEND_OUTBOX) & (JobRun.started_at >= now - OUTBOX_WINDOW))
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
    )
    last = (
        runs[0]
        if runs
        else (
            JobRun.select()
            .where(JobRun.job == JOB_SEND_OUTBOX)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .first()
        )
    )
    counts: Counter = Counter()
    for run in runs:
        # "waiting" is the same queued messages counted again each minute: not a sum.
        counts.update({k: v for k, v in (run.counts or {}).items() if k != "waiting"})
    failed = [run for run in runs if run.status.is_failure]
    return OutboxDelivery(
        last=last,
        runs=len(runs),
        failed_runs=len(failed),
        counts=counts,
        pending=OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.PENDING).count(),
        failed_messages=OutboxMessage.select()
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .count(),
        is_silent=last is None or last.started_at < now - OUTBOX_SILENCE,
        last_error=failed[0].error if failed else "",
    )
