"""The renewal wizard's rules (docs/rules.md, member journey 4–9, R2, R3, R4, R9, R10). No Flask here.

The order is the wizard: a draft order holds what the member has chosen so far and
`current_step(order)` derives where they are. Races are decided by the database: the
`OrderLine.open_mailbox` unique key (R4) and compare-and-set updates on `Order.status`.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from peewee import IntegrityError, fn
from stdnum import luhn

from pec.database import Prepared, Slot, write_transaction
from pec.domain import audit, clock, money
from pec.domain.billing import BillingData
from pec.domain.notices import Notices
from pec.domain.status import Policy, mailbox_status
from pec.models import (
    Account,
    ContractAcceptance,
    ContractDocument,
    Convention,
    Mailbox,
    Order,
    OrderLine,
    Payment,
)
from pec.vocabulary import OrderStatus, PaymentMethod, PaymentStatus

# The wizard's steps, in order; each is also its URL segment and template name.
SERVICE, CONTRACTS, BILLING, PAYMENT, CONFIRM, DONE = STEPS = (
    "service",
    "contracts",
    "billing",
    "payment",
    "confirm",
    "done",
)

NEAR_EXPIRY_DAYS = 7

# Order numbers: no 0/O, 1/I/L, so they survive being read aloud or typed into a transfer.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_RANDOM_CHARS = 7


class RenewalError(Exception):
    """A rule said no; `code` is what the view turns into a message."""

    def __init__(self, code: str, order: Order | None = None):
        super().__init__(code)
        self.code = code
        self.order = order


# --- Reading an order --------------------------------------------------------------------


_LINES = Prepared(
    lambda: (
        OrderLine.select(OrderLine, Mailbox)
        .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
        .where(OrderLine.order == Slot("order"))
        .order_by(Mailbox.address)
    )
)


def lines_of(order: Order) -> list[OrderLine]:
    """The order's lines with their mailboxes, by address."""
    return list(_LINES(order=order.id))


_CURRENT_DOCUMENTS = Prepared(lambda: ContractDocument.current_for(Slot("convention")))
_ACCEPTED = Prepared(
    lambda: ContractAcceptance.select(ContractAcceptance.document).where(
        (ContractAcceptance.order == Slot("order")) & (ContractAcceptance.accepted == True)  # noqa: E712
    )
)


def current_documents(convention: Convention | int) -> list[ContractDocument]:
    """The convention's documents a member accepts now (R10), in their order."""
    convention_id = convention if isinstance(convention, int) else convention.id
    return _CURRENT_DOCUMENTS(convention=convention_id)


def accepted_document_ids(order: Order) -> set[int]:
    """The documents accepted on this order (answered "Accetto")."""
    return {a.document_id for a in _ACCEPTED(order=order.id)}


def has_accepted_contracts(order: Order) -> bool:
    """Every current document of the convention accepted on this order (R10): no
    current document without an acceptance (one query)."""
    return _NOT_ACCEPTED.first(order=order.id, convention=order.convention_id) is None


# A current document of the convention that the order has not accepted (or None).
_NOT_ACCEPTED = Prepared(
    lambda: (
        ContractDocument.current_for(Slot("convention"))
        .select(ContractDocument.id)
        .where(
            ~fn.EXISTS(
                ContractAcceptance.select(ContractAcceptance.id).where(
                    (ContractAcceptance.order == Slot("order"))
                    & (ContractAcceptance.document == ContractDocument.id)
                    & (ContractAcceptance.accepted == True)  # noqa: E712
                )
            )
        )
        .limit(1)
    )
)


def current_step(order: Order) -> str:
    """Where the member is, derived from what the order holds: the order is the wizard."""
    if order.status != OrderStatus.DRAFT:
        return DONE
    if not has_accepted_contracts(order):
        return CONTRACTS
    if not order.billing:
        return BILLING
    if not order.payment_method:
        return PAYMENT
    return CONFIRM


def reachable(order: Order, step: str, current: str | None = None) -> bool:
    """Earlier steps of a draft stay editable; later ones are not yet; a confirmed order
    only has its final page (nothing about it changes silently, R10)."""
    current = current or current_step(order)
    if current == DONE:
        return step == DONE
    return STEPS.index(step) <= STEPS.index(current)


