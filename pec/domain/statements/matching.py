"""Statement entries matched to orders, and the import that registers them (docs/rules.md, Operators).

A credit whose remittance text holds an order number (renewal.is_order_number) is
registered on that order through payments.register_payments, with provider "statement"
and the entry's identity (entries.identify) as the payment reference: importing the same
statement twice registers nothing twice, and a wrong amount is flagged, not applied
(R3). Two credits for one order in one file are two payments: the second is flagged
(paid twice). The other credits are listed for manual matching; debits are ignored,
except reversals and returned transfers, listed with the order whose money they take
back. `plan` only reads, so an operator previews it; `apply` writes. Nothing here reads
a file: every format is read into entries first (entries.py).
"""

import datetime as dt
import re
from dataclasses import dataclass

from peewee import chunked

from pec.database import write_transaction
from pec.domain import audit
from pec.domain import payments as pay
from pec.domain.accounts import CONVENTION_WITHOUT_LOGO
from pec.domain.notices import Notices
from pec.domain.renewal import NUMBER_RANDOM_CHARS, is_order_number
from pec.domain.statements.entries import Entry, Statement, by_content, is_placeholder
from pec.models import AuditEvent, Convention, Order, Payment
from pec.vocabulary import OrderStatus, PaymentMethod, PaymentStatus

PROVIDER = "statement"

# What each line of a preview will do (`Decision.kind`) ...
MATCHED = "matched"  # one order, right amount: registered on confirm
FLAGGED = "flagged"  # one order, but it cannot be applied: recorded as flagged money
MANUAL = "manual"  # no (known) order number: the operator picks the order
DONE = "done"  # this entry reference was imported before: nothing to do
# The order was paid by a payment an operator registered by hand: this line is that
# money's bank record, kept as a "reconciled" payment (counted once, never applied again).
RECONCILED = "reconciled"
IGNORED = "ignored"  # not money in for us (debit, not booked, not in euro)
# The bank took money back (a reversal, a returned transfer): listed for the operator,
# with the order whose payment it takes back when one is found. Nothing is changed.
REVERSAL = "reversal"
KINDS = (MATCHED, FLAGGED, MANUAL, RECONCILED, DONE, REVERSAL, IGNORED)

# ... and why (`Decision.reason`)
REASONS = (
    "order_number",  # matched
    pay.PARTIAL,
    pay.NOT_PAYABLE,
    pay.WINDOW_CLOSED,
    "paid_twice",  # flagged: an earlier line of this file pays the same order
    "no_order_number",
    "unknown_order",
    "several_orders",
    "batch_without_details",  # several transfers in one entry, their amounts not given
    "already_registered",
    "already_flagged",
    "registered_by_hand",
    "reversal_of_applied",  # takes back money of an order whose renewal was applied
    "reversal_of_order",  # names an order not (or no longer) paid
    "reversal_unmatched",  # no payment of ours found for it
    "debit",
    "reversal",  # money back on a debit of ours: not a member's payment
    "not_booked",
    "currency",
)


@dataclass
class Decision:
    """What importing one entry does (`kind`), why (`reason`), and on which order."""

    entry: Entry
    kind: str
    reason: str
    order: Order | None = None
    payment: Payment | None = None  # the payment this reference already is (DONE)
    outcome: str = ""  # after apply or a manual match: register_payment's code

    @property
    def is_manual(self) -> bool:
        return self.kind == MANUAL


@dataclass
class Preview:
    """A statement with the decision for each of its entries."""

    statement: Statement
    decisions: list[Decision]

    def of_kind(self, kind: str) -> list[Decision]:
        return [d for d in self.decisions if d.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in KINDS}

    def decision_for(self, key: str) -> Decision | None:
        """The decision for the entry at `key` ("12", or "3.2" in a batch)."""
        return next((d for d in self.decisions if d.entry.key == key), None)


_TOKEN = re.compile(rf"(?<![A-Z0-9])[A-Z0-9]{{{NUMBER_RANDOM_CHARS + 1}}}(?![A-Z0-9])")


