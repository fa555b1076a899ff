"""Registering payments and applying renewals exactly once (R2, R3, R6).

CONTRACT (shared by the wizard, the payment gateway, operators and statement imports):
every registration of money on an order goes through `register_payment`. Implemented by
the payments issue; the signature and outcome codes below are fixed.
"""

import datetime as dt
from dataclasses import dataclass

from pec.models import Order, Payment

# Outcome codes
APPLIED = "applied"  # payment registered, renewal applied (expiry moved, R2; reactivated, R6)
ALREADY_APPLIED = "already_applied"  # same (provider, reference) seen before: nothing changed
AMOUNT_MISMATCH = "amount_mismatch"  # flagged, not applied
NOT_PAYABLE = "not_payable"  # order is a draft, cancelled or already paid by another payment
WINDOW_CLOSED = "window_closed"  # a line's mailbox is past the restore window (ceased, R6)


@dataclass(frozen=True)
class PaymentOutcome:
    code: str
    order: Order
    payment: Payment | None = None

    @property
    def applied(self) -> bool:
        return self.code == APPLIED


def register_payment(
    order: Order,
    *,
    amount_cents: int,
    method: str,
    provider: str,
    reference: str,
    today: dt.date,
    actor: str,
    paid_on: dt.date | None = None,
    note: str = "",
) -> PaymentOutcome:
    """Register money received for `order` and apply its renewal, exactly once."""
    raise NotImplementedError("implemented by the payments issue")
