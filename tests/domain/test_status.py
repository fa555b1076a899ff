import datetime as dt

import pytest

from pec.domain.status import Policy, mailbox_status
from pec.vocabulary import MailboxStatus

EXPIRY = dt.date(2026, 5, 31)
POLICY = Policy(restore_window_days=90, declared_payment_hold_days=5, expiring_window_days=30)


def status(today, **kw):
    return mailbox_status(EXPIRY, today, POLICY, **kw)


def test_mailbox_is_active_through_its_expiry_day_inclusive():
    assert status(EXPIRY) == MailboxStatus.EXPIRING
    assert status(EXPIRY + dt.timedelta(days=1)) == MailboxStatus.DEACTIVATED


def test_expiring_within_the_window_and_active_before_it():
    assert status(EXPIRY - dt.timedelta(days=30)) == MailboxStatus.EXPIRING
    assert status(EXPIRY - dt.timedelta(days=31)) == MailboxStatus.ACTIVE


def test_awaiting_payment_shows_until_expiry():
    assert (
        status(EXPIRY - dt.timedelta(days=100), awaiting_payment=True)
        == MailboxStatus.AWAITING_PAYMENT
    )
    assert status(EXPIRY + dt.timedelta(days=1), awaiting_payment=True) == MailboxStatus.DEACTIVATED


def test_declared_payment_holds_the_mailbox_for_the_hold_days():
    held = dict(awaiting_payment=True, has_declared_payment=True)
    assert status(EXPIRY + dt.timedelta(days=5), **held) == MailboxStatus.AWAITING_PAYMENT
    assert status(EXPIRY + dt.timedelta(days=6), **held) == MailboxStatus.DEACTIVATED


def test_zero_hold_means_no_hold():
    policy = Policy(90, 0, 30)
    day_after = EXPIRY + dt.timedelta(days=1)
    assert (
        mailbox_status(EXPIRY, day_after, policy, awaiting_payment=True, has_declared_payment=True)
        == MailboxStatus.DEACTIVATED
    )


def test_ceased_after_the_restore_window():
    assert status(EXPIRY + dt.timedelta(days=90)) == MailboxStatus.DEACTIVATED
    assert status(EXPIRY + dt.timedelta(days=91)) == MailboxStatus.CEASED


@pytest.mark.parametrize(
    "value,renewable",
    [
        (MailboxStatus.ACTIVE, True),
        (MailboxStatus.EXPIRING, True),
        (MailboxStatus.DEACTIVATED, True),
        (MailboxStatus.CEASED, False),
        (MailboxStatus.AWAITING_PAYMENT, False),
    ],
)
def test_only_ceased_mailboxes_cannot_be_renewed_online(value, renewable):
    assert value.is_renewable is renewable


def test_a_mailbox_the_job_ceased_stays_ceased_when_the_window_is_widened():
    wide = Policy(restore_window_days=365, declared_payment_hold_days=5, expiring_window_days=30)
    day = EXPIRY + dt.timedelta(days=20)
    assert mailbox_status(EXPIRY, day, wide) == MailboxStatus.DEACTIVATED
    assert mailbox_status(EXPIRY, day, wide, is_ceased=True) == MailboxStatus.CEASED


def test_a_payment_declared_after_the_deactivation_hides_nothing():
    """R12: the R5 hold only keeps the job from deactivating; once it did, a declared
    payment leaves the mailbox deactivated until a payment is registered."""
    policy = Policy(declared_payment_hold_days=5)
    expired = dt.date(2026, 3, 7)
    today = dt.date(2026, 3, 10)
    args = dict(awaiting_payment=True, has_declared_payment=True)
    assert mailbox_status(expired, today, policy, **args) == MailboxStatus.AWAITING_PAYMENT
    assert (
        mailbox_status(expired, today, policy, is_deactivated=True, **args)
        == MailboxStatus.DEACTIVATED
    )
