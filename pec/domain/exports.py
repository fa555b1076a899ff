"""The paid orders of a month as CSV rows, for whoever invoices them (rule R13): the PEC
provider when it is the seller, or the convention's accountant. Billing data as frozen
on each order; amounts in euro with a decimal comma, as Italian spreadsheets read them.
"""

import datetime as dt

from pec.domain import clock
from pec.domain.csv_files import guard_cell
from pec.models import Invoice, Mailbox, Order, OrderLine, Payment
from pec.vocabulary import InvoiceKind, OrderStatus, PaymentStatus

COLUMNS = (
    "order_number",
    "paid_on",
    "person_type",
    "company_name",
    "first_name",
    "last_name",
    "fiscal_code",
    "vat_number",
    "einvoice_recipient",
    "address",
    "postal_code",
    "city",
    "province",
    "country",
    "email",
    "mailboxes",
    "duration_years",
    "net",
    "vat_rate",
    "vat",
    "gross",
    "received",
    "payment_method",
    "payment_references",
    "invoice_number",
)


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month as UTC instants from midnight to midnight in Europe/Rome."""
    first = dt.date(year, month, 1)
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return clock.start_of_day(first), clock.start_of_day(after)


def paid_orders(year: int, month: int) -> list[Order]:
    start, end = month_bounds(year, month)
    return list(
        Order.select()
        .where(
            (Order.status == OrderStatus.PAID) & (Order.paid_at >= start) & (Order.paid_at < end)
        )
        .order_by(Order.paid_at, Order.id)
    )


def paid_order_rows(year: int, month: int) -> list[list[str]]:
    """One row per order paid in the month (COLUMNS), cells guarded against formulas."""
    orders = paid_orders(year, month)
    ids = [o.id for o in orders]
    boxes: dict[int, list[str]] = {}
    references: dict[int, list[str]] = {}
    numbers: dict[int, str] = {}
    if ids:
        for line in (
            OrderLine.select(OrderLine.order, Mailbox.address)
            .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
            .where(OrderLine.order.in_(ids))
            .order_by(Mailbox.address)
        ):
            boxes.setdefault(line.order_id, []).append(line.mailbox.address)
        for payment in Payment.select().where(
            Payment.order.in_(ids) & (Payment.status == PaymentStatus.REGISTERED)
        ):
            references.setdefault(payment.order_id, []).append(payment.reference or "")
        for invoice in Invoice.select().where(
            Invoice.order.in_(ids) & (Invoice.kind == InvoiceKind.INVOICE)
        ):
            numbers[invoice.order_id] = invoice.label
    rows = []
    for order in orders:
        billing = order.billing or {}
        values = [
            order.number,
            order.paid_at.astimezone(clock.ROME).strftime("%d/%m/%Y"),
            *(billing.get(c, "") for c in COLUMNS[2:15]),
            " ".join(boxes.get(order.id, [])),
            order.duration_years,
            euros(order.net_cents),
            f"{order.vat_rate_bp // 100},{order.vat_rate_bp % 100:02d}",
            euros(order.vat_cents),
            euros(order.gross_cents),
            euros(order.received_cents),
            order.payment_method or "",
            " ".join(references.get(order.id, [])),
            numbers.get(order.id, ""),
        ]
        rows.append([guard_cell(v) for v in values])
    return rows
