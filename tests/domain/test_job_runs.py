"""The record of job runs: kept for a while, then forgotten; read for the jobs' health."""

import datetime as dt

from pec.domain import job_runs
from pec.models import JobRun


def started(job: str, days_ago: float) -> JobRun:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return JobRun.create(job=job, as_of=at.date(), started_at=at, status="ok")


def test_old_runs_are_forgotten_outbox_runs_sooner(app):
    recent_outbox = started(job_runs.JOB_SEND_OUTBOX, 6)
    old_outbox = started(job_runs.JOB_SEND_OUTBOX, 8)
    year_old_daily = started(job_runs.JOB_REMINDERS, 399)
    too_old_daily = started(job_runs.JOB_REMINDERS, 401)
    assert job_runs.delete_old_runs() == 2
    kept = {r.id for r in JobRun.select()}
    assert kept == {recent_outbox.id, year_old_daily.id}
    assert old_outbox.id not in kept and too_old_daily.id not in kept


def test_a_silent_or_failed_job_is_called_out(app):
    started(job_runs.JOB_CLEANUP, 2)  # more than 26 hours ago
    JobRun.create(
        job=job_runs.JOB_REMINDERS,
        as_of=dt.date.today(),
        started_at=dt.datetime.now(dt.UTC),
        status="failed",
    )
    health = {h.job: h for h in job_runs.job_health(dt.datetime.now(dt.UTC))}
    assert health["cleanup"].is_silent and not health["cleanup"].has_failed
    assert health["reminders"].has_failed and not health["reminders"].is_silent
    assert health["reminders"].last.status == "failed"
