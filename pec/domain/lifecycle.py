"""The daily jobs (docs/rules.md, Scheduled work): reminders (R7), deactivation (R5), ceasing (R6), clean-up.

Each job is a pair: `plan_*` reads what is due as of `today` and writes nothing (operators
preview it); the job applies each due item in its own short write transaction, where a
unique key or a compare-and-set update decides whether this run is the one that acts. So a
job run twice, late, or by two processes at once sends nothing twice and changes nothing
twice. Candidates come from indexed range queries on `expires_on`: a run costs in
proportion to the mailboxes that are due, never to all mailboxes (docs/rules.md, Qualities).

The holder is told through the `Notices` port (pec.domain.notices), inside the write
that decides the change, so the e-mail exists if and only if the change does.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from peewee import IntegrityError, fn

from pec.database import write_transaction
from pec.domain import audit, clock, money
from pec.domain.accounts import delete_stale_reset_tokens
from pec.domain.document_review import purge_documents
from pec.domain.job_runs import JobResult
from pec.domain.mailboxes import open_orders_by_mailbox, orders_with_declared_payment, status_of
from pec.domain.notices import Notices
from pec.domain.status import Policy, deletion_date, is_held
from pec.models import (
    Account,
    Convention,
    Mailbox,
    Order,
    OrderLine,
    Payment,
    ReminderSent,
)
from pec.vocabulary import MailboxStatus, OrderStatus, PaymentStatus

log = logging.getLogger(__name__)

REMINDER = "reminder"
DEACTIVATION = "deactivation"
CEASING = "ceasing"
DRAFT_CANCELLATION = "draft_cancellation"

STALE_DRAFT_DAYS = 30
_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


@dataclass(frozen=True)
class Due:
    """One thing a daily job would do as of a day: what `preview` lists and jobs apply.

    `order` is the open order awaiting payment (reminder, deactivation) or the stale
    draft (draft cancellation); `deletion_on` is the last day a deactivated mailbox can
    still be renewed (R6).
    """

    kind: str
    mailbox: Mailbox | None
    to_address: str | None
    expires_on: dt.date | None = None
    offset_days: int | None = None
    order: Order | None = None
    has_declared_payment: bool = False
    deletion_on: dt.date | None = None
    amount_cents: int | None = None
    days_left: int | None = None  # a reminder: days from the job's day to the expiry

    @property
    def is_draft_cancellation(self) -> bool:
        return self.kind == DRAFT_CANCELLATION

    @property
    def deactivates_on(self) -> dt.date | None:
        """R5: the day after the expiry, when an unpaid mailbox is deactivated."""
        return self.expires_on + dt.timedelta(days=1) if self.expires_on else None

    @property
    def tone(self) -> str:
        """How urgently a reminder speaks (R7), by the days really left (a late job may
        send the 7-day reminder with 5 days left): notice, soon, urgent, last."""
        return reminder_tone(self.days_left if self.days_left is not None else 0)

    @property
    def dedupe_key(self) -> str:
        """The outbox key of this event's e-mail: at most one, ever."""
        if self.kind == REMINDER:
            return f"reminder:{self.mailbox.id}:{self.expires_on}:{self.offset_days}"
        if self.kind == DRAFT_CANCELLATION:
            return f"{self.kind}:{self.order.id}"
        return f"{self.kind}:{self.mailbox.id}:{self.expires_on}"


# --- Reading what is due (no writes) ---------------------------------------------------


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _with_holder(query):
    """Mailboxes of `query` with their account and convention, in one query."""
    return (
        query.select(Mailbox, Account, Convention)
        .join_from(Mailbox, Account)
        .join_from(Account, Convention)
        .order_by(Mailbox.expires_on, Mailbox.id)
    )


def _open_orders(boxes: list[Mailbox]) -> tuple[dict[int, Order], set[int]]:
    """mailbox id → open order, and the ids of orders with a declared payment."""
    orders: dict[int, Order] = {}
    for chunk in _chunks([b.id for b in boxes]):
        orders.update(open_orders_by_mailbox(chunk))
    declared: set[int] = set()
    for chunk in _chunks(list({o.id for o in orders.values()})):
        declared |= orders_with_declared_payment(chunk)
    return orders, declared


