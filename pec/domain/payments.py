"""Registering payments and applying renewals exactly once (R2, R3, R6, R12).

CONTRACT (shared by the wizard, the payment gateway, operators and statement imports):
every registration of money on an order goes through `register_payment`, or
`register_payments` for many at once (a statement import): one code path, a payment
alone being a batch of one. A batch reads what its payments need in a few queries,
decides each payment on those rows (`_decide`) and writes the changes in bulk.

Payment rows: a gateway attempt starts "pending" and ends "registered" or "failed"
(declined, expired); a member's report is "reported" until a registration absorbs it.
"registered" is money received: the order's money received is the sum of its registered
payments (`Order.received_cents`). The renewal is applied, once, when that sum reaches the
order's total, so several payments may add up; money beyond the total, or for an order
that can no longer be applied, is to refund (pec.domain.balance) until an operator
records a refund or accepts it (pec.domain.refunds).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from peewee import Case, IntegrityError, chunked

from pec.database import bulk_update, write_transaction
from pec.domain import audit, clock, invoices
from pec.domain.accounts import CONVENTION_WITHOUT_LOGO
from pec.domain.balance import missing_cents
from pec.domain.notices import Notices, RenewedMailbox
from pec.domain.status import Policy, deletion_date
from pec.models import (
    Account,
    Convention,
    GatewayEvent,
    Mailbox,
    Order,
    OrderLine,
    Payment,
)
from pec.vocabulary import OrderStatus, PaymentMethod, PaymentStatus

log = logging.getLogger(__name__)

# Outcome codes of register_payment. Every one but the last two means the money was
# registered (it counts as received on the order).
APPLIED = "applied"  # the money reached the total: renewal applied (R2; reactivated, R6)
PARTIAL = "partial"  # counted; the total is not reached yet: the member is told the rest
NOT_PAYABLE = "not_payable"  # order paid already, cancelled or a draft: money to refund
WINDOW_CLOSED = "window_closed"  # a mailbox is past the restore window (R6): order
# cancelled, money to refund
ALREADY_APPLIED = "already_applied"  # same (provider, reference) registered before: no change
# (provider, reference) already names money on *another* order: nothing changed.
DUPLICATE_REFERENCE = "duplicate_reference"

REGISTERED_CODES = (APPLIED, PARTIAL, NOT_PAYABLE, WINDOW_CLOSED)


@dataclass(frozen=True)
class PaymentOutcome:
    code: str
    order: Order
    payment: Payment | None = None

    @property
    def applied(self) -> bool:
        return self.code == APPLIED


def _closed_mailboxes(order: Order, lines, today: dt.date) -> list[str]:
    """R6: addresses on the order that can no longer be renewed (ceased)."""
    policy = Policy.of(order.convention)
    return [
        line.mailbox.address
        for line in lines
        if line.mailbox.ceased_on is not None
        or today > deletion_date(line.mailbox.expires_on, policy)
    ]


def lines_of_orders(order_ids) -> dict[int, list[OrderLine]]:
    """Each order's lines with their mailboxes, in a query per 500 orders."""
    ids = sorted(set(order_ids))
    lines: dict[int, list[OrderLine]] = {order_id: [] for order_id in ids}
    for chunk in chunked(ids, 500):
        for line in (
            OrderLine.select(OrderLine, Mailbox)
            .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
            .where(OrderLine.order.in_(chunk))
            .order_by(OrderLine.id)
        ):
            lines[line.order_id].append(line)
    return lines


def _lines(order: Order) -> list[OrderLine]:
    return lines_of_orders([order.id])[order.id]


