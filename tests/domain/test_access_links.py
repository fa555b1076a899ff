"""The rules of personal links (R11), without the web layer."""

import datetime as dt

from pec.domain import access_links, accounts
from pec.models import Account, AuditEvent
from tests.factories import make_account, make_convention, make_mailbox, make_order
from tests.notices import RecordingNotices

TODAY = dt.date(2026, 3, 10)


def test_a_link_opens_its_mailbox_alone_while_in_date_and_epoch(app):
    box = make_mailbox(today=TODAY)
    principal = access_links.link_principal(box.id, 0, TODAY, TODAY)
    assert principal == accounts.Principal("mailbox", box.id)
    assert [m.id for m in principal.mailboxes()] == [box.id]
    assert access_links.link_principal(box.id, 0, TODAY - dt.timedelta(days=1), TODAY) is None
    assert access_links.link_principal(box.id, 1, TODAY, TODAY) is None
    assert access_links.link_principal(box.id + 999, 0, TODAY, TODAY) is None


def test_revoking_bumps_the_epoch_and_is_audited(app):
    box = make_mailbox(today=TODAY)
    access_links.revoke_links(box.account, actor="operator:7", ip="10.0.0.1")
    assert Account.get_by_id(box.account_id).access_epoch == 1
    assert access_links.link_principal(box.id, 0, TODAY, TODAY) is None
    assert access_links.link_principal(box.id, 1, TODAY, TODAY) is not None
    event = AuditEvent.get(AuditEvent.action == "account.links_revoked")
    assert (event.actor, event.target_id, event.ip) == ("operator:7", box.account_id, "10.0.0.1")


def test_sending_a_link_tells_the_holder_and_is_audited(app):
    box = make_mailbox(today=TODAY)
    notices = RecordingNotices()
    access_links.send_access_link(box, notices=notices, actor="operator:7")
    assert notices.sent == [("access_link", box)]
    assert AuditEvent.get(AuditEvent.action == "mailbox.access_link_sent").target_id == box.id


def test_a_link_lands_on_the_renewal_in_season_and_on_gestione_pec_otherwise(app):
    convention = make_convention(reminder_offsets="60,30", restore_window_days=90)
    account = make_account(convention)
    assert access_links.wants_renewal(make_mailbox(account, 60, today=TODAY), TODAY)
    assert not access_links.wants_renewal(make_mailbox(account, 61, today=TODAY), TODAY)
    assert access_links.wants_renewal(make_mailbox(account, -10, today=TODAY), TODAY)  # deactivated
    assert not access_links.wants_renewal(make_mailbox(account, -91, today=TODAY), TODAY)  # ceased
    far = make_mailbox(account, 400, today=TODAY)
    make_order([far])
    assert access_links.wants_renewal(far, TODAY)  # its open order


def test_lifecycle_links_last_until_the_end_of_the_restore_window(app):
    convention = make_convention(restore_window_days=90)
    box = make_mailbox(make_account(convention), 20, today=TODAY)
    assert access_links.last_day(box, TODAY) == TODAY + dt.timedelta(days=30)
    assert access_links.last_day(box, TODAY, lifecycle=True) == TODAY + dt.timedelta(days=110)
    # A ceasing notice comes after the window: its link still lasts the usual 30 days.
    ceased = make_mailbox(make_account(convention), -100, today=TODAY)
    assert access_links.last_day(ceased, TODAY, lifecycle=True) == TODAY + dt.timedelta(days=30)
