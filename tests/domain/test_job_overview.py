"""Job health at a glance: every daily job (even one that never ran) and the outbox
delivery summed over a day instead of listed minute by minute."""

import datetime as dt

from pec.domain import job_overview
from pec.models import JobRun

NOW = dt.datetime.now(dt.UTC)


def run(job, minutes_ago, status="ok", counts=None, error=""):
    at = NOW - dt.timedelta(minutes=minutes_ago)
    return JobRun.create(
        job=job,
        as_of=at.date(),
        started_at=at,
        finished_at=at,
        status=status,
        counts=counts,
        error=error,
    )


def test_every_daily_job_is_listed_in_order_even_one_that_never_ran(app):
    run("reminders", 60, counts={"sent": 2})
    jobs = job_overview.daily_jobs(NOW)
    assert [j.job for j in jobs] == ["cease", "deactivate", "reminders", "cleanup"]
    state = {j.job: j for j in jobs}
    assert state["cease"].last is None and state["cease"].is_silent
    assert not state["reminders"].is_silent and state["reminders"].last.counts == {"sent": 2}


def test_outbox_delivery_is_summed_over_a_day(app):
    for minutes in range(1, 120):
        run("send_outbox", minutes, counts={"sent": 1} if minutes % 10 == 0 else {})
    run("send_outbox", 200, status="failed", counts={"retry_later": 3}, error="SMTP refused")
    run("send_outbox", 60 * 25, counts={"sent": 50})  # older than a day: not counted
    delivery = job_overview.outbox_delivery(NOW)
    assert delivery.runs == 120 and delivery.failed_runs == 1
    assert delivery.counts == {"sent": 11, "retry_later": 3}
    assert not delivery.is_silent and not delivery.has_failed
    assert delivery.last_error == "SMTP refused"


def test_a_stopped_delivery_and_a_missing_server_are_told_apart(app):
    run("send_outbox", 20, counts={"waiting": 4})
    delivery = job_overview.outbox_delivery(NOW)
    assert delivery.is_silent and delivery.has_no_server
    assert delivery.counts == {}  # the same queued mail, not counted again each minute
