import datetime as dt

from pec.domain import accounts, clock
from pec.models import Account, Mailbox
from tests.factories import PASSWORD, make_account, make_mailbox


def test_account_login_sees_all_its_mailboxes(app):
    account = make_account()
    make_mailbox(account)
    make_mailbox(account)
    make_mailbox()  # someone else's
    principal = accounts.authenticate(account.login, PASSWORD)
    assert principal == accounts.Principal("account", account.id)
    assert principal.mailboxes().count() == 2


def test_pec_address_login_sees_that_mailbox_only(app):
    account = make_account()
    box = make_mailbox(account, password="box-password")
    make_mailbox(account)
    principal = accounts.authenticate(box.address.upper() + " ", "box-password")
    assert principal == accounts.Principal("mailbox", box.id)
    assert [m.id for m in principal.mailboxes()] == [box.id]
    assert principal.account().id == account.id


def test_pec_address_with_the_account_password_opens_the_account(app):
    """The reminder's link prefills the PEC address; the holder knows the account password."""
    account = make_account()
    box = make_mailbox(account)  # no password of its own
    other = make_mailbox(account)
    principal = accounts.authenticate(box.address, PASSWORD)
    assert principal == accounts.Principal("account", account.id)
    assert {m.id for m in principal.mailboxes()} == {box.id, other.id}
    # Another holder's account password does not open this mailbox.
    stranger = make_account(password="stranger-password")
    assert accounts.authenticate(box.address, "stranger-password") is None
    assert stranger.id != account.id


def test_mailbox_password_wins_over_the_account_password_for_a_pec_address(app):
    account = make_account()
    box = make_mailbox(account, password="box-password")
    assert accounts.authenticate(box.address, "box-password") == accounts.Principal(
        "mailbox", box.id
    )
    assert accounts.authenticate(box.address, PASSWORD) == accounts.Principal("account", account.id)


def test_wrong_password_and_unknown_login_both_fail(app):
    account = make_account()
    assert accounts.authenticate(account.login, "wrong") is None
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None


def test_mailbox_without_its_own_password_cannot_log_in(app):
    box = make_mailbox()
    assert accounts.authenticate(box.address, "") is None


def test_reset_token_works_once(app):
    account = make_account()
    now = clock.now()
    raw, target = accounts.create_reset_token(account.login, now)
    assert target.id == account.id
    assert accounts.reset_password(raw, "a-new-password", now)
    assert not accounts.reset_password(raw, "another-password", now)
    assert accounts.authenticate(account.login, "a-new-password") is not None
    # The reset ends every open session.
    assert Account.get_by_id(account.id).session_epoch == account.session_epoch + 1


def test_reset_token_expires_after_an_hour(app):
    account = make_account()
    now = clock.now()
    raw, _ = accounts.create_reset_token(account.login, now)
    assert accounts.find_reset_token(raw, now + dt.timedelta(minutes=59)) is not None
    assert not accounts.reset_password(raw, "a-new-password", now + dt.timedelta(minutes=61))
    assert accounts.authenticate(account.login, PASSWORD) is not None


def test_reset_by_pec_address_changes_the_mailbox_password(app):
    box = make_mailbox(password="old-box-password")
    raw, target = accounts.create_reset_token(box.address, clock.now())
    assert isinstance(target, Mailbox)
    assert accounts.reset_password(raw, "new-box-password", clock.now())
    assert accounts.authenticate(box.address, "new-box-password") is not None


def test_unknown_login_gets_no_token(app):
    assert accounts.create_reset_token("nobody@example.org", clock.now()) is None


def test_stale_tokens_are_cleaned_up(app):
    account = make_account()
    now = clock.now()
    accounts.create_reset_token(account.login, now - dt.timedelta(days=3))
    accounts.create_reset_token(account.login, now)
    assert accounts.delete_stale_reset_tokens(now) == 1
