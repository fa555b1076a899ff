"""Invoices when the convention is the seller (rule R13).

A paid order gets an invoice number in the payment's own transaction: numbers run per
calendar year with no gaps, one counter row per year incremented by an UPDATE (the row
lock queues concurrent payments on PostgreSQL, SQLite has one writer) and a unique
(year, number) key. Orders paid together (a statement import) take a run of consecutive
numbers from one UPDATE, in the order their payments came, as one at a time would.
Credit notes for refunded invoiced money take their numbers from the same sequence.
Each document is stored with its FatturaPA file as sent and the seller's
identity as it was, and the member gets a courtesy copy. When the provider is the seller
nothing is numbered here: operators export the paid orders for it (pec.domain.exports).
"""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from peewee import chunked

from pec.domain import audit, fatturapa
from pec.domain.notices import Notices
from pec.models import Convention, Invoice, InvoiceCounter, Order, Settlement
from pec.vocabulary import InvoiceKind

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# The seller's identity as an invoice states it (and freezes it).
SELLER_FIELDS = {
    "name": "seller_name",
    "address": "seller_address",
    "postal_code": "seller_postal_code",
    "city": "seller_city",
    "province": "seller_province",
    "country": "seller_country",
    "vat_number": "seller_vat_number",
    "fiscal_code": "seller_fiscal_code",
    "pec": "seller_pec",
    "email": "contact_email",
    "phone": "contact_phone",
    "tax_regime": "tax_regime",
}
REQUIRED_SELLER_FIELDS = ("seller_name", "seller_vat_number", "seller_address", "seller_city")


def seller_identity(convention: Convention) -> dict:
    return {key: (getattr(convention, field) or "").strip() for key, field in SELLER_FIELDS.items()}


def missing_seller_fields(convention: Convention) -> list[str]:
    """What the convention's settings lack to issue an invoice (the model's field names)."""
    missing = [f for f in REQUIRED_SELLER_FIELDS if not (getattr(convention, f) or "").strip()]
    postal_code = (convention.seller_postal_code or "").strip()
    if fatturapa.country_code(convention.seller_country) == "IT" and len(postal_code) != 5:
        missing.append("seller_postal_code")
    return missing


def next_numbers(year: int, count: int) -> range:
    """The next `count` numbers of `year`, consecutive, inside the caller's write
    transaction.

    The UPDATE is the serialisation point: a concurrent payment waits for this
    transaction to end and then counts on from its result; a rolled-back transaction
    takes its numbers back with it. So numbers are never shared and never skipped."""
    InvoiceCounter.insert(year=year, last_number=0).on_conflict_ignore().execute()
    InvoiceCounter.update(last_number=InvoiceCounter.last_number + count).where(
        InvoiceCounter.year == year
    ).execute()
    last = InvoiceCounter.get_by_id(year).last_number
    return range(last - count + 1, last + 1)


def _base36(value: int, width: int) -> str:
    digits = ""
    while value:
        value, rest = divmod(value, 36)
        digits = _ALPHABET[rest] + digits
    return digits.rjust(width, "0")


def progressive(year: int, number: int) -> str:
    """The file's progressive: at most 5 letters or digits, unique per sender (SDI's
    naming rule), derived from the year and the number so it never repeats."""
    if not (2000 <= year < 2600 and 0 < number < 100_000):
        raise ValueError("year or number out of the progressive's range")
    return _base36((year - 2000) * 100_000 + number, 5)


def sender_id(seller: dict) -> str:
    """The identifier in SDI file names: the seller's codice fiscale, else its VAT number."""
    return (seller.get("fiscal_code") or seller["vat_number"]).upper()


def file_name(seller: dict, year: int, number: int) -> str:
    """IT01234567890_1JQ0D.xml: country, the seller's fiscal identifier, progressive."""
    country = fatturapa.country_code(seller.get("country") or "IT")
    return f"{country}{sender_id(seller)}_{progressive(year, number)}.xml"


