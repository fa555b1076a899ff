"""The `flask --app app pec …` commands (README, Commands and Demo logins): each a few lines over the domain."""

import contextlib
import datetime
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from pec import database
from pec.database import db
from pec.domain import clock, job_runs, lifecycle, operators
from pec.vocabulary import Role

pec = AppGroup("pec", help="PEC renewal portal commands.")


@pec.command("init-db")
def init_db():
    """Create the database, or bring its schema up to date."""
    applied = database.migrate()
    click.echo(f"Schema up to date ({len(applied)} migration(s) applied).")


@pec.command("demo")
def demo():
    """Load the demo data (idempotent; dates relative to today)."""
    from pec.demo import DEMO_TOTP_SECRET, load_demo

    database.migrate()
    with db.connection_context():
        load_demo(clock.today())
    click.echo(
        "Demo data ready.\n"
        "  member (account):  mario.rossi@example.org / demo-password\n"
        "  member (PEC box):  anna.bianchi@pec.demo.it / demo-password\n"
        "  operator (admin):  admin@example.org / admin-password  → /operators/\n"
        f"    then the 6-digit code of the authenticator secret {DEMO_TOTP_SECRET}:\n"
        "    add it to an authenticator app, or run\n"
        f"    .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\""
    )


@pec.command("create-operator")
@click.argument("email")
# Plain strings: click shows a StrEnum member by its name (ADMIN), and `--role admin`,
# as the README writes it, would be refused.
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OPERATOR.value)
@click.option("--name", default="", help="How the operators' area names them (e.g. the audit log).")
@click.password_option()
def create_operator(email, role, name, password):
    """Create an operator (or admin) who signs in to the operators' area. An admin sets
    up two-factor authentication at the first sign-in."""
    with db.connection_context():
        try:
            operators.create_operator(email, password, Role(role), name=name)
        except operators.OperatorExists:
            raise click.ClickException(f"{email} already exists.") from None
    click.echo(f"Operator {email} created ({role}).")


@pec.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, writable=True))
def backup(dest):
    """A consistent copy of the database while the portal runs (SQLite or PostgreSQL)."""
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    if database.is_sqlite():
        with sqlite3.connect(db.obj.database) as source, sqlite3.connect(dest) as target:
            source.backup(target)
    else:
        if shutil.which("pg_dump") is None:
            raise click.ClickException("pg_dump is needed to back up PostgreSQL.")
        from flask import current_app

        url = current_app.config["PEC_DATABASE_URL"]
        subprocess.run(["pg_dump", "--format=custom", "--file", dest, url], check=True)
    click.echo(f"Backup written to {dest}.")


@pec.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(src, yes):
    """Replace the database with a backup made by `pec backup` (stop the portal first)."""
    from flask import current_app

    url = current_app.config["PEC_DATABASE_URL"]
    if not yes:
        click.confirm(
            f"Replace everything in {url} with {src}? Stop the web and the scheduler first",
            abort=True,
        )
    if database.is_sqlite():
        # The online backup API in reverse: the backup file is the source, our database
        # the target; it takes the write lock and replaces every page at once.
        with sqlite3.connect(src) as source, sqlite3.connect(db.obj.database) as target:
            source.backup(target)
    else:
        if shutil.which("pg_restore") is None:
            raise click.ClickException("pg_restore is needed to restore PostgreSQL.")
        if not db.is_closed():
            db.close()
        subprocess.run(
            [
                "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                "--exit-on-error", "--dbname", url, src,
            ],
            check=True,
        )  # fmt: skip
    applied = database.migrate()  # a backup of an older release is brought up to date
    click.echo(f"Database restored from {src} ({len(applied)} migration(s) applied).")


jobs = AppGroup("jobs", help="The daily jobs (reminders, deactivation, ceasing, clean-up).")
pec.add_command(jobs)


