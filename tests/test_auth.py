"""Area Clienti: both logins, wrong credentials, recovery, logout, language (docs/rules.md, member journey 2)."""

import re

import pytest

from pec.models import (
    Account,
    OutboxMessage,
    ResetToken,
)
from tests.conftest import csrf_token, make_app, page_without_typed_values


def test_login_page_is_italian_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="it">' in page
    assert "Area Clienti" in page and "Recupera dati di accesso" in page


def test_account_login_lists_its_three_mailboxes(member, demo):
    response = member.login("mario.rossi@example.org", "demo-password")
    assert response.status_code == 303 and response.location.endswith("/mailboxes/")
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    for address in ("mario.rossi@pec.demo.it", "studio.rossi@pec.demo.it", "m.rossi@pec.demo.it"):
        assert address in page
    assert "anna.bianchi@pec.demo.it" not in page


def test_pec_address_login_lists_only_that_mailbox(member, demo):
    response = member.login("anna.bianchi@pec.demo.it", "demo-password")
    assert response.status_code == 303
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert "anna.bianchi@pec.demo.it" in page
    assert "mario.rossi" not in page


def test_wrong_password_gets_a_message_and_keeps_the_login(member, demo):
    response = member.login("mario.rossi@example.org", "wrong")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Login o password non corretti." in page
    assert 'value="mario.rossi@example.org"' in page
    assert member.client.get("/mailboxes/").status_code == 303


def test_unknown_login_gets_the_same_message(member, demo):
    unknown = member.login("nobody@example.org", "whatever")
    wrong = member.login("mario.rossi@example.org", "whatever")
    assert unknown.status_code == wrong.status_code == 422
    assert page_without_typed_values(unknown) == page_without_typed_values(wrong)


def test_login_without_csrf_token_is_refused(client, demo):
    response = client.post(
        "/login", data={"identifier": "mario.rossi@example.org", "password": "demo-password"}
    )
    assert response.status_code == 400
    assert "La pagina è scaduta" in response.get_data(as_text=True)


def test_mailboxes_need_a_login(client):
    response = client.get("/mailboxes/")
    assert response.status_code == 303 and "/login?next=" in response.location


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(member, demo):
    ok = member.post(
        "/login",
        {
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "next": "/mailboxes/",
        },
    )
    assert ok.location.endswith("/mailboxes/")
    evil = member.post(
        "/login",
        {
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "next": "//evil.example/",
        },
    )
    assert evil.location.endswith("/mailboxes/")


def test_logout_ends_the_session_even_for_a_copied_cookie(app, member, demo):
    member.login()
    stolen = app.test_client()
    cookie = member.client.get_cookie("session")
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/mailboxes/").status_code == 200
    member.logout()
    assert member.client.get("/mailboxes/").status_code == 303
    assert stolen.get("/mailboxes/").status_code == 303


def test_recover_answers_the_same_and_mails_only_real_logins(member, demo):
    real = member.post("/recover", {"identifier": "mario.rossi@example.org"}, follow_redirects=True)
    fake = member.post("/recover", {"identifier": "nobody@example.org"}, follow_redirects=True)
    # The CSRF token is time-stamped: two pages a second apart differ only there.
    assert page_without_typed_values(real) == page_without_typed_values(fake)
    messages = list(OutboxMessage.select())
    assert len(messages) == 1
    assert messages[0].to_address == "mario.rossi@example.org"
    assert "https://portal.example.org/reset/" in messages[0].body_text
    assert ResetToken.select().count() == 1


