import datetime as dt

import pytest

from pec.domain import accounts, clock, passwords
from pec.models import Account, ResetToken
from tests.factories import PASSWORD, make_account, make_mailbox
from tests.notices import RecordingNotices


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


def issue(identifier, now=None):
    """Ask for access as a member would; returns the raw tokens e-mailed."""
    notices = RecordingNotices()
    accounts.request_access(identifier, now or clock.now(), notices=notices)
    return [token for _kind, _account, _mailbox, token in notices.sent]


def test_reset_token_works_once(app):
    account = make_account()
    now = clock.now()
    [raw] = issue(account.login, now)
    assert accounts.reset_password(raw, "a-new-password", now).id == account.id
    assert accounts.reset_password(raw, "another-password", now) is None
    assert accounts.authenticate(account.login, "a-new-password") is not None
    # The reset ends every open session and every personal link (R11).
    changed = Account.get_by_id(account.id)
    assert changed.session_epoch == account.session_epoch + 1
    assert changed.access_epoch == account.access_epoch + 1


def test_reset_token_expires_after_an_hour(app):
    account = make_account()
    now = clock.now()
    [raw] = issue(account.login, now)
    assert accounts.find_reset_token(raw, now + dt.timedelta(minutes=59)) is not None
    assert accounts.reset_password(raw, "a-new-password", now + dt.timedelta(minutes=61)) is None
    assert accounts.authenticate(account.login, PASSWORD) is not None


def test_a_first_access_link_lasts_a_day(app):
    account = make_account(password=None)
    now = clock.now()
    [raw] = issue(account.login, now)
    assert accounts.find_reset_token(raw, now + dt.timedelta(hours=23)) is not None
    assert accounts.find_reset_token(raw, now + dt.timedelta(hours=25)) is None
    assert accounts.reset_password(raw, "my-first-password", now).password_hash
    assert accounts.authenticate(account.login, "my-first-password") is not None


def test_reset_by_pec_address_changes_the_mailbox_password(app):
    box = make_mailbox(password="old-box-password")
    [raw] = issue(box.address)
    assert accounts.find_reset_token(raw, clock.now()).mailbox_id == box.id
    assert accounts.reset_password(raw, "new-box-password", clock.now())
    assert accounts.authenticate(box.address, "new-box-password") == accounts.Principal(
        "mailbox", box.id
    )


def test_a_pec_address_without_its_own_password_sets_the_accounts(app):
    account = make_account(password=None)
    box = make_mailbox(account)
    [raw] = issue(box.address)
    assert accounts.find_reset_token(raw, clock.now()).mailbox_id is None
    accounts.reset_password(raw, "the-account-password", clock.now())
    assert accounts.authenticate(box.address, "the-account-password") == accounts.Principal(
        "account", account.id
    )


@pytest.mark.parametrize(
    "typed",
    ["login", "reference_email", "fiscal_code", "fiscal_code_lower", "pec"],
)
def test_recovery_accepts_every_identifier_of_the_holder(app, typed):
    account = make_account(
        login="m.rossi", reference_email="Mario.Rossi@Example.org", fiscal_code="RSSMRA80A01H501U"
    )
    box = make_mailbox(account)
    identifier = {
        "login": "M.Rossi ",
        "reference_email": "Mario.Rossi@Example.org",
        "fiscal_code": "RSSMRA80A01H501U",
        "fiscal_code_lower": "rssmra80a01h501u",
        "pec": box.address,
    }[typed]
    notices = RecordingNotices()
    accounts.request_access(identifier, clock.now(), notices=notices)
    assert [(kind, a.id, m) for kind, a, m, _token in notices.sent] == [
        ("password_reset", account.id, None)
    ]


def test_unknown_or_hostile_identifiers_get_no_token(app):
    make_account()
    for identifier in ("nobody@example.org", "", "x\x00y", "a" * 300, "RSSMRA80A01\nH501U"):
        assert issue(identifier) == [], identifier
    assert ResetToken.select().count() == 0


def test_a_used_link_ends_the_others(app):
    account = make_account()
    now = clock.now()
    first = issue(account.login, now)[0]
    second = issue(account.login, now)[0]
    assert accounts.reset_password(first, "a-new-password", now)
    assert accounts.find_reset_token(second, now) is None
    assert accounts.reset_password(second, "an-attackers-password", now) is None
    assert accounts.authenticate(account.login, "a-new-password") is not None


def test_revoked_links_end_the_reset_links_too(app):
    from pec.domain import access_links

    account = make_account()
    [raw] = issue(account.login)
    access_links.revoke_links(account, actor="operator:1")
    assert accounts.find_reset_token(raw, clock.now()) is None


def test_reset_emails_are_capped_per_account_per_hour(app):
    account = make_account(reference_email="holder@example.org", fiscal_code="RSSMRA80A01H501U")
    box = make_mailbox(account)
    now = clock.now()
    sent = [
        issue(identifier, now)
        for identifier in (account.login, box.address, "holder@example.org", "RSSMRA80A01H501U")
    ]
    assert [len(s) for s in sent] == [1, 1, 1, 0]
    assert len(issue(account.login, now + dt.timedelta(minutes=61))) == 1


def test_login_does_the_same_work_for_any_identifier(app, monkeypatch):
    """No enumeration by timing: always two hash verifications, found or not."""
    account = make_account()
    box = make_mailbox(account, password="box-password")
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(
        passwords, "verify_password", lambda h, p: calls.append(h is not None) or real(h, p)
    )
    for identifier in (account.login, box.address, "nobody@example.org", "x\x00"):
        calls.clear()
        accounts.authenticate(identifier, "wrong password")
        assert len(calls) == accounts.VERIFICATIONS_PER_LOGIN, identifier


def test_rate_limits_count_an_account_once_through_its_addresses(app):
    account = make_account()
    boxes = [make_mailbox(account) for _ in range(3)]
    keys = {accounts.holder_key(i) for i in (account.login, *(b.address for b in boxes))}
    assert keys == {f"account:{account.id}"}
    assert accounts.holder_key("Nobody@Example.org ") == "id:nobody@example.org"
    assert accounts.holder_key(account.fiscal_code, wide=True) == f"account:{account.id}"


def test_stale_tokens_are_cleaned_up(app):
    account = make_account()
    now = clock.now()
    issue(account.login, now - dt.timedelta(days=3))
    issue(account.login, now)
    assert accounts.delete_stale_reset_tokens(now) == 1
