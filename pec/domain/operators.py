"""Operators (docs/rules.md, Operators): their accounts and logins, and what they see: the dashboard counts, mailbox search and the
domicilio-digitale list (the health of the scheduled jobs is in pec.domain.job_runs).

Statuses are counted and filtered in SQL with conditions that mirror
pec.domain.status.mailbox_status date for date (range conditions on the indexed
`expires_on`, per convention because each has its own policy); tests check the two
agree on mixed data.
"""

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from peewee import SQL, fn

from pec.database import write_transaction
from pec.domain import audit, passwords
from pec.domain.operator_accounts import OperatorExists
from pec.domain.paging import Page, paginate  # noqa: F401 (the operators' pages use them from here)
from pec.domain.status import Policy
from pec.models import (
    Account,
    Convention,
    Mailbox,
    Operator,
    Order,
    OrderLine,
    Payment,
)
from pec.vocabulary import MailboxStatus, OrderStatus, PaymentStatus, Role


def authenticate(email: str, password: str) -> Operator | None:
    """The active operator with these credentials; same time and answer otherwise."""
    found = Operator.get_or_none(Operator.email == (email or "").strip().lower())
    if found is None or not found.is_active:
        passwords.burn_time(password)
        return None
    return found if passwords.verify_password(found.password_hash, password) else None


def create_operator(
    email: str, password: str, role: Role = Role.OPERATOR, name: str = ""
) -> Operator:
    """A new operator who signs in with `email` and `password`; OperatorExists if taken."""
    email = email.strip().lower()
    password_hash = passwords.hash_password(password)  # slow: outside the write lock
    with write_transaction():
        if Operator.get_or_none(Operator.email == email) is not None:
            raise OperatorExists(email)
        return Operator.create(
            email=email, password_hash=password_hash, role=role, name=name.strip()
        )


def record_login(operator: Operator, *, ip: str = "", second_factor: str = "") -> None:
    """Audit that `operator` signed in (and with which second factor, if any)."""
    details = {"second_factor": second_factor} if second_factor else None
    with write_transaction():
        audit.record(f"operator:{operator.id}", "operator.login", operator, details, ip=ip)


def log_out(operator: Operator, *, ip: str = "") -> None:
    """Log out everywhere, audited: a new session epoch ends every earlier session."""
    with write_transaction():
        audit.record(f"operator:{operator.id}", "operator.logout", operator, ip=ip)
        Operator.update(session_epoch=Operator.session_epoch + 1).where(
            Operator.id == operator.id
        ).execute()


# --- MailboxStatus in SQL -------------------------------------------------------------------------


def _awaiting_payment():
    """The mailbox is on an order awaiting payment (open_mailbox is unique, indexed)."""
    return fn.EXISTS(
        OrderLine.select(SQL("1"))
        .join(Order)
        .where(
            (OrderLine.open_mailbox == Mailbox.id) & (Order.status == OrderStatus.AWAITING_PAYMENT)
        )
    )


def _declared_payment():
    """…and the member reported a transfer or slip for that order (R5 hold)."""
    return fn.EXISTS(
        OrderLine.select(SQL("1"))
        .join(Order)
        .join(Payment, on=(Payment.order == Order.id))
        .where(
            (OrderLine.open_mailbox == Mailbox.id)
            & (Order.status == OrderStatus.AWAITING_PAYMENT)
            & (Payment.status == PaymentStatus.REPORTED)
        )
    )


def status_condition(status: MailboxStatus, policy: Policy, today: dt.date):
    """A WHERE condition on Mailbox true exactly when mailbox_status(...) == status."""
    expires = Mailbox.expires_on
    ceased_before = today - dt.timedelta(days=policy.restore_window_days)
    held_from = today - dt.timedelta(days=policy.declared_payment_hold_days)
    expiring_until = today + dt.timedelta(days=policy.expiring_window_days)
    awaiting = _awaiting_payment()
    # R5's hold keeps the job from deactivating; once it did, the hold hides nothing.
    held = _declared_payment() & (expires >= held_from) & Mailbox.deactivated_on.is_null()
    ceased = Mailbox.ceased_on.is_null(False)  # the job ceased it: final (R6)
    if status == MailboxStatus.CEASED:
        return (expires < ceased_before) | ceased
    live = ~ceased
    if status == MailboxStatus.DEACTIVATED:
        return live & (expires >= ceased_before) & (expires < today) & ~held
    if status == MailboxStatus.AWAITING_PAYMENT:
        return live & (expires >= ceased_before) & awaiting & ((expires >= today) | held)
    if status == MailboxStatus.EXPIRING:
        return live & (expires >= today) & (expires <= expiring_until) & ~awaiting
    return live & (expires > expiring_until) & ~awaiting


def statuses_condition(statuses, today: dt.date, conventions=None):
    """Mailboxes (joined to Account) in any of `statuses`, each convention by its policy."""
    conventions = list(conventions if conventions is not None else Convention.select())
    parts = [
        (Account.convention == c.id) & status_condition(s, Policy.of(c), today)
        for c in conventions
        for s in statuses
    ]
    return functools.reduce(operator.or_, parts) if parts else SQL("1 = 0")


def dashboard_counts(today: dt.date) -> dict[MailboxStatus, int]:
    """How many mailboxes are in each status: one COUNT per status and convention."""
    counts = dict.fromkeys(MailboxStatus, 0)
    for convention in Convention.select():
        policy = Policy.of(convention)
        for status in MailboxStatus:
            counts[status] += (
                Mailbox.select()
                .join(Account)
                .where(
                    (Account.convention == convention.id) & status_condition(status, policy, today)
                )
                .count()
            )
    return counts


# --- Search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    text: str = ""
    status: MailboxStatus | None = None
    expires_from: dt.date | None = None
    expires_to: dt.date | None = None


def search_mailboxes(filters: Filters, today: dt.date):
    """Mailboxes (joined to Account) matching address, holder name, login or codice
    fiscale (every word must match one of them), status and expiry window."""
    query = Mailbox.select(Mailbox, Account).join(Account)
    for word in filters.text.split():
        query = query.where(
            Mailbox.address.contains(word)
            | Account.first_name.contains(word)
            | Account.last_name.contains(word)
            | Account.company_name.contains(word)
            | Account.login.contains(word)
            | (Account.fiscal_code == word.upper())
        )
    if filters.status is not None:
        query = query.where(statuses_condition([filters.status], today))
    if filters.expires_from is not None:
        query = query.where(Mailbox.expires_on >= filters.expires_from)
    if filters.expires_to is not None:
        query = query.where(Mailbox.expires_on <= filters.expires_to)
    return query.order_by(Mailbox.expires_on, Mailbox.address)


# --- Domicilio digitale -------------------------------------------------------------------

DOMICILIO_STATUSES = (MailboxStatus.EXPIRING, MailboxStatus.DEACTIVATED, MailboxStatus.CEASED)


def domicilio_query(today: dt.date):
    """Members without a working domicilio digitale (docs/rules.md, Operators): deactivated, ceased, or
    expiring with no order awaiting payment (a wizard left as a draft is no order)."""
    return (
        Mailbox.select(Mailbox, Account)
        .join(Account)
        .where(statuses_condition(DOMICILIO_STATUSES, today))
        .order_by(Mailbox.expires_on, Mailbox.address)
    )
