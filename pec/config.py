"""Every setting, read from the environment once, with safe defaults (README, Commands and Demo logins)."""

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "on", "yes"}


def _secret_key(instance_path: str) -> str:
    """PEC_SECRET_KEY, or a random key generated once and kept under instance/."""
    if os.environ.get("PEC_SECRET_KEY"):
        return os.environ["PEC_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Several gunicorn workers may start at once on a first boot: each writes a whole
        # key to a file of its own and links it into place; the first link wins and the
        # others read the winner's key, never a half-written file.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def _names(name: str) -> tuple[str, ...]:
    """A comma-separated list of CSV header names (added in front of the built-in ones)."""
    return tuple(n.strip() for n in os.environ.get(name, "").split(",") if n.strip())


def statement_columns(config) -> dict:
    """The bank CSV column settings (README "Bank statements"): header names the generic
    profile accepts besides its defaults."""
    keys = ("date", "amount", "credit", "debit", "text", "reference", "currency")
    return {key: config.get(f"PEC_STATEMENT_{key.upper()}_COLUMNS") or () for key in keys}


def from_environment(instance_path: str) -> dict:
    """The app's configuration as a mapping, for app.config.from_mapping()."""
    base_url = os.environ.get("PEC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = urlsplit(base_url).scheme == "https"
    default_db = "sqlite:///" + str(Path(instance_path) / "pec.sqlite3")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "PEC_DATABASE_URL": os.environ.get("PEC_DATABASE_URL", default_db),
        "PEC_BASE_URL": base_url,
        "PEC_SCHEDULER": _flag("PEC_SCHEDULER", True),
        "PEC_DOCUMENTS_DIR": os.environ.get(
            "PEC_DOCUMENTS_DIR", str(Path(instance_path) / "documents")
        ),
        # Roster CSVs waiting between the operator's preview and confirm.
        "PEC_ROSTER_DIR": os.environ.get(
            "PEC_ROSTER_DIR", str(Path(instance_path) / "roster_uploads")
        ),
        # Bank statements waiting between preview and confirm (and for manual matching);
        # empty: a "statements" folder beside PEC_ROSTER_DIR.
        "PEC_STATEMENT_DIR": os.environ.get("PEC_STATEMENT_DIR", ""),
        # Bank CSV columns (README "Bank statements"): more header names for banks without a
        # built-in profile, tried before the default names (first one found wins).
        **{
            f"PEC_STATEMENT_{key}_COLUMNS": _names(f"PEC_STATEMENT_{key}_COLUMNS")
            for key in ("DATE", "AMOUNT", "CREDIT", "DEBIT", "TEXT", "REFERENCE", "CURRENCY")
        },
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "noreply@localhost"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "30")),
        "MAIL_CA_FILE": os.environ.get("MAIL_CA_FILE") or None,
        # After this many failed attempts (backoff 1, 2, 4 … min, ≤ 6 h) a message is
        # `failed` until an operator retries it.
        "PEC_OUTBOX_MAX_ATTEMPTS": int(os.environ.get("PEC_OUTBOX_MAX_ATTEMPTS", "10")),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host
        # (1 behind nginx or Caddy); 0 ignores those headers (README "Deployment").
        "PEC_TRUSTED_PROXIES": int(os.environ.get("PEC_TRUSTED_PROXIES", "0") or 0),
        "RATELIMIT_STORAGE_URI": os.environ.get("PEC_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Flask-WTF: the token lives as long as the session, not one hour (docs/stack-notes.md).
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # Read a too-large document whole so the member gets our message, not a reset
        # connection; past 16 MB the request is refused outright (413).
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PEC_MAX_DOCUMENT_BYTES": 5 * 1024 * 1024,
        # Documents an account may have waiting for an operator's verification at once.
        "PEC_MAX_PENDING_DOCUMENTS": 3,
        # Any one text field of a form (files apart): the longest we take is a contract
        # text; past this Werkzeug answers 413 before a view runs (pec/input_limits.py).
        "MAX_FORM_MEMORY_SIZE": 200_000,
        "PEC_SESSION_IDLE_MINUTES": int(os.environ.get("PEC_SESSION_IDLE_MINUTES", "30")),
        "PEC_SESSION_MAX_HOURS": int(os.environ.get("PEC_SESSION_MAX_HOURS", "12")),
        # Recovery and first access answer after at least this long, found or not (an
        # e-mail written for a real account must not be told apart by timing).
        "PEC_ACCESS_ANSWER_SECONDS": float(os.environ.get("PEC_ACCESS_ANSWER_SECONDS", "0.25")),
        # Static URLs carry a content hash (web.static_url), so a year of caching is safe.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        # Online payments (README "Payments"): the built-in simulation unless Stripe is set.
        "PEC_PAYMENT_GATEWAY": os.environ.get("PEC_PAYMENT_GATEWAY", "demo").strip().lower(),
        "PEC_DEMO_GATEWAY_KEY": os.environ.get("PEC_DEMO_GATEWAY_KEY", ""),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "BABEL_DEFAULT_LOCALE": "it",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Rome",
        "PEC_LANGUAGES": ("it", "en"),
    }
