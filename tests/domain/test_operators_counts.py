"""Dashboard counts and status filters in SQL agree with pec.domain.status, mailbox by
mailbox, on a mixed data set (two conventions with different policies)."""

import datetime as dt

import pytest
from playhouse.test_utils import count_queries

from pec.domain.mailboxes import mailbox_views
from pec.domain.operators import (
    Filters,
    dashboard_counts,
    domicilio_query,
    search_mailboxes,
    statuses_condition,
)
from pec.models import (
    Account,
    Mailbox,
    Payment,
)
from pec.vocabulary import MailboxStatus
from tests.factories import make_account, make_convention, make_mailbox, make_order

OFFSETS = (-200, -91, -90, -89, -30, -16, -15, -6, -5, -4, -1, 0, 1, 7, 15, 29, 30, 31, 200)


def _mixed(today):
    """Mailboxes at every boundary, bare, on a draft, awaiting payment, awaiting with a
    declared transfer, and declared after the job deactivated them — under two
    conventions with different windows."""
    default = make_convention()
    strict = make_convention(
        restore_window_days=15, declared_payment_hold_days=0, expiring_window_days=10
    )
    for convention in (default, strict):
        for offset in OFFSETS:
            for kind in ("bare", "draft", "awaiting", "declared", "declared_late"):
                account = make_account(convention)
                box = make_mailbox(account, expires_in=offset, today=today)
                if kind == "declared_late" and offset < 0:
                    # Deactivated by the job before the member declared a payment: the
                    # hold hides nothing (R12).
                    Mailbox.update(deactivated_on=box.expires_on + dt.timedelta(days=1)).where(
                        Mailbox.id == box.id
                    ).execute()
                if kind == "draft":
                    make_order([box], status="draft")
                elif kind in ("awaiting", "declared", "declared_late"):
                    order = make_order([box])
                    if kind in ("declared", "declared_late"):
                        Payment.create(
                            order=order,
                            method="bank_transfer",
                            provider="member",
                            reference=f"CRO{box.id}",
                            amount_cents=order.gross_cents,
                        )
    # Ceased by the job under a shorter window that was widened afterwards (R6: final).
    for offset in (-30, -16, -5):
        box = make_mailbox(make_account(default), expires_in=offset, today=today)
        Mailbox.update(ceased_on=today, deactivated_on=today).where(Mailbox.id == box.id).execute()


def _python_statuses(today) -> dict[int, MailboxStatus]:
    return {v.mailbox.id: v.status for v in mailbox_views(Mailbox.select(), today)}


@pytest.mark.parametrize("shift", [0, 1, 6, 16])
def test_counts_and_filters_match_mailbox_status_on_mixed_data(app, today, shift):
    _mixed(today)
    day = today + dt.timedelta(days=shift)
    expected = _python_statuses(day)
    assert set(expected.values()) == set(MailboxStatus)  # the data set covers every status
    counts = dashboard_counts(day)
    for status in MailboxStatus:
        ids = {
            box.id
            for box in Mailbox.select().join(Account).where(statuses_condition([status], day))
        }
        assert ids == {i for i, s in expected.items() if s == status}, status
        assert counts[status] == len(ids), status


def test_counts_match_the_demo_data(app, demo):
    counts = dashboard_counts(demo)
    assert counts == {
        MailboxStatus.ACTIVE: 1,  # studio.rossi, 200 days
        MailboxStatus.EXPIRING: 2,  # mario.rossi 20 days, anna.bianchi 5 days
        MailboxStatus.AWAITING_PAYMENT: 0,
        MailboxStatus.DEACTIVATED: 1,  # m.rossi, expired 3 days ago
        MailboxStatus.CEASED: 0,
    }
    assert sum(counts.values()) == Mailbox.select().count()


def test_dashboard_counts_use_a_fixed_number_of_queries(app, today):
    _mixed(today)
    with count_queries() as counter:
        dashboard_counts(today)
    # One to list the conventions, then one COUNT per status and convention.
    assert counter.count == 1 + 2 * len(MailboxStatus)


def test_domicilio_list_is_deactivated_ceased_and_expiring_without_an_order(app, today):
    _mixed(today)
    expected = {
        i
        for i, s in _python_statuses(today).items()
        if s in (MailboxStatus.EXPIRING, MailboxStatus.DEACTIVATED, MailboxStatus.CEASED)
    }
    assert {box.id for box in domicilio_query(today)} == expected
    awaiting = make_mailbox(make_account(), expires_in=5, today=today)
    make_order([awaiting])
    assert awaiting.id not in {box.id for box in domicilio_query(today)}


def test_search_filters_by_status_and_expiry_window(app, today):
    _mixed(today)
    found = search_mailboxes(
        Filters(
            status=MailboxStatus.EXPIRING,
            expires_from=today + dt.timedelta(days=7),
            expires_to=today + dt.timedelta(days=15),
        ),
        today,
    )
    offsets = sorted({(box.expires_on - today).days for box in found})
    assert offsets == [7, 15]
    assert all(_python_statuses(today)[box.id] == MailboxStatus.EXPIRING for box in found)
