"""Bank statement import (SPEC §3): CSV exports and ISO 20022 CAMT.053 XML.

A credit whose remittance text holds an order number (renewal.is_order_number) is
registered on that order through payments.register_payment, with provider "statement"
and the bank's entry reference as the payment reference: importing the same statement
twice registers nothing twice, and a wrong amount is flagged, not applied (R3). The
other credits are listed for manual matching; debits are ignored. Nothing here trusts
the file: XML is parsed with defusedxml (no DTDs, no entities), every bad line is
reported with its reason, and a bad line never stops the good ones.
"""

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from pec.database import write_transaction
from pec.domain import audit, money
from pec.domain import payments as pay
from pec.domain.notices import Notices
from pec.domain.renewal import NUMBER_RANDOM_CHARS, is_order_number
from pec.domain.roster import RosterFileError, decode, parse_date
from pec.models import Order, Payment
from pec.vocabulary import OrderStatus, PaymentMethod, PaymentStatus

PROVIDER = "statement"
CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."

# What each line of a preview will do (`Decision.kind`) ...
MATCHED = "matched"  # one order, right amount: registered on confirm
FLAGGED = "flagged"  # one order, but it cannot be applied: recorded as flagged money
MANUAL = "manual"  # no (known) order number: the operator picks the order
DONE = "done"  # this entry reference was imported before: nothing to do
# The order was paid by a payment an operator registered by hand: this line is that
# money's bank record, kept as a "reconciled" payment (counted once, never applied again).
RECONCILED = "reconciled"
IGNORED = "ignored"  # not money in for us (debit, reversal, not booked, not in euro)
KINDS = (MATCHED, FLAGGED, MANUAL, RECONCILED, DONE, IGNORED)

# ... and why (`Decision.reason`)
REASONS = (
    "order_number",  # matched
    pay.AMOUNT_MISMATCH,
    pay.NOT_PAYABLE,
    pay.WINDOW_CLOSED,
    "no_order_number",
    "unknown_order",
    "several_orders",
    "already_registered",
    "already_flagged",
    "registered_by_hand",
    "duplicate_in_file",
    "debit",
    "reversal",
    "not_booked",
    "currency",
)

# Default CSV headers of common Italian bank exports (compared case-insensitively, with
# spaces collapsed). Each setting is a list: the first header present is used; for the
# remittance text every listed header present is read and joined.
DEFAULT_COLUMNS = {
    "date": (
        "data contabile",
        "data operazione",
        "data registrazione",
        "data",
        "booking date",
        "date",
    ),
    "amount": ("importo", "importo (eur)", "importo eur", "importo in euro", "amount"),
    "credit": ("entrate", "avere", "accrediti", "importo avere", "credit"),
    "debit": ("uscite", "dare", "addebiti", "importo dare", "debit"),
    "text": (
        "causale",
        "descrizione",
        "descrizione operazione",
        "dettagli",
        "causale / descrizione",
        "remittance information",
        "description",
    ),
    "reference": (
        "riferimento",
        "riferimento banca",
        "id operazione",
        "numero operazione",
        "cro",
        "trn",
        "reference",
    ),
    "currency": ("divisa", "currency"),
}
HEADER_SEARCH_LINES = 30  # banks put account details above the header


class StatementFileError(Exception):
    """The file as a whole cannot be read: encoding, empty, columns, xml or not_camt."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Entry:
    """One movement of the statement, in our terms."""

    line: int  # CSV line number, or the position of the CAMT entry (1 = first)
    booked_on: dt.date
    amount_cents: int
    is_credit: bool
    reference: str  # the bank's entry reference (or one derived from the line's content)
    text: str
    currency: str = "EUR"
    is_derived_reference: bool = False
    is_reversal: bool = False
    is_booked: bool = True


@dataclass(frozen=True)
class Problem:
    line: int
    code: str  # field_count, date_invalid, amount_invalid, amount_missing
    value: str = ""


@dataclass
class Statement:
    format: str  # "camt053" or "csv"
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Decision:
    entry: Entry
    kind: str
    reason: str
    order: Order | None = None
    payment: Payment | None = None  # the payment this reference already is (DONE)
    outcome: str = ""  # after apply or a manual match: register_payment's code


@dataclass
class Preview:
    statement: Statement
    decisions: list[Decision]

    def of_kind(self, kind: str) -> list[Decision]:
        return [d for d in self.decisions if d.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in KINDS}

    def decision_for(self, line: int) -> Decision | None:
        return next((d for d in self.decisions if d.entry.line == line), None)


# --- Reading ---------------------------------------------------------------------------


def parse(data: bytes, columns: dict | None = None) -> Statement:
    """A CAMT.053 XML document or a CSV export (told apart by content, not name)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    if head.startswith(b"<"):
        return parse_camt053(data)
    return parse_csv(data, columns)


