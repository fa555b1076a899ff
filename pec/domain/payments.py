"""Registering payments and applying renewals exactly once (R2, R3, R6).

CONTRACT (shared by the wizard, the payment gateway, operators and statement imports):
every registration of money on an order goes through `register_payment`.

Payment rows: a gateway attempt starts "pending" and ends "registered", "failed"
(declined, expired) or "flagged"; a member's report is "reported" until a registration
absorbs it; money that arrived but could not be applied (wrong amount, order not payable,
mailbox ceased) is "flagged" with the outcome code in `rejection_reason`, for an operator.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from peewee import IntegrityError

from pec.database import write_transaction
from pec.domain import audit, clock
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

# Outcome codes of register_payment
APPLIED = "applied"  # payment registered, renewal applied (expiry moved, R2; reactivated, R6)
ALREADY_APPLIED = "already_applied"  # same (provider, reference) registered before: no change
AMOUNT_MISMATCH = "amount_mismatch"  # flagged, not applied
NOT_PAYABLE = "not_payable"  # order is a draft, cancelled or already paid by another payment
WINDOW_CLOSED = "window_closed"  # a line's mailbox is past the restore window (ceased, R6)
# (provider, reference) already names money on *another* order: nothing changed.
DUPLICATE_REFERENCE = "duplicate_reference"


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


def _decide(order: Order, lines, amount_cents: int, today: dt.date) -> tuple[str, dict]:
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return NOT_PAYABLE, {"order_status": order.status}
    if amount_cents != order.gross_cents:
        return AMOUNT_MISMATCH, {"expected_cents": order.gross_cents}
    closed = _closed_mailboxes(order, lines, today)
    if closed:
        return WINDOW_CLOSED, {"ceased": closed}
    return APPLIED, {}


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
    """Register money received for `order` and apply its renewal, exactly once (the
    holder is told the new expiry dates in the same transaction).

    Idempotent on (provider, reference); the renewal is applied by whichever call wins
    `UPDATE order SET status='paid' WHERE status='awaiting_payment'`.
    """
    reference = (reference or "").strip()
    if not reference or not provider:
        raise ValueError("a payment needs a provider and a reference")
    method = PaymentMethod(method)
    args = (order.id, amount_cents, method, provider, reference, today, actor, paid_on or today)
    try:
        return _register(*args, note, notices)
    except (IntegrityError, _Conflict):
        # A concurrent call wrote the same (provider, reference) first (PostgreSQL;
        # SQLite serialises writers). Its row is committed now: answer from it.
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
        if existing is not None and existing.status == PaymentStatus.REGISTERED:
            return PaymentOutcome(ALREADY_APPLIED, order, existing)

        lines = list(
            OrderLine.select(OrderLine, Mailbox)
            .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
            .where(OrderLine.order == order)
            .order_by(OrderLine.id)
        )
        code, why = _decide(order, lines, amount_cents, today)
        if code == APPLIED:
            won = (
                Order.update(status=OrderStatus.PAID, paid_at=now, updated_at=now)
                .where((Order.id == order.id) & (Order.status == OrderStatus.AWAITING_PAYMENT))
                .execute()
            )
            if won != 1:  # another registration got there first (PostgreSQL)
                code, why = NOT_PAYABLE, {"order_status": "paid_concurrently"}
        details = {
            "order_number": order.number,
            "provider": provider,
            "reference": reference,
            "amount_cents": amount_cents,
            "method": method,
            "paid_on": paid_on.isoformat(),
            **why,
        }
        if code != APPLIED:
            return _flag(
                order,
                existing,
                code,
                details,
                amount_cents,
                method,
                provider,
                reference,
                actor,
                paid_on,
                note,
            )

        payment = _registration_row(order, existing, provider, reference)
        payment.method = method
        payment.provider = provider
        payment.reference = reference
        payment.amount_cents = amount_cents
        payment.status = PaymentStatus.REGISTERED
        payment.paid_on = paid_on
        payment.registered_at = now
        payment.registered_by = actor
        payment.rejection_reason = ""
        if note:
            payment.note = f"{payment.note}\n{note}".strip()
        payment.save()
        # Any other report of the same money is closed as a duplicate of this one.
        Payment.update(
            status=PaymentStatus.REJECTED, rejection_reason=f"duplicate of payment {payment.id}"
        ).where(
            (Payment.order == order)
            & (Payment.status == PaymentStatus.REPORTED)
            & (Payment.id != payment.id)
        ).execute()

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
        details["mailboxes"] = applied
        audit.record(actor, "payment.registered", order, details)
        notices.renewal_applied(
            order,
            [
                RenewedMailbox(
                    address=m["address"],
                    new_expires_on=dt.date.fromisoformat(m["new_expires_on"]),
                    was_deactivated=m["reactivated"],
                )
                for m in applied
            ],
        )
        return PaymentOutcome(APPLIED, Order.get_by_id(order.id), payment)


class _Conflict(Exception):
    """The payment row changed under us (a concurrent registration): start again."""


def _registration_row(order, existing, provider, reference) -> Payment:
    """The row that becomes the registered payment: the same (provider, reference) if
    seen, else the member's report for this order (its details kept in the note)."""
    if existing is not None:
        return existing
    report = (
        Payment.select()
        .where((Payment.order == order) & (Payment.status == PaymentStatus.REPORTED))
        .order_by(Payment.id.desc())
        .first()
    )
    if report is not None:
        report.note = (
            f"{report.note}\nreported by the member: {report.method} {report.reference} "
            f"{report.amount_cents} cents on {report.paid_on}"
        ).strip()
        return report
    return Payment(order=order)