def _decide(order: Order, lines, received_cents: int, today: dt.date) -> tuple[str, dict]:
    """What money received (in all `received_cents`) does to `order` as it stands."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return NOT_PAYABLE, {"order_status": order.status}
    closed = _closed_mailboxes(order, lines, today)
    if closed:
        return WINDOW_CLOSED, {"ceased": closed}
    if received_cents < order.gross_cents:
        return PARTIAL, {"missing_cents": order.gross_cents - received_cents}
    return APPLIED, {}


def predict(order: Order, amount_cents: int, today: dt.date, lines=None) -> str:
    """What registering `amount_cents` more on `order` would answer now (for previews;
    the registration itself decides). `lines`: the order's lines with their mailboxes,
    when the caller read them already."""
    lines = _lines(order) if lines is None else lines
    return _decide(order, lines, order.received_cents + amount_cents, today)[0]


@dataclass(frozen=True)
class Money:
    """Money received for an order, to register (built and checked by `money`)."""

    order: Order
    amount_cents: int
    method: PaymentMethod
    provider: str
    reference: str
    paid_on: dt.date
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.reference)


def money(
    order: Order,
    *,
    amount_cents: int,
    method: str,
    provider: str,
    reference: str,
    today: dt.date,
    paid_on: dt.date | None = None,
    note: str = "",
) -> Money:
    """Money received for `order`: a provider, a reference and a positive amount, paid
    on `paid_on` (today unless given)."""
    reference = (reference or "").strip()
    if not reference or not provider:
        raise ValueError("a payment needs a provider and a reference")
    if amount_cents <= 0:
        raise ValueError("a payment is a positive amount")
    method = PaymentMethod(method)
    return Money(order, amount_cents, method, provider, reference, paid_on or today, note)


def register_payment(
    order: Order,
    *,
    amount_cents: int,
    method: str,
    provider: str,
    reference: str,
    today: dt.date,
    actor: str,
    notices: Notices,
    paid_on: dt.date | None = None,
    note: str = "",
) -> PaymentOutcome:
    """Register money received for `order`; apply its renewal, exactly once, when the
    money received reaches the total. The member is told in the same transaction: the
    new expiry dates, or what arrived and what is missing (or that a refund follows).

    Idempotent on (provider, reference). Concurrent registrations on one order queue on
    the increment of its money received; the renewal is applied by the one that brings
    the sum to the total and wins `UPDATE order SET status='paid' WHERE
    status='awaiting_payment'`.
    """
    received = money(
        order,
        amount_cents=amount_cents,
        method=method,
        provider=provider,
        reference=reference,
        today=today,
        paid_on=paid_on,
        note=note,
    )
    return register_payments([received], today=today, actor=actor, notices=notices)[0]


def register_payments(
    payments: list[Money], *, today: dt.date, actor: str, notices: Notices
) -> list[PaymentOutcome]:
    """Register each payment as `register_payment` does, one after the other in the
    order given, in one transaction and a number of queries that does not grow with
    theirs (a statement import); their outcomes, in the same order.

    If that transaction fails (a constraint, a row changed by a concurrent
    registration, a deadlock, any other error), it is rolled back and each payment is
    registered in a transaction of its own instead: the payments before a failing one
    are kept, and a payment that fails alone raises."""
    if len(payments) > 1:
        try:
            return _register(payments, today, actor, notices)
        except (IntegrityError, _Conflict):
            pass  # a concurrent registration: each payment alone answers from what it wrote
        except Exception:
            # Anything else that stops a batch (two batches locking the same orders in
            # another order: a deadlock on PostgreSQL; one member's e-mail that fails to
            # render) is rolled back too, and the payments are registered one by one,
            # where the failing one alone raises.
            log.exception("a batch of %d payments failed: registering one by one", len(payments))
    return [_register_alone(one, today, actor, notices) for one in payments]


def _register_alone(one: Money, today, actor, notices) -> PaymentOutcome:
    """One payment in a transaction of its own; its failure is its caller's to see."""
    for _attempt in range(3):
        try:
            return _register([one], today, actor, notices)[0]
        except (IntegrityError, _Conflict):
            # A concurrent call wrote the same (provider, reference) first (PostgreSQL;
            # SQLite serialises writers), or took a row this one meant to register:
            # committed now, so the next attempt answers from it.
            continue
    return _register([one], today, actor, notices)[0]