def _report(runs) -> bool:
    ok = True
    for run in runs:
        counts = ", ".join(f"{k}={v}" for k, v in sorted((run.counts or {}).items())) or "-"
        click.echo(f"{run.job}: {run.status} ({counts})")
        if run.error:
            click.echo(run.error, err=True)
        ok = ok and run.status == "ok"
    return ok


def _interrupted() -> None:
    """Before running jobs: say which runs a stopped process left unfinished."""
    if marked := job_runs.mark_interrupted():
        click.echo(f"{marked} earlier run(s) had been interrupted: marked as such.", err=True)


@jobs.command("run")
@click.option("--today", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Run as of this day.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(job_runs.DAILY_JOBS),
    help="Run only this job (repeatable); all of them by default.",
)
def jobs_run(as_of, only):
    """Run every daily job once, as of today (Europe/Rome) or --today YYYY-MM-DD."""
    from pec import jobs as scheduled

    day = as_of.date() if as_of else clock.today()
    with clock.frozen(day) if as_of else contextlib.nullcontext(), db.connection_context():
        _interrupted()
        ok = _report(scheduled.run_daily(day, only or job_runs.DAILY_JOBS))
    if not ok:
        raise SystemExit(1)


@jobs.command("preview")
@click.option("--today", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Preview this day.")
def jobs_preview(as_of):
    """List what the daily jobs would send and change (tomorrow by default); writes nothing."""
    day = as_of.date() if as_of else clock.today() + datetime.timedelta(days=1)
    with db.connection_context():
        planned = lifecycle.preview(day)
        for due in planned:
            what = (
                due.mailbox.address if due.mailbox else f"order {due.order.number or due.order.id}"
            )
            detail = f" offset={due.offset_days}" if due.offset_days is not None else ""
            click.echo(
                f"{due.kind}\t{what}\t{due.to_address or '-'}\t{due.expires_on or ''}{detail}"
            )
    click.echo(f"{len(planned)} item(s) as of {day.isoformat()}.")


@pec.command("send-outbox")
def send_outbox():
    """Deliver the due e-mails of the outbox now."""
    from pec import jobs as scheduled

    with db.connection_context():
        _interrupted()
        ok = _report([scheduled.send_outbox()])
    if not ok:
        raise SystemExit(1)


@pec.command("scheduler")
def scheduler():
    """Run the scheduler alone, in the foreground (set PEC_SCHEDULER=off on the web)."""
    from flask import current_app

    from pec import scheduler as scheduling

    scheduling.run_foreground(current_app._get_current_object())


@pec.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--apply", "do_apply", is_flag=True, help="Import the good lines (default: dry run).")
def import_roster(file, do_apply):
    """Import the member roster CSV: a dry run unless --apply (README, "Roster CSV").

    Exit status: 0 every line is good; 1 some lines are bad or must be checked (listed;
    with --apply the good ones were still imported); 2 the file cannot be read at all."""
    from flask_babel import force_locale

    from pec.domain import roster
    from pec.operators.messages import file_error_text, problem_text, repaired_text

    data = Path(file).read_bytes()
    with db.connection_context(), force_locale("en"):
        try:
            if do_apply:
                report = roster.apply(data, actor="cli:import-roster", filename=Path(file).name)
            else:
                report = roster.dry_run(data)
        except roster.RosterFileError as error:
            click.echo(file_error_text(error), err=True)
            raise SystemExit(2) from None
        for problem in report.problems:
            click.echo(f"line {problem.line}: {problem_text(problem)}", err=True)
        for repaired in report.repaired:
            click.echo(
                f"line {repaired.line}: check it, {repaired_text(repaired)}: {repaired.text}",
                err=True,
            )
    verb = "Imported" if report.applied else "Dry run (nothing changed; use --apply)"
    click.echo(
        f"{verb}: {report.lines} line(s), {len(report.bad_lines)} bad; "
        f"mailboxes {report.new_mailboxes} new, {report.updated_mailboxes} updated, "
        f"{report.unchanged_mailboxes} unchanged; "
        f"accounts {report.new_accounts} new, {report.updated_accounts} updated."
    )
    if report.problems or report.repaired:
        raise SystemExit(1)


@pec.command("purge-documents")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def purge_documents(today):
    """Delete identity document files past the convention's retention (idempotent)."""
    from flask import current_app

    from pec.domain.document_review import purge_documents as purge

    day = today.date() if today else clock.today()
    with db.connection_context():
        result = purge(day, current_app.config["PEC_DOCUMENTS_DIR"])
    click.echo(f"{result.purged} document file(s) purged as of {day.isoformat()}.")


@pec.command("import-statement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--apply", "do_apply", is_flag=True, help="Register the matched lines (default: preview)."
)
def import_statement(file, do_apply):
    """Import a bank statement (CSV, CAMT.053/054 XML or MT940): a preview unless --apply.

    Exit status: 0 done; 1 some lines are bad or must be checked (bad bytes, reversals;
    listed); 2 the file cannot be read."""
    from flask import current_app
    from flask_babel import force_locale

    from pec.config import statement_columns
    from pec.domain import statements
    from pec.member_mail import MemberMail
    from pec.operators.messages import (
        STATEMENT_FORMATS,
        STATEMENT_REASONS,
        repaired_text,
        statement_file_error_text,
        statement_problem_text,
    )

    data = Path(file).read_bytes()
    with db.connection_context(), force_locale("en"):
        try:
            parsed = statements.parse(data, statement_columns(current_app.config))
        except statements.StatementFileError as error:
            click.echo(statement_file_error_text(error), err=True)
            raise SystemExit(2) from None
        today = clock.today()
        if do_apply:
            preview = statements.apply(
                parsed,
                today=today,
                actor="cli:import-statement",
                notices=MemberMail(),
                filename=Path(file).name,
            )
        else:
            preview = statements.plan(parsed, today)
        bank = f" ({parsed.profile})" if parsed.profile else ""
        click.echo(f"Format: {STATEMENT_FORMATS.get(parsed.format, parsed.format)}{bank}")
        for problem in parsed.problems:
            click.echo(f"line {problem.line}: {statement_problem_text(problem)}", err=True)
        for repaired in parsed.repaired:
            click.echo(
                f"line {repaired.line}: check it, {repaired_text(repaired)}: {repaired.text}",
                err=True,
            )
        reversals = preview.of_kind(statements.REVERSAL)
        for d in reversals:
            order = f" order {d.order.number}" if d.order else ""
            click.echo(
                f"line {d.entry.key}: reversal of {d.entry.amount_cents} cents{order}: "
                f"{STATEMENT_REASONS[d.reason]}",
                err=True,
            )
        for d in preview.decisions:
            order = d.order.number if d.order else "-"
            result = f" -> {d.outcome}" if d.outcome else ""
            sign = "" if d.entry.is_credit else "-"
            click.echo(
                f"line {d.entry.key}\t{d.entry.booked_on}\t{sign}{d.entry.amount_cents}\t"
                f"{d.entry.reference}\t{order}\t{d.kind}: {STATEMENT_REASONS[d.reason]}{result}"
            )
    counts = preview.counts
    outcomes = [d.outcome for d in preview.decisions if d.outcome]
    if do_apply:
        click.echo(
            f"Imported: {outcomes.count('applied')} registered, "
            f"{len(outcomes) - outcomes.count('applied') - outcomes.count('reconciled')} "
            f"flagged, {counts['manual']} to match by hand, {counts['done']} imported before, "
            f"{counts['reversal']} reversals, {counts['ignored']} ignored, "
            f"{outcomes.count('reconciled')} recognised as payments registered by hand."
        )
    else:
        click.echo(
            f"Preview (nothing changed; use --apply): {counts['matched']} to register, "
            f"{counts['flagged']} to flag, {counts['manual']} to match by hand, "
            f"{counts['done']} imported before, {counts['reversal']} reversals, "
            f"{counts['ignored']} ignored."
        )
    if parsed.problems or parsed.repaired or reversals:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(pec)
