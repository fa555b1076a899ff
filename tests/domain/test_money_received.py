"""R12: an order's money received is the sum of its registered payments; the renewal is
applied once, when it reaches the total; money beyond it (or for an order that can no
longer be applied) is to refund until a refund or an acceptance closes it."""

import datetime as dt
import threading

import pytest

from pec.database import db
from pec.domain import payments, refunds, renewal
from pec.domain.balance import balance
from pec.member_mail import MemberMail
from pec.models import AuditEvent, Mailbox, Order, OutboxMessage, Payment, Settlement
from tests import factories
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_account, make_convention, make_mailbox, make_order, refund
from tests.notices import RecordingNotices

TODAY = dt.date(2026, 3, 10)


def pay(order, amount, reference, provider="operator", notices=None, today=TODAY):
    return factories.pay(
        order,
        amount,
        reference=reference,
        today=today,
        provider=provider,
        notices=notices or MemberMail(),
    )


def fresh(row):
    return type(row).get_by_id(row.id)


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


@pytest.fixture
def order(ctx, today):
    box = make_mailbox(expires_in=5)
    return make_order([box], method="bank_transfer")


@ON_BOTH_DATABASES
def test_four_euros_then_eighty_eight_cents_apply_the_renewal_once(order, today):
    box = order.lines[0].mailbox
    first = pay(order, 400, "CRO-1")
    assert first.code == payments.PARTIAL and not first.applied
    assert fresh(order).status == "awaiting_payment"
    assert fresh(box).expires_on == dt.date(2026, 3, 15)
    asked = OutboxMessage.get(OutboxMessage.kind == "payment_received")
    assert "mancano 0,88 €" in plain(asked.body_text)
    assert "mancano 0,88 €" in plain(asked.subject)
    assert "Importo da pagare: 0,88 €" in plain(asked.body_text)
    assert f"Causale: Rinnovo PEC ordine {order.number}" in asked.body_text
    assert balance(fresh(order)).missing_cents == 88

    second = pay(order, 88, "CRO-2")
    assert second.code == payments.APPLIED
    assert fresh(box).expires_on == dt.date(2029, 3, 15)
    paid = fresh(order)
    assert (paid.status, paid.received_cents) == ("paid", 488)
    assert balance(paid).to_refund_cents == 0
    # Replays of either payment change nothing and tell nobody again.
    assert pay(order, 400, "CRO-1").code == payments.ALREADY_APPLIED
    assert pay(order, 88, "CRO-2").code == payments.ALREADY_APPLIED
    assert fresh(box).expires_on == dt.date(2029, 3, 15)
    assert fresh(order).received_cents == 488
    assert [m.kind for m in OutboxMessage.select().order_by(OutboxMessage.id)] == [
        "payment_received",
        "renewal_applied",
    ]
    assert AuditEvent.select().where(AuditEvent.action == "payment.registered").count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "payment.partial").count() == 1


def test_money_received_always_equals_the_sum_of_registered_payments(order, today):
    for n, cents in enumerate((100, 150, 100, 200)):
        pay(order, cents, f"CRO-{n}")
    registered = sum(p.amount_cents for p in Payment.select().where(Payment.status == "registered"))
    assert fresh(order).received_cents == registered == 550
    assert fresh(order).status == "paid" and balance(fresh(order)).to_refund_cents == 62


@ON_BOTH_DATABASES
def test_ten_euros_on_four_eighty_eight_apply_it_and_leave_five_twelve_to_refund(order, today):
    outcome = pay(order, 1000, "CRO-BIG")
    assert outcome.code == payments.APPLIED
    paid = fresh(order)
    assert balance(paid).to_refund_cents == 512
    mail = OutboxMessage.get(OutboxMessage.kind == "renewal_applied")
    assert "Abbiamo ricevuto 5,12 € più del totale" in plain(mail.body_text)

    with pytest.raises(refunds.RefundError) as refused:
        refund(paid, 512, reference="", today=today, notices=MemberMail())
    assert refused.value.code == "reference"
    settlement = refund(paid, 512, reference="TRN-REFUND-1", today=today, notices=MemberMail())
    assert settlement.kind == "refund"
    assert balance(fresh(order)).to_refund_cents == 0
    told = OutboxMessage.get(OutboxMessage.kind == "refund_recorded")
    assert "ti abbiamo rimborsato 5,12 €" in plain(told.body_text)
    assert "TRN-REFUND-1" in told.body_text
    event = AuditEvent.get(AuditEvent.action == "refund.recorded")
    assert event.details["amount_cents"] == 512 and event.details["reference"] == "TRN-REFUND-1"