def _conventions() -> list[Convention]:
    return list(Convention.select())


def reminder_candidates(today: dt.date, horizon_days: int):
    """Mailboxes still in service whose expiry is within the reminder horizon."""
    return Mailbox.select().where(
        Mailbox.expires_on.between(today, today + dt.timedelta(days=horizon_days))
    )


def deactivation_candidates(today: dt.date):
    """Mailboxes past their expiry that the job has not deactivated yet (catch-up
    included: however late the job runs, everything overdue is found)."""
    return Mailbox.select().where(Mailbox.deactivated_on.is_null() & (Mailbox.expires_on < today))


def ceasing_candidates(today: dt.date, min_window_days: int):
    """Mailboxes not yet ceased whose expiry is older than the shortest restore window."""
    cutoff = today - dt.timedelta(days=min_window_days)
    return Mailbox.select().where(Mailbox.ceased_on.is_null() & (Mailbox.expires_on < cutoff))


def stale_draft_candidates(today: dt.date):
    """Draft orders nobody touched for STALE_DRAFT_DAYS days."""
    cutoff = clock.start_of_day(today - dt.timedelta(days=STALE_DRAFT_DAYS))
    return Order.select().where((Order.status == OrderStatus.DRAFT) & (Order.updated_at < cutoff))


def reminder_tone(days_left: int) -> str:
    """notice (more than 15 days), soon (8–15), urgent (2–7), last (the day before or
    the expiry day itself)."""
    if days_left <= 1:
        return "last"
    if days_left <= 7:
        return "urgent"
    if days_left <= 15:
        return "soon"
    return "notice"


def most_urgent_offset(offsets: Iterable[int], days_left: int) -> int | None:
    """R7: the most urgent offset already reached `days_left` days before expiry.

    Offsets reached earlier are superseded: a job that missed days sends this one only.
    """
    reached = [o for o in offsets if o >= days_left]
    return min(reached) if reached else None


def plan_reminders(today: dt.date) -> list[Due]:
    """R7: the reminders due today, each (mailbox, expiry, offset) not sent before."""
    conventions = _conventions()
    horizon = max((max(c.offsets, default=0) for c in conventions), default=0)
    if not conventions or horizon <= 0:
        return []
    boxes = list(_with_holder(reminder_candidates(today, horizon)))
    wanted: dict[int, int] = {}
    for box in boxes:
        days_left = (box.expires_on - today).days
        offset = most_urgent_offset(box.account.convention.offsets, days_left)
        if offset is not None:
            wanted[box.id] = offset
    sent: set[tuple[int, dt.date, int]] = set()
    for chunk in _chunks(list(wanted)):
        rows = ReminderSent.select(
            ReminderSent.mailbox, ReminderSent.expires_on, ReminderSent.offset_days
        ).where(ReminderSent.mailbox.in_(chunk))
        sent |= {(r.mailbox_id, r.expires_on, r.offset_days) for r in rows}
    boxes = [b for b in boxes if b.id in wanted and (b.id, b.expires_on, wanted[b.id]) not in sent]
    orders, declared = _open_orders(boxes)
    plan = []
    for box in boxes:
        order = orders.get(box.id)
        awaiting = (
            order if order is not None and order.status == OrderStatus.AWAITING_PAYMENT else None
        )
        plan.append(
            Due(
                kind=REMINDER,
                mailbox=box,
                to_address=box.account.reference_email,
                expires_on=box.expires_on,
                offset_days=wanted[box.id],
                days_left=(box.expires_on - today).days,
                order=awaiting,
                has_declared_payment=awaiting is not None and awaiting.id in declared,
            )
        )
    return plan


def _renewal_amount(box: Mailbox, order: Order | None) -> int:
    """What the member pays to renew (and reactivate): the open order's total, else the
    convention's price for one mailbox, VAT included (R9)."""
    if order is not None:
        return order.gross_cents
    convention = box.account.convention
    return money.totals(convention.price_cents, 1, convention.vat_rate_bp).gross_cents


