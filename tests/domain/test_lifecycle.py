"""The daily jobs as plain function calls (R5, R6, R7, clean-up, JobRun, preview)."""

import datetime as dt

import pytest
from playhouse.test_utils import count_queries

from pec.database import db
from pec.domain import daily_jobs, job_runs, lifecycle
from pec.member_mail import MemberMail
from pec.models import (
    AuditEvent,
    JobRun,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
    ReminderSent,
    ResetToken,
)
from tests.factories import make_account, make_convention, make_mailbox, make_order

DAY = dt.timedelta(days=1)


def reminders(box=None):
    query = OutboxMessage.select().where(OutboxMessage.kind == "reminder")
    if box is not None:
        query = query.where(OutboxMessage.mailbox == box)
    return list(query.order_by(OutboxMessage.id))


def offsets_sent(box):
    return [
        r.offset_days
        for r in ReminderSent.select().where(ReminderSent.mailbox == box).order_by(ReminderSent.id)
    ]


def run_reminders(day):
    return lifecycle.send_due_reminders(day, MemberMail())


def reload(box):
    return Mailbox.get_by_id(box.id)


def pay(order):
    """What a registered payment does (R2, R3), done by hand until payments land."""
    for line in order.lines:
        Mailbox.update(expires_on=line.new_expires_on, deactivated_on=None).where(
            Mailbox.id == line.mailbox_id
        ).execute()
    Order.update(status="paid").where(Order.id == order.id).execute()
    OrderLine.update(open_mailbox=None).where(OrderLine.order == order.id).execute()


# --- R7 reminders ----------------------------------------------------------------------


def test_most_urgent_offset_reached():
    offsets = [60, 30, 15, 7, 1]
    assert lifecycle.most_urgent_offset(offsets, 61) is None
    assert lifecycle.most_urgent_offset(offsets, 60) == 60
    assert lifecycle.most_urgent_offset(offsets, 20) == 30
    assert lifecycle.most_urgent_offset(offsets, 1) == 1
    assert lifecycle.most_urgent_offset(offsets, 0) == 1


def test_reminder_goes_at_each_offset_to_the_reference_email_once(ctx, today):
    account = make_account(reference_email="holder@example.org")
    box = make_mailbox(account, expires_in=60)
    expiry = box.expires_on
    for offset in (60, 30, 15, 7, 1):
        day = expiry - offset * DAY
        first = run_reminders(day)
        again = run_reminders(day)
        assert first.counts["sent"] == 1 and not again.counts["sent"], offset
        # and nothing on the day after an offset
        assert not run_reminders(day + DAY).counts["sent"]
    assert offsets_sent(box) == [60, 30, 15, 7, 1]
    sent = reminders(box)
    assert [m.to_address for m in sent] == ["holder@example.org"] * 5
    assert len({m.dedupe_key for m in sent}) == 5


def test_missed_days_send_only_the_most_urgent_reminder(ctx, today):
    box = make_mailbox(expires_in=60)
    run_reminders(box.expires_on - 60 * DAY)
    result = run_reminders(box.expires_on - 6 * DAY)  # 30, 15 and 7 were missed
    assert result.counts["sent"] == 1
    assert offsets_sent(box) == [60, 7]


def test_no_reminder_once_a_paid_renewal_moved_the_expiry(ctx, today):
    box = make_mailbox(expires_in=10)
    order = make_order([box])
    pay(order)
    assert not run_reminders(today + 3 * DAY).counts["sent"]
    assert not run_reminders(today + 9 * DAY).counts["sent"]
    assert reminders(box) == []


def test_reminder_for_an_order_awaiting_payment_repeats_how_to_pay(ctx, today):
    box = make_mailbox(expires_in=7)
    order = make_order([box], method="bank_transfer")
    run_reminders(today)
    (message,) = reminders(box)
    assert f"N° {order.number} è in attesa di pagamento" in message.body_text
    assert "IBAN: IT60 X054 2811 1010 0000 0123 456" in message.body_text
    assert "4,88" in message.body_text
    assert message.order_id == order.id
    assert "IT60 X054 2811 1010 0000 0123 456" in message.body_html