def _register(payments: list[Money], today, actor, notices) -> list[PaymentOutcome]:
    now = clock.now()
    outcomes, paid = [], []
    with write_transaction(), notices.together():
        for run in _runs(payments):
            run_outcomes, run_paid = _register_run(run, today, actor, notices, now)
            outcomes.extend(run_outcomes)
            paid.extend(run_paid)
        # R13: a paid order gets its invoice number in this same transaction, numbered
        # in the order of the payments, as one at a time would. After every run: the
        # invoice counter is the last row a batch locks, as it is for a single payment
        # (its order, then the counter), so a batch and a payment never wait on each
        # other in a circle (a deadlock on PostgreSQL).
        invoices.invoice_paid_orders(
            paid,
            today=today,
            actor=actor,
            notices=notices,
            lines={order.id: order.lines for order in paid},
        )
    return outcomes


def _runs(payments: list[Money]) -> list[list[Money]]:
    """`payments` cut, in order, into runs in which no order and no (provider,
    reference) comes twice: a run is registered on what the runs before it wrote, so
    payments of one order add up one after the other (R12) and a repeated reference
    finds the first. A statement whose lines each pay another order is one run."""
    runs: list[list[Money]] = [[]]
    seen: set = set()
    for one in payments:
        keys = {("order", one.order.id), ("reference", *one.key)}
        if keys & seen:
            runs.append([])
            seen = set()
        runs[-1].append(one)
        seen |= keys
    return runs


@dataclass
class _Step:
    """One payment of a run, decided: the row it takes over (None: a new one), the
    values registered, what it does to its order (`_decide`) and why."""

    money: Money
    row: Payment | None
    values: dict
    code: str
    why: dict
    payment: Payment | None = None  # as stored, once written

    @property
    def outcome(self) -> tuple[str, Payment | None]:
        return self.code, self.payment


def _register_run(run: list[Money], today, actor, notices, now) -> tuple[list, list[Order]]:
    """Register payments of distinct orders and references: read what deciding needs,
    decide each payment on those rows (`_decide`, the one place of the rules), then
    write every change in a few statements."""
    known = _payments_named([one.key for one in run])
    answers: dict[int, tuple[str, Payment]] = {}
    for index, one in enumerate(run):
        seen = known.get(one.key)
        if seen is not None and seen.order_id != one.order.id:
            log.warning(
                "payment %s/%s already belongs to order %s, not %s",
                one.provider,
                one.reference,
                seen.order_id,
                one.order.id,
            )
            answers[index] = (DUPLICATE_REFERENCE, seen)
        elif seen is not None and seen.status in (
            PaymentStatus.REGISTERED,
            PaymentStatus.RECONCILED,
        ):
            answers[index] = (ALREADY_APPLIED, seen)
    fresh = [one for index, one in enumerate(run) if index not in answers]
    # R12: the money received grows by each payment. On PostgreSQL this UPDATE waits
    # for any other registration on these orders to commit and then adds to its result,
    # so the sums read next count every payment that came before these.
    bulk_update(
        Order,
        [
            (
                one.order.id,
                {"received_cents": Order.received_cents + one.amount_cents, "updated_at": now},
            )
            for one in fresh
        ],
    )
    orders = _orders([one.order.id for one in run])
    waiting = _waiting_reports([one.order.id for one in fresh if one.key not in known])
    steps = {}
    for one in fresh:
        order = orders[one.order.id]
        row, values = _recorded(one, known.get(one.key), waiting.get(order.id), actor, now)
        code, why = _decide(order, order.lines, order.received_cents, today)
        steps[order.id] = _Step(one, row, values, code, why)
    _record_money(list(steps.values()))
    applied = [order_id for order_id, step in steps.items() if step.code == APPLIED]
    _mark_paid(applied, now)
    _cancel_unpayable([i for i, step in steps.items() if step.code == WINDOW_CLOSED], now)
    _close_duplicate_reports({order_id: steps[order_id].payment.id for order_id in applied})
    renewed = _renew([orders[order_id] for order_id in applied])
    audit.record_many(
        [_audit_event(step, orders[order_id], renewed, actor) for order_id, step in steps.items()]
    )

    orders = _orders([one.order.id for one in run])  # as the changes above left them
    for order_id, step in steps.items():
        if step.code == APPLIED:
            notices.renewal_applied(
                orders[order_id],
                [
                    RenewedMailbox(
                        address=m["address"],
                        new_expires_on=dt.date.fromisoformat(m["new_expires_on"]),
                        was_deactivated=m["reactivated"],
                    )
                    for m in renewed[order_id]
                ],
            )
        else:
            notices.payment_received(orders[order_id], step.payment)
    outcomes = []
    for index, one in enumerate(run):
        order = orders[one.order.id]
        code, payment = answers[index] if index in answers else steps[order.id].outcome
        outcomes.append(PaymentOutcome(code, order, payment))
    # The orders this run paid, in the order of their payments, to invoice (`_register`).
    return outcomes, [orders[order_id] for order_id in applied]


