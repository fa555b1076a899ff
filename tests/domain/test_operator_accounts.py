"""Operator accounts: invitations by single-use link, roles, disabling, resets, and the
last active admin that the portal never loses."""

import datetime as dt

import pytest

from pec.domain import operator_accounts as accounts
from pec.domain import operators, two_factor
from pec.models import AuditEvent, Operator, RecoveryCode
from pec.vocabulary import Role
from tests.conftest import make_operator

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


class Messages:
    def __init__(self):
        self.sent = []

    def invitation(self, operator, token, invited_by):
        self.sent.append(("invitation", operator.email, token, invited_by.email))

    def password_reset(self, operator, token, reset_by):
        self.sent.append(("password_reset", operator.email, token, reset_by.email))


def test_an_invited_operator_chooses_a_password_once(app):
    admin = make_operator()
    messages = Messages()
    clerk = accounts.invite(
        "Luca Neri", " Luca.Neri@Example.org ", Role.OPERATOR, by=admin, now=NOW, messages=messages
    )
    assert clerk.email == "luca.neri@example.org" and clerk.password_hash is None
    (_kind, _email, token, by) = messages.sent[0]
    assert by == admin.email
    assert operators.authenticate("luca.neri@example.org", "") is None
    assert accounts.find_link(token, NOW + dt.timedelta(days=2, hours=23)) is not None
    assert accounts.find_link(token, NOW + dt.timedelta(days=3, minutes=1)) is None
    assert accounts.set_password_from_link(token, "una password lunga", NOW) is not None
    assert accounts.set_password_from_link(token, "un'altra password", NOW) is None
    assert operators.authenticate("luca.neri@example.org", "una password lunga").id == clerk.id
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "operator.invited",
        "operator.password_set",
    ]
    with pytest.raises(accounts.OperatorExists):
        accounts.invite(
            "Altro", "luca.neri@example.org", Role.ADMIN, by=admin, now=NOW, messages=messages
        )


def test_the_last_active_admin_cannot_be_demoted_or_disabled(app):
    admin = make_operator()
    with pytest.raises(accounts.LastAdmin):
        accounts.update(admin, name="Giulia", role=Role.OPERATOR, by=admin)
    with pytest.raises(accounts.LastAdmin):
        accounts.set_active(admin, False, by=admin)
    other = make_operator("second@example.org", role="admin")
    assert accounts.update(admin, name="Giulia", role=Role.OPERATOR, by=other) == {
        "name": "Giulia",
        "role": Role.OPERATOR,
    }
    with pytest.raises(accounts.LastAdmin):
        accounts.set_active(other, False, by=other)
    assert Operator.get_by_id(other.id).is_active


def test_a_disabled_admin_does_not_count_as_the_one_left(app):
    admin = make_operator()
    other = make_operator("second@example.org", role="admin")
    accounts.set_active(other, False, by=admin)
    with pytest.raises(accounts.LastAdmin):
        accounts.update(admin, name="", role=Role.OPERATOR, by=admin)


def test_disabling_ends_every_session_and_sign_in(app):
    admin = make_operator()
    clerk = make_operator("clerk@example.org", "clerk-password", role="operator")
    epoch = clerk.session_epoch
    assert accounts.set_active(clerk, False, by=admin)
    assert not accounts.set_active(clerk, False, by=admin)  # nothing to change
    assert Operator.get_by_id(clerk.id).session_epoch == epoch + 1
    assert operators.authenticate("clerk@example.org", "clerk-password") is None


def test_a_reset_password_stops_working_until_the_link_is_used(app):
    admin = make_operator()
    clerk = make_operator("clerk@example.org", "clerk-password", role="operator")
    messages = Messages()
    accounts.reset_password(clerk, by=admin, now=NOW, messages=messages)
    assert operators.authenticate("clerk@example.org", "clerk-password") is None
    token = messages.sent[0][2]
    accounts.set_password_from_link(token, "nuova password sicura", NOW)
    assert operators.authenticate("clerk@example.org", "nuova password sicura") is not None


def test_a_new_link_cancels_the_older_one(app):
    admin = make_operator()
    clerk = make_operator("clerk@example.org", role="operator")
    messages = Messages()
    accounts.reset_password(clerk, by=admin, now=NOW, messages=messages)
    accounts.reset_password(clerk, by=admin, now=NOW, messages=messages)
    first, second = messages.sent[0][2], messages.sent[1][2]
    assert accounts.find_link(first, NOW) is None and accounts.find_link(second, NOW) is not None


def test_resetting_two_factor_removes_the_app_and_the_codes(app):
    admin = make_operator()
    other = make_operator("second@example.org", role="admin")
    RecoveryCode.create(operator=other, code_hash="x")
    epoch = other.session_epoch
    assert two_factor.reset(other, by=admin)
    after = Operator.get_by_id(other.id)
    assert not after.has_two_factor and RecoveryCode.select().count() == 0
    assert after.session_epoch == epoch + 1  # a stolen session ends with the lost phone
    assert not two_factor.reset(other, by=admin)
