"""register_payment: the renewal is applied exactly once, from the old expiry (R2, R3, R6)."""

import datetime as dt
import threading

import pytest

from pec.database import db
from pec.domain import payments
from pec.domain.balance import balance
from pec.domain.mailboxes import orders_with_declared_payment
from pec.member_mail import MemberMail
from pec.models import (
    AuditEvent,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
)
from tests import factories
from tests.factories import make_convention, make_mailbox, make_order


def pay(order, today, amount=None, reference="ref-1", provider="demo", method="card"):
    return factories.pay(
        order,
        amount,
        reference=reference,
        today=today,
        method=method,
        provider=provider,
        actor="test",
        notices=MemberMail(),
    )


def fresh(row):
    return type(row).get_by_id(row.id)


@pytest.fixture
def anna_order(ctx, demo):
    box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    return box, make_order([box], method="card")


def test_card_payment_extends_anna_by_three_years_from_her_old_expiry(anna_order, today):
    box, order = anna_order
    assert box.expires_on == dt.date(2026, 3, 15)
    outcome = pay(order, today)
    assert outcome.code == payments.APPLIED and outcome.applied
    assert fresh(box).expires_on == dt.date(2029, 3, 15)
    assert fresh(order).status == "paid" and fresh(order).paid_at is not None
    line = OrderLine.get(OrderLine.order == order)
    assert line.open_mailbox_id is None and line.new_expires_on == dt.date(2029, 3, 15)
    assert outcome.payment.status == "registered" and outcome.payment.paid_on == today
    mail = OutboxMessage.get(OutboxMessage.kind == "renewal_applied")
    assert mail.to_address == "anna.bianchi@example.org" and mail.order_id == order.id
    assert "anna.bianchi@pec.demo.it: nuova scadenza 15/03/2029" in mail.body_text
    # The receipt through the personal link (R11): it opens without a password.
    assert f"?next=/payments/{order.id}/receipt" in mail.body_text
    assert order.number in mail.subject
    event = AuditEvent.get(AuditEvent.action == "payment.registered")
    assert event.target_id == order.id and event.details["reference"] == "ref-1"


def test_early_payment_keeps_the_next_expiry_at_old_plus_three_years(ctx, today):
    box = make_mailbox(expires_in=200)
    order = make_order([box], method="card")
    pay(order, today)
    assert fresh(box).expires_on == dt.date(2029, 9, 26)  # 26/09/2026 + 3 years, not today + 3


def test_late_payment_gives_no_extra_time(ctx, today):
    box = make_mailbox(expires_in=-10, deactivated_on=today - dt.timedelta(days=9))
    order = make_order([box], method="card")
    pay(order, today)
    assert fresh(box).expires_on == dt.date(2029, 2, 28)  # 28/02/2026 + 3 years


def test_29_february_becomes_28_february(ctx, today):
    box = make_mailbox(expires_on=dt.date(2028, 2, 29))
    order = make_order([box], method="card")
    pay(order, today)
    assert fresh(box).expires_on == dt.date(2031, 2, 28)


def test_each_mailbox_of_an_order_counts_from_its_own_expiry(ctx, today):
    first = make_mailbox(expires_in=5)
    second = make_mailbox(account=first.account, expires_in=100)
    order = make_order([first, second], method="card")
    assert order.gross_cents == 976
    assert pay(order, today).applied
    assert fresh(first).expires_on == dt.date(2029, 3, 15)
    assert fresh(second).expires_on == dt.date(2029, 6, 18)


def test_deactivated_m_rossi_paid_within_the_window_is_reactivated(ctx, demo, today):
    box = Mailbox.get(Mailbox.address == "m.rossi@pec.demo.it")
    assert box.deactivated_on is not None
    order = make_order([box], method="card")
    assert pay(order, today).code == payments.APPLIED
    box = fresh(box)
    assert box.deactivated_on is None
    assert box.expires_on == dt.date(2029, 3, 7)  # 07/03/2026 + 3 years
    assert AuditEvent.get(AuditEvent.action == "payment.registered").details["mailboxes"][0][
        "reactivated"
    ]


