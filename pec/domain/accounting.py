"""Money for the accountant: the payments and refunds of a period, one row each, with
the order, the holder as frozen on the order, the amount split into taxable and VAT, the
method, the bank reference and the invoice (or credit note) number.

Every registered payment is money in the bank, whether or not it completed its order
(rule R12); a refund is money out, with a minus sign. The bank's record of a payment
already registered by hand is not money a second time and is left out.
"""

import datetime as dt
from dataclasses import dataclass

from pec.database import write_transaction
from pec.domain import audit
from pec.models import Account, Invoice, Order, Payment, Settlement
from pec.vocabulary import InvoiceKind, PaymentMethod, PaymentStatus, SettlementKind

PAYMENT = "payment"
TO_VERIFY = "to_verify"  # money kept apart before rule R12 (old data only)
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


def _invoices(order_ids) -> tuple[dict, dict]:
    """order id → its invoice's number; settlement id → its credit note's number."""
    by_order, by_settlement = {}, {}
    if order_ids:
        for invoice in Invoice.select().where(Invoice.order.in_(sorted(order_ids))):
            if invoice.kind == InvoiceKind.INVOICE:
                by_order[invoice.order_id] = invoice.label
            elif invoice.settlement_id is not None:
                by_settlement[invoice.settlement_id] = invoice.label
    return by_order, by_settlement


def ledger(start: dt.date, end: dt.date) -> list[LedgerRow]:
    """Money received and refunded from `start` to `end` inclusive, by the day it moved."""
    payments = list(
        Payment.select(Payment, Order, Account)
        .join(Order)
        .join(Account)
        .where(
            Payment.status.in_((PaymentStatus.REGISTERED, PaymentStatus.FLAGGED))
            & (Payment.paid_on >= start)
            & (Payment.paid_on <= end)
        )
    )
    refunds = list(
        Settlement.select(Settlement, Order, Account)
        .join(Order)
        .join(Account)
        .where(
            (Settlement.kind == SettlementKind.REFUND)
            & (Settlement.settled_on >= start)
            & (Settlement.settled_on <= end)
        )
    )
    invoice_of, credit_note_of = _invoices(
        {p.order_id for p in payments} | {r.order_id for r in refunds}
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
                invoice_number=invoice_of.get(order.id, ""),
            )
        )
    for refund in refunds:
        order = refund.order
        holder, fiscal_code = _holder(order)
        net, vat = split_gross(-refund.amount_cents, order.vat_rate_bp)
        rows.append(
            LedgerRow(
                on=refund.settled_on,
                kind=REFUND,
                order_number=order.number or "",
                holder=holder,
                fiscal_code=fiscal_code,
                net_cents=net,
                vat_cents=vat,
                gross_cents=-refund.amount_cents,
                method=PaymentMethod.BANK_TRANSFER,  # refunds go back by transfer
                reference=refund.reference,
                invoice_number=credit_note_of.get(refund.id, ""),
            )
        )
    return sorted(rows, key=lambda row: (row.on, row.kind != PAYMENT, row.order_number))


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
