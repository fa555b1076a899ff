"""Signing in with two factors: admins must, other operators may; codes and recovery
codes work once; wrong codes are audited and rate limited."""

import re

import pyotp

from pec.domain import two_factor
from pec.models import AuditEvent, Operator
from tests.conftest import OperatorActions, make_app, make_operator, totp_code


def password_step(operator, email="admin@example.org", password="admin-password"):
    return operator.post("/operators/login", {"email": email, "password": password})


def test_an_admin_needs_the_code_after_the_password(operator, demo):
    response = password_step(operator)
    assert response.location.endswith("/operators/login/code")
    assert operator.client.get("/operators/").status_code == 303  # not in yet
    wrong = operator.post("/operators/login/code", {"code": "000000"})
    assert wrong.status_code == 422
    assert "Codice non valido o già usato" in wrong.get_data(as_text=True)
    assert AuditEvent.get(AuditEvent.action == "operator.second_factor_failed")
    right = operator.post("/operators/login/code", {"code": totp_code("admin@example.org")})
    assert right.status_code == 303 and right.location.endswith("/operators/")
    assert operator.client.get("/operators/").status_code == 200
    login = AuditEvent.get(AuditEvent.action == "operator.login")
    assert login.details == {"second_factor": "totp"}


def test_a_code_cannot_be_used_twice(operator, demo):
    code = totp_code("admin@example.org")
    password_step(operator)
    assert operator.post("/operators/login/code", {"code": code}).status_code == 303
    operator.logout()
    password_step(operator)
    assert operator.post("/operators/login/code", {"code": code}).status_code == 422


def test_the_code_step_expires_and_needs_the_password_first(operator, demo):
    response = operator.client.get("/operators/login/code")
    assert response.status_code == 303 and response.location.endswith("/operators/login")


def test_an_admin_without_an_app_enrols_at_sign_in(operator, demo):
    make_operator("boss@example.org", "boss-password-long", role="operator")
    Operator.update(role="admin").where(Operator.email == "boss@example.org").execute()
    response = password_step(operator, "boss@example.org", "boss-password-long")
    assert response.location.endswith("/operators/login/enrol")
    page = operator.client.get("/operators/login/enrol").get_data(as_text=True)
    assert '<svg role="img" aria-label="Immagine QR' in page and "<path" in page
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret == Operator.get(Operator.email == "boss@example.org").totp_secret
    assert operator.post("/operators/login/enrol", {"code": "123456"}).status_code == 422
    done = operator.post("/operators/login/enrol", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    assert operator.client.get("/operators/").status_code == 200
    assert Operator.get(Operator.email == "boss@example.org").has_two_factor
    # A recovery code stands in for the app, once.
    operator.logout()
    password_step(operator, "boss@example.org", "boss-password-long")
    assert operator.post("/operators/login/code", {"code": codes[0]}).status_code == 303
    operator.logout()
    password_step(operator, "boss@example.org", "boss-password-long")
    assert operator.post("/operators/login/code", {"code": codes[0]}).status_code == 422


def test_an_operator_may_sign_in_with_the_password_alone_or_enrol(operator, demo):
    make_operator("clerk@example.org", "clerk-password", role="operator")
    response = password_step(operator, "clerk@example.org", "clerk-password")
    assert response.location.endswith("/operators/")
    page = operator.page("/operators/profile/two-factor")
    secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = operator.post("/operators/profile/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert "Codici di recupero" in done.get_data(as_text=True)
    operator.logout()
    assert password_step(operator, "clerk@example.org", "clerk-password").location.endswith(
        "/operators/login/code"
    )


def test_an_admin_promoted_while_signed_in_must_enrol_first(operator, demo):
    make_operator("clerk@example.org", "clerk-password", role="operator")
    password_step(operator, "clerk@example.org", "clerk-password")
    Operator.update(role="admin").where(Operator.email == "clerk@example.org").execute()
    response = operator.client.get("/operators/orders")
    assert response.status_code == 303 and response.location.endswith(
        "/operators/profile/two-factor"
    )
    assert operator.client.get("/operators/profile/two-factor").status_code == 200


def test_codes_are_rate_limited_per_operator(tmp_path, demo):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    with app.app_context():
        from pec.demo import load_demo

        load_demo(demo)
    operator = OperatorActions(app.test_client())
    password_step(operator)
    answers = [
        operator.post("/operators/login/code", {"code": "000000"}).status_code for _ in range(6)
    ]
    assert answers == [422] * 5 + [429]
    # The right code waits for the limit too: guessing is no faster than 5 a minute.
    with app.app_context():
        code = totp_code("admin@example.org")
    assert operator.post("/operators/login/code", {"code": code}).status_code == 429


def test_turning_it_off_is_for_operators_not_admins(operator, demo):
    operator.login()
    page = operator.page("/operators/profile")
    assert "obbligatoria" in page and "Disattiva la verifica" not in page
    response = operator.post("/operators/profile/two-factor/disable")
    assert response.status_code == 303
    assert Operator.get(Operator.email == "admin@example.org").has_two_factor
    codes = operator.post("/operators/profile/two-factor/codes").get_data(as_text=True)
    assert len(re.findall(r"<li>[a-z2-9]{5}-[a-z2-9]{5}</li>", codes)) == 10
    admin = Operator.get(Operator.email == "admin@example.org")
    assert two_factor.codes_left(admin) == 10