def test_last_day_of_the_restore_window_still_reactivates(ctx, demo):
    box = Mailbox.get(Mailbox.address == "m.rossi@pec.demo.it")
    order = make_order([box], method="card")
    last_day = box.expires_on + dt.timedelta(days=90)
    assert pay(order, last_day).code == payments.APPLIED
    assert fresh(box).deactivated_on is None


def test_m_rossi_paid_after_the_window_renews_nothing_and_is_to_refund(ctx, demo):
    box = Mailbox.get(Mailbox.address == "m.rossi@pec.demo.it")
    order = make_order([box], method="card")
    too_late = box.expires_on + dt.timedelta(days=91)
    outcome = pay(order, too_late)
    assert outcome.code == payments.WINDOW_CLOSED and not outcome.applied
    assert fresh(box).expires_on == box.expires_on
    assert fresh(box).deactivated_on == box.deactivated_on
    # R12: the money arrived; the order can never be paid, so it is cancelled and the
    # money is to refund.
    assert fresh(order).status == "cancelled"
    assert outcome.payment.status == "registered"
    assert balance(fresh(order)).to_refund_cents == 488
    assert AuditEvent.get(AuditEvent.action == "payment.window_closed").details["ceased"] == [
        "m.rossi@pec.demo.it"
    ]
    mail = OutboxMessage.get()
    assert mail.kind == "payment_received" and "Ti rimborseremo 4,88" in mail.body_text


def test_a_ceased_mailbox_is_refused_even_inside_the_dates(ctx, today):
    box = make_mailbox(expires_in=-5, ceased_on=today)
    order = make_order([box], method="card")
    assert pay(order, today).code == payments.WINDOW_CLOSED


def test_the_same_reference_registered_again_changes_nothing(anna_order, today):
    box, order = anna_order
    assert pay(order, today).code == payments.APPLIED
    for _ in range(3):
        again = pay(order, today + dt.timedelta(days=1))
        assert again.code == payments.ALREADY_APPLIED
    assert fresh(box).expires_on == dt.date(2029, 3, 15)
    assert Payment.select().where(Payment.status == "registered").count() == 1
    assert OutboxMessage.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "payment.registered").count() == 1


def test_a_second_payment_for_a_paid_order_is_money_to_refund(anna_order, today):
    box, order = anna_order
    pay(order, today, reference="first")
    second = pay(order, today, reference="second")
    assert second.code == payments.NOT_PAYABLE
    assert second.payment.status == "registered"
    assert fresh(box).expires_on == dt.date(2029, 3, 15)
    money = balance(fresh(order))
    assert (money.received_cents, money.to_refund_cents) == (976, 488)


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_draft_and_cancelled_orders_are_not_payable(ctx, today, status):
    box = make_mailbox(expires_in=20)
    order = make_order([box], status=status)
    assert pay(order, today).code == payments.NOT_PAYABLE
    assert fresh(box).expires_on == box.expires_on


def test_a_reference_already_on_another_order_changes_nothing(ctx, today):
    first = make_order([make_mailbox()], method="card")
    other_box = make_mailbox()
    other = make_order([other_box], method="card")
    pay(first, today, reference="shared")
    outcome = pay(other, today, reference="shared")
    assert outcome.code == payments.DUPLICATE_REFERENCE
    assert fresh(other).status == "awaiting_payment"
    assert fresh(other_box).expires_on == other_box.expires_on