def _plan_by_status(today: dt.date, query, wanted: MailboxStatus, kind: str) -> list[Due]:
    boxes = list(_with_holder(query))
    orders, declared = _open_orders(boxes)
    plan = []
    for box in boxes:
        policy = Policy.of(box.account.convention)
        order = orders.get(box.id)
        # The one place that decides a status, R5 hold included (pec.domain.status).
        status = status_of(box, policy, today, order, order is not None and order.id in declared)
        if status != wanted:
            continue
        awaiting = (
            order if order is not None and order.status == OrderStatus.AWAITING_PAYMENT else None
        )
        plan.append(
            Due(
                kind=kind,
                mailbox=box,
                to_address=box.account.reference_email,
                expires_on=box.expires_on,
                order=awaiting,
                has_declared_payment=awaiting is not None and awaiting.id in declared,
                deletion_on=deletion_date(box.expires_on, policy),
                amount_cents=_renewal_amount(box, awaiting),
            )
        )
    return plan


def plan_deactivations(today: dt.date) -> list[Due]:
    """R5: mailboxes to deactivate today (the declared-payment hold keeps some active)."""
    return _plan_by_status(
        today, deactivation_candidates(today), MailboxStatus.DEACTIVATED, DEACTIVATION
    )


def plan_ceasings(today: dt.date) -> list[Due]:
    """R6: mailboxes past their convention's restore window."""
    conventions = _conventions()
    if not conventions:
        return []
    window = min(c.restore_window_days for c in conventions)
    return _plan_by_status(today, ceasing_candidates(today, window), MailboxStatus.CEASED, CEASING)


def plan_stale_drafts(today: dt.date) -> list[Due]:
    """Draft orders abandoned for STALE_DRAFT_DAYS days, to cancel (no e-mail)."""
    return [
        Due(kind=DRAFT_CANCELLATION, mailbox=None, to_address=None, order=order)
        for order in stale_draft_candidates(today).order_by(Order.id)
    ]


def preview(today: dt.date) -> list[Due]:
    """What the daily jobs would send and change if they ran as of `today`; writes
    nothing (operators: "what the jobs will send tomorrow")."""
    return (
        plan_ceasings(today)
        + plan_deactivations(today)
        + plan_reminders(today)
        + (plan_stale_drafts(today))
    )


# --- Applying what is due --------------------------------------------------------------


def _apply_each(plan: list[Due], apply: Callable[[Due], str]) -> JobResult:
    """Apply every due item; one that fails is recorded and the rest still run."""
    result = JobResult()
    for due in plan:
        try:
            result.counts[apply(due)] += 1
        except Exception as exc:  # one bad mailbox must not stop the job
            what = f"mailbox {due.mailbox.id}" if due.mailbox else f"order {due.order.id}"
            log.exception("%s failed for %s", due.kind, what)
            result.counts["failed"] += 1
            result.errors.append(f"{what}: {exc!r}")
    return result


def send_due_reminders(today: dt.date, notices: Notices) -> JobResult:
    """R7: queue the reminders due today; ReminderSent's unique key decides "once"."""

    def apply(due: Due) -> str:
        try:
            with write_transaction():
                ReminderSent.create(
                    mailbox=due.mailbox.id,
                    expires_on=due.expires_on,
                    offset_days=due.offset_days,
                    sent_on=today,
                )
                notices.reminder(due)
        except IntegrityError:
            return "already_sent"  # another run got there first
        return "sent"

    return _apply_each(plan_reminders(today), apply)


def _no_declared_payment(mailbox_id: int):
    """SQL guard: no declared payment on an order awaiting payment for this mailbox.

    The decision to deactivate was taken by pec.domain.status; this re-checks, inside the
    write, that its inputs did not change meanwhile (a member declaring a transfer)."""
    declared = (
        Payment.select(Payment.id)
        .join(Order)
        .join(OrderLine, on=(OrderLine.order == Order.id))
        .where(
            (OrderLine.open_mailbox == mailbox_id)
            & (Order.status == OrderStatus.AWAITING_PAYMENT)
            & (Payment.status == PaymentStatus.REPORTED)
        )
    )
    return ~fn.EXISTS(declared)


