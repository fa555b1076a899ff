"""Signing once per worker (pec.signing): a session's CSRF token and the cookie's
serializer stay the same from page to page, and still do their jobs."""

import re

import flask_wtf.csrf
import pytest
from itsdangerous import BadSignature

from tests.conftest import CSRF_RE, make_app


def token_on(response) -> str:
    assert response.status_code == 200
    return CSRF_RE.search(response.get_data(as_text=True)).group(1)


def test_a_session_shows_one_csrf_token_on_every_page_signed_once(member, demo, monkeypatch):
    member.login()
    member.client.get("/mailboxes/")  # starts the session's raw token, signed as ever
    first = token_on(member.client.get("/mailboxes/"))  # signed once more, and kept
    signed = []
    serializer = flask_wtf.csrf.URLSafeTimedSerializer

    def counted(*args, **kwargs):
        signed.append(args)
        return serializer(*args, **kwargs)

    monkeypatch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", counted)
    assert token_on(member.client.get("/mailboxes/")) == first
    assert token_on(member.client.get("/orders/")) == first
    assert token_on(member.client.get("/mailboxes/?page=1")) == first
    assert signed == []  # Flask-WTF was not asked to sign it again

    # The kept token still sends a form: the logout goes through.
    assert member.client.post("/logout", data={"csrf_token": first}).status_code == 303
    assert member.client.get("/mailboxes/").status_code == 303  # logged out


def test_a_new_login_gets_a_new_token_and_the_old_one_no_longer_sends_a_form(member, demo):
    member.login()
    before = token_on(member.client.get("/mailboxes/"))
    member.logout()
    member.login()
    after = token_on(member.client.get("/mailboxes/"))
    assert after != before
    refused = member.client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert member.client.get("/mailboxes/").status_code == 200  # still logged in


def test_two_sessions_get_their_own_tokens(app, demo):
    tokens = set()
    for _ in range(2):
        client = app.test_client()
        token = token_on(client.get("/login"))
        client.post(
            "/login",
            data={
                "identifier": "mario.rossi@example.org",
                "password": "demo-password",
                "csrf_token": token,
            },
        )
        tokens.add(token_on(client.get("/mailboxes/")))
    assert len(tokens) == 2


def test_the_cookie_serializer_is_built_once_per_secret_key(app):
    sessions = app.session_interface
    first = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is first
    cookie = first.dumps({"member_id": 1})

    app.secret_key = "another-secret"
    second = sessions.get_signing_serializer(app)
    assert second is not first
    with pytest.raises(BadSignature):
        second.loads(cookie)

    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret"]
    with_fallback = sessions.get_signing_serializer(app)
    assert with_fallback.loads(cookie) == {"member_id": 1}  # a rotated key still reads


def test_no_token_is_kept_when_tokens_expire(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_TIME_LIMIT=3600)
    assert "pec.csrf_tokens" not in app.extensions


def test_the_kept_login_page_shows_the_visitors_kept_token(app, demo):
    """The login page is kept rendered for every visitor (pec.page_cache) with a
    placeholder for the token: each visitor still gets their own, the kept one."""
    client = app.test_client()
    client.get("/login")  # starts the raw token
    kept = token_on(client.get("/login"))
    assert token_on(client.get("/login")) == kept
    other = app.test_client()
    other.get("/login")
    assert token_on(other.get("/login")) != kept
    signed_in = client.post(
        "/login",
        data={
            "identifier": "mario.rossi@example.org",
            "password": "demo-password",
            "csrf_token": kept,
        },
    )
    assert signed_in.status_code == 303 and "/mailboxes" in signed_in.location


