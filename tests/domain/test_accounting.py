"""Money of a period for the accountant: one row per payment, amounts split into taxable
and VAT that add up, the holder as frozen on the order."""

import datetime as dt

import pytest

from pec.domain import accounting, payments
from tests.factories import make_account, make_mailbox, make_order
from tests.notices import RecordingNotices


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
        payments.register_payment(
            order,
            amount_cents=amount,
            method="bank_transfer",
            provider="operator",
            reference=reference,
            today=today,
            actor="operator:1",
            notices=RecordingNotices(),
            paid_on=today - dt.timedelta(days=1),
        )
    rows = accounting.ledger(today - dt.timedelta(days=1), today)
    assert [(r.order_number, r.kind, r.gross_cents) for r in rows] == [
        (paid.number, accounting.PAYMENT, 488),
        (other.number, accounting.TO_VERIFY, 400),
    ]
    first = rows[0]
    assert (first.holder, first.fiscal_code) == ("Studio Rossi S.r.l.", "01234567897")
    assert (first.net_cents, first.vat_cents, first.reference) == (400, 88, "TRN-1")
    assert (rows[1].net_cents, rows[1].vat_cents) == (328, 72)
    assert accounting.ledger(today, today) == []
