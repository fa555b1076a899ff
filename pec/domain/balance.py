"""An order's money (rule R12): its total, what arrived, what is still missing, what is
to refund. The one place that says so, in Python for pages and e-mails and in SQL for
the operators' lists.

Money received is the sum of the order's registered payments (`Order.received_cents`,
kept by pec.domain.payments). While the order awaits payment, money received counts
towards its total and nothing is to refund. Once it is paid, what came beyond the total
is to refund; once it is cancelled (or was never confirmed), all of it is. Refunds and
acceptances an operator records (`Order.settled_cents`) close money to refund.
"""

from dataclasses import dataclass

from pec.models import Order
from pec.vocabulary import OrderStatus


@dataclass(frozen=True)
class Balance:
    total_cents: int
    received_cents: int
    settled_cents: int
    missing_cents: int  # still to pay before the renewal applies
    to_refund_cents: int  # received and not applied, not yet refunded or accepted
    # What a refund may give back at most: money received and not yet settled. On a paid
    # order, what goes beyond `to_refund_cents` is invoiced money (a credit note).
    refundable_cents: int

    @property
    def is_partially_paid(self) -> bool:
        return self.received_cents > 0 and self.missing_cents > 0


def _kept_cents(order: Order) -> int:
    """What the order keeps of the money received: its total once paid, else nothing
    (an order awaiting payment keeps everything towards its total)."""
    return order.gross_cents if order.status == OrderStatus.PAID else 0


def balance(order: Order) -> Balance:
    """The order's money as it stands."""
    received, settled = order.received_cents, order.settled_cents
    if order.status == OrderStatus.AWAITING_PAYMENT:
        missing = max(0, order.gross_cents - received)
        return Balance(order.gross_cents, received, settled, missing, 0, 0)
    to_refund = max(0, received - _kept_cents(order) - settled)
    return Balance(order.gross_cents, received, settled, 0, to_refund, received - settled)


def missing_cents(order: Order) -> int:
    """What the member still has to pay on an order awaiting payment (its total at first)."""
    return balance(order).missing_cents


def to_refund_condition():
    """A WHERE condition on Order: it holds money to refund (mirrors `balance`)."""
    left = Order.received_cents - Order.settled_cents
    paid = (Order.status == OrderStatus.PAID) & ((left - Order.gross_cents) > 0)
    closed = Order.status.in_((OrderStatus.CANCELLED, OrderStatus.DRAFT)) & (left > 0)
    return paid | closed


def partially_paid_condition():
    """A WHERE condition on Order: awaiting payment with some money already received."""
    return (Order.status == OrderStatus.AWAITING_PAYMENT) & (Order.received_cents > 0)