def _audit_event(step: _Step, order: Order, renewed: dict, actor: str) -> dict:
    one = step.money
    details = {
        "order_number": order.number,
        "payment_id": step.payment.id,
        "provider": one.provider,
        "reference": one.reference,
        "amount_cents": one.amount_cents,
        "received_cents": order.received_cents,
        "total_cents": order.gross_cents,
        "method": one.method,
        "paid_on": one.paid_on.isoformat(),
        **step.why,
    }
    if step.code == APPLIED:
        details["mailboxes"] = renewed[order.id]
        return audit.event(actor, "payment.registered", order, details)
    log.info("payment on order %s not applied: %s %s", order.number, step.code, details)
    return audit.event(actor, f"payment.{step.code}", order, details)


def _payments_named(keys) -> dict[tuple[str, str], Payment]:
    """The stored payments of these (provider, reference) pairs."""
    keys = set(keys)
    found = {}
    for chunk in chunked(sorted(keys), 500):
        for payment in Payment.select().where(
            Payment.provider.in_({provider for provider, _ref in chunk})
            & Payment.reference.in_([reference for _provider, reference in chunk])
        ):
            if (payment.provider, payment.reference) in keys:
                found[(payment.provider, payment.reference)] = payment
    return found


def _orders(order_ids) -> dict[int, Order]:
    """The orders as stored now, each with its convention, its account and its lines
    (with their mailboxes) attached: all that deciding a payment and writing the
    member's e-mail read, in two queries whatever the number of orders."""
    ids = sorted(set(order_ids))
    orders = {}
    for chunk in chunked(ids, 500):
        for order in (
            Order.select(Order, Account, *CONVENTION_WITHOUT_LOGO)
            .join(Account)
            .switch(Order)
            .join(Convention)
            .where(Order.id.in_(chunk))
        ):
            if order.account.convention_id == order.convention_id:
                order.account.convention = order.convention
            orders[order.id] = order
    for order_id, lines in lines_of_orders(ids).items():
        order = orders[order_id]
        for line in lines:
            if line.mailbox.account_id == order.account_id:
                line.mailbox.account = order.account
        # A list where the backref's query was, as peewee's prefetch() leaves it.
        order.lines = lines
    return orders


def _waiting_reports(order_ids) -> dict[int, Payment]:
    """Each order's latest report waiting for a registration (see `pending_report`)."""
    waiting: dict[int, Payment] = {}
    for chunk in chunked(sorted(set(order_ids)), 500):
        for payment in (
            Payment.select()
            .where(Payment.order.in_(chunk) & (Payment.status == PaymentStatus.REPORTED))
            .order_by(Payment.id.desc())
        ):
            waiting.setdefault(payment.order_id, payment)
    return waiting


