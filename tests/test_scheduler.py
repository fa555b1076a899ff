"""The scheduler: one runner among many processes, Europe/Rome times, catch-up at start."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from pec import scheduler as scheduling
from pec.database import db
from pec.domain import clock
from pec.models import (
    JobRun,
    Lease,
    Mailbox,
    OutboxMessage,
    ReminderSent,
)
from pec.vocabulary import JobStatus
from tests.conftest import make_app
from tests.factories import make_account

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def count(query):
    with db.connection_context():
        return query.count()


def due_mailboxes(today, n):
    with db.connection_context():
        account = make_account()
        rows = [
            {"account": account.id, "address": f"due{i}@pec.test.it", "expires_on": today}
            for i in range(n)
        ]
        Mailbox.insert_many(rows).execute()


def test_not_started_under_testing_or_when_off(tmp_path):
    assert "pec_scheduler" not in make_app(tmp_path / "a").extensions
    off = make_app(tmp_path / "b", TESTING=False, PEC_SCHEDULER=False)
    assert not scheduling.should_start(off)
    assert "pec_scheduler" not in off.extensions


def test_started_in_a_web_process_but_not_by_cli_commands(tmp_path):
    app = make_app(tmp_path)
    app.config.update(TESTING=False, PEC_SCHEDULER=True)
    assert scheduling.should_start(app)  # gunicorn worker: no click context
    with click.Context(click.Command("jobs")):
        assert not scheduling.should_start(app)  # `pec jobs run`, `pec demo`, …
    run = click.Command("run", params=[click.Option(["--reload/--no-reload"], default=None)])
    with click.Context(run) as ctx:
        ctx.params["reload"] = False
        assert scheduling.should_start(app)  # `flask run` without reloader
        ctx.params["reload"] = True
        assert not scheduling.should_start(app)  # the reloader's watcher process
        os.environ["WERKZEUG_RUN_MAIN"] = "true"
        try:
            assert scheduling.should_start(app)  # the reloader's child that serves
        finally:
            del os.environ["WERKZEUG_RUN_MAIN"]


def test_web_process_starts_the_scheduler_from_create_app(tmp_path, today):
    make_app(tmp_path)  # the schema exists before the web process starts (pec init-db)
    app = make_app(tmp_path, TESTING=False, PEC_SCHEDULER=True)
    runner = app.extensions["pec_scheduler"]
    try:
        assert runner.scheduler.running
        assert wait_for(lambda: runner.is_leader)
        assert wait_for(lambda: count(JobRun.select().where(JobRun.job == "cleanup")) == 1)
    finally:
        runner.stop()
    assert count(Lease.select()) == 0  # released on stop


def test_jobs_run_in_rome_time_and_are_never_skipped_when_late(app, today):
    runner = scheduling.SingleRunner(app, BackgroundScheduler())
    runner.scheduler.start(paused=True)  # jobs get their defaults, nothing runs
    try:
        runner._add_jobs()
        jobs = {job.id: job for job in runner.scheduler.get_jobs()}
    finally:
        runner.scheduler.shutdown()
    assert set(jobs) == {"lapsing", "cleanup", "reminders", "outbox", "catch-up"}
    for job in jobs.values():
        assert job.misfire_grace_time is None and job.coalesce and job.max_instances == 1
    lapsing, reminders = jobs["lapsing"].trigger, jobs["reminders"].trigger
    assert isinstance(lapsing, CronTrigger) and str(lapsing.timezone) == "Europe/Rome"
    rome = lapsing.timezone
    start = dt.datetime(2026, 3, 10, 12, 0, tzinfo=rome)
    assert lapsing.get_next_fire_time(None, start) == dt.datetime(2026, 3, 11, 0, 5, tzinfo=rome)
    assert reminders.get_next_fire_time(None, start) == dt.datetime(2026, 3, 11, 8, 0, tzinfo=rome)
    assert jobs["lapsing"].args == (("cease", "deactivate"),)
    assert jobs["outbox"].trigger.interval == dt.timedelta(seconds=60)


def test_two_schedulers_on_one_database_send_each_reminder_once(app, today):
    due_mailboxes(today, 50)
    options = dict(renew_seconds=0.1, ttl=dt.timedelta(seconds=5), outbox_seconds=0.2)
    runners = [scheduling.SingleRunner(app, BackgroundScheduler(), **options) for _ in range(2)]
    try:
        for runner in runners:
            runner.start()
        assert wait_for(lambda: count(JobRun.select().where(JobRun.job == "cleanup")) == 1)
        time.sleep(0.5)  # several lease renewals
        assert [r.is_leader for r in runners].count(True) == 1
        assert count(ReminderSent.select()) == 50 and count(OutboxMessage.select()) == 50
        assert count(JobRun.select().where(JobRun.job == "reminders")) == 1
        assert wait_for(lambda: count(JobRun.select().where(JobRun.job == "send_outbox")) >= 1)

        # The leader stops: the other takes over, catches up, and sends nothing twice.
        leader = next(r for r in runners if r.is_leader)
        other = next(r for r in runners if not r.is_leader)
        leader.stop()
        assert wait_for(lambda: other.is_leader)
        assert wait_for(lambda: count(JobRun.select().where(JobRun.job == "cleanup")) == 2)
        assert count(ReminderSent.select()) == 50 and count(OutboxMessage.select()) == 50
    finally:
        for runner in runners:
            runner.stop()


def test_pec_scheduler_runs_alone_in_the_foreground_and_catches_up(app, tmp_path):
    # The process's own clock, which cannot be frozen from here: Rome's date, as its jobs
    # use (the machine's date is the day before from 23:00 or 22:00 UTC).
    today = clock.today()
    due_mailboxes(today, 3)
    env = dict(
        os.environ,
        PEC_DATABASE_URL=app.config["PEC_DATABASE_URL"],
        PEC_SECRET_KEY="test-secret",
        PEC_SCHEDULER="on",
        PEC_BASE_URL="https://portal.example.org",
        MAIL_DEFAULT_SENDER="noreply@portal.example.org",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "pec", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        caught_up = wait_for(
            lambda: count(JobRun.select().where(JobRun.finished_at.is_null(False))) >= 4, 30
        )
        held = count(Lease.select().where(Lease.name == "scheduler"))
        reminders = count(ReminderSent.select())
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert caught_up, output
    assert held == 1 and reminders == 3
    assert process.returncode == 0, output
    assert "Scheduler stopped." in output
    assert count(Lease.select()) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


WEB_COMMANDS = {
    "flask run": lambda port: [
        sys.executable, "-m", "flask", "--app", "app", "run", "--no-reload",
        "--host", "127.0.0.1", "--port", str(port),
    ],
    "gunicorn": lambda port: [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2",
        "--bind", f"127.0.0.1:{port}", "app:app",
    ],
}  # fmt: skip


@pytest.mark.parametrize("server", sorted(WEB_COMMANDS))
def test_a_web_process_stopped_with_sigterm_gives_the_lease_up_at_once(app, server):
    env = dict(
        os.environ,
        PEC_DATABASE_URL=app.config["PEC_DATABASE_URL"],
        PEC_SECRET_KEY="test-secret",
        PEC_SCHEDULER="on",
        PEC_BASE_URL="http://127.0.0.1",
    )
    env.pop("FLASK_DEBUG", None)
    process = subprocess.Popen(
        WEB_COMMANDS[server](_free_port()),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        held = wait_for(lambda: count(Lease.select().where(Lease.name == "scheduler")) == 1, 60)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output = process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            process.kill()  # never leave a server behind for the next tests
            output = process.communicate()[0]
            pytest.fail(f"{server} did not stop within 60 s of SIGTERM:\n{output}")
    assert held, output
    # Released by the stopping process: the next one need not wait LEASE_TTL (90 s).
    assert count(Lease.select()) == 0, output


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted_at_the_next_start(
    app, runner, today
):
    """kill -9 in the middle of a job, then the next `pec jobs run`."""
    script = (
        "import time\n"
        "from pec import create_app\n"
        "from pec.database import db\n"
        "from pec.domain import job_runs\n"
        "app = create_app()\n"
        "with app.app_context(), db.connection_context():\n"
        "    job_runs.run_job('reminders', __import__('datetime').date.today(),\n"
        "                     lambda: time.sleep(120))\n"
    )
    env = dict(
        os.environ,
        PEC_DATABASE_URL=app.config["PEC_DATABASE_URL"],
        PEC_SECRET_KEY="test-secret",
        PEC_SCHEDULER="off",
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        started = wait_for(lambda: count(JobRun.select()) == 1, 30)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert started
    with db.connection_context():
        (left,) = JobRun.select()
        assert left.status == "running"
        # A run of this very process, still alive, is left alone.
        alive = JobRun.create(
            job="cleanup", as_of=today, runner=f"{socket.gethostname()}:{os.getpid()}"
        )

    result = runner.invoke(args=["pec", "jobs", "run", "--only", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "1 earlier run(s) had been interrupted" in result.output
    with db.connection_context():
        left = JobRun.get_by_id(left.id)
        assert left.status == JobStatus.INTERRUPTED and "Interrupted" in left.error
        assert JobRun.get_by_id(alive.id).status == JobStatus.RUNNING


def test_operators_see_an_interrupted_run_as_a_problem(app, operator, today):
    from pec.domain import job_runs

    with db.connection_context():
        JobRun.create(
            job="reminders",
            as_of=today,
            started_at=job_runs._wall_clock(),
            runner="some-other-host:1",
            status=JobStatus.INTERRUPTED,
            error=job_runs.INTERRUPTED_ERROR,
        )
    operator.login()
    page = operator.page("/operators/jobs")
    assert "Interrotto" in page and "si è interrotta prima di finire" in page


def test_runs_from_another_host_are_interrupted_only_once_older_than_any_job(app, today):
    from pec.domain import job_runs

    now = job_runs._wall_clock()
    with db.connection_context():
        old = JobRun.create(
            job="cease", as_of=today, runner="elsewhere:12", started_at=now - dt.timedelta(hours=7)
        )
        recent = JobRun.create(
            job="cease", as_of=today, runner="elsewhere:13", started_at=now - dt.timedelta(hours=1)
        )
        assert job_runs.mark_interrupted(now) == 1
        assert JobRun.get_by_id(old.id).status == JobStatus.INTERRUPTED
        assert JobRun.get_by_id(recent.id).status == JobStatus.RUNNING
