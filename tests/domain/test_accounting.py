"""Money of a period for the accountant: one row per payment, amounts split into taxable
and VAT that add up, the holder as frozen on the order."""

import datetime as dt

import pytest

from pec.domain import accounting
from tests.factories import make_account, make_mailbox, make_order, pay, refund


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        (488, 2200, 400, 88),
        (400, 2200, 328, 72),
        (100, 0, 100, 0),
        (-488, 2200, -400, -88),
        (1, 2200, 1, 0),
    ],
)
def test_an_amount_with_vat_splits_into_parts_that_add_up(gross, rate, net, vat):
    assert accounting.split_gross(gross, rate) == (net, vat)
    assert net + vat == gross


def test_the_ledger_lists_money_received_in_the_period(app, today):
    box = make_mailbox(make_account(first_name="Mario", last_name="Rossi"))
    paid = make_order(
        [box], billing={"company_name": "Studio Rossi S.r.l.", "fiscal_code": "01234567897"}
    )
    other = make_order([make_mailbox()])
    for order, amount, reference in ((paid, 488, "TRN-1"), (other, 400, "TRN-2")):
        pay(order, amount, reference=reference, today=today, paid_on=today - dt.timedelta(days=1))
    rows = accounting.ledger(today - dt.timedelta(days=1), today)
    # Both are money received (rule R12): the second is a partial payment of its order.
    assert sorted((r.order_number, r.kind, r.gross_cents) for r in rows) == sorted(
        [(paid.number, accounting.PAYMENT, 488), (other.number, accounting.PAYMENT, 400)]
    )
    first = next(r for r in rows if r.order_number == paid.number)
    assert (first.holder, first.fiscal_code) == ("Studio Rossi S.r.l.", "01234567897")
    assert (first.net_cents, first.vat_cents, first.reference) == (400, 88, "TRN-1")
    partial = next(r for r in rows if r.order_number == other.number)
    assert (partial.net_cents, partial.vat_cents) == (328, 72)
    assert accounting.ledger(today, today) == []


def test_a_refund_is_money_out_with_its_credit_note(app, today):
    order = make_order([make_mailbox()])
    pay(order, 1000, reference="TRN-9", today=today, paid_on=today)
    refund(order, 512, reference="TRN-BACK", today=today)
    rows = accounting.ledger(today, today)
    assert [(r.kind, r.gross_cents, r.reference) for r in rows] == [
        (accounting.PAYMENT, 1000, "TRN-9"),
        (accounting.REFUND, -512, "TRN-BACK"),
    ]
    paid_back = rows[1]
    assert paid_back.net_cents + paid_back.vat_cents == -512 and paid_back.method == "bank_transfer"


def test_invoice_and_credit_note_numbers_come_with_the_money(app, ctx, today):
    from tests.domain.test_invoices import seller_convention

    convention = seller_convention()
    order = make_order([make_mailbox(make_account(convention))])
    pay(order, reference="TRN-1", today=today, paid_on=today)
    refund(order, 100, reference="TRN-BACK", today=today)
    payment, paid_back = accounting.ledger(today, today)
    assert payment.invoice_number == f"1/{today.year}"
    assert paid_back.invoice_number == f"2/{today.year}"  # the credit note, same numbering
