"""Operators sign in apart from members; everyone else is kept out (docs/rules.md, Operators and Qualities)."""

import re

import pytest

from pec.models import (
    AuditEvent,
    Mailbox,
    Operator,
)
from tests.conftest import csrf_token, make_app, make_operator, page_without_typed_values, totp_code

GET_PAGES = [
    "/operators/",
    "/operators/mailboxes",
    "/operators/mailboxes/1",
    "/operators/accounts/1/edit",
    "/operators/orders",
    "/operators/roster",
    "/operators/roster/export.csv",
    "/operators/domicilio",
    "/operators/domicilio.csv",
    "/operators/documents",
    "/operators/outbox",
    "/operators/jobs",
    "/operators/audit",
    "/operators/conventions",
    "/operators/conventions/1",
    "/operators/orders/1",
    "/operators/statements",
    "/operators/statements/" + "0" * 32,
    "/operators/jobs/tomorrow",
    "/operators/outbox/1",
]
POSTS = [
    "/operators/accounts/1/edit",
    "/operators/roster",
    "/operators/roster/imports/" + "0" * 32 + "/apply",
    "/operators/documents/1/verify",
    "/operators/documents/1/reject",
    "/operators/conventions/1",
    "/operators/conventions/1/contracts",
    "/operators/logout",
    "/operators/orders/1/payments",
    "/operators/orders/1/payments/1/reject",
    "/operators/orders/1/cancel",
    "/operators/statements",
    "/operators/statements/" + "0" * 32 + "/apply",
    "/operators/statements/" + "0" * 32 + "/lines/1/match",
    "/operators/outbox/1/retry",
    "/operators/outbox/retry-failed",
]


def test_operator_signs_in_and_sees_the_dashboard(operator, demo):
    response = operator.login()
    assert response.status_code == 303 and response.location.endswith("/operators/")
    page = operator.page("/operators/")
    assert "Riepilogo caselle" in page
    assert re.search(r'id="count-expiring">2<', page)
    assert 'href="/operators/mailboxes?status=deactivated"' in page
    assert AuditEvent.get(AuditEvent.action == "operator.login").actor.startswith("operator:")


def test_wrong_password_and_unknown_email_get_the_same_answer(operator, demo):
    wrong = operator.login("admin@example.org", "nope")
    unknown = operator.login("nobody@example.org", "nope")
    assert wrong.status_code == unknown.status_code == 422
    assert page_without_typed_values(wrong) == page_without_typed_values(unknown)
    assert "E-mail o password non corretti." in wrong.get_data(as_text=True)


def test_a_disabled_operator_cannot_sign_in(operator, demo):
    Operator.update(is_active=False).execute()
    assert operator.login().status_code == 422


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_visitors_are_sent_to_the_operators_login(client, demo, url):
    response = client.get(url)
    assert response.status_code == 303
    assert "/operators/login" in response.location


@pytest.mark.parametrize("url", GET_PAGES)
def test_a_signed_in_member_is_not_an_operator(member, demo, url):
    assert member.login().status_code == 303
    response = member.client.get(url)
    assert response.status_code == 303 and "/operators/login" in response.location
    assert member.client.get("/mailboxes/").status_code == 200  # still a member


@pytest.mark.parametrize("url", POSTS)
def test_posts_need_an_operator_and_a_csrf_token(operator, member, demo, url):
    member.login()
    as_member = member.post(url, {})
    assert as_member.status_code == 303 and "/operators/login" in as_member.location
    operator.login()
    without_token = operator.client.post(url, data={})
    assert without_token.status_code == 400
    assert "La pagina è scaduta" in without_token.get_data(as_text=True)


def test_an_operator_session_opens_no_member_pages(operator, demo):
    operator.login()
    assert operator.client.get("/mailboxes/").status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(app, operator, demo):
    operator.login()
    stolen = app.test_client()
    stolen.set_cookie("session", operator.client.get_cookie("session").value)
    assert stolen.get("/operators/").status_code == 200
    operator.logout()
    assert operator.client.get("/operators/").status_code == 303
    assert stolen.get("/operators/").status_code == 303


def test_login_goes_back_to_the_operators_page_asked_for_only(operator, demo):
    def sign_in(next_url):
        password = operator.post(
            "/operators/login",
            {"email": "admin@example.org", "password": "admin-password", "next": next_url},
        )
        assert password.location.endswith("/operators/login/code")
        return operator.post("/operators/login/code", {"code": totp_code("admin@example.org")})

    assert sign_in("/operators/jobs").location.endswith("/operators/jobs")
    assert sign_in("//evil.example/").location.endswith("/operators/")


def test_settings_are_for_admins_only(operator, demo):
    make_operator("clerk@example.org", "clerk-password", role="operator")
    operator.login("clerk@example.org", "clerk-password")
    assert operator.client.get("/operators/").status_code == 200
    response = operator.client.get("/operators/conventions/1")
    assert response.status_code == 403
    assert "riservata agli amministratori" in response.get_data(as_text=True)
    assert "/operators/conventions" not in operator.page("/operators/")


def test_operator_login_is_rate_limited(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/operators/login",
            data={"email": "x@example.org", "password": "p", "csrf_token": token},
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [422] * 10 and codes[10:] == [429, 429]


def test_unknown_records_are_404_not_500(operator, demo):
    operator.login()
    assert operator.client.get("/operators/mailboxes/999").status_code == 404
    assert operator.client.get("/operators/outbox/999").status_code == 404
    assert operator.client.get("/operators/roster/imports/../../etc").status_code == 404
    assert Mailbox.select().count() == 4