def order_numbers_in(*texts: str) -> list[str]:
    """The well-formed order numbers (check character included) in remittance texts."""
    found = []
    for text in texts:
        for token in _TOKEN.findall((text or "").upper()):
            if is_order_number(token) and token not in found:
                found.append(token)
    return found


# A debit whose text says it takes back or returns a transfer (any format: banks write
# "STORNO" or "BONIFICO RESTITUITO" where no reversal flag exists).
RETURN_WORDS = re.compile(
    r"\b(storn\w*|restituzion\w*|restituit\w*|respint\w*|richiamo|revoca|reso|"
    r"return\w*|reversal|rückbuchung|chargeback)\b",
    re.IGNORECASE,
)


def is_reversal(entry: Entry) -> bool:
    """The bank took money back: flagged so by the format, or said so in a debit's text."""
    return entry.is_reversal or (
        not entry.is_credit and any(RETURN_WORDS.search(t) for t in entry.search_texts)
    )


def _ignored_reason(entry: Entry) -> str | None:
    if not entry.is_booked:
        return "not_booked"
    if not entry.is_credit:
        return None if is_reversal(entry) else "debit"
    if entry.is_reversal:
        return "reversal"
    if entry.currency != "EUR":
        return "currency"
    return None


def predict(order: Order, amount_cents: int, today: dt.date, lines=None) -> str:
    """What register_payment would answer (the preview; the real call decides)."""
    return pay.predict(order, amount_cents, today, lines)


def _known_payments(entries: list[Entry], alternatives: dict) -> dict[str, Payment]:
    """Statement payments stored under any identity the entries may have had."""
    references = set(alternatives.values())
    for e in entries:
        references.update((e.reference, *e.legacy_references, *e.other_references))
    references.discard("")
    known = {}
    for chunk in chunked(sorted(references), 500):
        for payment in (
            Payment.select(Payment, Order)
            .join(Order)
            .where((Payment.provider == PROVIDER) & Payment.reference.in_(chunk))
        ):
            known[payment.reference] = payment
    return known


def _same_movement(payment: Payment, entry: Entry) -> bool:
    return payment.amount_cents == entry.amount_cents and payment.paid_on == entry.booked_on


@dataclass
class _Seen:
    """What earlier lines of the file settled, for the lines after them."""

    legacy: dict  # a first-version identity -> the line that claimed it
    received: dict  # order id -> cents earlier lines of this import bring it (R12: they add up)
    completed: set  # ids of orders an earlier line of this import completes
    hand: set  # ("order", id) of orders whose hand-registered payment a line became


def plan(statement: Statement, today: dt.date) -> Preview:
    """What importing `statement` would do, line by line; writes nothing."""
    entries = statement.entries
    # A bank reference unique in the file but already stored for another movement (other
    # day or amount) was reused by the bank: that entry is known by its content instead.
    alternatives = {e.key: e.content_reference for e in entries if not e.is_derived_reference}
    known = _known_payments(entries, alternatives)
    numbers = {n for e in entries for n in order_numbers_in(*e.search_texts)}
    orders = _orders_named(numbers)
    seen = _Seen({}, {}, set(), set())
    decisions = []
    for entry in entries:
        stored = known.get(entry.reference)
        if (
            stored is not None
            and not entry.is_derived_reference
            and not _same_movement(stored, entry)
        ):
            entry = by_content(entry)
        decisions.append(_decide(entry, today, known, orders, seen))
    return Preview(statement, decisions)


@dataclass(frozen=True)
class _Orders:
    """The orders a file names, with what deciding its lines needs: read once per file,
    in a few queries whatever the number of lines."""

    by_number: dict  # order number -> Order (with its convention)
    lines: dict  # order id -> its lines, with their mailboxes
    banked: set  # ids of paid orders with a bank line registered or reconciled
    by_hand: dict  # paid order id -> its registered payments of a reportable method


REPORTABLE = tuple(m for m in PaymentMethod if m.is_reportable)


