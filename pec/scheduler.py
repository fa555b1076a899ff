"""APScheduler 3.x wiring (docs/rules.md, Scheduled work): the daily jobs and outbox delivery, in one process.

Single runner: a lease row in the database (pec.domain.leases), not a file lock. Every
process that may schedule (each gunicorn worker, the Flask reloader's child, or `pec
scheduler`) starts a scheduler that only tries to take the "scheduler" lease every
LEASE_RENEW seconds. The process holding it adds the real jobs and catches up at once;
the others do nothing else. If the holder dies, its lease expires after LEASE_TTL and
another process takes over within one renewal period; a clean shutdown releases it at
once — also on SIGTERM (systemd's stop, a container's stop), which would otherwise end
the process without running its exit handlers and leave the lease to expire while no
mail goes out. The database decides, so this holds across hosts and with PostgreSQL
too (a file lock under instance/ would not), and a lease outliving a stalled holder can
at worst run a job twice, which the jobs' unique keys make harmless. Taking the lease
also marks the runs a stopped process left "running" as interrupted.

Times are Europe/Rome: deactivation and ceasing just after midnight, clean-up at night,
reminders in the morning, the outbox every minute. The memory job store forgets missed
runs, so the daily jobs run once when the lease is taken (they are idempotent).
"""

import atexit
import datetime as dt
import logging
import os
import signal
import socket
import threading
import uuid

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from werkzeug.serving import is_running_from_reloader

from pec.database import db
from pec.domain import clock, job_runs, leases

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = dt.timedelta(seconds=90)
LEASE_RENEW_SECONDS = 30
OUTBOX_SECONDS = 60

JOB_DEFAULTS = {
    # APScheduler's default grace is 1 s: a run a little late would be skipped.
    "misfire_grace_time": None,
    "coalesce": True,
    "max_instances": 1,
}

# (scheduler job id, daily jobs it runs, cron fields in Europe/Rome)
DAILY_SCHEDULE = (
    ("lapsing", (job_runs.JOB_CEASE, job_runs.JOB_DEACTIVATE), {"hour": 0, "minute": 5}),
    ("cleanup", (job_runs.JOB_CLEANUP,), {"hour": 3, "minute": 30}),
    ("reminders", (job_runs.JOB_REMINDERS,), {"hour": 8, "minute": 0}),
)


def should_start(app: Flask) -> bool:
    """In-process scheduling: on unless TESTING or PEC_SCHEDULER=off, and only in a
    process that serves the web (not `flask pec …` commands, not the reloader's watcher)."""
    if app.config.get("TESTING") or not app.config.get("PEC_SCHEDULER"):
        return False
    command = click.get_current_context(silent=True)
    if command is not None:
        if command.command.name != "run":
            return False  # a CLI command (jobs run, demo, shell…) loaded the app
        reload = command.params.get("reload")
        if (app.debug if reload is None else reload) and not is_running_from_reloader():
            return False  # the reloader's parent: its child serves (and schedules)
    return True


