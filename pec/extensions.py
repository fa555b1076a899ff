"""Unbound extension objects, bound in create_app() with init_app()."""

from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
mail = Mail()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _page_views_are_not_counted() -> bool:
    """Every limit counts attempts (a sign-in, a code, a reset: methods=["POST"]), so a
    page being shown is left out before the limiter resolves its limits at all, which it
    otherwise does on every request (some 5 % of the login page's time)."""
    return request.method in ("GET", "HEAD", "OPTIONS")


def select_locale() -> str:
    """The language the member chose (kept in the session), else Italian."""
    if not has_request_context():
        return "it"  # jobs and commands: e-mails choose their language with force_locale
    chosen = session.get("lang")
    return chosen if chosen in current_app.config["PEC_LANGUAGES"] else "it"


babel = Babel()