def test_reset_link_sets_a_new_password_once(member, demo):
    member.post("/recover", {"identifier": "anna.bianchi@pec.demo.it"})
    message = OutboxMessage.get()
    assert message.to_address == "anna.bianchi@example.org"  # the reference e-mail, not the PEC
    path = re.search(r"https://portal\.example\.org(/reset/\S+)", message.body_text).group(1)
    assert member.client.get(path).status_code == 200
    short = member.post(path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "almeno 10 caratteri" in short.get_data(as_text=True)
    done = member.post(path, {"password": "a-brand-new-one", "confirm": "a-brand-new-one"})
    assert done.status_code == 303
    assert member.client.get(path).status_code == 410
    assert member.login("anna.bianchi@pec.demo.it", "a-brand-new-one").status_code == 303


def test_login_is_rate_limited(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/login", data={"identifier": "x@example.org", "password": "p", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [422] * 10
    assert codes[10:] == [429, 429]
    assert "Troppi tentativi" in client.post(
        "/login", data={"identifier": "x@example.org", "password": "p", "csrf_token": token}
    ).get_data(as_text=True)


def test_showing_the_login_page_is_never_counted_as_an_attempt(tmp_path):
    """The limits count sign-ins; a member who reloads the page twenty times can still
    sign in, and a member who was stopped still sees the page (with its message)."""
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    assert [client.get("/login").status_code for _ in range(20)] == [200] * 20
    token = csrf_token(client)
    wrong = {"identifier": "x@example.org", "password": "p", "csrf_token": token}
    codes = [client.post("/login", data=wrong).status_code for _ in range(11)]
    assert codes == [422] * 10 + [429]
    assert client.get("/login").status_code == 200


def test_the_limiters_hooks_run_for_a_form_sent_and_not_for_a_page_view(tmp_path):
    """Flask-Limiter's hooks keep their state on the request's context: a page view
    (pec.extensions.init_limiter skips them) leaves none, a sign-in sent does."""
    from flask.globals import request_ctx

    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client)
    with client:
        assert client.get("/privacy").status_code == 200
        assert not hasattr(request_ctx._get_current_object(), "_limiter_request_context")
    with client:
        wrong = {"identifier": "x@example.org", "password": "p", "csrf_token": token}
        assert client.post("/login", data=wrong).status_code == 422
        assert hasattr(request_ctx._get_current_object(), "_limiter_request_context")


def test_recover_is_rate_limited(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/recover", data={"identifier": f"u{i}@example.org", "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert codes[-1] == 429 and 429 not in codes[:10]


def test_english_is_selectable_and_sticks_to_the_account(member, demo):
    member.login()
    member.post("/language", {"lang": "en", "next": "/mailboxes/"})
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert '<html lang="en">' in page and "PEC management" in page
    assert Account.get(Account.login == "mario.rossi@example.org").language == "en"
    member.logout()
    member.client.delete_cookie("session")
    member.login()
    assert "PEC management" in member.client.get("/mailboxes/").get_data(as_text=True)


def test_reminder_link_prefills_the_address_and_the_account_password_opens_it(member, demo):
    """R7: the reminder's link is the login with the PEC address prefilled."""
    page = member.client.get("/login?login=mario.rossi@pec.demo.it&next=/mailboxes/")
    assert 'value="mario.rossi@pec.demo.it"' in page.get_data(as_text=True)
    response = member.post(
        "/login",
        {
            "identifier": "mario.rossi@pec.demo.it",
            "password": "demo-password",
            "next": "/mailboxes/",
        },
    )
    assert response.status_code == 303 and response.location.endswith("/mailboxes/")
    listing = member.client.get("/mailboxes/").get_data(as_text=True)
    assert listing.count('class="address"') == 3


# --- First access and recovery (R11) --------------------------------------------------------


def _mail_to(address):
    return (
        OutboxMessage.select()
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id.desc())
        .get()
    )


def _reset_path(message):
    return re.search(r"https://portal\.example\.org(/reset/\S+)", message.body_text).group(1)


def test_the_login_page_explains_both_ways_in(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Rinnova ora" in page and 'href="/first-access"' in page and "Primo accesso" in page


def test_first_access_sets_a_password_from_the_emailed_link(member, demo):
    """Anna's account was created without a password (as the roster does)."""
    assert Account.get(Account.login == "anna.bianchi@example.org").password_hash is None
    member.post("/first-access", {"identifier": "anna.bianchi@example.org"})
    message = _mail_to("anna.bianchi@example.org")
    assert message.subject == "Primo accesso al portale di rinnovo PEC"
    assert "Il tuo login è anna.bianchi@example.org" in message.body_text
    assert "entro 24 ore" in message.body_text
    assert "/links/" in message.body_text  # and the personal link, to renew at once
    path = _reset_path(message)
    page = member.client.get(path).get_data(as_text=True)
    assert "Primo accesso: scegli la tua password" in page and "anna.bianchi@example.org" in page
    done = member.post(path, {"password": "anna-first-password", "confirm": "anna-first-password"})
    assert done.status_code == 303 and done.location == "/login?login=anna.bianchi@example.org"
    assert "Password salvata" in member.client.get(done.location).get_data(as_text=True)
    assert member.login("anna.bianchi@example.org", "anna-first-password").status_code == 303
    assert member.client.get(path).status_code == 410  # single use


@pytest.mark.parametrize(
    "identifier", ["mario.rossi@example.org", "RSSMRA80A01H501U", "rssmra80a01h501u"]
)
def test_recovery_by_reference_email_or_codice_fiscale_tells_the_login(member, demo, identifier):
    response = member.post("/recover", {"identifier": identifier}, follow_redirects=True)
    assert response.status_code == 200
    message = _mail_to("mario.rossi@example.org")
    assert message.subject == "Recupero dati di accesso"
    assert "Il tuo login è mario.rossi@example.org" in message.body_text
    assert len(re.findall(r"/links/", message.body_text)) == 3  # one per mailbox


@pytest.mark.parametrize("url", ["/recover", "/first-access"])
def test_unknown_values_get_the_same_page(member, demo, url):
    pages = [
        page_without_typed_values(member.post(url, {"identifier": value}, follow_redirects=True))
        for value in (
            "mario.rossi@example.org",
            "RSSMRA80A01H501U",
            "nobody@example.org",
            "XXXXXX00X00X000X",
        )
    ]
    assert len(set(pages)) == 1
    assert OutboxMessage.select().count() == 2


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "/%2F/evil.example/",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "\x00//evil.example/",
    ],
)
def test_next_stays_on_this_site_after_normalisation(member, demo, target):
    response = member.post(
        "/login",
        {"identifier": "mario.rossi@example.org", "password": "demo-password", "next": target},
    )
    if "\x00" in target:  # refused whole by the request guard (no control characters)
        assert response.status_code == 400 and response.location is None
        return
    assert response.status_code == 303
    assert response.location == "/mailboxes/", response.location
    login_page = member.client.get("/login", query_string={"next": target})
    assert login_page.status_code == 200
    # The login form carries no such `next` on to the next request.
    assert not re.search(r'name="next" value="[^"/]*/*[^"]*evil', _login_form(login_page))


