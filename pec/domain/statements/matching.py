"""Statement entries matched to orders, and the import that registers them (docs/rules.md, Operators).

A credit whose remittance text holds an order number (renewal.is_order_number) is
registered on that order through payments.register_payment, with provider "statement"
and the entry's reference as the payment reference: importing the same statement twice
registers nothing twice, and a wrong amount is flagged, not applied (R3). The other
credits are listed for manual matching; debits are ignored. `plan` only reads, so an
operator previews it; `apply` writes. Nothing here reads a file: every format is read
into entries first (entries.py).
"""

import datetime as dt
import re
from dataclasses import dataclass

from pec.database import write_transaction
from pec.domain import audit
from pec.domain import payments as pay
from pec.domain.notices import Notices
from pec.domain.renewal import NUMBER_RANDOM_CHARS, is_order_number
from pec.domain.statements.entries import Entry, Statement
from pec.models import Order, Payment
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
IGNORED = "ignored"  # not money in for us (debit, reversal, not booked, not in euro)
KINDS = (MATCHED, FLAGGED, MANUAL, RECONCILED, DONE, IGNORED)

# ... and why (`Decision.reason`)
REASONS = (
    "order_number",  # matched
    pay.PARTIAL,
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


@dataclass
class Decision:
    """What importing one entry does (`kind`), why (`reason`), and on which order."""

    entry: Entry
    kind: str
    reason: str
    order: Order | None = None
    payment: Payment | None = None  # the payment this reference already is (DONE)
    outcome: str = ""  # after apply or a manual match: register_payment's code


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

    def decision_for(self, line: int) -> Decision | None:
        return next((d for d in self.decisions if d.entry.line == line), None)


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
    return pay.predict(order, amount_cents, today)


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
