"""Registering payments and applying renewals exactly once (R2, R3, R6, R12).

CONTRACT (shared by the wizard, the payment gateway, operators and statement imports):
every registration of money on an order goes through `register_payment`.

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

from peewee import IntegrityError

from pec.database import write_transaction
from pec.domain import audit, clock, invoices
from pec.domain.balance import missing_cents
from pec.domain.notices import Notices, RenewedMailbox
from pec.domain.status import Policy, deletion_date
from pec.models import (
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


def _lines(order: Order) -> list[OrderLine]:
    return list(
        OrderLine.select(OrderLine, Mailbox)
        .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
        .where(OrderLine.order == order)
        .order_by(OrderLine.id)
    )


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
    reference = (reference or "").strip()
    if not reference or not provider:
        raise ValueError("a payment needs a provider and a reference")
    if amount_cents <= 0:
        raise ValueError("a payment is a positive amount")
    method = PaymentMethod(method)
    args = (order.id, amount_cents, method, provider, reference, today, actor, paid_on or today)
    for _attempt in range(3):
        try:
            return _register(*args, note, notices)
        except (IntegrityError, _Conflict):
            # A concurrent call wrote the same (provider, reference) first (PostgreSQL;
            # SQLite serialises writers). Its row is committed now: answer from it.
            continue
    return _register(*args, note, notices)


def _register(
    order_id, amount_cents, method, provider, reference, today, actor, paid_on, note, notices
):
    now = clock.now()
    with write_transaction():
        order = Order.get_by_id(order_id)
        existing = Payment.get_or_none(
            (Payment.provider == provider) & (Payment.reference == reference)
        )
        if existing is not None and existing.order_id != order.id:
            log.warning(
                "payment %s/%s already belongs to order %s, not %s",
                provider,
                reference,
                existing.order_id,
                order.id,
            )
            return PaymentOutcome(DUPLICATE_REFERENCE, order, existing)
        if existing is not None and existing.status in (
            PaymentStatus.REGISTERED,
            PaymentStatus.RECONCILED,
        ):
            return PaymentOutcome(ALREADY_APPLIED, order, existing)

        payment = _record_money(
            order, existing, amount_cents, method, provider, reference, actor, now, paid_on, note
        )
        # R12: the money received grows by this payment. On PostgreSQL this UPDATE waits
        # for any other registration on the order to commit and then adds to its result,
        # so the sum read next counts every payment that came before this one.
        Order.update(received_cents=Order.received_cents + amount_cents, updated_at=now).where(
            Order.id == order.id
        ).execute()
        order = Order.get_by_id(order.id)
        lines = _lines(order)
        code, why = _decide(order, lines, order.received_cents, today)
        if code == APPLIED:
            won = (
                Order.update(status=OrderStatus.PAID, paid_at=now, updated_at=now)
                .where((Order.id == order.id) & (Order.status == OrderStatus.AWAITING_PAYMENT))
                .execute()
            )
            if won != 1:  # cannot happen while the increment above holds the row
                code, why = NOT_PAYABLE, {"order_status": "paid_concurrently"}
        if code == WINDOW_CLOSED:
            _cancel_unpayable(order, now)
        details = {
            "order_number": order.number,
            "payment_id": payment.id,
            "provider": provider,
            "reference": reference,
            "amount_cents": amount_cents,
            "received_cents": order.received_cents,
            "total_cents": order.gross_cents,
            "method": method,
            "paid_on": paid_on.isoformat(),
            **why,
        }
        if code != APPLIED:
            audit.record(actor, f"payment.{code}", order, details)
            log.info("payment on order %s not applied: %s %s", order.number, code, details)
            order = Order.get_by_id(order.id)
            notices.payment_received(order, payment)
            return PaymentOutcome(code, order, payment)

        # Any other report of the same money is closed as a duplicate of this one.
        Payment.update(
            status=PaymentStatus.REJECTED, rejection_reason=f"duplicate of payment {payment.id}"
        ).where(
            (Payment.order == order)
            & (Payment.status == PaymentStatus.REPORTED)
            & (Payment.id != payment.id)
        ).execute()
        details["mailboxes"] = _renew(order, lines)
        audit.record(actor, "payment.registered", order, details)
        order = Order.get_by_id(order.id)
        notices.renewal_applied(
            order,
            [
                RenewedMailbox(
                    address=m["address"],
                    new_expires_on=dt.date.fromisoformat(m["new_expires_on"]),
                    was_deactivated=m["reactivated"],
                )
                for m in details["mailboxes"]
            ],
        )
        # R13: a paid order gets its invoice number in this same transaction.
        invoices.invoice_paid_order(order, today=today, actor=actor, notices=notices)
        return PaymentOutcome(APPLIED, order, payment)


def _renew(order: Order, lines: list[OrderLine]) -> list[dict]:
    """Move each mailbox's expiry by the order's duration; what was done, for the audit."""
    applied = []
    for line in lines:
        box = line.mailbox
        # R2: count from the old expiry, never from the payment date. If the mailbox's
        # expiry moved since the order (an operator's correction, a renewal made at the
        # provider), count from its current expiry: paid time is never lost or doubled.
        new_expires_on = clock.add_years(box.expires_on, order.duration_years)
        Mailbox.update(expires_on=new_expires_on, deactivated_on=None).where(
            Mailbox.id == box.id
        ).execute()
        OrderLine.update(open_mailbox=None, new_expires_on=new_expires_on).where(
            OrderLine.id == line.id
        ).execute()
        applied.append(
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
    return applied


def _cancel_unpayable(order: Order, now: dt.datetime) -> None:
    """R6: an order renewing a mailbox past the restore window can never be paid (the
    daily ceasing job would cancel it too): cancelled now, so the money received is to
    refund and its other mailboxes can be renewed anew."""
    Order.update(status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now).where(
        (Order.id == order.id) & Order.status.in_(OrderStatus.open())
    ).execute()
    OrderLine.update(open_mailbox=None).where(OrderLine.order == order.id).execute()


class _Conflict(Exception):
    """The payment row changed under us (a concurrent registration): start again."""


def _record_money(
    order, existing, amount_cents, method, provider, reference, actor, now, paid_on, note
) -> Payment:
    """The registered payment row: the same (provider, reference) if seen (a gateway's
    pending attempt, a rejected report registered after all), else the member's waiting
    report for this order (its details kept in the note), else a new row."""
    values = dict(
        method=method,
        provider=provider,
        reference=reference,
        amount_cents=amount_cents,
        status=PaymentStatus.REGISTERED,
        paid_on=paid_on,
        registered_at=now,
        registered_by=actor,
        rejection_reason="",
    )
    row = existing
    if row is None:
        row = (
            Payment.select()
            .where((Payment.order == order) & (Payment.status == PaymentStatus.REPORTED))
            .order_by(Payment.id.desc())
            .first()
        )
        if row is not None:
            note = (
                f"reported by the member: {row.method} {row.reference} "
                f"{row.amount_cents} cents on {row.paid_on}\n{note}"
            ).strip()
    if row is None:
        return Payment.create(order=order, note=note, **values)
    values["note"] = f"{row.note}\n{note}".strip()
    # Compare-and-set: a concurrent registration may have taken this very row.
    changed = (
        Payment.update(**values)
        .where((Payment.id == row.id) & (Payment.status == row.status))
        .execute()
    )
    if changed != 1:
        raise _Conflict()
    return Payment.get_by_id(row.id)


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