def _lines(order: Order, rows) -> list[fatturapa.Line]:
    """The invoice's lines, by address, from `rows`: the order's lines with their
    mailboxes, as renewed."""
    years = order.duration_years
    return [
        fatturapa.Line(
            description=(
                f"Rinnovo casella PEC {row.mailbox.address} per {years} "
                f"{'anno' if years == 1 else 'anni'}, ordine N. {order.number}: "
                f"nuova scadenza {row.new_expires_on:%d/%m/%Y}"
            ),
            unit_net_cents=row.unit_price_cents,
            starts_on=row.old_expires_on + dt.timedelta(days=1),
            ends_on=row.new_expires_on,
        )
        # Sorted here, not by the database: the same order on every database.
        for row in sorted(rows, key=lambda row: row.mailbox.address)
    ]


@dataclass(frozen=True)
class _Draft:
    """A document to number and store: what it bills, on which order."""

    order: Order
    net: int
    vat: int
    lines: list
    causale: str
    extra: dict = field(default_factory=dict)  # a credit note: corrects=, settlement=


def _issue(kind, drafts: list[_Draft], *, today, actor, notices) -> list[Invoice]:
    """Number `drafts` consecutively, in the order given, and store each with its
    FatturaPA file; audited, and each member gets the courtesy copy."""
    if not drafts:
        return []
    numbers = next_numbers(today.year, len(drafts))
    rows = []
    for draft, number in zip(drafts, numbers, strict=True):
        order = draft.order
        seller = seller_identity(order.convention)
        corrects = draft.extra.get("corrects")
        document = fatturapa.Document(
            kind=kind,
            number=f"{number}/{today.year}",
            issued_on=today,
            progressive=progressive(today.year, number),
            seller=seller,
            buyer=order.billing or {},
            vat_rate_bp=order.vat_rate_bp,
            net_cents=draft.net,
            vat_cents=draft.vat,
            lines=tuple(draft.lines),
            causale=draft.causale,
            payment_method=order.payment_method if kind == InvoiceKind.INVOICE else None,
            corrects=(corrects.label, corrects.issued_on) if corrects else None,
        )
        rows.append(
            dict(
                kind=kind,
                year=today.year,
                number=number,
                issued_on=today,
                order=order,
                net_cents=draft.net,
                vat_cents=draft.vat,
                gross_cents=draft.net + draft.vat,
                seller=seller,
                file_name=file_name(seller, today.year, number),
                xml=fatturapa.render(document),
                **draft.extra,
            )
        )
    for chunk in chunked(rows, 100):
        Invoice.insert_many(chunk).execute()
    stored = {}
    for chunk in chunked(list(numbers), 500):
        for invoice in Invoice.select().where(
            (Invoice.year == today.year) & Invoice.number.in_(chunk)
        ):
            stored[invoice.number] = invoice
    invoices = []
    for draft, number in zip(drafts, numbers, strict=True):
        invoice = stored[number]
        invoice.order = draft.order  # read already, with what its e-mail needs
        invoices.append(invoice)
    action = "invoice.issued" if kind == InvoiceKind.INVOICE else "invoice.credit_note_issued"
    audit.record_many(
        [
            audit.event(
                actor,
                action,
                invoice.order,
                {
                    "number": invoice.label,
                    "file": invoice.file_name,
                    "gross_cents": invoice.gross_cents,
                },
            )
            for invoice in invoices
        ]
    )
    for invoice in invoices:
        notices.invoice_issued(invoice)
    return invoices


