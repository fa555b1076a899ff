"""Private answers stay private, HTTPS is remembered, and behind a trusted proxy each
client is itself: for the login rate limit and for the evidence IP of R10."""

import pytest

from pec.domain.documents import store_document
from pec.models import Account, ContractAcceptance, Mailbox
from tests.conftest import (
    MemberActions,
    OperatorActions,
    WizardActions,
    csrf_token,
    make_app,
    make_operator,
)

PDF = b"%PDF-1.4\n% a tiny test document\n"


def _private(response):
    cache = response.headers.get("Cache-Control", "")
    assert {p.strip() for p in cache.split(",")} == {"private", "no-store"}, cache
    assert "Expires" not in response.headers
    assert "public" not in cache and "max-age" not in cache


def test_identity_documents_are_private_and_not_stored_for_member_and_operator(app, member, demo):
    with app.app_context():
        account = Account.get(Account.login == "mario.rossi@example.org")
        document = store_document(account, "id.pdf", PDF, app.config["PEC_DOCUMENTS_DIR"], 10**6)
        make_operator()
    member.login()
    response = member.client.get(f"/mailboxes/document/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    _private(response)
    response.close()

    operator = OperatorActions(app.test_client())
    operator.login()
    response = operator.client.get(f"/operators/documents/{document.id}/file")
    assert response.status_code == 200 and response.data == PDF
    _private(response)
    response.close()


def test_pages_are_private_and_fingerprinted_static_files_are_cached_for_a_year(member, demo):
    member.login()
    _private(member.client.get("/mailboxes/"))
    _private(member.client.get("/login"))
    static = member.client.get("/static/app.css?v=1")
    assert "max-age=31536000" in static.headers["Cache-Control"]
    static.close()


def test_hsts_only_when_the_base_url_is_https(tmp_path):
    secure = make_app(tmp_path / "a", PEC_BASE_URL="https://pec.example.org")
    assert secure.test_client().get("/login").headers["Strict-Transport-Security"] == (
        "max-age=31536000"
    )
    plain = make_app(tmp_path / "b", PEC_BASE_URL="http://127.0.0.1:5000")
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers


def _wrong_logins(client, count, ip):
    token = csrf_token(client)
    return [
        client.post(
            "/login",
            data={"identifier": f"guess{i}@example.org", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": ip},
        ).status_code
        for i in range(count)
    ]


def test_behind_a_trusted_proxy_one_attacker_does_not_lock_out_the_members(tmp_path, today):
    from pec.demo import load_demo

    app = make_app(tmp_path, RATELIMIT_ENABLED=True, PEC_TRUSTED_PROXIES=1)
    with app.app_context():
        load_demo(today)
    assert _wrong_logins(app.test_client(), 12, "203.0.113.9")[-2:] == [429, 429]
    member = MemberActions(app.test_client())
    token = csrf_token(member.client)
    response = member.client.post(
        "/login",
        data={
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "csrf_token": token,
        },
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status_code == 303


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/login",
            data={"identifier": "x@example.org", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},  # a forged address each time
        ).status_code
        for i in range(12)
    ]
    assert codes[-2:] == [429, 429]


@pytest.mark.parametrize("proxies, expected", [(1, "198.51.100.7"), (0, "127.0.0.1")])
def test_contract_acceptance_keeps_the_clients_address_from_the_trusted_proxy(
    tmp_path, today, proxies, expected
):
    from pec.demo import load_demo

    app = make_app(tmp_path, PEC_TRUSTED_PROXIES=proxies)
    with app.app_context():
        load_demo(today)
        mailbox = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    member = MemberActions(client)
    assert member.login(mailbox.address, "demo-password").status_code == 303
    wizard = WizardActions(member)
    order_id = wizard.start(mailbox)
    assert wizard.accept_contracts(order_id).status_code == 303
    with app.app_context():
        ips = {a.ip for a in ContractAcceptance.select()}
    assert len(ips) == 1 and ips == {expected}