def _recorded(one: Money, seen: Payment | None, waiting: Payment | None, actor, now):
    """The registered payment's row and values: the same (provider, reference) if seen
    (a gateway's pending attempt, a rejected report registered after all), else the
    member's waiting report for this order (its details kept in the note), else None,
    a new row."""
    values = dict(
        method=one.method,
        provider=one.provider,
        reference=one.reference,
        amount_cents=one.amount_cents,
        status=PaymentStatus.REGISTERED,
        paid_on=one.paid_on,
        registered_at=now,
        registered_by=actor,
        rejection_reason="",
    )
    row, note = seen, one.note
    if row is None and waiting is not None:
        row = waiting
        note = (
            f"reported by the member: {row.method} {row.reference} "
            f"{row.amount_cents} cents on {row.paid_on}\n{note}"
        ).strip()
    values["note"] = note if row is None else f"{row.note}\n{note}".strip()
    return row, values


def _record_money(steps: list[_Step]) -> None:
    """Write the registered payments: new rows, or the rows they take over; each
    step's payment as stored."""
    new = [dict(order=step.money.order.id, **step.values) for step in steps if step.row is None]
    for chunk in chunked(new, 200):
        Payment.insert_many(chunk).execute()
    taken = [step for step in steps if step.row is not None]
    # Compare-and-set: a concurrent registration may have taken one of these very rows.
    changed = bulk_update(
        Payment,
        [(step.row.id, step.values) for step in taken],
        only_if=(Payment.status, {step.row.id: step.row.status for step in taken}),
    )
    if changed != len(taken):
        raise _Conflict()
    stored = _payments_named([step.money.key for step in steps])
    for step in steps:
        step.payment = stored[step.money.key]


def _mark_paid(order_ids: list[int], now: dt.datetime) -> None:
    """R3: the orders whose money reached the total are paid, each exactly once."""
    for chunk in chunked(order_ids, 500):
        won = (
            Order.update(status=OrderStatus.PAID, paid_at=now, updated_at=now)
            .where(Order.id.in_(chunk) & (Order.status == OrderStatus.AWAITING_PAYMENT))
            .execute()
        )
        if won != len(chunk):  # cannot happen while the increment above holds the rows
            raise _Conflict()


def _close_duplicate_reports(payment_of_order: dict[int, int]) -> None:
    """Any other report of the same money is closed as a duplicate of the payment that
    applied the order's renewal."""
    for chunk in chunked(sorted(payment_of_order.items()), 200):
        Payment.update(
            status=PaymentStatus.REJECTED,
            rejection_reason=Case(
                Payment.order,
                [
                    (order_id, f"duplicate of payment {payment_id}")
                    for order_id, payment_id in chunk
                ],
            ),
        ).where(
            Payment.order.in_([order_id for order_id, _p in chunk])
            & (Payment.status == PaymentStatus.REPORTED)
            & Payment.id.not_in([payment_id for _o, payment_id in chunk])
        ).execute()


def _renew(orders: list[Order]) -> dict[int, list[dict]]:
    """Move each mailbox's expiry by its order's duration; what was done, for the audit,
    by order id."""
    applied: dict[int, list[dict]] = {}
    boxes, lines = [], []
    for order in orders:
        applied[order.id] = []
        for line in order.lines:
            box = line.mailbox
            # R2: count from the old expiry, never from the payment date. If the
            # mailbox's expiry moved since the order (an operator's correction, a
            # renewal made at the provider), count from its current expiry: paid time
            # is never lost or doubled.
            new_expires_on = clock.add_years(box.expires_on, order.duration_years)
            boxes.append((box.id, {"expires_on": new_expires_on, "deactivated_on": None}))
            lines.append((line.id, {"open_mailbox": None, "new_expires_on": new_expires_on}))
            applied[order.id].append(
                {
                    "mailbox_id": box.id,
                    "address": box.address,
                    "old_expires_on": box.expires_on.isoformat(),
                    "new_expires_on": new_expires_on.isoformat(),
                    "reactivated": box.deactivated_on is not None,
                    **(
                        {"ordered_from": line.old_expires_on.isoformat()}
                        if box.expires_on != line.old_expires_on
                        else {}
                    ),
                }
            )
    bulk_update(Mailbox, boxes)
    bulk_update(OrderLine, lines)
    return applied


