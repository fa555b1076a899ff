"""A mailbox's status as a member sees it, derived from dates through the clock.

R1: active through `expires_on` inclusive. R5: deactivated from the next day, unless a
declared transfer/slip payment holds it for the convention's hold. The hold only keeps
the daily job from deactivating: once the job did (a payment declared afterwards), the
mailbox is deactivated until a payment is registered (R12). R6: ceased after the restore
window.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from pec.vocabulary import MailboxStatus


@dataclass(frozen=True)
class Policy:
    """The convention's numbers that the status depends on."""

    restore_window_days: int = 90
    declared_payment_hold_days: int = 5
    expiring_window_days: int = 30

    @classmethod
    def of(cls, convention) -> "Policy":
        return _policy(
            convention.restore_window_days,
            convention.declared_payment_hold_days,
            convention.expiring_window_days,
        )


@lru_cache(maxsize=64)
def _policy(*numbers: int) -> Policy:
    # A list and the daily jobs ask once per mailbox: one frozen Policy per set of
    # numbers, not a new one each time (building a frozen dataclass is its slow path).
    return Policy(*numbers)


def is_expired(expires_on: dt.date, today: dt.date) -> bool:
    """R1: the mailbox works through its expiry day inclusive."""
    return today > expires_on


def deletion_date(expires_on: dt.date, policy: Policy) -> dt.date:
    """The last day a deactivated mailbox can still be renewed (R6)."""
    return expires_on + dt.timedelta(days=policy.restore_window_days)


def is_held(
    expires_on: dt.date, today: dt.date, policy: Policy, has_declared_payment: bool
) -> bool:
    """R5 exception: a declared payment keeps the mailbox active for the hold days."""
    hold_until = expires_on + dt.timedelta(days=policy.declared_payment_hold_days)
    return has_declared_payment and today <= hold_until


def mailbox_status(
    expires_on: dt.date,
    today: dt.date,
    policy: Policy,
    *,
    awaiting_payment: bool = False,
    has_declared_payment: bool = False,
    is_ceased: bool = False,
    is_deactivated: bool = False,
) -> MailboxStatus:
    """The status shown on "Gestione PEC" and used by every rule that needs one.

    `is_ceased`: the daily job already ceased it (the provider deleted it); a restore
    window widened afterwards does not bring it back (R6). `is_deactivated`: the daily
    job already deactivated it; a payment declared afterwards does not hide that."""
    if is_ceased or today > deletion_date(expires_on, policy):
        return MailboxStatus.CEASED
    held = not is_deactivated and is_held(expires_on, today, policy, has_declared_payment)
    if is_expired(expires_on, today) and not held:
        return MailboxStatus.DEACTIVATED
    if awaiting_payment:
        return MailboxStatus.AWAITING_PAYMENT
    if (expires_on - today).days <= policy.expiring_window_days:
        return MailboxStatus.EXPIRING
    return MailboxStatus.ACTIVE
