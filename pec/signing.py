"""What every page would sign or set up anew, done once per worker (issue 16): the session
cookie's serializer, and each session's signed CSRF token.

Flask builds the cookie's serializer (its keys, salt, JSON tags and signer settings) on
every request, and again when the session changes: some 15 µs each time, for the same
object as long as the secret keys stay the same.

Flask-WTF signs the session's raw CSRF token anew on every page that shows a form (some
50 µs, with a new serializer each time). With WTF_CSRF_TIME_LIMIT None (pec/config.py) it
checks only that a token was signed with our key for the raw token the session holds,
not when: the token signed on the session's first page is as good on its last. So a page
shows the token this worker signed first for that raw token. A session's first form
starts its raw token and signs it as ever; from the next page on, its pages show the
token kept. A login starts a new session, with a new raw token, so a new signed token.
"""

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf

from pec.sessions import csrf_field
from pec.web import PUBLIC_FILES

# Signed tokens kept per worker: past this many sessions, the old ones are signed again.
KEPT_TOKENS = 10_000


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the serializer built once per set of keys."""

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers = {keys: serializer}  # a new key replaces the old
        return serializer


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