def days_to_expiry(lines: list[OrderLine], today: dt.date) -> int:
    """Days until the first of the order's mailboxes expires (negative once expired)."""
    return min((line.old_expires_on - today).days for line in lines)


def slow_method_warning(lines: list[OrderLine], today: dt.date) -> str | None:
    """docs/rules.md, member journey 7: "near" when a mailbox expires within 7 days, "expired" once past it."""
    days = days_to_expiry(lines, today)
    if days < 0:
        return "expired"
    if days <= NEAR_EXPIRY_DAYS:
        return "near"
    return None


# --- Starting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    code: str  # "started", "resumed" (same draft) or "awaiting_payment" (R4: show it)
    order: Order


def frozen_prices(convention: Convention, quantity: int) -> dict:
    """The convention's price, VAT rate and duration as an order freezes them, with the
    totals for `quantity` mailboxes (R9: VAT once on the net total, half-up)."""
    totals = money.totals(convention.price_cents, quantity, convention.vat_rate_bp)
    return dict(
        duration_years=convention.duration_years,
        unit_price_cents=convention.price_cents,
        vat_rate_bp=convention.vat_rate_bp,
        net_cents=totals.net_cents,
        vat_cents=totals.vat_cents,
        gross_cents=totals.gross_cents,
    )


def priced_lines(convention: Convention, mailboxes: list[Mailbox]):
    """(mailbox, old expiry, new expiry) with R2: count from the old expiry, never today."""
    years = convention.duration_years
    return [(m, m.expires_on, clock.add_years(m.expires_on, years)) for m in mailboxes]


def _discard_draft(order: Order, now: dt.datetime) -> None:
    """A draft replaced by a new selection is cancelled and frees its mailboxes."""
    changed = (
        Order.update(status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now)
        .where((Order.id == order.id) & (Order.status == OrderStatus.DRAFT))
        .execute()
    )
    if changed:
        OrderLine.update(open_mailbox=None).where(OrderLine.order == order.id).execute()


def _start(account, mailboxes, today, now, started_by, language) -> Started:
    ids = {m.id for m in mailboxes}
    open_lines = list(
        OrderLine.select(OrderLine, Order)
        .join(Order)
        .where(OrderLine.open_mailbox.in_(list(ids)))
        .order_by(Order.id)
    )
    for line in open_lines:
        if line.order.status == OrderStatus.AWAITING_PAYMENT:
            return Started("awaiting_payment", line.order)
    drafts = {line.order_id: line.order for line in open_lines}
    for draft in drafts.values():
        draft_ids = {line.mailbox_id for line in draft.lines}
        if draft_ids == ids and draft.started_by_mailbox_id == (started_by and started_by.id):
            return Started("resumed", draft)
    for draft in drafts.values():
        _discard_draft(draft, now)

    convention = Convention.get_by_id(account.convention_id)
    policy = Policy.of(convention)
    for box in mailboxes:
        status = mailbox_status(box.expires_on, today, policy, is_ceased=box.ceased_on is not None)
        if not status.is_renewable:
            raise RenewalError("not_renewable")
    order = Order.create(
        account=account,
        convention=convention,
        started_by_mailbox=started_by,
        status=OrderStatus.DRAFT,
        **frozen_prices(convention, len(mailboxes)),
        language=language,
        created_at=now,
        updated_at=now,
    )
    for box, old, new in priced_lines(convention, mailboxes):
        OrderLine.create(
            order=order,
            mailbox=box,
            open_mailbox=box,  # R4: the unique key refuses a second open order
            old_expires_on=old,
            new_expires_on=new,
            unit_price_cents=convention.price_cents,
        )
    return Started("started", order)


def start_renewal(
    account: Account,
    mailboxes: list[Mailbox],
    *,
    today: dt.date,
    now: dt.datetime,
    started_by: Mailbox | None = None,
    language: str = "it",
) -> Started:
    """RINNOVA: a draft order with one line per mailbox, or the open order that already
    holds them (R4). Two tabs or a double click end on the same order."""
    if not mailboxes:
        raise RenewalError("no_mailboxes")
    for attempt in range(2):
        try:
            with write_transaction():
                return _start(account, mailboxes, today, now, started_by, language)
        except IntegrityError:
            # Another request opened an order for one of these mailboxes meanwhile:
            # the second pass finds it and shows it.
            if attempt:
                raise
    raise AssertionError("unreachable")


