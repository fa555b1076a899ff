"""Idle and absolute session timeouts, for members and operators alike (docs/rules.md, Qualities)."""

import time

import pytest


def age(client, key, seconds):
    """Pretend the session's `key` stamp was written `seconds` ago."""
    with client.session_transaction() as session:
        session[key] = int(time.time()) - seconds


@pytest.mark.parametrize(
    "key,seconds,still_in",
    [
        ("member_seen", 29 * 60, True),
        ("member_seen", 31 * 60, False),
        ("member_started", 11 * 3600, True),
        ("member_started", 13 * 3600, False),
    ],
)
def test_member_session_times_out(member, demo, key, seconds, still_in):
    member.login()
    age(member.client, key, seconds)
    response = member.client.get("/mailboxes/")
    assert (response.status_code == 200) is still_in
    if not still_in:
        assert "/login" in response.location


@pytest.mark.parametrize(
    "key,seconds,still_in",
    [
        ("operator_seen", 31 * 60, False),
        ("operator_started", 13 * 3600, False),
        ("operator_seen", 60, True),
    ],
)
def test_operator_session_times_out(operator, demo, key, seconds, still_in):
    operator.login()
    age(operator.client, key, seconds)
    response = operator.client.get("/operators/")
    assert (response.status_code == 200) is still_in


def test_activity_keeps_a_member_session_alive(member, demo):
    member.login()
    age(member.client, "member_seen", 20 * 60)
    assert member.client.get("/mailboxes/").status_code == 200
    with member.client.session_transaction() as session:
        assert int(time.time()) - session["member_seen"] < 5


def test_the_cookie_is_signed_again_at_most_once_a_minute(member, demo):
    """Each page moves the idle clock, but only to the minute: a member clicking through
    the wizard is not sent a new cookie with every answer."""
    member.login()
    member.client.get("/mailboxes/")  # the first page stores the session's CSRF secret
    age(member.client, "member_seen", 30)
    assert "Set-Cookie" not in member.client.get("/mailboxes/").headers
    age(member.client, "member_seen", 61)
    assert "Set-Cookie" in member.client.get("/mailboxes/").headers
    with member.client.session_transaction() as session:
        assert int(time.time()) - session["member_seen"] < 5
    assert "Set-Cookie" not in member.client.get("/mailboxes/").headers


def test_a_deactivated_operator_is_signed_out_at_once(operator, demo):
    from pec.database import db
    from pec.models import Operator

    operator.login()
    with db.connection_context():
        Operator.update(is_active=False).execute()
    assert operator.client.get("/operators/").status_code == 303