def test_an_expiry_moved_since_the_order_counts_from_the_current_expiry(ctx, today):
    box = make_mailbox(expires_in=20)
    order = make_order([box], method="bank_transfer")
    moved = box.expires_on + dt.timedelta(days=365)  # e.g. renewed at the provider meanwhile
    Mailbox.update(expires_on=moved).where(Mailbox.id == box.id).execute()
    pay(order, today, provider="operator", method="bank_transfer")
    assert fresh(box).expires_on == dt.date(2030, 3, 30)  # 30/03/2027 + 3, nothing lost
    line = OrderLine.get(OrderLine.order == order)
    assert line.old_expires_on == dt.date(2026, 3, 30)  # the order's snapshot is kept
    assert line.new_expires_on == dt.date(2030, 3, 30)  # what was actually given
    details = AuditEvent.get(AuditEvent.action == "payment.registered").details
    assert details["mailboxes"][0]["ordered_from"] == "2026-03-30"


def test_a_reported_transfer_holds_and_becomes_the_registered_payment(ctx, today):
    box = make_mailbox(expires_in=2)
    order = make_order([box], method="bank_transfer")
    report = payments.report_payment(
        order,
        method="bank_transfer",
        amount_cents=488,
        paid_on=today,
        reference="CRO12345678",
        actor="member:account:1",
    )
    assert report.code == payments.REPORTED
    assert orders_with_declared_payment([order.id]) == {order.id}
    outcome = pay(order, today, provider="statement", reference="BANK-0001", method="bank_transfer")
    assert outcome.code == payments.APPLIED
    row = fresh(report.payment)
    assert row.id == outcome.payment.id and row.status == "registered"
    assert (row.provider, row.reference) == ("statement", "BANK-0001")
    assert "CRO12345678" in row.note
    assert Payment.select().count() == 1
    assert orders_with_declared_payment([order.id]) == set()


def test_an_operator_registers_the_members_report_by_its_own_reference(ctx, today):
    box = make_mailbox(expires_in=2)
    order = make_order([box], method="blank_slip")
    report = payments.report_payment(
        order, method="blank_slip", amount_cents=488, paid_on=today, reference="VCY0001", actor="m"
    )
    outcome = pay(order, today, provider="member", reference="VCY0001", method="blank_slip")
    assert outcome.code == payments.APPLIED and outcome.payment.id == report.payment.id
    assert fresh(box).expires_on == dt.date(2029, 3, 12)


def test_only_one_report_waits_per_order(ctx, today):
    order = make_order([make_mailbox()], method="bank_transfer")
    args = dict(method="bank_transfer", amount_cents=488, paid_on=today, actor="m")
    assert payments.report_payment(order, reference="CRO1111111", **args).code == "reported"
    assert payments.report_payment(order, reference="CRO2222222", **args).code == "already_reported"
    other = make_order([make_mailbox()], method="bank_transfer")
    dup = payments.report_payment(other, reference="CRO1111111", **args)
    assert dup.code == payments.DUPLICATE_REFERENCE


def test_ten_threads_registering_the_same_payment_apply_it_once(app, tmp_path):
    with app.app_context(), db.connection_context():
        convention = make_convention()
        from tests.factories import make_account

        box = make_mailbox(make_account(convention), expires_in=20, today=dt.date(2026, 3, 10))
        order = make_order([box], method="card")
    codes, errors = [], []
    barrier = threading.Barrier(10)

    def worker(n):
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                codes.append(pay(order, dt.date(2026, 3, 10), reference=f"ref-{n % 2}").code)
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert codes.count("applied") == 1
    with app.app_context(), db.connection_context():
        assert Mailbox.get_by_id(box.id).expires_on == dt.date(2029, 3, 30)
        # Two different payments (ref-0, ref-1) arrived: both are money received, the
        # second one is to refund (R12); each was registered once however often it came.
        assert Payment.select().where(Payment.status == "registered").count() == 2
        assert sorted(m.kind for m in OutboxMessage.select()) == [
            "payment_received",
            "renewal_applied",
        ]
        paid = Order.get_by_id(order.id)
        assert paid.status == "paid" and balance(paid).to_refund_cents == 488