# --- The steps ---------------------------------------------------------------------------


def _touch_draft(order: Order, now: dt.datetime, **values) -> None:
    """Compare-and-set on a draft: a confirmed or cancelled order is never edited."""
    changed = (
        Order.update(updated_at=now, **values)
        .where((Order.id == order.id) & (Order.status == OrderStatus.DRAFT))
        .execute()
    )
    if changed != 1:
        raise RenewalError("not_draft", order)
    for name, value in values.items():
        setattr(order, name, value)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def accept_contracts(
    order: Order,
    shown_document_ids: list[int],
    *,
    now: dt.datetime,
    ip: str,
    user_agent: str,
) -> list[ContractAcceptance]:
    """Store the evidence of acceptance of every current document (R10).

    `shown_document_ids` are the versions the page showed: if the convention published a
    new version meanwhile, nothing is stored and "documents_changed" asks for a re-read.
    """
    with write_transaction():
        documents = current_documents(order.convention_id)
        if sorted(d.id for d in documents) != sorted(set(shown_document_ids)):
            raise RenewalError("documents_changed", order)
        _touch_draft(order, now)
        ContractAcceptance.delete().where(ContractAcceptance.order == order).execute()
        return [
            ContractAcceptance.create(
                order=order,
                document=doc,
                document_code=doc.code,
                document_version=doc.version,
                text_sha256=text_sha256(doc.body),
                accepted=True,
                answered_at=now,
                ip=ip or "",
                user_agent=(user_agent or "")[:500],
            )
            for doc in documents
        ]


def save_billing(order: Order, data: BillingData, *, now: dt.datetime) -> None:
    """Keep the (already validated) billing data on the draft."""
    with write_transaction():
        _touch_draft(order, now, billing=data.snapshot())


def choose_payment_method(
    order: Order,
    method: str,
    *,
    now: dt.datetime,
    notices: Notices,
    actor: str,
    ip: str = "",
) -> str:
    """Set the method on a draft ("chosen"), or switch it on an order awaiting payment
    ("switched": same number, R4; the member is sent the new instructions, and the
    switch is audited). Raises "method" for a method the convention does not offer."""
    convention = Convention.get_by_id(order.convention_id)
    method = PaymentMethod(method) if method in set(PaymentMethod) else None
    if method not in convention.methods:
        raise RenewalError("method", order)
    with write_transaction():
        if order.status == OrderStatus.DRAFT:
            _touch_draft(order, now, payment_method=method)
            return "chosen"
        changed = (
            Order.update(payment_method=method, updated_at=now)
            .where((Order.id == order.id) & (Order.status == OrderStatus.AWAITING_PAYMENT))
            .execute()
        )
        if changed != 1:
            raise RenewalError("not_open", order)
        order.payment_method = method
        notices.payment_method_switched(order)
        _audit_order(actor, "order.method_switched", order, ip)
        return "switched"


def new_order_number() -> str:
    """7 random characters and a Luhn mod 31 check character, e.g. "K7M4Q9XA"."""
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_CHARS))
    return body + luhn.calc_check_digit(body, NUMBER_ALPHABET)


def is_order_number(text: str) -> bool:
    text = (text or "").upper()
    return (
        len(text) == NUMBER_RANDOM_CHARS + 1
        and all(c in NUMBER_ALPHABET for c in text)
        and luhn.is_valid(text, NUMBER_ALPHABET)
    )


@dataclass(frozen=True)
class Confirmed:
    code: str  # "confirmed", "already_confirmed", "prices_changed", "not_ready", "cancelled"
    order: Order