def _orders_named(numbers) -> _Orders:
    by_number = {}
    for chunk in chunked(sorted(numbers), 500):
        by_number.update(
            {
                o.number: o
                for o in Order.select(Order, *CONVENTION_WITHOUT_LOGO)
                .join(Convention)
                .where(Order.number.in_(chunk))
            }
        )
    lines = pay.lines_of_orders(o.id for o in by_number.values())
    paid = sorted(o.id for o in by_number.values() if o.status == OrderStatus.PAID)
    banked, by_hand = set(), {}
    for chunk in chunked(paid, 500):
        for payment in (
            Payment.select()
            .where(
                Payment.order.in_(chunk)
                & Payment.status.in_((PaymentStatus.REGISTERED, PaymentStatus.RECONCILED))
            )
            .order_by(Payment.id)
        ):
            if payment.provider == PROVIDER:
                banked.add(payment.order_id)
            elif payment.status == PaymentStatus.REGISTERED and payment.method in REPORTABLE:
                by_hand.setdefault(payment.order_id, []).append(payment)
    return _Orders(by_number, lines, banked, by_hand)


def _imported_before(entry: Entry, known: dict, seen: _Seen) -> Payment | None:
    """The payment an earlier import made of this entry: under its identity, or under
    the identity the first version of this importer gave it (see entries.py)."""
    if entry.reference in known:
        return known[entry.reference]
    for legacy in entry.legacy_references:
        payment = known.get(legacy)
        if payment is None or is_placeholder(legacy):
            continue
        owner = seen.legacy.get(legacy)
        if owner is None:
            # That version kept only the first of lines sharing an identity, and a
            # batch whole: a later line, or another day or amount, is another movement.
            if payment.paid_on != entry.booked_on or (
                not entry.part and payment.amount_cents != entry.amount_cents
            ):
                continue
            seen.legacy[legacy] = entry.line
            return payment
        if entry.part and owner == entry.line:
            return payment  # another transaction of a batch imported whole before
    return None


def _registered_by_hand(order: Order, amount_cents: int, orders: _Orders, seen: set):
    """The payment an operator registered by hand for this paid order and amount, when no
    bank line has been recognised as it yet (in earlier imports or earlier in this file).
    A second line for the same order is then money received twice, and is flagged."""
    if order.status != OrderStatus.PAID or ("order", order.id) in seen:
        return None
    if order.id in orders.banked:
        return None
    hand = next(
        (p for p in orders.by_hand.get(order.id, []) if p.amount_cents == amount_cents), None
    )
    if hand is not None:
        seen.add(("order", order.id))
    return hand


def _decide(entry: Entry, today, known: dict, orders: _Orders, seen: _Seen) -> Decision:
    ignored = _ignored_reason(entry)
    if ignored:
        return Decision(entry, IGNORED, ignored)
    if not entry.is_credit:
        return _reversal(entry, known, orders, seen)
    existing = _imported_before(entry, known, seen)
    if existing is not None:
        reason = (
            "already_registered"
            if existing.status in (PaymentStatus.REGISTERED, PaymentStatus.RECONCILED)
            else "already_flagged"
        )
        return Decision(entry, DONE, reason, existing.order, existing)
    if entry.batch_without_details:
        return Decision(entry, MANUAL, "batch_without_details")
    numbers = order_numbers_in(*entry.search_texts)
    matching = [orders.by_number[n] for n in numbers if n in orders.by_number]
    if not numbers:
        return Decision(entry, MANUAL, "no_order_number")
    if not matching:
        return Decision(entry, MANUAL, "unknown_order")
    if len(matching) > 1:
        return Decision(entry, MANUAL, "several_orders")
    order = matching[0]
    hand = _registered_by_hand(order, entry.amount_cents, orders, seen.hand)
    if hand is not None:
        return Decision(entry, RECONCILED, "registered_by_hand", order, hand)
    if order.id in seen.completed:
        return Decision(entry, FLAGGED, "paid_twice", order)
    # R12: what earlier lines of this file bring the order counts, as it will on apply.
    earlier = seen.received.get(order.id, 0)
    seen.received[order.id] = earlier + entry.amount_cents
    code = predict(order, earlier + entry.amount_cents, today, orders.lines[order.id])
    if code == pay.APPLIED:
        seen.completed.add(order.id)
        return Decision(entry, MATCHED, "order_number", order)
    return Decision(entry, FLAGGED, code, order)