def test_reminder_after_a_declared_payment_says_it_awaits_registration(ctx, today):
    box = make_mailbox(expires_in=7)
    order = make_order([box])
    Payment.create(order=order, method="bank_transfer", provider="member", amount_cents=488)
    run_reminders(today)
    (message,) = reminders(box)
    assert "Hai segnalato il pagamento" in message.body_text
    assert "IBAN" not in message.body_text


def test_reminder_text_date_link_and_warnings(ctx, today):
    box = make_mailbox(expires_in=15, address="studio@pec.test.it")
    run_reminders(today)
    (message,) = reminders(box)
    expected = (
        "Gentile Cliente, la casella di Posta Elettronica Certificata studio@pec.test.it "
        f"scadrà in data: {box.expires_on:%d/%m/%Y}."
    )
    assert expected in message.body_text and expected in message.body_html
    assert "https://portal.example.org/links/" in message.body_text  # R11: no password needed
    assert "domicilio digitale" in message.body_text
    assert "Registro delle Imprese" in message.body_text and "INI-PEC" in message.body_text
    assert message.subject == (
        f"Mancano 15 giorni: la casella PEC studio@pec.test.it scade il {box.expires_on:%d/%m/%Y}"
    )


def test_reminder_is_in_the_holders_language(ctx, today):
    box = make_mailbox(make_account(language="en"), expires_in=1)
    run_reminders(today)
    (message,) = reminders(box)
    assert message.language == "en"
    assert "Registro delle Imprese" not in message.subject
    assert "Dear Customer" in message.body_text


def test_conventions_own_offsets(ctx, today):
    convention = make_convention(reminder_offsets="10,3")
    box = make_mailbox(make_account(convention), expires_in=20)
    assert not run_reminders(today).counts["sent"]
    assert run_reminders(box.expires_on - 10 * DAY).counts["sent"] == 1
    assert offsets_sent(box) == [10]


# --- R5 deactivation -------------------------------------------------------------------


def deactivate(day):
    return lifecycle.deactivate_overdue(day, MemberMail())


def notices(kind, box):
    return list(
        OutboxMessage.select().where((OutboxMessage.kind == kind) & (OutboxMessage.mailbox == box))
    )


def test_deactivated_the_day_after_expiry_not_on_it(ctx, today):
    box = make_mailbox(expires_in=0)
    assert not deactivate(today).counts["deactivated"]
    assert reload(box).deactivated_on is None
    assert deactivate(today + DAY).counts["deactivated"] == 1
    assert reload(box).deactivated_on == today + DAY


def test_deactivation_twice_changes_nothing_the_second_time(ctx, today):
    box = make_mailbox(expires_in=-1)
    deactivate(today)
    second = deactivate(today)
    later = deactivate(today + 5 * DAY)
    assert not second.counts and not later.counts
    assert reload(box).deactivated_on == today
    assert len(notices("deactivated", box)) == 1
    assert AuditEvent.select().where(AuditEvent.action == "mailbox.deactivated").count() == 1


def test_late_job_deactivates_everything_overdue(ctx, today):
    boxes = [make_mailbox(expires_in=-d) for d in (1, 5, 30)]
    result = deactivate(today)
    assert result.counts["deactivated"] == 3
    assert all(reload(b).deactivated_on == today for b in boxes)


def test_deactivation_notice_has_amount_link_and_deletion_date(ctx, today):
    box = make_mailbox(expires_in=-1, address="late@pec.test.it")
    deactivate(today)
    (message,) = notices("deactivated", box)
    body = message.body_text
    assert message.to_address == box.account.reference_email
    assert "4,88" in body  # 4,00 € + 22 % VAT (R9)
    assert "https://portal.example.org/links/" in body  # R11: the personal link
    assert "Paga e riattiva" in body and "Paga e riattiva" in message.body_html
    deletion = box.expires_on + dt.timedelta(days=90)
    assert f"fino al {deletion:%d/%m/%Y}" in body
    assert "Registro delle Imprese" in body