def _refresh_prices(order: Order, lines: list[OrderLine], now: dt.datetime) -> bool:
    """Bring the draft to the convention's current price, VAT and duration, and the lines
    to the mailboxes' current expiry; True if anything the member saw has changed."""
    convention = Convention.get_by_id(order.convention_id)
    values = frozen_prices(convention, len(lines))
    changed = any(getattr(order, k) != v for k, v in values.items())
    boxes = {
        m.id: m for m in Mailbox.select().where(Mailbox.id.in_([li.mailbox_id for li in lines]))
    }
    for line in lines:
        box = boxes[line.mailbox_id]
        new = clock.add_years(box.expires_on, convention.duration_years)
        if (line.old_expires_on, line.new_expires_on, line.unit_price_cents) != (
            box.expires_on,
            new,
            convention.price_cents,
        ):
            changed = True
            OrderLine.update(
                old_expires_on=box.expires_on,
                new_expires_on=new,
                unit_price_cents=convention.price_cents,
            ).where(OrderLine.id == line.id).execute()
    if changed:
        _touch_draft(order, now, **values)
    return changed


def confirm_order(
    order: Order,
    *,
    now: dt.datetime,
    notices: Notices,
    actor: str,
    ip: str = "",
) -> Confirmed:
    """Riepilogo e conferma → an order awaiting payment with its number, prices and
    billing frozen (R9, R10). No date changes (R3). Safe to call twice at once: one
    request wins the compare-and-set, the other gets "already_confirmed". The
    confirmation e-mail and the audit event are written in the same transaction."""
    with write_transaction():
        order = Order.get_by_id(order.id)
        if order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID):
            return Confirmed("already_confirmed", order)
        if order.status != OrderStatus.DRAFT:
            return Confirmed("cancelled", order)
        if current_step(order) != CONFIRM:
            return Confirmed("not_ready", order)
        lines = lines_of(order)
        if _refresh_prices(order, lines, now):
            return Confirmed("prices_changed", order)
        for _attempt in range(5):
            number = new_order_number()
            try:
                with write_transaction():  # a savepoint: a clashing number only retries
                    claimed = (
                        Order.update(
                            status=OrderStatus.AWAITING_PAYMENT,
                            number=number,
                            confirmed_at=now,
                            updated_at=now,
                        )
                        .where((Order.id == order.id) & (Order.status == OrderStatus.DRAFT))
                        .execute()
                    )
                break
            except IntegrityError:
                continue
        else:
            raise RenewalError("number", order)
        order = Order.get_by_id(order.id)
        if claimed != 1:
            return Confirmed("already_confirmed", order)
        notices.order_confirmed(order)
        _audit_order(actor, "order.confirmed", order, ip)
        return Confirmed("confirmed", order)


def cancel_order(
    order: Order,
    *,
    now: dt.datetime,
    actor: str,
    ip: str = "",
    reason: str = "",
    notices: Notices | None = None,
    money_to_refund: bool = False,
) -> Order:
    """Cancel an open order and free its mailboxes (R4), by the member or an operator
    (audited with the reason). The number stays on the cancelled order; a reported
    payment waits for an operator instead. With `notices`, the holder of a confirmed
    order is told, with the reason; a draft was never confirmed, so nobody is told.

    An order that already received part of its money is cancelled only when
    `money_to_refund` (an operator's choice): that money is then to refund (R12)."""
    with write_transaction():
        if Order.get_by_id(order.id).received_cents and not money_to_refund:
            raise RenewalError("payment_received", order)
        reported = (
            Payment.select()
            .where((Payment.order == order) & (Payment.status == PaymentStatus.REPORTED))
            .exists()
        )
        if reported:
            raise RenewalError("payment_reported", order)
        changed = (
            Order.update(status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now)
            .where((Order.id == order.id) & (Order.status.in_(OrderStatus.open())))
            .execute()
        )
        if changed != 1:
            raise RenewalError("not_open", order)
        OrderLine.update(open_mailbox=None).where(OrderLine.order == order.id).execute()
        cancelled = Order.get_by_id(order.id)
        _audit_order(actor, "order.cancelled", cancelled, ip, reason=reason)
        if notices is not None and cancelled.number:
            notices.order_cancelled(cancelled, reason)
        return cancelled


def _audit_order(actor: str, action: str, order: Order, ip: str, **details) -> None:
    audit.record(
        actor,
        action,
        order,
        {"number": order.number, "method": order.payment_method, **details},
        ip=ip,
    )
