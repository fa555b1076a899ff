"""What "Gestione PEC" shows for each mailbox (docs/rules.md, member journey 3), in a fixed number of queries."""

import datetime as dt
import math
from dataclasses import dataclass

from peewee import OP, SQL, Expression, NodeList, Value, fn

from pec.database import Prepared, Slot, slots
from pec.domain import clock
from pec.domain.accounts import Principal
from pec.domain.paging import Page
from pec.domain.status import Policy, deletion_date, mailbox_status
from pec.models import (
    Account,
    Convention,
    Mailbox,
    Order,
    OrderLine,
    Payment,
)
from pec.vocabulary import MailboxStatus, OrderStatus, PaymentStatus


@dataclass(frozen=True)
class MailboxView:
    mailbox: Mailbox
    status: MailboxStatus
    open_order: Order | None
    is_renewable: bool
    deletion_on: dt.date
    # The member declared a transfer or slip for the open order, still to be registered
    # ("pagamento segnalato, in verifica"; a deactivated mailbox stays deactivated).
    payment_reported: bool = False


# RINNOVA on a mailbox renewed this recently asks first: members who did not notice the
# renewal had been applied ordered and paid twice.
RECENT_RENEWAL_DAYS = 30


@dataclass(frozen=True)
class RecentRenewal:
    order: Order
    paid_on: dt.date
    new_expires_on: dt.date


# A member's page shows at most this many mailboxes: its queries are prepared for that
# many ids (fewer are padded with NULL); a longer list (the operators') runs unprepared.
PREPARED_IDS = 25


def _paid_lines(mailbox_ids):
    return (
        OrderLine.select(OrderLine, Order)
        .join(Order)
        .where(OrderLine.mailbox.in_(mailbox_ids) & (Order.status == OrderStatus.PAID))
        .order_by(Order.paid_at, Order.id)
    )


def _open_lines(mailbox_ids):
    return (
        OrderLine.select(OrderLine, Order)
        .join(Order)
        .where(OrderLine.open_mailbox.in_(mailbox_ids) & Order.status.in_(OrderStatus.open()))
    )


def _reported(order_ids):
    return Payment.select(Payment.order).where(
        Payment.order.in_(order_ids) & (Payment.status == PaymentStatus.REPORTED)
    )


_PAID_LINES = Prepared(lambda: _paid_lines(slots("id", PREPARED_IDS)))
_OPEN_LINES = Prepared(lambda: _open_lines(slots("id", PREPARED_IDS)))
_REPORTED = Prepared(lambda: _reported(slots("id", PREPARED_IDS)))


def _rows(prepared: Prepared, build, ids) -> list:
    """The rows of `build(ids)`, prepared when `ids` fit its slots."""
    ids = list(ids)
    rows = prepared.padded("id", PREPARED_IDS, ids)
    return list(build(ids)) if rows is None else rows


def renewals_by_mailbox(
    mailbox_ids, today: dt.date, days: int = RECENT_RENEWAL_DAYS
) -> tuple[dict[int, Order], dict[int, RecentRenewal]]:
    """mailbox id → its latest paid order (the receipt links), and mailbox id → that
    renewal when it was paid in the last `days` days: one query."""
    if not mailbox_ids:
        return {}, {}
    since = clock.start_of_day(today - dt.timedelta(days=days))
    latest, recent = {}, {}
    # oldest first: the last one seen of a mailbox is its latest
    for line in _rows(_PAID_LINES, _paid_lines, mailbox_ids):
        latest[line.mailbox_id] = line.order
        paid_at = line.order.paid_at
        if paid_at is not None and paid_at >= since:
            recent[line.mailbox_id] = RecentRenewal(
                line.order, paid_at.astimezone(clock.ROME).date(), line.new_expires_on
            )
    return latest, recent


def recent_renewals(
    mailbox_ids, today: dt.date, days: int = RECENT_RENEWAL_DAYS
) -> dict[int, RecentRenewal]:
    """mailbox id → its renewal paid in the last `days` days (the latest), one query."""
    return renewals_by_mailbox(mailbox_ids, today, days)[1]


def open_orders_by_mailbox(mailbox_ids) -> dict[int, Order]:
    """mailbox id → its open order (draft or awaiting payment), one query."""
    return {line.mailbox_id: line.order for line in _rows(_OPEN_LINES, _open_lines, mailbox_ids)}


def orders_with_declared_payment(order_ids) -> set[int]:
    """Orders for which the member reported a transfer or slip still to be registered."""
    if not order_ids:
        return set()
    return {row.order_id for row in _rows(_REPORTED, _reported, order_ids)}


def status_of(mailbox: Mailbox, policy: Policy, today: dt.date, open_order=None, declared=False):
    """One mailbox's status under its convention's `policy`; `open_order` and `declared`
    as found by the helpers above."""
    awaiting = open_order is not None and open_order.status == OrderStatus.AWAITING_PAYMENT
    return mailbox_status(
        mailbox.expires_on,
        today,
        policy,
        awaiting_payment=awaiting,
        has_declared_payment=awaiting and declared,
        is_ceased=mailbox.ceased_on is not None,
        is_deactivated=mailbox.deactivated_on is not None,
    )


LIST_ORDER = (Mailbox.expires_on, Mailbox.address)