def test_declared_payment_holds_deactivation_for_the_hold_days(ctx, today):
    box = make_mailbox(expires_in=-1)
    order = make_order([box], method="bank_transfer")
    Payment.create(order=order, method="bank_transfer", provider="member", amount_cents=488)
    hold_end = box.expires_on + 5 * DAY
    assert not deactivate(today).counts["deactivated"]
    assert not deactivate(hold_end).counts["deactivated"]
    assert deactivate(hold_end + DAY).counts["deactivated"] == 1
    (message,) = notices("deactivated", box)
    assert f"N° {order.number}" in message.body_text


def test_awaiting_order_without_declared_payment_is_deactivated(ctx, today):
    box = make_mailbox(expires_in=-1)
    make_order([box], method="bank_transfer")
    assert deactivate(today).counts["deactivated"] == 1


def test_payment_declared_between_plan_and_write_prevents_deactivation(ctx, today, monkeypatch):
    box = make_mailbox(expires_in=-1)
    order = make_order([box], method="bank_transfer")
    assert len(lifecycle.plan_deactivations(today)) == 1

    def declares_after_planning(day):
        plan = planned(day)
        Payment.create(order=order, method="bank_transfer", provider="member", amount_cents=488)
        return plan

    planned = lifecycle.plan_deactivations
    monkeypatch.setattr(lifecycle, "plan_deactivations", declares_after_planning)
    assert lifecycle.deactivate_overdue(today, MemberMail()).counts["unchanged"] == 1
    assert reload(box).deactivated_on is None
    assert notices("deactivated", box) == []


def test_renewal_paid_between_plan_and_write_prevents_deactivation(ctx, today, monkeypatch):
    box = make_mailbox(expires_in=-1)
    order = make_order([box], method="card")

    def pays_after_planning(day):
        plan = planned(day)
        pay(order)
        return plan

    planned = lifecycle.plan_deactivations
    monkeypatch.setattr(lifecycle, "plan_deactivations", pays_after_planning)
    assert lifecycle.deactivate_overdue(today, MemberMail()).counts["unchanged"] == 1
    assert reload(box).deactivated_on is None


# --- R6 ceasing ------------------------------------------------------------------------


def cease(day):
    return lifecycle.cease_lapsed(day, MemberMail())


def test_ceased_after_the_restore_window_with_a_notice(ctx, today):
    box = make_mailbox(expires_in=-1, deactivated_on=today)
    last_day = box.expires_on + dt.timedelta(days=90)
    assert not cease(last_day).counts["ceased"]
    assert cease(last_day + DAY).counts["ceased"] == 1
    assert not cease(last_day + 2 * DAY).counts
    assert reload(box).ceased_on == last_day + DAY
    (message,) = notices("ceased", box)
    assert "nuova casella" in message.body_text
    assert "Registro delle Imprese" in message.body_text


def test_ceasing_cancels_the_unpayable_open_order_and_frees_its_other_mailbox(ctx, today):
    account = make_account()
    lapsed = make_mailbox(account, expires_in=-91, deactivated_on=today)
    other = make_mailbox(account, expires_in=10)
    order = make_order([lapsed, other], method="bank_transfer")
    assert cease(today).counts["ceased"] == 1
    order = Order.get_by_id(order.id)
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert Order.open_for(other) is None and Order.open_for(lapsed) is None
    event = AuditEvent.get(AuditEvent.action == "mailbox.ceased")
    assert event.details["orders_cancelled"] == [order.id]


def test_convention_restore_window_decides_ceasing(ctx, today):
    short = make_mailbox(make_account(make_convention(restore_window_days=15)), expires_in=-16)
    long = make_mailbox(expires_in=-16)
    cease(today)
    assert reload(short).ceased_on == today and reload(long).ceased_on is None