def _eur_cents(text: str) -> int:
    """An unsigned amount in euro (Italian or plain decimals) → cents; ValueError else."""
    try:
        return money.parse_eur(text)
    except (ValueError, ArithmeticError):
        raise ValueError(text) from None


def derived_reference(booked_on: dt.date, amount_cents: int, text: str) -> str:
    """For exports without an entry reference: the same line always gets the same one,
    so a second import of the file still registers nothing twice."""
    basis = f"{booked_on.isoformat()}|{amount_cents}|{' '.join(text.split()).upper()}"
    return "auto-" + hashlib.sha256(basis.encode()).hexdigest()[:20]


# CAMT.053 --------------------------------------------------------------------------------


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element, *path):
    """The first descendant along `path` of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _text(element, *path) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _texts(element, names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [
        (e.text or "").strip()
        for e in element.iter()
        if _local(e.tag) in wanted and (e.text or "").strip()
    ]


def _camt_date(element) -> dt.date | None:
    value = _text(element, "Dt") or _text(element, "DtTm")[:10]
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_camt053(data: bytes) -> Statement:
    """The entries (Ntry) of a camt.053.001.02 or later statement."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException) as error:
        raise StatementFileError("xml", str(error)[:200]) from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if not namespace.startswith(CAMT053_NAMESPACE):
        raise StatementFileError("not_camt", namespace or _local(root.tag))
    statement = Statement("camt053")
    position = 0
    for ntry in (e for e in root.iter() if _local(e.tag) == "Ntry"):
        position += 1
        _camt_entry(statement, position, ntry)
    if position == 0:
        raise StatementFileError("empty")
    return statement


def _camt_entry(statement: Statement, position: int, ntry) -> None:
    amount = _child(ntry, "Amt")
    try:
        cents = _eur_cents((amount.text or "") if amount is not None else "")
    except ValueError:
        statement.problems.append(
            Problem(position, "amount_invalid", (amount.text or "") if amount is not None else "")
        )
        return
    booked_on = _camt_date(_child(ntry, "BookgDt")) or _camt_date(_child(ntry, "ValDt"))
    if booked_on is None:
        statement.problems.append(Problem(position, "date_invalid"))
        return
    status = _text(ntry, "Sts", "Cd") or _text(ntry, "Sts")
    text = " ".join(_texts(ntry, ("Ustrd", "Ref", "AddtlTxInf", "AddtlNtryInf")))
    reference = (
        _text(ntry, "AcctSvcrRef")
        or _text(ntry, "NtryRef")
        or _text(ntry, "NtryDtls", "TxDtls", "Refs", "AcctSvcrRef")
    )
    derived = not reference
    statement.entries.append(
        Entry(
            line=position,
            booked_on=booked_on,
            amount_cents=cents,
            is_credit=_text(ntry, "CdtDbtInd") == "CRDT",
            reference=reference or derived_reference(booked_on, cents, text),
            text=text,
            currency=(amount.get("Ccy") or "EUR").upper(),
            is_derived_reference=derived,
            is_reversal=_text(ntry, "RvslInd").lower() == "true",
            is_booked=status in ("", "BOOK"),
        )
    )


# CSV -------------------------------------------------------------------------------------


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().lower().split())


def _columns(settings: dict | None) -> dict[str, tuple[str, ...]]:
    chosen = dict(DEFAULT_COLUMNS)
    for key, names in (settings or {}).items():
        if names:
            chosen[key] = tuple(_norm(n) for n in names if n.strip())
    return chosen


def _find_header(rows: list[list[str]], columns: dict) -> tuple[int, dict[str, int]] | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_LINES]):
        names = [_norm(c) for c in cells]
        found: dict[str, int] = {}
        for key in ("date", "amount", "credit", "debit", "reference", "currency"):
            for candidate in columns[key]:
                if candidate in names:
                    found[key] = names.index(candidate)
                    break
        texts = [names.index(c) for c in columns["text"] if c in names]
        if "date" in found and ("amount" in found or "credit" in found) and texts:
            found["text"] = texts  # type: ignore[assignment]
            return index, found
    return None


def _signed_cents(text: str) -> int:
    """'-1.234,56', '+4,88', '4,88 €' → signed cents; ValueError on anything else."""
    cleaned = text.replace("€", "").replace("EUR", "").replace("\xa0", "").replace(" ", "")
    sign = -1 if cleaned.startswith("-") or cleaned.endswith("-") else 1
    return sign * _eur_cents(cleaned.strip("+-"))


