"""The record of scheduled work: every run of a job in JobRun (as of which day, when,
what it did, what failed), how long those records are kept, and what operators read
from them to see that the scheduler is alive.

The rules the daily jobs apply live in pec.domain.lifecycle; pec.domain.daily_jobs runs
them under the names below.
"""

import datetime as dt
import logging
import os
import socket
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import fn

from pec.database import write_transaction
from pec.models import JobRun
from pec.vocabulary import JobStatus

log = logging.getLogger(__name__)

# The names runs are recorded under (and `pec jobs run --only` takes).
JOB_CEASE = "cease"
JOB_DEACTIVATE = "deactivate"
JOB_REMINDERS = "reminders"
JOB_CLEANUP = "cleanup"
JOB_SEND_OUTBOX = "send_outbox"
# The daily jobs, in the order they run.
DAILY_JOBS = (JOB_CEASE, JOB_DEACTIVATE, JOB_REMINDERS, JOB_CLEANUP)

# Outbox delivery runs every minute: a week of them is enough to see it work.
OUTBOX_RUN_RETENTION_DAYS = 7
JOB_RUN_RETENTION_DAYS = 400
# A daily job that has not started for this long is shown as late to operators.
JOB_SILENCE = dt.timedelta(hours=26)
# No job runs this long: a run still "running" after it was left by a process we cannot
# see (another host, or a row from before runs named their process) was interrupted.
RUN_LIMIT = dt.timedelta(hours=6)
INTERRUPTED_ERROR = (
    "Interrupted: the process running this job stopped (killed or restarted) before it "
    "finished. The next run does its work (every job is safe to run again)."
)


@dataclass
class JobResult:
    """What a job did: counts by outcome, and one line per item that failed."""

    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _wall_clock() -> dt.datetime:
    # Real time, not pec.domain.clock (which `pec jobs run --today` moves): operators
    # read these stamps to see that the scheduler is alive, and their age is real time.
    return dt.datetime.now(dt.UTC)


def this_runner() -> str:
    """host:pid, the name of this process on the runs it records."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _was_interrupted(run: JobRun, host: str, cutoff: dt.datetime) -> bool:
    runner_host, _sep, pid = run.runner.rpartition(":")
    if runner_host == host and pid.isdigit():
        return not _is_alive(int(pid))
    return run.started_at < cutoff


def mark_interrupted(now: dt.datetime | None = None) -> int:
    """At a start (the scheduler taking over, a `pec jobs run`): runs left "running" by
    a process that is gone become `interrupted`, so operators see that the work stopped
    half-way instead of a run that seems to go on for ever. A run of a live process on
    this host is left alone; one from elsewhere, once older than RUN_LIMIT. Returns how
    many were marked."""
    now = now or _wall_clock()
    host = socket.gethostname()
    running = list(JobRun.select().where(JobRun.status == JobStatus.RUNNING))
    gone = [run.id for run in running if _was_interrupted(run, host, now - RUN_LIMIT)]
    if not gone:
        return 0
    with write_transaction():
        marked = (
            JobRun.update(status=JobStatus.INTERRUPTED, error=INTERRUPTED_ERROR)
            .where(JobRun.id.in_(gone) & (JobRun.status == JobStatus.RUNNING))
            .execute()
        )
    if marked:
        log.warning("%d job run(s) were interrupted by a stopped process", marked)
    return marked


def run_job(job: str, today: dt.date, work: Callable[[], JobResult]) -> JobRun:
    """Run one job and record it in JobRun: ok, or failed with the error. Never raises,
    so a failing job does not stop the others."""
    with write_transaction():
        run = JobRun.create(job=job, as_of=today, started_at=_wall_clock(), runner=this_runner())
    try:
        result = work()
    except Exception:
        log.exception("job %s failed", job)
        run.status, run.error = JobStatus.FAILED, traceback.format_exc()[-4000:]
    else:
        run.counts = dict(result.counts)
        run.status = JobStatus.FAILED if result.errors else JobStatus.OK
        run.error = "\n".join(result.errors)[-4000:]
    run.finished_at = _wall_clock()
    with write_transaction():
        run.save()
    return run


def delete_old_runs() -> int:
    """Forget outbox runs after OUTBOX_RUN_RETENTION_DAYS and every other run after
    JOB_RUN_RETENTION_DAYS; returns how many were deleted."""
    wall = _wall_clock()
    outbox_cutoff = wall - dt.timedelta(days=OUTBOX_RUN_RETENTION_DAYS)
    runs_cutoff = wall - dt.timedelta(days=JOB_RUN_RETENTION_DAYS)
    with write_transaction():
        return (
            JobRun.delete()
            .where(
                ((JobRun.job == JOB_SEND_OUTBOX) & (JobRun.started_at < outbox_cutoff))
                | (JobRun.started_at < runs_cutoff)
            )
            .execute()
        )


def latest_runs() -> list[JobRun]:
    """The last run of each job, for "is the scheduler alive?" (docs/rules.md, Operators)."""
    latest = (
        JobRun.select(JobRun.job, fn.MAX(JobRun.id).alias("last_id")).group_by(JobRun.job).objects()
    )
    ids = [row.last_id for row in latest]
    return list(JobRun.select().where(JobRun.id.in_(ids)).order_by(JobRun.job)) if ids else []


@dataclass(frozen=True)
class JobHealth:
    job: str
    runs: list  # the latest runs, newest first
    is_silent: bool  # no run started within JOB_SILENCE
    has_failed: bool  # the latest run failed

    @property
    def last(self):
        return self.runs[0] if self.runs else None


def job_health(now: dt.datetime, per_job: int = 10) -> list[JobHealth]:
    """Each job that ever ran, with its latest runs, flagged when silent or failing."""
    names = [r.job for r in JobRun.select(JobRun.job).distinct().order_by(JobRun.job)]
    health = []
    for name in names:
        runs = list(
            JobRun.select()
            .where(JobRun.job == name)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(per_job)
        )
        health.append(
            JobHealth(
                job=name,
                runs=runs,
                is_silent=runs[0].started_at < now - JOB_SILENCE,
                has_failed=runs[0].status.is_failure,
            )
        )
    return health