def test_never_deactivated_mailbox_past_the_window_is_ceased_only(ctx, today):
    box = make_mailbox(expires_in=-200)
    cease(today)
    deactivate(today)
    box = reload(box)
    assert box.ceased_on == today and box.deactivated_on == today
    assert len(notices("ceased", box)) == 1 and notices("deactivated", box) == []


# --- clean-up --------------------------------------------------------------------------


def test_stale_drafts_are_cancelled_and_free_their_mailbox(ctx, today):
    stale_box, fresh_box = make_mailbox(), make_mailbox()
    stale = make_order([stale_box], status="draft")
    fresh = make_order([fresh_box], status="draft")
    confirmed = make_order([make_mailbox()], status="awaiting_payment")
    long_ago = dt.datetime.combine(today - 31 * DAY, dt.time(12), tzinfo=dt.UTC)
    for order in (stale, confirmed):
        Order.update(updated_at=long_ago).where(Order.id == order.id).execute()
    Order.update(updated_at=dt.datetime.combine(today - 5 * DAY, dt.time(12), tzinfo=dt.UTC)).where(
        Order.id == fresh.id
    ).execute()
    result = lifecycle.clean_up(today)
    assert result.counts["drafts_cancelled"] == 1
    assert Order.get_by_id(stale.id).status == "cancelled"
    assert OrderLine.get(OrderLine.order == stale).open_mailbox_id is None
    assert Order.get_by_id(fresh.id).status == "draft"
    assert Order.get_by_id(confirmed.id).status == "awaiting_payment"
    assert not lifecycle.clean_up(today).counts["drafts_cancelled"]


def test_expired_reset_tokens_are_deleted(ctx, today):
    account = make_account()
    midnight = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)
    old = ResetToken.create(
        token_hash="old", account=account, expires_at=midnight - dt.timedelta(days=2)
    )
    live = ResetToken.create(
        token_hash="live", account=account, expires_at=midnight + dt.timedelta(hours=1)
    )
    assert lifecycle.clean_up(today).counts["reset_tokens_deleted"] == 1
    assert ResetToken.get_or_none(ResetToken.id == old.id) is None
    assert ResetToken.get_or_none(ResetToken.id == live.id) is not None


# --- preview, JobRun, failures ---------------------------------------------------------


def test_preview_lists_what_tomorrow_brings_and_writes_nothing(ctx, today):
    expiring = make_mailbox(expires_in=1)
    expired = make_mailbox(expires_in=0)
    lapsed = make_mailbox(expires_in=-90, deactivated_on=today - 89 * DAY)
    before = [(m.__name__, m.select().count()) for m in (ReminderSent, OutboxMessage, AuditEvent)]
    planned = lifecycle.preview(today + DAY)
    after = [(m.__name__, m.select().count()) for m in (ReminderSent, OutboxMessage, AuditEvent)]
    assert before == after
    assert Mailbox.select().where(Mailbox.deactivated_on.is_null(False)).count() == 1
    kinds = {(d.kind, d.mailbox.id) for d in planned}
    assert kinds == {
        ("reminder", expiring.id),
        ("deactivation", expired.id),
        ("ceasing", lapsed.id),
    }
    reminder = next(d for d in planned if d.kind == "reminder")
    assert reminder.offset_days == 1 and reminder.to_address == expiring.account.reference_email


def test_preview_matches_what_the_jobs_then_do(ctx, today):
    make_mailbox(expires_in=30)
    make_mailbox(expires_in=-1)
    planned = {(d.kind, d.mailbox.id) for d in lifecycle.preview(today)}
    daily_jobs.run_daily_jobs(today, MemberMail())
    kinds = {"reminder": "reminder", "deactivated": "deactivation"}
    done = {(kinds[m.kind], m.mailbox_id) for m in OutboxMessage.select()}
    assert planned == done
    assert lifecycle.preview(today) == []


