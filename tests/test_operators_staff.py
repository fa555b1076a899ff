"""Operator accounts in the admins' screens: invite by e-mail, name and role, disable,
reset; the last admin stays; invitation links are for admins' eyes only."""

import re

from pec.models import AuditEvent, Operator, OutboxMessage
from tests.conftest import make_operator

LINK = re.compile(r"https://portal\.example\.org/operators/welcome/[\w-]+")


def invite(operator, **values):
    data = {"name": "Luca Neri", "email": "luca.neri@example.org", "role": "operator"}
    return operator.post("/operators/staff/invite", data | values)


def test_an_admin_invites_an_operator_who_chooses_a_password(operator, demo, client):
    operator.login()
    response = invite(operator)
    assert response.status_code == 303
    message = OutboxMessage.get(OutboxMessage.kind == "operator_invitation")
    assert message.to_address == "luca.neri@example.org"
    assert "Giulia Verdi ti invita nell'area operatori" in message.body_text
    assert 'href=""' not in message.body_html  # the footer's help and privacy links
    link = LINK.search(message.body_text).group(0)
    staff = operator.page("/operators/staff")
    assert "Luca Neri" in staff and "invitato, password da scegliere" in staff
    assert invite(operator).status_code == 422  # the same e-mail again
    assert invite(operator, email="not an e-mail").status_code == 422
    operator.logout()
    path = link.removeprefix("https://portal.example.org")
    assert "Scegli la tua password" in operator.page(path)
    short = operator.post(path, {"password": "corta", "confirm": "corta"})
    assert short.status_code == 422 and "almeno 12 caratteri" in short.get_data(as_text=True)
    done = operator.post(path, {"password": "tre parole lunghe", "confirm": "tre parole lunghe"})
    assert done.status_code == 303 and done.location.endswith("/operators/login")
    assert operator.client.get(path).status_code == 404  # used
    assert operator.login("luca.neri@example.org", "tre parole lunghe").location.endswith(
        "/operators/"
    )


def test_roles_disabling_and_the_last_admin(operator, demo):
    clerk = make_operator("clerk@example.org", "clerk-password", role="operator", name="Luca")
    admin = Operator.get(Operator.email == "admin@example.org")
    operator.login()
    demote_self = operator.post(
        f"/operators/staff/{admin.id}", {"name": "Giulia Verdi", "role": "operator"}
    )
    assert demote_self.status_code == 422
    assert "unico amministratore attivo" in demote_self.get_data(as_text=True)
    disable_self = operator.post(f"/operators/staff/{admin.id}/active", {"active": "0"})
    assert disable_self.status_code == 303
    assert Operator.get_by_id(admin.id).is_active
    promoted = operator.post(f"/operators/staff/{clerk.id}", {"name": "Luca Neri", "role": "admin"})
    assert promoted.status_code == 303 and Operator.get_by_id(clerk.id).role == "admin"
    assert operator.post(f"/operators/staff/{clerk.id}/active", {"active": "0"}).status_code == 303
    assert not Operator.get_by_id(clerk.id).is_active
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.target_type == "Operator")]
    assert "operator.updated" in actions and "operator.disabled" in actions
    page = operator.page("/operators/audit?kind=staff")
    assert "Giulia Verdi ha disattivato l&#39;account di Luca Neri." in page
    assert "Ruolo</dt><dd>operatore → amministratore" in page


def test_a_reset_sends_a_link_and_ends_the_old_password(operator, demo):
    clerk = make_operator("clerk@example.org", "clerk-password", role="operator")
    operator.login()
    operator.post(f"/operators/staff/{clerk.id}/reset-password")
    message = OutboxMessage.get(OutboxMessage.kind == "operator_password_reset")
    assert message.to_address == "clerk@example.org" and LINK.search(message.body_text)
    assert Operator.get_by_id(clerk.id).password_hash is None
    operator.post(f"/operators/staff/{admin_id()}/reset-two-factor")  # own: signs out
    assert not Operator.get(Operator.email == "admin@example.org").has_two_factor


def admin_id() -> int:
    return Operator.get(Operator.email == "admin@example.org").id


def test_operator_accounts_are_for_admins_and_their_links_hidden_from_others(operator, demo):
    make_operator("clerk@example.org", "clerk-password", role="operator")
    operator.login()
    invite(operator)
    message = OutboxMessage.get(OutboxMessage.kind == "operator_invitation")
    assert LINK.search(operator.page(f"/operators/outbox/{message.id}"))
    operator.logout()
    operator.login("clerk@example.org", "clerk-password")
    assert operator.client.get("/operators/staff").status_code == 403
    assert operator.client.get("/operators/staff/invite").status_code == 403
    page = operator.page(f"/operators/outbox/{message.id}")
    assert not LINK.search(page) and "lo vedono solo gli amministratori" in page