class SingleRunner:
    """A scheduler that runs the jobs only while this process holds the lease."""

    def __init__(
        self,
        app: Flask,
        scheduler,
        *,
        renew_seconds: float = LEASE_RENEW_SECONDS,
        ttl: dt.timedelta = LEASE_TTL,
        outbox_seconds: float = OUTBOX_SECONDS,
    ):
        self.app = app
        self.scheduler = scheduler
        self.renew_seconds = renew_seconds
        self.ttl = ttl
        self.outbox_seconds = outbox_seconds
        self.pid = os.getpid()
        self.holder = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.is_leader = False
        scheduler.configure(timezone=clock.ROME, job_defaults=JOB_DEFAULTS)

    def _in_app(self, work):
        with self.app.app_context(), db.connection_context():
            return work()

    def start(self) -> None:
        self.scheduler.add_job(
            self.keep_lease,
            "interval",
            seconds=self.renew_seconds,
            id="lease",
            next_run_time=dt.datetime.now(clock.ROME),
        )
        self.scheduler.start()

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling and give the lease up so another process takes over now.
        `wait=False` does not wait for a job that is running: it finishes on its own
        (every job is idempotent, so another process taking over meanwhile is harmless)."""
        if os.getpid() != self.pid:
            return  # a forked child (gunicorn --preload): the parent owns this scheduler
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self.is_leader:
            self.is_leader = False
            self._in_app(lambda: leases.release(LEASE_NAME, self.holder))

    def keep_lease(self) -> None:
        """Take or renew the lease; add the jobs when taken, drop them when lost."""
        try:
            held = self._in_app(
                lambda: leases.acquire(LEASE_NAME, self.holder, clock.now(), self.ttl)
            )
        except Exception:
            log.exception("could not renew the scheduler lease")
            held = False
        if held and not self.is_leader:
            self.is_leader = True
            log.info("scheduler lease taken by %s: scheduling the jobs", self.holder)
            try:
                self._in_app(job_runs.mark_interrupted)
            except Exception:
                log.exception("could not mark interrupted job runs")
            self._add_jobs()
        elif not held and self.is_leader:
            self.is_leader = False
            log.warning("scheduler lease lost by %s: jobs removed", self.holder)
            for job in self.scheduler.get_jobs():
                if job.id != "lease":
                    job.remove()

    def _add_jobs(self) -> None:
        for job_id, names, when in DAILY_SCHEDULE:
            self.scheduler.add_job(
                self.run_daily,
                CronTrigger(timezone=clock.ROME, **when),
                args=[names],
                id=job_id,
                replace_existing=True,
            )
        self.scheduler.add_job(
            self.send_outbox,
            "interval",
            seconds=self.outbox_seconds,
            id="outbox",
            replace_existing=True,
        )
        # Catch up on whatever was missed while no process held the lease.
        self.scheduler.add_job(
            self.run_daily,
            args=[job_runs.DAILY_JOBS],
            id="catch-up",
            next_run_time=dt.datetime.now(clock.ROME),
            replace_existing=True,
        )

    def run_daily(self, names) -> None:
        if not self.is_leader:
            return
        from pec import jobs

        self._in_app(lambda: jobs.run_daily(clock.today(), names))

    def send_outbox(self) -> None:
        if not self.is_leader:
            return
        from pec import jobs

        self._in_app(jobs.send_outbox)


STOP_SECONDS = 10  # how long SIGTERM waits for the lease to be given up


def release_on_sigterm(runner: SingleRunner) -> None:
    """Give the lease up when SIGTERM arrives, then let the signal do what it did before:
    the server's own handler (gunicorn's graceful stop), or end the process. Python's
    default for SIGTERM ends the process without exit handlers, so `atexit` alone would
    leave the lease held until it expires (LEASE_TTL without any mail sent)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum, frame):
        # In a thread of its own, with a bound: the handler interrupts the main thread
        # wherever it was (perhaps holding a lock stop() needs), and the process must go
        # on stopping whatever happens to the lease.
        stopper = threading.Thread(target=runner.stop, kwargs={"wait": False}, daemon=True)
        stopper.start()
        stopper.join(STOP_SECONDS)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)


def start_background(app: Flask, **options) -> SingleRunner:
    """Start the in-process scheduler in a background thread of this process."""
    runner = SingleRunner(app, BackgroundScheduler(daemon=True), **options)
    runner.start()
    app.extensions["pec_scheduler"] = runner
    atexit.register(runner.stop)
    release_on_sigterm(runner)
    return runner


def init_app(app: Flask) -> None:
    """Called by create_app: start the in-process scheduler when this process should."""
    if should_start(app):
        start_background(app)


def run_foreground(app: Flask, **options) -> None:
    """`pec scheduler`: the scheduler alone, until SIGINT or SIGTERM."""
    runner = SingleRunner(app, BlockingScheduler(), **options)

    def _terminate(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    click.echo(f"Scheduler {runner.holder} running (Ctrl-C to stop).")
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runner.stop()
        click.echo("Scheduler stopped.")