def test_static_files_and_the_logo_do_not_vary_with_the_cookie(member, demo):
    """Files every visitor gets alike, cached for a year, must not read the session
    (Flask would add "Vary: Cookie", and a browser would fetch them again whenever its
    cookie changed), with or without a signed-in session."""
    page = member.client.get("/login").get_data(as_text=True)
    files = re.findall(r'(?:href|src)="(/(?:static|logo)/[^"]+)"', page)
    assert any(f.startswith("/logo/") for f in files) and any("app.css" in f for f in files)
    for signed_in in (False, True):
        if signed_in:
            member.login()
            member.client.get("/mailboxes/")  # the session now holds a raw CSRF token
        for url in files:
            response = member.client.get(url, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, url
            assert "Cookie" not in response.headers.get("Vary", ""), (url, signed_in)
            response.close()


def test_a_session_started_during_a_page_gets_a_token_of_its_own(app, demo):
    """A page that starts a new session after pec.signing put the old session's token in
    `g` (no GET view does today: a personal link redirects first) shows a token that the
    new session accepts."""
    from flask import session
    from flask_wtf.csrf import generate_csrf, validate_csrf

    from pec.sessions import SessionSlot
    from pec.signing import keep_csrf_token

    with app.test_request_context("/mailboxes/"):
        session["csrf_token"] = "a-raw-token-of-the-old-session"
        keep_csrf_token()
        old = generate_csrf()
        SessionSlot("member").start(1, 0)
        token = generate_csrf()
        assert token != old
        validate_csrf(token)  # raises if the new session would refuse it


def test_templates_write_the_requests_token_asking_flask_wtf_at_most_once(app, monkeypatch):
    """`csrf_token()` in templates is pec.signing's: the token already on `g` (what
    Flask-WTF's `generate_csrf` would answer), Flask-WTF asked only when there is none
    yet, and then once for the whole page."""
    from flask import g, render_template_string

    import pec.signing

    asked = []
    generate = pec.signing.generate_csrf

    def counted():
        asked.append(1)
        return generate()

    monkeypatch.setattr(pec.signing, "generate_csrf", counted)
    page = "{{ csrf_token() }} {{ csrf_token() }} {{ csrf_token() }}"
    with app.test_request_context("/login"):
        fresh = render_template_string(page).split()  # a new session: no token yet
        assert len(asked) == 1 and len(set(fresh)) == 1
        assert fresh[0] == g.csrf_token == flask_wtf.csrf.generate_csrf()
        asked.clear()
        again = render_template_string(page).split()
        assert asked == [] and again == fresh


def _opened(app, cookie: str):
    """The session a request with this cookie opens."""
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}) as ctx:
        return ctx.session


def _counting_reads(app, monkeypatch) -> list:
    """The cookies the serializer is asked to check from now on."""
    serializer = app.session_interface.get_signing_serializer(app)
    checked = []
    loads = serializer.loads

    def counted(cookie, *args, **kwargs):
        checked.append(cookie)
        return loads(cookie, *args, **kwargs)

    monkeypatch.setattr(serializer, "loads", counted)
    return checked


def test_a_cookie_is_checked_once_per_worker_and_each_request_gets_its_own_session(
    app, monkeypatch
):
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"member_id": "account:1", "lang": "it"}
    )
    checked = _counting_reads(app, monkeypatch)
    first = _opened(app, cookie)
    first["lang"] = "en"  # a request changing its session changes only its own
    second = _opened(app, cookie)
    assert checked == [cookie]
    assert dict(second) == {"member_id": "account:1", "lang": "it"}
    assert second is not first and not second.modified

    # One character changed is another cookie, checked in full, and refused.
    tampered = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    assert dict(_opened(app, tampered)) == {}
    assert checked == [cookie, tampered]


def test_a_kept_cookie_still_expires_with_the_sessions_lifetime(app, monkeypatch):
    import pec.signing

    cookie = app.session_interface.get_signing_serializer(app).dumps({"member_id": 1})
    assert dict(_opened(app, cookie)) == {"member_id": 1}
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    now = pec.signing.time.time()
    monkeypatch.setattr(pec.signing.time, "time", lambda: now + lifetime + 2)
    assert dict(_opened(app, cookie)) == {}
    monkeypatch.setattr(pec.signing.time, "time", lambda: now - 60)  # signed "in the future"
    assert dict(_opened(app, cookie)) == {}


def test_a_cookie_kept_under_a_retired_key_is_checked_again(app):
    cookie = app.session_interface.get_signing_serializer(app).dumps({"member_id": 1})
    assert dict(_opened(app, cookie)) == {"member_id": 1}
    app.secret_key = "another-secret"  # the old key retired, with no fallback
    assert dict(_opened(app, cookie)) == {}


def test_a_session_holding_a_list_is_read_in_full_every_time(app, monkeypatch):
    """The flashed messages are a list, which a request changes in place: a kept copy
    would share it with the next request."""
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_flashes": [("message", "Salvato")]}
    )
    checked = _counting_reads(app, monkeypatch)
    _opened(app, cookie)["_flashes"].clear()
    assert _opened(app, cookie)["_flashes"] == [("message", "Salvato")]
    assert checked == [cookie, cookie]