def _login_form(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index('action="/login"') :]


def test_a_local_next_keeps_its_query(member, demo):
    response = member.post(
        "/login",
        {
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "next": "/mailboxes/?a=1",
        },
    )
    assert response.location == "/mailboxes/?a=1"


def test_one_account_is_not_guessed_through_each_of_its_pec_addresses(tmp_path, today):
    from pec.database import db
    from pec.demo import load_demo

    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    with db.connection_context():
        load_demo(today)
    codes = []
    for i, identifier in enumerate(
        [
            "mario.rossi@example.org",
            "mario.rossi@pec.demo.it",
            "studio.rossi@pec.demo.it",
            "m.rossi@pec.demo.it",
        ]
        * 6
    ):
        # A new client address each time: only the per-account limit can stop this.
        client = app.test_client()
        token = csrf_token(client)
        codes.append(
            client.post(
                "/login",
                data={"identifier": identifier, "password": "guess", "csrf_token": token},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
            ).status_code
        )
    assert codes[:20] == [422] * 20 and codes[20:] == [429] * 4


def test_reset_links_for_one_account_are_capped_per_hour(member, demo):
    for identifier in [
        "mario.rossi@example.org",
        "mario.rossi@pec.demo.it",
        "RSSMRA80A01H501U",
    ] * 2:
        member.post("/recover", {"identifier": identifier})
    assert (
        OutboxMessage.select().where(OutboxMessage.to_address == "mario.rossi@example.org").count()
        == 3
    )


def test_recovery_answers_no_sooner_than_the_floor_found_or_not(app, member, demo):
    import time

    app.config["PEC_ACCESS_ANSWER_SECONDS"] = 0.3
    for identifier in ("mario.rossi@example.org", "nobody@example.org"):
        started = time.monotonic()
        member.post("/first-access", {"identifier": identifier})
        assert time.monotonic() - started >= 0.3, identifier