def invoice_paid_orders(
    orders: list[Order], *, today: dt.date, actor: str, notices: Notices, lines: dict
) -> list[Invoice | None]:
    """R13: each paid order's invoice, numbered now in the order given (consecutive
    numbers), in the caller's (the payments') transaction; None for an order whose
    provider invoices; an order's invoice issued before is returned, not issued again.
    `lines`: order id -> its lines with their mailboxes, as the caller read them after
    the renewal."""
    here = [order for order in orders if order.convention.seller.invoices_here]
    existing = {}
    for chunk in chunked([order.id for order in here], 500):
        for invoice in Invoice.select().where(
            Invoice.order.in_(chunk) & (Invoice.kind == InvoiceKind.INVOICE)
        ):
            existing.setdefault(invoice.order_id, invoice)
    drafts, refused = [], []
    for order in here:
        if order.id in existing:
            continue
        missing = missing_seller_fields(order.convention)
        if missing:
            # The settings refuse this state; an install that got here anyway is told.
            refused.append(
                audit.event(actor, "invoice.not_issued", order, {"missing_seller_fields": missing})
            )
            continue
        drafts.append(
            _Draft(
                order,
                order.net_cents,
                order.vat_cents,
                _lines(order, lines[order.id]),
                f"Rinnovo PEC ordine N. {order.number}",
            )
        )
    audit.record_many(refused)
    issued = _issue(InvoiceKind.INVOICE, drafts, today=today, actor=actor, notices=notices)
    existing.update((invoice.order_id, invoice) for invoice in issued)
    return [existing.get(order.id) for order in orders]


def order_invoice(order: Order) -> Invoice | None:
    return (
        Invoice.select()
        .where((Invoice.order == order) & (Invoice.kind == InvoiceKind.INVOICE))
        .first()
    )


def credited_cents(invoice: Invoice) -> int:
    """What credit notes already took back of `invoice`."""
    return sum(note.gross_cents for note in invoice.credit_notes)


def split_gross(gross_cents: int, vat_rate_bp: int) -> tuple[int, int]:
    """A gross amount into net and VAT at the order's rate (net rounded half-up)."""
    net = (Decimal(gross_cents) * 10_000 / (10_000 + vat_rate_bp)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(net), gross_cents - int(net)


def credit_note(
    settlement: Settlement,
    invoiced_cents: int,
    *,
    today: dt.date,
    actor: str,
    notices: Notices,
) -> Invoice | None:
    """R13: a refund that gives back invoiced money gets a credit note (TD04) for that
    part, in the refund's transaction; None if the order has no invoice."""
    order = settlement.order
    invoice = order_invoice(order)
    if invoice is None or invoiced_cents <= 0:
        return None
    gross = min(invoiced_cents, invoice.gross_cents - credited_cents(invoice))
    if gross <= 0:
        return None
    net, vat = split_gross(gross, order.vat_rate_bp)
    line = fatturapa.Line(
        description=(
            f"Rimborso su fattura N. {invoice.label} del {invoice.issued_on:%d/%m/%Y}, "
            f"ordine N. {order.number}"
        ),
        unit_net_cents=net,
    )
    draft = _Draft(
        order,
        net,
        vat,
        [line],
        f"Nota di credito: rimborso ordine N. {order.number}",
        {"corrects": invoice, "settlement": settlement},
    )
    return _issue(InvoiceKind.CREDIT_NOTE, [draft], today=today, actor=actor, notices=notices)[0]


# --- The month's files for the SDI intermediary -------------------------------------------


def month_invoices(year: int, month: int):
    """Invoices and credit notes issued in a month, by number."""
    first = dt.date(year, month, 1)
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return (
        Invoice.select()
        .where((Invoice.issued_on >= first) & (Invoice.issued_on < after))
        .order_by(Invoice.year, Invoice.number)
    )


def month_zip_name(convention: Convention, year: int, month: int) -> str:
    """The ZIP named as SDI names files: the seller's identifier and a progressive that
    invoice files never use (they start with a digit until the year 2587)."""
    seller = seller_identity(convention)
    country = fatturapa.country_code(seller.get("country") or "IT")
    return f"{country}{sender_id(seller)}_Z{_base36((year - 2000) * 12 + month - 1, 4)}.zip"


def month_zip(invoices) -> bytes:
    """One ZIP of the invoice files, each under the name SDI expects."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            info = zipfile.ZipInfo(invoice.file_name, date_time=invoice.issued_on.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, invoice.xml.encode("utf-8"))
    return buffer.getvalue()
