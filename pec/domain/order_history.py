"""What "I miei ordini" shows of each order (member journey 12): its mailboxes, money,
payments, refunds, invoices, in a fixed number of queries."""

from dataclasses import dataclass

from pec.domain.balance import Balance, balance
from pec.models import Invoice, Mailbox, Order, OrderLine, Payment, Settlement
from pec.vocabulary import PaymentStatus

# The payments a member sees: money received, and their own reports (waiting or refused).
SHOWN_PAYMENTS = (PaymentStatus.REGISTERED, PaymentStatus.REPORTED, PaymentStatus.REJECTED)


@dataclass(frozen=True)
class OrderHistory:
    order: Order
    addresses: list[str]
    money: Balance
    payments: list[Payment]
    settlements: list[Settlement]
    invoices: list[Invoice]


def _grouped(rows, key) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(key(row), []).append(row)
    return found


def histories(orders: list[Order]) -> list[OrderHistory]:
    ids = [o.id for o in orders]
    if not ids:
        return []
    lines = _grouped(
        OrderLine.select(OrderLine.order, Mailbox.address)
        .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
        .where(OrderLine.order.in_(ids))
        .order_by(Mailbox.address),
        lambda line: line.order_id,
    )
    payments = _grouped(
        Payment.select()
        .where(Payment.order.in_(ids) & Payment.status.in_(SHOWN_PAYMENTS))
        .order_by(Payment.id),
        lambda p: p.order_id,
    )
    settlements = _grouped(
        Settlement.select().where(Settlement.order.in_(ids)).order_by(Settlement.id),
        lambda s: s.order_id,
    )
    invoices = _grouped(
        Invoice.select().where(Invoice.order.in_(ids)).order_by(Invoice.year, Invoice.number),
        lambda i: i.order_id,
    )
    return [
        OrderHistory(
            order=order,
            addresses=[line.mailbox.address for line in lines.get(order.id, [])],
            money=balance(order),
            payments=payments.get(order.id, []),
            settlements=settlements.get(order.id, []),
            invoices=invoices.get(order.id, []),
        )
        for order in orders
    ]