def _flag(
    order, existing, code, details, amount_cents, method, provider, reference, actor, paid_on, note
) -> PaymentOutcome:
    """Not applied: record the money as flagged for an operator, and audit it, once."""
    if existing is not None and existing.status == PaymentStatus.REPORTED:
        # A member's report stays a report (and keeps its R5 hold); the attempt is audited.
        audit.record(actor, f"payment.{code}", order, details)
        log.warning("payment not applied on order %s: %s %s", order.number, code, details)
        return PaymentOutcome(code, order, existing)
    if (
        existing is not None
        and existing.status == PaymentStatus.FLAGGED
        and existing.rejection_reason == code
        and existing.amount_cents == amount_cents
    ):
        return PaymentOutcome(code, order, existing)  # a replay: nothing new to say
    values = dict(
        method=method,
        amount_cents=amount_cents,
        paid_on=paid_on,
        status=PaymentStatus.FLAGGED,
        rejection_reason=code,
        note=f"{existing.note if existing else ''}\n{note}".strip(),
    )
    if existing is None:
        payment = Payment.create(order=order, provider=provider, reference=reference, **values)
    else:
        # Compare-and-set: a concurrent winner may have registered this very row.
        changed = (
            Payment.update(**values)
            .where((Payment.id == existing.id) & (Payment.status == existing.status))
            .execute()
        )
        if changed != 1:
            raise _Conflict()
        payment = Payment.get_by_id(existing.id)
    audit.record(actor, f"payment.{code}", order, details)
    log.warning("payment not applied on order %s: %s %s", order.number, code, details)
    return PaymentOutcome(code, order, payment)


# --- Online attempts -------------------------------------------------------------------


class NotPayable(Exception):
    """The order is not awaiting payment (or not by this method)."""


def ceased_on_order(order: Order, today: dt.date) -> list[str]:
    """Addresses on the order past the restore window: it can no longer be paid (R6)."""
    lines = OrderLine.select(OrderLine, Mailbox).join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
    return _closed_mailboxes(order, lines.where(OrderLine.order == order), today)


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
            amount_cents=order.gross_cents,
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


def paid_orders_by_mailbox(mailbox_ids) -> dict[int, Order]:
    """mailbox id → its most recent paid order (for the receipt links), one query."""
    if not mailbox_ids:
        return {}
    lines = (
        OrderLine.select(OrderLine.mailbox, Order)
        .join(Order)
        .where(OrderLine.mailbox.in_(list(mailbox_ids)) & (Order.status == OrderStatus.PAID))
        .order_by(Order.paid_at, Order.id)
    )
    return {line.mailbox_id: line.order for line in lines}
