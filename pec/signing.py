"""What every page would sign, check or set up anew, done once per worker (issue 16): the
session cookie's serializer, each cookie's reading, and each session's signed CSRF token.

Flask builds the cookie's serializer (its keys, salt, JSON tags and signer settings) on
every request, and again when the session changes: some 15 µs each time, for the same
object as long as the secret keys stay the same.

Flask also checks the cookie's signature and decodes it on every request (some 45 µs).
A browser sends the same cookie from page to page until the session changes (the idle
clock moves it at most once a minute, pec.sessions), so a worker keeps what each cookie
it accepted holds, by the cookie's exact text, and checks only its age again: a
cookie with one character changed is another text, checked in full. Only a session of
plain values (text, numbers) is kept, so that each request's copy of it is a session of
its own; one holding a list (the flashed messages) is read in full every time.

Flask-WTF signs the session's raw CSRF token anew on every page that shows a form (some
50 µs, with a new serializer each time). With WTF_CSRF_TIME_LIMIT None (pec/config.py) it
checks only that a token was signed with our key for the raw token the session holds,
not when: the token signed on the session's first page is as good on its last. So a page
shows the token this worker signed first for that raw token. A session's first form
starts its raw token and signs it as ever; from the next page on, its pages show the
token kept. A login starts a new session, with a new raw token, so a new signed token.
"""

import time

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

from pec.sessions import csrf_field
from pec.web import PUBLIC_FILES

# Signed tokens kept per worker: past this many sessions, the old ones are signed again.
KEPT_TOKENS = 10_000
# Cookies kept read per worker: past this many, the old ones are checked again.
KEPT_COOKIES = 10_000
# What a kept session's values may be: a copy of its dict shares nothing that can change.
PLAIN_VALUES = (str, int, float, bool, type(None))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the serializer built once per set of keys and
    each cookie read once per worker (see above)."""

    def __init__(self):
        self._serializers = {}
        self._read = {}  # cookie text → (when it was signed, what it holds)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers = {keys: serializer}  # a new key replaces the old
                self._read = {}  # and every cookie is checked again with the new one
        return serializer

    def open_session(self, app: Flask, request):
        """Flask's, with the cookies already read kept: a kept cookie still expires as
        itsdangerous would have it (signed more than the session's lifetime ago, or in
        the future)."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._read.get(cookie)
        if kept is not None and 0 <= int(time.time()) - kept[0] <= max_age:
            return self.session_class(kept[1])
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(type(value) in PLAIN_VALUES for value in data.values()):
            if len(self._read) >= KEPT_COOKIES:
                self._read = {}
            self._read[cookie] = (int(signed_at.timestamp()), data)
        return self.session_class(data)


def keep_csrf_token() -> None:
    """before_request: put in `g`, where Flask-WTF looks first (flask_wtf.csrf.
    generate_csrf), the token this worker signed for the session's raw token, signing
    it now if it has none. A page (GET) only: a form sent is checked, not signed."""
    if request.method not in ("GET", "HEAD") or request.endpoint in PUBLIC_FILES:
        return
    field = csrf_field()
    raw = session.get(field)
    if raw is None:  # no form shown yet: Flask-WTF starts the token when one is
        return
    tokens = current_app.extensions["pec.csrf_tokens"]
    key = (current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw)
    token = tokens.get(key)
    if token is None:
        if len(tokens) >= KEPT_TOKENS:
            tokens.clear()
        token = tokens[key] = generate_csrf()
    setattr(g, field, token)


def _page_token(field: str):
    """`csrf_token()` in templates: the token already on `g` for this request (kept by
    `keep_csrf_token`, or signed by an earlier call), else Flask-WTF's `generate_csrf`,
    which signs one (and starts the session's raw token if it has none). A page writes
    the token four to six times (the meta tag, the language and logout forms, its own
    forms): Flask-WTF's function reads two settings and `g` three times through proxies
    on every call, some 4 µs each time, for the same answer."""

    def csrf_token() -> str:
        token = g.get(field)
        return token if token is not None else generate_csrf()

    return csrf_token


def init_app(app: Flask) -> None:
    """After CSRFProtect's: its context processor gives templates `csrf_token`, and this
    one, later, gives them ours instead."""
    csrf_token = _page_token(csrf_field(app.config))
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.session_interface = CookieSessions()
    # Only while a token's age does not matter (see above): with a time limit, a kept
    # token would expire before the page that shows it.
    if app.config.get("WTF_CSRF_TIME_LIMIT") is None:
        app.extensions["pec.csrf_tokens"] = {}
        app.before_request(keep_csrf_token)