def parse_csv(data: bytes, settings: dict | None = None) -> Statement:
    """A bank's CSV export: UTF-8 (BOM or not) or Windows-1252, `;`, `,` or tab."""
    try:
        text = decode(data)
    except RosterFileError:
        raise StatementFileError("encoding") from None
    if not text.strip():
        raise StatementFileError("empty")
    columns = _columns(settings)
    for delimiter in (";", ",", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows, line_numbers, previous_end = [], [], 0
        for cells in reader:
            rows.append(cells)
            line_numbers.append(previous_end + 1)
            previous_end = reader.line_num
        header = _find_header(rows, columns)
        if header is not None:
            break
    else:
        wanted = f"{columns['date'][0]}, {columns['amount'][0]}, {columns['text'][0]}"
        raise StatementFileError("columns", wanted)
    start, where = header
    statement = Statement("csv")
    width = len(rows[start])
    for cells, line in zip(rows[start + 1 :], line_numbers[start + 1 :], strict=True):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != width:
            statement.problems.append(Problem(line, "field_count", f"{len(cells)}/{width}"))
            continue
        _csv_entry(statement, line, cells, where)
    return statement


def _csv_entry(statement: Statement, line: int, cells: list[str], where: dict) -> None:
    raw_date = cells[where["date"]].strip()
    booked_on = parse_date(raw_date)
    if booked_on is None:
        statement.problems.append(Problem(line, "date_invalid", raw_date))
        return
    try:
        if "amount" in where:
            raw = cells[where["amount"]].strip()
            if not raw:
                raise ValueError(raw)
            signed = _signed_cents(raw)
        else:
            credit = cells[where["credit"]].strip()
            debit = cells[where["debit"]].strip() if "debit" in where else ""
            raw = credit or debit
            if not raw:
                statement.problems.append(Problem(line, "amount_missing"))
                return
            signed = abs(_signed_cents(credit)) if credit else -abs(_signed_cents(debit))
    except ValueError:
        statement.problems.append(Problem(line, "amount_invalid", raw))
        return
    text = " ".join(cells[i].strip() for i in where["text"] if cells[i].strip())
    reference = cells[where["reference"]].strip() if "reference" in where else ""
    cents = abs(signed)
    statement.entries.append(
        Entry(
            line=line,
            booked_on=booked_on,
            amount_cents=cents,
            is_credit=signed > 0,
            reference=reference or derived_reference(booked_on, cents, text),
            text=text,
            currency=(cells[where["currency"]].strip().upper() if "currency" in where else "")
            or "EUR",
            is_derived_reference=not reference,
        )
    )


# --- Matching ----------------------------------------------------------------------------

_TOKEN = re.compile(rf"(?<![A-Z0-9])[A-Z0-9]{{{NUMBER_RANDOM_CHARS + 1}}}(?![A-Z0-9])")


def order_numbers_in(text: str) -> list[str]:
    """The well-formed order numbers (check character included) in a remittance text."""
    found = []
    for token in _TOKEN.findall((text or "").upper()):
        if is_order_number(token) and token not in found:
            found.append(token)
    return found


def _ignored_reason(entry: Entry) -> str | None:
    if not entry.is_credit:
        return "debit"
    if entry.is_reversal:
        return "reversal"
    if not entry.is_booked:
        return "not_booked"
    if entry.currency != "EUR":
        return "currency"
    return None


def predict(order: Order, amount_cents: int, today: dt.date) -> str:
    """What register_payment would answer (the preview; the real call decides)."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return pay.NOT_PAYABLE
    if amount_cents != order.gross_cents:
        return pay.AMOUNT_MISMATCH
    if pay.ceased_on_order(order, today):
        return pay.WINDOW_CLOSED
    return pay.APPLIED


def plan(statement: Statement, today: dt.date) -> Preview:
    """What importing `statement` would do, line by line; writes nothing."""
    references = [e.reference for e in statement.entries]
    known = {
        p.reference: p
        for p in Payment.select().where(
            (Payment.provider == PROVIDER) & Payment.reference.in_(references)
        )
    }
    numbers = {n for e in statement.entries for n in order_numbers_in(e.text)}
    orders = {o.number: o for o in Order.select().where(Order.number.in_(list(numbers)))}
    seen: set[str] = set()
    decisions = []
    for entry in statement.entries:
        decisions.append(_decide(entry, today, known, orders, seen))
    return Preview(statement, decisions)


def _registered_by_hand(order: Order, amount_cents: int, seen: set) -> Payment | None:
    """The payment an operator registered by hand for this paid order and amount, when no
    bank line has been recognised as it yet (in earlier imports or earlier in this file).
    A second line for the same order is then money received twice, and is flagged."""
    if order.status != OrderStatus.PAID or ("order", order.id) in seen:
        return None
    if (
        Payment.select()
        .where(
            (Payment.order == order)
            & (Payment.provider == PROVIDER)
            & Payment.status.in_((PaymentStatus.REGISTERED, PaymentStatus.RECONCILED))
        )
        .exists()
    ):
        return None
    hand = (
        Payment.select()
        .where(
            (Payment.order == order)
            & (Payment.provider != PROVIDER)
            & (Payment.status == PaymentStatus.REGISTERED)
            & (Payment.amount_cents == amount_cents)
            & Payment.method.in_([m for m in PaymentMethod if m.is_reportable])
        )
        .first()
    )
    if hand is not None:
        seen.add(("order", order.id))
    return hand


def _decide(entry: Entry, today, known: dict, orders: dict, seen: set) -> Decision:
    ignored = _ignored_reason(entry)
    if ignored:
        return Decision(entry, IGNORED, ignored)
    if entry.reference in seen:
        return Decision(entry, IGNORED, "duplicate_in_file")
    seen.add(entry.reference)
    existing = known.get(entry.reference)
    if existing is not None:
        reason = (
            "already_registered"
            if existing.status in (PaymentStatus.REGISTERED, PaymentStatus.RECONCILED)
            else "already_flagged"
        )
        return Decision(entry, DONE, reason, existing.order, existing)
    numbers = order_numbers_in(entry.text)
    matching = [orders[n] for n in numbers if n in orders]
    if not numbers:
        return Decision(entry, MANUAL, "no_order_number")
    if not matching:
        return Decision(entry, MANUAL, "unknown_order")
    if len(matching) > 1:
        return Decision(entry, MANUAL, "several_orders")
    order = matching[0]
    hand = _registered_by_hand(order, entry.amount_cents, seen)
    if hand is not None:
        return Decision(entry, RECONCILED, "registered_by_hand", order, hand)
    code = predict(order, entry.amount_cents, today)
    if code == pay.APPLIED:
        return Decision(entry, MATCHED, "order_number", order)
    return Decision(entry, FLAGGED, code, order)


def _method(order: Order) -> str:
    method = order.payment_method
    return method if method and method.is_reportable else PaymentMethod.BANK_TRANSFER


def register_entry(
    entry: Entry,
    order: Order,
    *,
    today: dt.date,
    actor: str,
    notices: Notices,
    filename: str = "",
) -> pay.PaymentOutcome:
    """One statement line as money received on `order` (keyed on its entry reference)."""
    return pay.register_payment(
        order,
        amount_cents=entry.amount_cents,
        method=_method(order),
        provider=PROVIDER,
        reference=entry.reference,
        today=today,
        actor=actor,
        notices=notices,
        paid_on=entry.booked_on,
        note=f"statement {filename} line {entry.line}: {entry.text}"[:1000],
    )


def apply(
    statement: Statement,
    *,
    today: dt.date,
    actor: str,
    notices: Notices,
    filename: str = "",
    ip: str = "",
) -> Preview:
    """Register every line that names one order (matched → applied, else flagged) and
    audit the import. Idempotent: a second run finds every line DONE."""
    preview = plan(statement, today)
    for decision in preview.decisions:
        if decision.kind in (MATCHED, FLAGGED):
            outcome = register_entry(
                decision.entry,
                decision.order,
                today=today,
                actor=actor,
                notices=notices,
                filename=filename,
            )
            decision.outcome = outcome.code
            decision.payment = outcome.payment
        elif decision.kind == RECONCILED:
            decision.payment = _record_reconciled(decision, filename)
            decision.outcome = RECONCILED
    outcomes: dict[str, int] = {}
    for decision in preview.decisions:
        if decision.outcome:
            outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    audit.record(
        actor,
        "statement.imported",
        None,
        {
            "filename": filename,
            "format": statement.format,
            "entries": len(statement.entries),
            "bad_lines": len(statement.problems),
            "outcomes": outcomes,
            "manual": len(preview.of_kind(MANUAL)),
            "done_before": len(preview.of_kind(DONE)),
            "ignored": len(preview.of_kind(IGNORED)),
        },
        ip=ip,
    )
    return preview


def _record_reconciled(decision: Decision, filename: str) -> Payment:
    """Keep the bank line of money registered by hand, so a re-import knows it (the
    unique (provider, reference) key) and a second line for the order is flagged."""
    entry, hand = decision.entry, decision.payment
    with write_transaction():
        return Payment.create(
            order=decision.order,
            method=hand.method,
            provider=PROVIDER,
            reference=entry.reference,
            amount_cents=entry.amount_cents,
            status=PaymentStatus.RECONCILED,
            paid_on=entry.booked_on,
            note=f"bank record of payment #{hand.id} registered by hand; "
            f"statement {filename} line {entry.line}: {entry.text}"[:1000],
        )


def find_order(number: str) -> Order | None:
    """The confirmed order with this number (as typed by an operator), or None."""
    number = (number or "").strip().upper()
    if not number:
        return None
    return Order.get_or_none(Order.number == number)