def test_every_run_is_recorded_with_counts(ctx, today):
    make_mailbox(expires_in=30)
    runs = daily_jobs.run_daily_jobs(today, MemberMail())
    assert [r.job for r in runs] == ["cease", "deactivate", "reminders", "cleanup"]
    stored = {r.job: r for r in JobRun.select()}
    assert stored["reminders"].status == "ok" and stored["reminders"].counts == {"sent": 1}
    assert all(r.finished_at is not None and r.as_of == today for r in stored.values())
    assert {r.job for r in job_runs.latest_runs()} == set(job_runs.DAILY_JOBS)


class FailsFor(MemberMail):
    def __init__(self, address):
        super().__init__()
        self.address = address

    def reminder(self, due):
        if due.mailbox.address == self.address:
            raise RuntimeError("template exploded")
        return super().reminder(due)


def test_a_failing_mailbox_does_not_stop_the_rest_of_the_job(ctx, today):
    bad = make_mailbox(expires_in=30, address="bad@pec.test.it")
    good = make_mailbox(expires_in=30)
    (run,) = daily_jobs.run_daily_jobs(today, FailsFor("bad@pec.test.it"), only=["reminders"])
    assert run.status == "failed"
    assert run.counts == {"sent": 1, "failed": 1}
    assert f"mailbox {bad.id}" in run.error and "template exploded" in run.error
    assert len(reminders(good)) == 1 and reminders(bad) == []
    # the failed one is still due: the next run sends it
    daily_jobs.run_daily_jobs(today, MemberMail(), only=["reminders"])
    assert len(reminders(bad)) == 1


def test_a_failing_job_does_not_stop_the_others(ctx, today):
    make_mailbox(expires_in=30)
    make_mailbox(expires_in=-1)
    runs = daily_jobs.run_daily_jobs(today, FailsFor("nobody"), only=["reminders", "cleanup"])

    def boom():
        raise RuntimeError("database on fire")

    crashed = job_runs.run_job("deactivate", today, boom)
    assert crashed.status == "failed" and "database on fire" in crashed.error
    assert crashed.finished_at is not None
    # run_job never raises, so run_daily_jobs goes on after a crash of one job
    assert [r.status for r in runs] == ["ok", "ok"]
    assert JobRun.get_by_id(crashed.id).status == "failed"


# --- cost in proportion to what is due (docs/rules.md, Qualities) ---------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        lambda day: lifecycle._with_holder(lifecycle.reminder_candidates(day, 60)),
        lambda day: lifecycle._with_holder(lifecycle.deactivation_candidates(day)),
        lambda day: lifecycle._with_holder(lifecycle.ceasing_candidates(day, 90)),
    ],
    ids=["reminders", "deactivation", "ceasing"],
)
def test_daily_jobs_read_mailboxes_by_an_index_range(ctx, today, query):
    make_mailbox()
    sql, params = query(today).sql()
    plan = " | ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    mailbox_step = next(step for step in plan.split(" | ") if step.startswith("SEARCH t1"))
    assert "USING INDEX mailbox_" in mailbox_step and "expires_on" in mailbox_step, plan
    assert "SCAN" not in plan, plan


def _bulk_mailboxes(account, count, expires_on):
    rows = [
        {
            "account": account.id,
            "address": f"bulk{account.id}-{i}@pec.test.it",
            "expires_on": expires_on,
        }
        for i in range(count)
    ]
    with db.atomic():
        Mailbox.insert_many(rows).execute()


def test_job_queries_do_not_grow_with_mailboxes_that_are_not_due(ctx, today):
    account = make_account()
    make_mailbox(account, expires_in=30)
    make_mailbox(account, expires_in=-1)

    def queries_of_a_run():
        ReminderSent.delete().execute()
        OutboxMessage.delete().execute()
        Mailbox.update(deactivated_on=None).execute()
        with count_queries() as counter:
            lifecycle.send_due_reminders(today, MemberMail())
            lifecycle.deactivate_overdue(today, MemberMail())
            lifecycle.cease_lapsed(today, MemberMail())
        return counter.count

    few = queries_of_a_run()
    _bulk_mailboxes(account, 3000, today + dt.timedelta(days=400))
    assert queries_of_a_run() == few