def _reversal(entry: Entry, known: dict, orders: _Orders, seen: _Seen) -> Decision:
    """A reversal or returned transfer: which order's money it takes back, if any (an
    order paid by an earlier line of this file counts as renewed)."""
    payment = next(
        (known[r] for r in (entry.reference, *entry.other_references) if r in known), None
    )
    order = payment.order if payment is not None else None
    if order is None:
        named = [
            orders.by_number[n]
            for n in order_numbers_in(*entry.search_texts)
            if n in orders.by_number
        ]
        order = named[0] if len(named) == 1 else None
    if order is None:
        return Decision(entry, REVERSAL, "reversal_unmatched")
    if order.status == OrderStatus.PAID or order.id in seen.completed:
        return Decision(entry, REVERSAL, "reversal_of_applied", order, payment)
    return Decision(entry, REVERSAL, "reversal_of_order", order, payment)


def _method(order: Order) -> str:
    method = order.payment_method
    return method if method and method.is_reportable else PaymentMethod.BANK_TRANSFER


def _money(entry: Entry, order: Order, today: dt.date, filename: str) -> pay.Money:
    """One statement line as money received on `order` (keyed on its entry reference)."""
    return pay.money(
        order,
        amount_cents=entry.amount_cents,
        method=_method(order),
        provider=PROVIDER,
        reference=entry.reference,
        today=today,
        paid_on=entry.booked_on,
        note=f"statement {filename} line {entry.key}: {entry.text}"[:1000],
    )


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
    received = _money(entry, order, today, filename)
    return pay.register_payments([received], today=today, actor=actor, notices=notices)[0]


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
    audit the import. Idempotent: a second run finds every line DONE.

    The lines' payments are registered together, in line order, in one transaction of
    a few queries (payments.register_payments); should it fail, each line is registered
    in a transaction of its own, so one failing line loses no other."""
    preview = plan(statement, today)
    paying = [d for d in preview.decisions if d.kind in (MATCHED, FLAGGED)]
    outcomes = pay.register_payments(
        [_money(d.entry, d.order, today, filename) for d in paying],
        today=today,
        actor=actor,
        notices=notices,
    )
    for decision, outcome in zip(paying, outcomes, strict=True):
        decision.outcome = outcome.code
        decision.payment = outcome.payment
    for decision in preview.decisions:
        if decision.kind == RECONCILED:
            decision.payment = _record_reconciled(decision, filename)
            decision.outcome = RECONCILED
        elif decision.kind == REVERSAL and decision.order is not None:
            _record_reversal(decision, actor, filename, ip)
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
            "reversals": [
                {
                    "line": d.entry.key,
                    "amount_cents": d.entry.amount_cents,
                    "order": d.order.number if d.order else None,
                }
                for d in preview.of_kind(REVERSAL)
            ],
        },
        ip=ip,
    )
    return preview


def _record_reversal(decision: Decision, actor: str, filename: str, ip: str) -> None:
    """Note on the order that the bank took its money back (once per bank line), so the
    order's history says so after the statement file is gone."""
    entry = decision.entry
    with write_transaction():
        order = Order.get_by_id(decision.order.id)
        earlier = AuditEvent.select(AuditEvent.details).where(
            (AuditEvent.action == "statement.reversal")
            & (AuditEvent.target_type == "Order")
            & (AuditEvent.target_id == order.id)
        )
        if any((e.details or {}).get("reference") == entry.reference for e in earlier):
            return
        audit.record(
            actor,
            "statement.reversal",
            order,
            {
                "reference": entry.reference,
                "amount_cents": entry.amount_cents,
                "booked_on": entry.booked_on.isoformat(),
                "order_status": order.status,
                "filename": filename,
                "line": entry.key,
                "text": entry.text[:300],
            },
            ip=ip,
        )


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
            f"statement {filename} line {entry.key}: {entry.text}"[:1000],
        )


def find_order(number: str) -> Order | None:
    """The confirmed order with this number (as typed by an operator), or None."""
    number = (number or "").strip().upper()
    if not number:
        return None
    return Order.get_or_none(Order.number == number)