def _cancel_unpayable(order_ids: list[int], now: dt.datetime) -> None:
    """R6: an order renewing a mailbox past the restore window can never be paid (the
    daily ceasing job would cancel it too): cancelled now, so the money received is to
    refund and its other mailboxes can be renewed anew."""
    for chunk in chunked(order_ids, 500):
        Order.update(status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now).where(
            Order.id.in_(chunk) & Order.status.in_(OrderStatus.open())
        ).execute()
        OrderLine.update(open_mailbox=None).where(OrderLine.order.in_(chunk)).execute()


class _Conflict(Exception):
    """A row changed under us (a concurrent registration): start again."""


# --- Online attempts -------------------------------------------------------------------


class NotPayable(Exception):
    """The order is not awaiting payment (or not by this method)."""


def ceased_on_order(order: Order, today: dt.date, lines=None) -> list[str]:
    """Addresses on the order past the restore window: it can no longer be paid (R6).
    `lines`: the order's lines with their mailboxes, when the caller read them already."""
    return _closed_mailboxes(order, _lines(order) if lines is None else lines, today)


def start_attempt(order: Order, *, provider: str, actor: str, today: dt.date) -> Payment:
    """A pending payment row for a gateway checkout; its id keys the idempotency.
    Refused (NotPayable) when no payment could be applied: nobody is charged for nothing."""
    with write_transaction():
        order = Order.get_by_id(order.id)
        if order.status != OrderStatus.AWAITING_PAYMENT or not order.payment_method.is_online:
            raise NotPayable(NOT_PAYABLE)
        if ceased_on_order(order, today):
            raise NotPayable(WINDOW_CLOSED)
        payment = Payment.create(
            order=order,
            method=order.payment_method,
            provider=provider,
            reference=None,
            amount_cents=missing_cents(order),  # R12: what earlier payments left to pay
            status=PaymentStatus.PENDING,
        )
        audit.record(actor, "payment.checkout_started", order, {"payment_id": payment.id})
        return payment


def attach_reference(payment: Payment, reference: str) -> None:
    """Remember the gateway's session id on our attempt (after the gateway answered)."""
    with write_transaction():
        Payment.update(reference=reference).where(
            (Payment.id == payment.id) & Payment.reference.is_null()
        ).execute()


def fail_attempt(payment: Payment, reason: str) -> None:
    """An attempt that could not even start (gateway unreachable)."""
    with write_transaction():
        Payment.update(status=PaymentStatus.FAILED, rejection_reason=reason).where(
            (Payment.id == payment.id) & (Payment.status == PaymentStatus.PENDING)
        ).execute()


# --- Gateway notifications -------------------------------------------------------------

EVENT_SUCCEEDED = "succeeded"
EVENT_FAILED = "failed"
EVENT_IGNORED = "ignored"
DUPLICATE_EVENT = "duplicate_event"
UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class GatewayNotification:
    """A provider's verified notification, in our terms."""

    provider: str
    event_id: str
    kind: str  # succeeded, failed, ignored
    reference: str = ""  # the provider's session id: our attempt's reference
    order_id: int | None = None
    amount_cents: int = 0
    method: PaymentMethod = PaymentMethod.CARD
    paid_on: dt.date | None = None
    payload: str = ""
    reason: str = ""


