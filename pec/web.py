"""What every response shares: security headers, fingerprinted static files,
template filters, friendly error pages (no 500 page shows a stack trace), and which
proxy in front of us is trusted for the client's address."""

import datetime as dt
import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from zlib_ng import gzip_ng

from pec.auth.session import keep_typed_form
from pec.domain import money
from pec.extensions import htmx
from pec.language import current_language

# No inline script or style anywhere; htmx is configured through a <meta> tag (docs/stack-notes.md).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Every page and file but the fingerprinted static assets is someone's own (a mailbox,
# an order, an identity document): no shared cache may keep it, nor the browser's disk.
PRIVATE = "private, no-store"
# URLs that name their content's hash: the same URL is always the same bytes, public,
# so these keep the year-long cache their view sets (every other answer is private).
CONTENT_ADDRESSED = {"pages.logo"}
# Files every visitor gets alike, cached by browsers for a year: nothing may read the
# session for them, or Flask would add "Vary: Cookie" and a browser would fetch them
# again each time its cookie changed (pec.signing).
PUBLIC_FILES = frozenset({"static", *CONTENT_ADDRESSED})
HSTS = "max-age=31536000"


@lru_cache(maxsize=64)
def _fingerprint(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """A cache-busting URL for a static file, safe to cache for a year.

    Built once per file and site root (every page links the same four files; building
    a URL costs more than the rest of this function)."""
    key = (filename, request.script_root if request else "")
    urls = current_app.extensions.setdefault("pec_static_urls", {})
    url = urls.get(key)
    if url is None:
        path = Path(current_app.static_folder) / filename
        url = urls[key] = url_for("static", filename=filename, v=_fingerprint(str(path)))
    return url


# Dates go through Flask-Babel (Europe/Rome, the app's BABEL_DEFAULT_TIMEZONE). A list of
# mailboxes shows two dates per row and Babel's patterns cost ~30 µs each, so a calendar
# date's text is kept: the same expiry dates recur on every page. The pattern is all
# digits, which Babel writes alike in every locale, so the text is kept per date alone
# (a pattern with a month's name would need the language in the key).
DATE_PATTERN = "dd/MM/yyyy"


@lru_cache(maxsize=4096)
def _calendar_date(value: dt.date) -> str:
    return babel_format_date(value, DATE_PATTERN)


def format_date(value) -> str:
    """GG/MM/AAAA in every language; an instant is first moved to Europe/Rome (an order
    confirmed at 00:30 in Rome is dated that day, not the UTC day before)."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        return babel_format_date(value, DATE_PATTERN)
    return _calendar_date(value)


def format_datetime(value) -> str:
    """GG/MM/AAAA HH:MM of an instant, in Europe/Rome."""
    return babel_format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""


# Every text answer is gzipped here, whatever its status (a refused form, 422, is a whole
# page too): a small install may have no proxy in front, and the size budgets
# (docs/rules.md, Qualities) are compressed sizes. The types Flask-Compress, which did
# this before, gzips by default.
GZIP_MIMETYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/xml",
        "text/javascript",
        "application/javascript",
        "application/json",
    }
)
GZIP_MIN_SIZE = 256
# Pages change with every answer and are gzipped each time, by zlib-ng at level 4: the
# same size as the standard library's zlib at 4 in 40-50 % of its time (the 300-mailbox
# list: 3,784 bytes in 59 µs instead of 148), which was the largest single cost of a long
# page; zlib's default 6 would add a third again for 1-2 % fewer bytes.
PAGE_GZIP_LEVEL = 4
# Our few static files are the same bytes for the life of a worker (a new version is a
# new URL, static_url): each is gzipped once, at the highest level of the standard
# library's zlib (a few bytes smaller than zlib-ng's), and kept by its ETag.
STATIC_GZIP_LEVEL = 9
_gzipped_static: dict[str, bytes] = {}


def _gzip(response):
    """after_request: every answer varies on Accept-Encoding; a text answer goes out
    gzipped to a client that takes gzip."""
    response.vary.add("Accept-Encoding")
    if request.endpoint == "static":
        _gzip_static(response)
    else:
        _gzip_page(response)
    return response


def _gzip_page(response) -> None:
    """A page's (or any other text answer's) body gzipped now, if it has one worth it."""
    if (
        response.status_code < 200
        or response.status_code in (204, 304)
        or response.is_streamed  # a file sent as it is read (documents, exports)
        or "Content-Encoding" in response.headers
        or not _takes_gzip(response)
    ):
        return
    data = response.get_data()
    if len(data) >= GZIP_MIN_SIZE:
        response.set_data(gzip_ng.compress(data, PAGE_GZIP_LEVEL))
        response.headers["Content-Encoding"] = "gzip"


def _gzip_static(response) -> None:
    """A static file's answer gzipped as kept (or now, then kept), when the client
    takes gzip. Buffered either way: a streamed file would go out uncompressed."""
    response.direct_passthrough = False
    response.make_sequence()
    if response.status_code != 200 or not _takes_gzip(response):
        return
    etag, weak = response.get_etag()
    data = _gzipped_static.get(etag) if etag else None
    if data is None:
        data = gzip.compress(response.get_data(), compresslevel=STATIC_GZIP_LEVEL, mtime=0)
        if etag:
            _gzipped_static[etag] = data
    response.set_data(data)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        # The gzipped bytes are another representation (as Flask-Compress marked them):
        # a browser revalidating it (If-None-Match with that ETag) gets a 304 (send_file
        # compared the ETag of the plain file).
        response.set_etag(f"{etag}:gzip", weak=weak)
        response.make_conditional(request)


def _takes_gzip(response) -> bool:
    """A text answer to a client that takes gzip."""
    return response.mimetype in GZIP_MIMETYPES and request.accept_encodings["gzip"]


def _from_this_site() -> bool:
    """A request sent by one of our own pages (the browser says so in Sec-Fetch-Site
    or Origin)."""
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    origin = request.headers.get("Origin")
    return bool(origin) and origin == request.host_url.rstrip("/")


def trust_proxies(app: Flask) -> None:
    """Behind PEC_TRUSTED_PROXIES reverse proxies (nginx, Caddy: see deploy/), take the
    client's address, scheme and host from their X-Forwarded-For/-Proto/-Host headers,
    so the login rate limit counts each client apart and contract acceptances keep the
    member's address as evidence (R10), not the proxy's. With 0 (the default) those
    headers are ignored: a client could write anything in them."""
    hops = int(app.config.get("PEC_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_app(app: Flask) -> None:
    from pec import form_rendering, labels, template_gettext, vocabulary

    template_gettext.install(app)  # after Flask-Babel's own
    form_rendering.install()

    from pec.links import external_url

    app.jinja_env.globals.update(
        static_url=static_url,
        external_url=external_url,
        field=form_rendering.field,
        radios=form_rendering.radios,
        current_language=current_language,
        status_labels=labels.STATUS_LABELS,
        method_labels=labels.PAYMENT_METHOD_LABELS,
        person_type_labels=labels.PERSON_TYPE_LABELS,
        # Templates compare with the vocabulary, never with a string literal: a typo in
        # `OrderStatus.PAYED` fails loudly, one in "payed" would be silently false.
        **vocabulary.FOR_TEMPLATES,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        eur=lambda cents: money.format_eur(cents, current_language()),
        rate=lambda bp: money.format_rate(bp, current_language()),
    )

    trust_proxies(app)
    https = str(app.config.get("PEC_BASE_URL", "")).startswith("https://")

    @app.after_request
    def _headers(response):
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Not no-referrer: Flask-WTF checks the Referer over HTTPS (docs/stack-notes.md).
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.endpoint not in PUBLIC_FILES:
            # Set, not defaulted: send_file marks files public for a year (the static
            # files' setting), and identity documents are files too.
            response.headers["Cache-Control"] = PRIVATE
            response.headers.pop("Expires", None)
        return response

    app.after_request(_gzip)

    def _error(template, status, **context):
        return render_template(template, status=status, **context), status

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        # The page was open too long or the session was lost: what a member's form
        # carried is kept, and the page offers to go back to it (filled again). Only for
        # a form sent from our own pages, so another site cannot plant values in it.
        back_url = None
        # (With htmx the form stays on screen: static/app.js offers to send it again.)
        member_form = not (request.blueprint or "").startswith("operators") and not htmx
        if member_form and _from_this_site():
            if keep_typed_form():
                back_url = request.path
        return _error("errors/csrf.html", 400, back_url=back_url)

    @app.errorhandler(400)
    def _bad_request(error):
        return _error("errors/error.html", 400)

    @app.errorhandler(404)
    def _not_found(error):
        return _error("errors/error.html", 404)

    @app.errorhandler(405)
    def _not_allowed(error):
        return _error("errors/error.html", 405)

    @app.errorhandler(413)
    def _too_large(error):
        return _error("errors/error.html", 413)

    @app.errorhandler(429)
    def _too_many(error):
        return _error("errors/error.html", 429)

    @app.errorhandler(500)
    def _server_error(error):
        return _error("errors/error.html", 500)