def mailbox_views(query, today: dt.date) -> list[MailboxView]:
    """Rows for the mailboxes in `query`, each read with its account and convention (the
    operators' lists; a member's own list is `member_page`)."""
    boxes = (
        query.select(Mailbox, Account, Convention)
        .join_from(Mailbox, Account)
        .join_from(Account, Convention)
        .order_by(*LIST_ORDER)
    )
    return _views(list(boxes), today)


def _of_account(boxes, account: Account) -> list[Mailbox]:
    """`boxes`, all of `account`, given that account (with its convention) instead of
    reading it again with each mailbox."""
    boxes = list(boxes)
    for box in boxes:
        if box.account_id != account.id:
            raise ValueError("a mailbox of another account")
        box.account = account
    return boxes


def _views(boxes: list[Mailbox], today: dt.date) -> list[MailboxView]:
    """MailboxViews of `boxes` (each with its account and convention), in their order."""
    open_orders = open_orders_by_mailbox([b.id for b in boxes]) if boxes else {}
    declared = orders_with_declared_payment([o.id for o in open_orders.values()])
    views = []
    for box in boxes:
        policy = Policy.of(box.account.convention)
        order = open_orders.get(box.id)
        status = status_of(box, policy, today, order, order is not None and order.id in declared)
        views.append(
            MailboxView(
                mailbox=box,
                status=status,
                open_order=order,
                is_renewable=status.is_renewable,
                deletion_on=deletion_date(box.expires_on, policy),
                payment_reported=order is not None and order.id in declared,
            )
        )
    return views


# "Gestione PEC" shows this many mailboxes at a time: a holder with hundreds of them (a
# firm, a studio) gets pages and a search by address, in the same few queries.
MEMBER_PAGE_SIZE = 25
MAX_SEARCH_LENGTH = 254


def search_term(raw: str | None) -> str:
    """What a member typed to find a mailbox, as addresses are stored (lower case)."""
    return (raw or "").strip().lower()[:MAX_SEARCH_LENGTH]


def _members_mailboxes(kind: str, searching: bool):
    """What a login may see (an account: all its mailboxes; a PEC-address login: that
    one), in Slot "owner"; when `searching`, only those whose address matches the LIKE
    pattern in Slot "pattern" (see `like_pattern`)."""
    owner = Mailbox.account if kind == "account" else Mailbox.id
    seen = owner == Slot("owner")
    if not searching:
        return seen
    matching = Expression(
        Mailbox.address,
        OP.ILIKE,
        NodeList((Slot("pattern"), SQL("ESCAPE"), Value("\\", converter=False))),
    )
    return seen & matching


# The columns a row of the list shows or its status needs: not the password's hash, the
# session epoch or the creation time, which a page would only convert and drop.
_LISTED = (
    Mailbox.id,
    Mailbox.account,
    Mailbox.address,
    Mailbox.expires_on,
    Mailbox.deactivated_on,
    Mailbox.ceased_on,
)

# The list runs on every visit to Gestione PEC: its count and its page are Prepared (one
# each per kind of login, with and without a search), with the search, the page's limit
# and offset as slots. The index on (account, expires_on, address) gives an account's
# mailboxes in the list's order: the page reads its 25 rows and stops, and the count
# reads the index alone, however many mailboxes the account has.
_LISTS = [(kind, searching) for kind in ("account", "mailbox") for searching in (False, True)]
_MEMBER_COUNT = {
    key: Prepared(
        lambda key=key: Mailbox.select(fn.COUNT(Mailbox.id).alias("total")).where(
            _members_mailboxes(*key)
        )
    )
    for key in _LISTS
}
_MEMBER_PAGE = {
    key: Prepared(
        lambda key=key: (
            Mailbox.select(*_LISTED)
            .where(_members_mailboxes(*key))
            .order_by(*LIST_ORDER)
            .limit(Slot("limit"))
            .offset(Slot("offset"))
        )
    )
    for key in _LISTS
}


def like_pattern(search: str) -> str:
    """The LIKE pattern of addresses containing `search` (its own % and _ taken literally,
    escaped with a backslash), "%" for no search."""
    escaped = search.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return f"%{escaped}%"


def member_page(
    principal: Principal, account: Account, number: int, today: dt.date, search: str = ""
) -> Page:
    """One page of the mailboxes `principal` may see (all of `account`) whose address
    contains `search`, as MailboxViews in the list's order: two queries for the page,
    then those of `_views`, whatever the number of mailboxes. Each mailbox is read with
    the columns the list shows (`_LISTED`) only: these are a page's rows, not models
    to change or save."""
    found = {"owner": principal.id}
    if search:
        found["pattern"] = like_pattern(search)
    key = (principal.kind, bool(search))
    total = _MEMBER_COUNT[key].first(**found).total
    pages = max(1, math.ceil(total / MEMBER_PAGE_SIZE))
    number = min(max(1, number), pages)
    boxes = _MEMBER_PAGE[key](
        **found, limit=MEMBER_PAGE_SIZE, offset=(number - 1) * MEMBER_PAGE_SIZE
    )
    views = _views(_of_account(boxes, account), today)
    return Page(views, number, pages, total, MEMBER_PAGE_SIZE)
