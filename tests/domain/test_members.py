"""Members by hand: the roster's rules for a new holder, account and mailbox, and for
corrections of a mailbox."""

import datetime as dt

import pytest

from pec.domain import members
from pec.domain.billing import check_holder
from pec.models import Account, AuditEvent, Mailbox
from tests.factories import make_account, make_convention, make_mailbox

HOLDER = {
    "person_type": "person",
    "first_name": "Paola",
    "last_name": "Gialli",
    "fiscal_code": "GLLPLA80A41H501P",
    "reference_email": "paola.gialli@example.org",
}


def test_a_member_is_created_with_the_roster_rules_and_audited(app, today):
    holder, problems = check_holder(HOLDER)
    assert problems == {}
    box = members.create_member(
        make_convention(),
        holder,
        "paola.gialli@example.org",
        members.NewMailbox("paola.gialli@pec.test.it", today + dt.timedelta(days=30)),
        actor="operator:1",
    )
    account = Account.get(Account.login == "paola.gialli@example.org")
    assert box.account_id == account.id and account.password_hash is None
    assert account.display_name == "Paola Gialli" and account.fiscal_code == "GLLPLA80A41H501P"
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "member.created",
        "mailbox.created",
    ]


def test_the_holder_check_is_the_roster_one(app):
    _clean, problems = check_holder(
        dict(HOLDER, fiscal_code="GLLPLA80A41H501X", reference_email="x")
    )
    assert problems == {"fiscal_code": "checksum", "reference_email": "invalid"}


def test_addresses_and_logins_are_one_holders_each(app, today):
    other = make_mailbox(address="taken@pec.test.it")
    assert members.check_address("Taken@PEC.test.it") == (
        "taken@pec.test.it",
        members.ADDRESS_TAKEN,
    )
    assert members.check_address("not an address")[1] == members.ADDRESS_INVALID
    assert members.check_address("  New@PEC.test.it ") == ("new@pec.test.it", None)
    assert members.check_address(other.address, mailbox=other)[1] is None
    # A login that is another holder's PEC address would capture its recovery.
    assert members.check_login("taken@pec.test.it")[1] == members.LOGIN_TAKEN
    assert members.check_login(other.account.login)[1] == members.LOGIN_TAKEN
    assert members.check_login("two words")[1] == members.LOGIN_INVALID
    assert members.check_login("new@pec.test.it", address="new@pec.test.it")[1] is None
    # …and a PEC address that is another holder's login.
    assert members.check_address(other.account.login)[1] == members.ADDRESS_TAKEN


def test_a_later_expiry_starts_a_new_term(app, today):
    box = make_mailbox(expires_in=-5)
    Mailbox.update(deactivated_on=today - dt.timedelta(days=4)).where(
        Mailbox.id == box.id
    ).execute()
    box = Mailbox.get_by_id(box.id)
    changes = members.update_mailbox(
        box, address=box.address, expires_on=today + dt.timedelta(days=360), actor="operator:1"
    )
    assert changes == {"expires_on": today + dt.timedelta(days=360)}
    assert Mailbox.get_by_id(box.id).deactivated_on is None
    event = AuditEvent.get(AuditEvent.action == "mailbox.updated")
    assert event.details["before"] == {"expires_on": str(today - dt.timedelta(days=5))}
    assert (
        members.update_mailbox(box, address=box.address, expires_on=box.expires_on, actor="x") == {}
    )


def test_a_taken_address_is_refused_by_the_database_too(app, today):
    make_mailbox(address="taken@pec.test.it")
    with pytest.raises(members.MemberError) as refused:
        members.add_mailbox(
            make_account(), members.NewMailbox("taken@pec.test.it", today), actor="operator:1"
        )
    assert refused.value.problems == {"address": members.ADDRESS_TAKEN}
