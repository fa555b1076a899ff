"""Closing money to refund (rule R12): an operator records a refund (date, amount,
reference) or accepts the money with a reason. Both are audited; a refund is e-mailed to
the member, and a refund of invoiced money gets a credit note (rule R13).
"""

import datetime as dt

from pec.database import write_transaction
from pec.domain import audit, invoices
from pec.domain.balance import balance
from pec.domain.notices import Notices
from pec.models import Order, Settlement
from pec.vocabulary import SettlementKind


class RefundError(Exception):
    """`code`: amount (not positive, or more than the order holds), reason (an
    acceptance needs one), reference (a refund needs one), changed (another operator
    recorded one meanwhile: look again)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _settle(order: Order, amount_cents: int, limit_cents: int) -> Order:
    """Count `amount_cents` as settled on `order`, if it is within `limit_cents` of the
    balance read in this transaction (compare-and-set: two operators at once settle the
    same money once)."""
    if amount_cents <= 0 or amount_cents > limit_cents:
        raise RefundError("amount")
    changed = (
        Order.update(settled_cents=Order.settled_cents + amount_cents)
        .where((Order.id == order.id) & (Order.settled_cents == order.settled_cents))
        .execute()
    )
    if changed != 1:
        raise RefundError("changed")
    return Order.get_by_id(order.id)


def record_refund(
    order: Order,
    *,
    amount_cents: int,
    refunded_on: dt.date,
    reference: str,
    actor: str,
    notices: Notices,
    today: dt.date,
    note: str = "",
    ip: str = "",
) -> Settlement:
    """Money paid back to the member. Up to what the order holds: beyond the money to
    refund, it is invoiced money given back, and a credit note is issued for it."""
    reference = (reference or "").strip()
    if not reference:
        raise RefundError("reference")
    with write_transaction():
        order = Order.get_by_id(order.id)
        before = balance(order)
        order = _settle(order, amount_cents, before.refundable_cents)
        settlement = Settlement.create(
            order=order,
            kind=SettlementKind.REFUND,
            amount_cents=amount_cents,
            settled_on=refunded_on,
            reference=reference,
            reason=(note or "").strip(),
            actor=actor,
        )
        credit = invoices.credit_note(
            settlement,
            amount_cents - before.to_refund_cents,
            today=today,
            actor=actor,
            notices=notices,
        )
        audit.record(
            actor,
            "refund.recorded",
            order,
            {
                "order_number": order.number,
                "amount_cents": amount_cents,
                "refunded_on": refunded_on.isoformat(),
                "reference": reference,
                "note": settlement.reason,
                "credit_note": credit.label if credit else None,
            },
            ip=ip,
        )
        notices.refund_recorded(settlement)
        return settlement


def accept_money(
    order: Order, *, amount_cents: int, reason: str, actor: str, today: dt.date, ip: str = ""
) -> Settlement:
    """The convention keeps money to refund, with the reason (e.g. a few cents that
    would cost more to send back). The member is not e-mailed."""
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("reason")
    with write_transaction():
        order = Order.get_by_id(order.id)
        order = _settle(order, amount_cents, balance(order).to_refund_cents)
        settlement = Settlement.create(
            order=order,
            kind=SettlementKind.ACCEPTANCE,
            amount_cents=amount_cents,
            settled_on=today,
            reason=reason,
            actor=actor,
        )
        audit.record(
            actor,
            "refund.accepted",
            order,
            {"order_number": order.number, "amount_cents": amount_cents, "reason": reason},
            ip=ip,
        )
        return settlement