def receive_notification(event: GatewayNotification, *, today: dt.date, notices: Notices) -> str:
    """Act on a verified notification once per event id; returns what happened."""
    with write_transaction():
        order = Order.get_or_none(Order.id == event.order_id) if event.order_id else None
        try:
            with write_transaction():  # a savepoint: a repeated event id only ends here
                row = GatewayEvent.create(
                    provider=event.provider,
                    event_id=event.event_id,
                    order=order,
                    payload=event.payload,
                )
        except IntegrityError:
            return DUPLICATE_EVENT
        if event.kind == EVENT_IGNORED:
            code = EVENT_IGNORED
        elif order is None:
            code = UNKNOWN_ORDER
            log.warning("%s event %s names no known order", event.provider, event.event_id)
        elif event.kind == EVENT_SUCCEEDED:
            code = register_payment(
                order,
                amount_cents=event.amount_cents,
                method=event.method,
                provider=event.provider,
                reference=event.reference,
                today=today,
                notices=notices,
                actor=f"gateway:{event.provider}",
                paid_on=event.paid_on,
                note=f"event {event.event_id}",
            ).code
        else:
            code = EVENT_FAILED
            declined = (
                Payment.update(
                    status=PaymentStatus.FAILED, rejection_reason=event.reason or "declined"
                )
                .where(
                    (Payment.provider == event.provider)
                    & (Payment.reference == event.reference)
                    & (Payment.order == order)
                    & (Payment.status == PaymentStatus.PENDING)
                )
                .execute()
            )
            if declined:
                audit.record(
                    f"gateway:{event.provider}",
                    "payment.declined",
                    order,
                    {"reference": event.reference, "reason": event.reason},
                )
        GatewayEvent.update(outcome=code).where(GatewayEvent.id == row.id).execute()
        return code


# --- Reported transfers and slips (docs/rules.md, member journey 10) ----------------------------------------

REPORTED = "reported"
ALREADY_REPORTED = "already_reported"


def pending_report(order: Order) -> Payment | None:
    """The member's report still waiting for an operator or a statement import."""
    return (
        Payment.select()
        .where((Payment.order == order) & (Payment.status == PaymentStatus.REPORTED))
        .order_by(Payment.id.desc())
        .first()
    )


def report_payment(
    order: Order,
    *,
    method: str,
    amount_cents: int,
    paid_on: dt.date,
    reference: str,
    actor: str,
    ip: str = "",
) -> PaymentOutcome:
    """The member declares a transfer or slip (R5 hold until an operator registers it).

    Codes: reported; already_reported (a report waits already, or a double click);
    not_payable; duplicate_reference (that CRO/slip number is on another order).
    """
    method = PaymentMethod(method)
    if not method.is_reportable:
        raise ValueError(f"not a reportable method: {method}")
    try:
        with write_transaction():
            order = Order.get_by_id(order.id)
            if order.status != OrderStatus.AWAITING_PAYMENT:
                return PaymentOutcome(NOT_PAYABLE, order)
            waiting = pending_report(order)
            if waiting is not None:
                return PaymentOutcome(ALREADY_REPORTED, order, waiting)
            rejected = Payment.get_or_none(
                (Payment.order == order)
                & (Payment.provider == "member")
                & (Payment.reference == reference)
                & (Payment.status == PaymentStatus.REJECTED)
            )
            if rejected is not None:
                # The same CRO reported again after an operator rejected it (e.g. the
                # money had not arrived yet): the report is reopened, not refused.
                Payment.update(
                    method=method,
                    amount_cents=amount_cents,
                    paid_on=paid_on,
                    status=PaymentStatus.REPORTED,
                    rejection_reason="",  # the audit log keeps the rejection and its reason
                ).where(Payment.id == rejected.id).execute()
                payment = Payment.get_by_id(rejected.id)
            else:
                payment = Payment.create(
                    order=order,
                    method=method,
                    provider="member",
                    reference=reference,
                    amount_cents=amount_cents,
                    paid_on=paid_on,
                    status=PaymentStatus.REPORTED,
                )
            audit.record(
                actor,
                "payment.reported",
                order,
                {
                    "payment_id": payment.id,
                    "method": method,
                    "reference": reference,
                    "amount_cents": amount_cents,
                    "paid_on": paid_on.isoformat(),
                    "reopened_after_rejection": rejected is not None,
                },
                ip=ip,
            )
            return PaymentOutcome(REPORTED, order, payment)
    except IntegrityError:
        same = Payment.get_or_none(
            (Payment.provider == "member") & (Payment.reference == reference)
        )
        if same is not None and same.order_id == order.id:
            return PaymentOutcome(ALREADY_REPORTED, order, same)
        return PaymentOutcome(DUPLICATE_REFERENCE, order, same)