def deactivate_overdue(today: dt.date, notices: Notices) -> JobResult:
    """R5: deactivate what expired before today and tell the holder, exactly once."""

    def apply(due: Due) -> str:
        with write_transaction():
            # Compare-and-set: only if still active with the same expiry (a payment
            # registered meanwhile moved it) and, while the R5 hold could apply, no
            # payment was declared meanwhile.
            guard = (Mailbox.id == due.mailbox.id) & Mailbox.deactivated_on.is_null()
            guard &= Mailbox.expires_on == due.expires_on
            policy = Policy.of(due.mailbox.account.convention)
            if is_held(due.expires_on, today, policy, has_declared_payment=True):
                guard &= _no_declared_payment(due.mailbox.id)
            changed = Mailbox.update(deactivated_on=today).where(guard).execute()
            if changed != 1:
                return "unchanged"
            notices.deactivated(due)
            audit.record(
                "system:deactivation",
                "mailbox.deactivated",
                due.mailbox,
                {"expires_on": due.expires_on, "on": today},
            )
        return "deactivated"

    return _apply_each(plan_deactivations(today), apply)


def _cancel_open_orders_of(mailbox_id: int) -> list[int]:
    """R6: an open order holding a ceased mailbox can never be paid (register_payment
    answers window_closed); cancel it, so its other mailboxes can be renewed anew."""
    ids = [
        line.order_id
        for line in OrderLine.select(OrderLine.order).where(OrderLine.open_mailbox == mailbox_id)
    ]
    if not ids:
        return []
    Order.update(status=OrderStatus.CANCELLED, cancelled_at=clock.now()).where(
        Order.id.in_(ids) & Order.status.in_((OrderStatus.DRAFT, OrderStatus.AWAITING_PAYMENT))
    ).execute()
    OrderLine.update(open_mailbox=None).where(OrderLine.order.in_(ids)).execute()
    return ids


def cease_lapsed(today: dt.date, notices: Notices) -> JobResult:
    """R6: cease what is past the restore window and tell the holder, exactly once."""

    def apply(due: Due) -> str:
        with write_transaction():
            changed = (
                Mailbox.update(
                    ceased_on=today,
                    # A mailbox the job never deactivated (it was down for months)
                    # leaves the deactivation candidates too.
                    deactivated_on=fn.COALESCE(Mailbox.deactivated_on, today),
                )
                .where(
                    (Mailbox.id == due.mailbox.id)
                    & Mailbox.ceased_on.is_null()
                    & (Mailbox.expires_on == due.expires_on)
                )
                .execute()
            )
            if changed != 1:
                return "unchanged"
            notices.ceased(due)
            cancelled = _cancel_open_orders_of(due.mailbox.id)
            audit.record(
                "system:ceasing",
                "mailbox.ceased",
                due.mailbox,
                {"expires_on": due.expires_on, "on": today, "orders_cancelled": cancelled},
            )
        return "ceased"

    return _apply_each(plan_ceasings(today), apply)


def cancel_stale_drafts(today: dt.date) -> JobResult:
    """Cancel drafts untouched for STALE_DRAFT_DAYS days, freeing their mailboxes (R4)."""
    cutoff = clock.start_of_day(today - dt.timedelta(days=STALE_DRAFT_DAYS))
    now = clock.now()

    def apply(due: Due) -> str:
        with write_transaction():
            changed = (
                Order.update(status=OrderStatus.CANCELLED, cancelled_at=now)
                .where(
                    (Order.id == due.order.id)
                    & (Order.status == OrderStatus.DRAFT)
                    & (Order.updated_at < cutoff)
                )
                .execute()
            )
            if changed != 1:
                return "unchanged"  # confirmed or touched meanwhile
            OrderLine.update(open_mailbox=None).where(OrderLine.order == due.order.id).execute()
            audit.record("system:cleanup", "order.draft_cancelled", due.order, {"on": today})
        return "drafts_cancelled"

    return _apply_each(plan_stale_drafts(today), apply)


def clean_up(today: dt.date, documents_dir: str | None = None) -> JobResult:
    """Daily clean-up: stale drafts, expired reset tokens, and the identity documents
    past retention (when given their directory). Old job runs are forgotten by the
    cleanup job too (pec.domain.daily_jobs)."""
    result = cancel_stale_drafts(today)
    if documents_dir:
        result.counts["documents_purged"] += purge_documents(today, documents_dir).purged
    with write_transaction():
        result.counts["reset_tokens_deleted"] += delete_stale_reset_tokens(
            clock.start_of_day(today)
        )
    return result