def test_an_acceptance_needs_a_reason_and_at_most_the_money_to_refund(order, today):
    pay(order, 490, "CRO-X")
    paid = fresh(order)
    assert balance(paid).to_refund_cents == 2
    args = dict(actor="operator:1", today=today)
    with pytest.raises(refunds.RefundError) as no_reason:
        refunds.accept_money(paid, amount_cents=2, reason=" ", **args)
    assert no_reason.value.code == "reason"
    with pytest.raises(refunds.RefundError) as too_much:
        refunds.accept_money(paid, amount_cents=3, reason="due centesimi", **args)
    assert too_much.value.code == "amount"
    refunds.accept_money(paid, amount_cents=2, reason="due centesimi", **args)
    assert balance(fresh(order)).to_refund_cents == 0
    assert Settlement.get().kind == "acceptance"
    assert AuditEvent.get(AuditEvent.action == "refund.accepted").details["reason"] == (
        "due centesimi"
    )
    assert OutboxMessage.select().where(OutboxMessage.kind == "refund_recorded").count() == 0


def test_money_for_a_cancelled_order_is_all_to_refund(ctx, today):
    order = make_order([make_mailbox()], status="cancelled")
    notices = RecordingNotices()
    outcome = pay(order, 488, "CRO-LATE", notices=notices)
    assert outcome.code == payments.NOT_PAYABLE
    assert balance(fresh(order)).to_refund_cents == 488
    assert notices.kinds() == ["payment_received"]


def test_an_order_with_money_received_is_cancelled_only_by_an_operators_choice(order, today):
    pay(order, 400, "CRO-1")
    with pytest.raises(renewal.RenewalError) as refused:
        renewal.cancel_order(order, now=dt.datetime.now(dt.UTC), actor="member:account:1")
    assert refused.value.code == "payment_received"
    renewal.cancel_order(
        order, now=dt.datetime.now(dt.UTC), actor="operator:1", money_to_refund=True
    )
    assert balance(fresh(order)).to_refund_cents == 400


def test_a_card_checkout_after_a_partial_transfer_charges_what_is_missing(ctx, today):
    order = make_order([make_mailbox()], method="card")
    pay(order, 400, "CRO-1")
    attempt = payments.start_attempt(order, provider="demo", actor="m", today=today)
    assert attempt.amount_cents == 88


def _race(app, order_id, amounts):
    codes, errors = [], []
    barrier = threading.Barrier(len(amounts))

    def worker(n):
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                target = Order.get_by_id(order_id)
                codes.append(pay(target, amounts[n], f"CRO-{n}").code)
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(amounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return codes


def race_partial_payments(app):
    """Eight payments of 1,00 € racing on a 4,88 € order: the fifth to count applies the
    renewal, once; the money adds up exactly and the rest is to refund."""
    with app.app_context(), db.connection_context():
        box = make_mailbox(make_account(make_convention()), expires_in=20, today=TODAY)
        order = make_order([box], method="bank_transfer")
    codes = _race(app, order.id, [100] * 8)
    assert codes.count("applied") == 1
    with app.app_context(), db.connection_context():
        paid = Order.get_by_id(order.id)
        assert paid.status == "paid"
        registered = Payment.select().where(Payment.status == "registered")
        assert paid.received_cents == sum(p.amount_cents for p in registered) == 800
        assert balance(paid).to_refund_cents == 312
        assert Mailbox.get_by_id(box.id).expires_on == dt.date(2029, 3, 30)
        assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 1
    return codes


def _race_same_references(app, order_id):
    codes, errors = [], []
    barrier = threading.Barrier(16)

    def worker(n):
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                codes.append(pay(Order.get_by_id(order_id), 100, f"CRO-{n % 8}").code)
        except Exception as error:  # pragma: no cover
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return codes


def race_replayed_payments(app):
    with app.app_context(), db.connection_context():
        box = make_mailbox(make_account(make_convention()), expires_in=20, today=TODAY)
        order = make_order([box], method="bank_transfer")
    codes = _race_same_references(app, order.id)
    assert codes.count("already_applied") == 8 and codes.count("applied") == 1
    with app.app_context(), db.connection_context():
        paid = Order.get_by_id(order.id)
        assert paid.received_cents == 800 and Payment.select().count() == 8
        assert Mailbox.get_by_id(box.id).expires_on == dt.date(2029, 3, 30)


def test_partial_payments_racing_apply_the_renewal_once(app):
    race_partial_payments(app)


def test_replayed_partial_payments_racing_count_once(app):
    race_replayed_payments(app)
