"""The model's keys hold the rules even when code forgets them (R4, R7, docs/rules.md, Scheduled work and e-mail)."""

import datetime as dt

import pytest
from peewee import IntegrityError

from pec.database import db
from pec.domain.outbox import Email, Queued, enqueue, enqueue_many
from pec.models import (
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
    ReminderSent,
)
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_account, make_mailbox


def _order(account):
    return Order.create(
        account=account,
        convention=account.convention,
        duration_years=3,
        unit_price_cents=400,
        vat_rate_bp=2200,
    )


def _line(order, mailbox, open_=True):
    return OrderLine.create(
        order=order,
        mailbox=mailbox,
        open_mailbox=mailbox if open_ else None,
        old_expires_on=mailbox.expires_on,
        new_expires_on=mailbox.expires_on,
        unit_price_cents=400,
    )


def test_a_mailbox_is_on_at_most_one_open_order(app):
    mailbox = make_mailbox()
    _line(_order(mailbox.account), mailbox)
    with pytest.raises(IntegrityError), db.atomic():
        _line(_order(mailbox.account), mailbox)


def test_closed_orders_do_not_block_a_new_open_one(app):
    mailbox = make_mailbox()
    _line(_order(mailbox.account), mailbox, open_=False)
    _line(_order(mailbox.account), mailbox, open_=False)
    _line(_order(mailbox.account), mailbox)
    assert OrderLine.select().where(OrderLine.mailbox == mailbox).count() == 3
    assert Order.open_for(mailbox) is not None


def test_open_for_finds_the_open_order(app):
    mailbox = make_mailbox()
    assert Order.open_for(mailbox) is None
    order = _order(mailbox.account)
    _line(order, mailbox)
    assert Order.open_for(mailbox).id == order.id


def test_a_reminder_is_recorded_once_per_mailbox_expiry_and_offset(app):
    mailbox = make_mailbox()
    ReminderSent.create(
        mailbox=mailbox, expires_on=mailbox.expires_on, offset_days=30, sent_on=dt.date.today()
    )
    ReminderSent.create(
        mailbox=mailbox, expires_on=mailbox.expires_on, offset_days=15, sent_on=dt.date.today()
    )
    with pytest.raises(IntegrityError), db.atomic():
        ReminderSent.create(
            mailbox=mailbox, expires_on=mailbox.expires_on, offset_days=30, sent_on=dt.date.today()
        )


def test_a_payment_reference_is_registered_once_per_provider(app):
    order = _order(make_account())
    Payment.create(
        order=order, method="bank_transfer", provider="statement", reference="E1", amount_cents=488
    )
    Payment.create(order=order, method="card", provider="demo", reference="E1", amount_cents=488)
    with pytest.raises(IntegrityError), db.atomic():
        Payment.create(
            order=order,
            method="bank_transfer",
            provider="statement",
            reference="E1",
            amount_cents=488,
        )


def test_outbox_dedupe_key_queues_an_event_once(ctx):
    email = Email(kind="test", to_address="a@example.org", subject="S", body_text="T")
    first = enqueue(email, sender_domain="example.org", dedupe_key="k1")
    second = enqueue(email, sender_domain="example.org", dedupe_key="k1")
    assert first is not None and second is None
    assert OutboxMessage.select().count() == 1
    assert first.message_id.endswith("@example.org>")


@ON_BOTH_DATABASES
def test_outbox_many_skip_a_queued_dedupe_key_and_nothing_else(ctx):
    email = Email(kind="test", to_address="a@example.org", subject="S", body_text="T")
    enqueue(email, sender_domain="example.org", dedupe_key="k1")
    enqueue_many(
        [Queued(email, "k1", {}), Queued(email, "k2", {}), Queued(email, None, {})],
        sender_domain="example.org",
    )
    assert sorted(m.dedupe_key or "" for m in OutboxMessage.select()) == ["", "k1", "k2"]
    # A row that breaks another rule is an error, not silently left out (as SQLite's
    # INSERT OR IGNORE would leave it).
    broken = Email(kind="test", to_address=None, subject="S", body_text="T")
    with pytest.raises(IntegrityError), db.atomic():
        enqueue_many([Queued(broken, "k3", {})], sender_domain="example.org")
    assert OutboxMessage.select().count() == 3


def test_foreign_keys_are_enforced(app):
    with pytest.raises(IntegrityError), db.atomic():
        OrderLine.insert(
            order=9999,
            mailbox=9999,
            old_expires_on=dt.date.today(),
            new_expires_on=dt.date.today(),
            unit_price_cents=1,
        ).execute()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_datetimes_come_back_aware_in_utc(app):
    mailbox = make_mailbox()
    assert mailbox.created_at.tzinfo is not None
    fresh = type(mailbox).get_by_id(mailbox.id)
    assert fresh.created_at.utcoffset() == dt.timedelta(0)
