"""Money for the accountant: the payments (and, once recorded, refunds) of a period,
one row each, with the order, the holder as frozen on the order, the amount split into
taxable and VAT, the method, the bank reference and the invoice number.

Money received but not applied to a renewal ("da verificare") is money in the bank all
the same: it is listed with its own kind so the accountant sees it.
"""

import datetime as dt
from dataclasses import dataclass

from pec.database import write_transaction
from pec.domain import audit
from pec.models import Account, Order, Payment
from pec.vocabulary import PaymentMethod, PaymentStatus

PAYMENT = "payment"
TO_VERIFY = "to_verify"
REFUND = "refund"


@dataclass(frozen=True)
class LedgerRow:
    on: dt.date
    kind: str  # PAYMENT, TO_VERIFY or REFUND
    order_number: str
    holder: str
    fiscal_code: str
    net_cents: int
    vat_cents: int
    gross_cents: int
    method: PaymentMethod | None
    reference: str
    invoice_number: str = ""


def split_gross(gross_cents: int, rate_bp: int) -> tuple[int, int]:
    """(taxable, VAT) of an amount that includes VAT at `rate_bp`, taxable rounded
    half-up to the cent and VAT the rest, so the two always add up to the amount."""
    sign = -1 if gross_cents < 0 else 1
    gross = abs(gross_cents)
    net = (gross * 10_000 * 2 + (10_000 + rate_bp)) // (2 * (10_000 + rate_bp))
    return sign * net, sign * (gross - net)


def _holder(order: Order) -> tuple[str, str]:
    """The buyer's name and codice fiscale as frozen on the order (rule R10), else the
    account's."""
    billing = order.billing or {}
    name = billing.get("company_name") or " ".join(
        part for part in (billing.get("first_name"), billing.get("last_name")) if part
    )
    return name or order.account.display_name, billing.get("fiscal_code") or (
        order.account.fiscal_code
    )


def _amounts(payment: Payment, order: Order) -> tuple[int, int]:
    if payment.amount_cents == order.gross_cents:
        return order.net_cents, order.vat_cents  # the order's own split (rule R9)
    return split_gross(payment.amount_cents, order.vat_rate_bp)


def ledger(start: dt.date, end: dt.date) -> list[LedgerRow]:
    """Money received from `start` to `end` inclusive, by the day it was paid."""
    payments = (
        Payment.select(Payment, Order, Account)
        .join(Order)
        .join(Account)
        .where(
            Payment.status.in_((PaymentStatus.REGISTERED, PaymentStatus.FLAGGED))
            & (Payment.paid_on >= start)
            & (Payment.paid_on <= end)
        )
        .order_by(Payment.paid_on, Payment.id)
    )
    rows = []
    for payment in payments:
        order = payment.order
        holder, fiscal_code = _holder(order)
        net, vat = _amounts(payment, order)
        rows.append(
            LedgerRow(
                on=payment.paid_on,
                kind=PAYMENT if payment.status == PaymentStatus.REGISTERED else TO_VERIFY,
                order_number=order.number or "",
                holder=holder,
                fiscal_code=fiscal_code,
                net_cents=net,
                vat_cents=vat,
                gross_cents=payment.amount_cents,
                method=payment.method,
                reference=payment.reference or "",
            )
        )
    return rows


def record_export(start: dt.date, end: dt.date, rows: int, *, actor: str, ip: str = "") -> None:
    """Audit who took the period's money data out of the portal (personal data)."""
    with write_transaction():
        audit.record(
            actor,
            "payments.exported",
            None,
            {"from": start.isoformat(), "to": end.isoformat(), "rows": rows},
            ip=ip,
        )
