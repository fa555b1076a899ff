"""`pec jobs run --today …` on the demo data (README, Commands and Demo logins), and two runs at once."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from pec.database import db
from pec.models import (
    JobRun,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    ReminderSent,
)
from tests.factories import make_account, make_order

ROOT = Path(__file__).resolve().parent.parent
MARIO = "mario.rossi@pec.demo.it"
EXPIRY = dt.date(2026, 3, 30)  # the demo's today (2026-03-10) + 20 days
DAY = dt.timedelta(days=1)


def run_jobs(runner, day: dt.date):
    result = runner.invoke(args=["pec", "jobs", "run", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def mails(kind, address=MARIO):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == address)
        return list(
            OutboxMessage.select()
            .where((OutboxMessage.kind == kind) & (OutboxMessage.mailbox == box))
            .order_by(OutboxMessage.id)
        )


def mailbox(address=MARIO):
    with db.connection_context():
        return Mailbox.get(Mailbox.address == address)


def offsets_sent(address=MARIO):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == address)
        return [r.offset_days for r in ReminderSent.select().where(ReminderSent.mailbox == box)]


def test_demo_reminders_at_each_offset_never_twice(runner, demo):
    for offset in (60, 30, 15, 7, 1):
        day = EXPIRY - offset * DAY
        run_jobs(runner, day)
        output = run_jobs(runner, day)  # the same day again
        assert "reminders: ok (-)" in output
    assert offsets_sent() == [60, 30, 15, 7, 1]
    sent = mails("reminder")
    assert [m.to_address for m in sent] == ["mario.rossi@example.org"] * 5
    for message in sent:
        assert "scadrà in data: 30/03/2026." in message.body_text
        assert "Registro delle Imprese" in message.body_text
        assert "https://portal.example.org/links/" in message.body_text  # R11: no password needed


def test_demo_gap_of_several_days_sends_only_the_most_urgent(runner, demo):
    run_jobs(runner, EXPIRY - 60 * DAY)
    run_jobs(runner, EXPIRY - 5 * DAY)  # 30, 15 and 7 days before were missed
    run_jobs(runner, EXPIRY - 4 * DAY)
    assert offsets_sent() == [60, 7]
    assert len(mails("reminder")) == 2


def test_demo_no_reminder_and_no_deactivation_once_the_renewal_is_paid(runner, demo):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == MARIO)
        order = make_order([box], method="bank_transfer")
    run_jobs(runner, EXPIRY - 15 * DAY)
    (awaiting,) = mails("reminder")
    assert f"N° {order.number} è in attesa di pagamento" in awaiting.body_text
    assert "IBAN" in awaiting.body_text
    # The payment is registered (by the payments area): expiry moves by 3 years (R2).
    with db.connection_context():
        Mailbox.update(expires_on=dt.date(2029, 3, 30)).where(Mailbox.id == box.id).execute()
        Order.update(status="paid").where(Order.id == order.id).execute()
        OrderLine.update(open_mailbox=None).where(OrderLine.order == order.id).execute()
    for day in (EXPIRY - 7 * DAY, EXPIRY - DAY, EXPIRY, EXPIRY + DAY):
        run_jobs(runner, day)
    assert len(mails("reminder")) == 1
    assert mails("deactivated") == [] and mailbox().deactivated_on is None


def test_demo_deactivated_the_day_after_expiry_then_ceased_after_the_window(runner, demo):
    run_jobs(runner, EXPIRY)
    assert mailbox().deactivated_on is None and mails("deactivated") == []
    output = run_jobs(runner, EXPIRY + DAY)
    assert "deactivate: ok (deactivated=1)" in output
    run_jobs(runner, EXPIRY + DAY)
    assert mailbox().deactivated_on == EXPIRY + DAY
    (notice,) = mails("deactivated")
    assert notice.to_address == "mario.rossi@example.org"
    assert "4,88" in notice.body_text and "28/06/2026" in notice.body_text  # + 90 days

    last_day = EXPIRY + 90 * DAY
    run_jobs(runner, last_day)
    assert mailbox().ceased_on is None
    run_jobs(runner, last_day + DAY)
    run_jobs(runner, last_day + DAY)
    assert mailbox().ceased_on == last_day + DAY
    assert len(mails("ceased")) == 1
    # the demo's deactivated m.rossi (expired 07/03/2026, window closed 05/06/2026) was
    # ceased by the first run after that: a late job catches up
    assert mailbox("m.rossi@pec.demo.it").ceased_on == last_day
    assert len(mails("deactivated", "m.rossi@pec.demo.it")) == 0


def test_jobs_run_records_each_job_and_preview_writes_nothing(runner, demo):
    preview = runner.invoke(args=["pec", "jobs", "preview", "--today", "2026-03-16"])
    assert preview.exit_code == 0
    assert "deactivation\tanna.bianchi@pec.demo.it\tanna.bianchi@example.org" in preview.output
    assert f"reminder\t{MARIO}\tmario.rossi@example.org\t2026-03-30 offset=15" in preview.output
    with db.connection_context():
        assert OutboxMessage.select().count() == 0 and JobRun.select().count() == 0
    run_jobs(runner, dt.date(2026, 3, 16))
    with db.connection_context():
        runs = {r.job: r for r in JobRun.select()}
        assert set(runs) == {"cease", "deactivate", "reminders", "cleanup"}
        assert all(r.status == "ok" and r.as_of == dt.date(2026, 3, 16) for r in runs.values())
        assert runs["deactivate"].counts == {"deactivated": 1}


def test_two_jobs_run_processes_at_once_send_each_reminder_once(app, tmp_path, today):
    with db.connection_context():
        account = make_account()
        rows = [
            {"account": account.id, "address": f"many{i}@pec.test.it", "expires_on": today}
            for i in range(300)
        ]
        Mailbox.insert_many(rows).execute()
    env = dict(
        os.environ,
        PEC_DATABASE_URL=app.config["PEC_DATABASE_URL"],
        PEC_SECRET_KEY="test-secret",
        PEC_SCHEDULER="off",
        PEC_BASE_URL="https://portal.example.org",
        MAIL_DEFAULT_SENDER="noreply@portal.example.org",
    )
    command = [sys.executable, "-m", "flask", "--app", "app", "pec", "jobs", "run"]
    command += ["--today", today.isoformat()]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=90)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    with db.connection_context():
        assert ReminderSent.select().count() == 300
        assert OutboxMessage.select().count() == 300
        assert JobRun.select().where(JobRun.job == "reminders").count() == 2
        sent = sum((r.counts or {}).get("sent", 0) for r in JobRun.select())
    assert sent == 300
    print(
        "SPLIT",
        [
            (r.counts, r.started_at, r.finished_at)
            for r in JobRun.select().where(JobRun.job == "reminders")
        ],
    )


def test_jobs_run_only_some_jobs_as_cron_does(runner, demo):
    result = runner.invoke(
        args=["pec", "jobs", "run", "--today", "2026-03-16", "--only", "deactivate"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deactivate: ok (deactivated=1)"
    assert mails("reminder") == []
    output = run_jobs(runner, dt.date(2026, 3, 16))
    assert "deactivate: ok (-)" in output and "reminders: ok (sent=1)" in output
