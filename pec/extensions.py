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


# Every limit counts attempts (a sign-in, a code, a reset), which are sent with POST; a
# page being shown is never one.
PAGE_VIEWS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _page_views_are_not_counted() -> bool:
    """A page being shown is left out before the limiter resolves its limits at all.
    Page views skip the limiter's hooks (`init_limiter`), but a limited view's own
    wrapper still checks its limits when called: the login page's GET, whose view is
    limited for every method, is left out here (some 5 % of that page's time)."""
    return request.method in PAGE_VIEWS


def init_limiter(app) -> None:
    """`limiter.init_app`, with the three hooks it adds to every request (check the
    limits, add their headers, drop their state) skipped for page views. For a page view
    they would find every limit exempt (above: no limit to check, no header to add, no
    state but the empty one they made) and the answer is the same, but they cost some
    60 µs a page, 4 to 8 % of a member's page. The application has no default,
    application-wide or meta limits, which the filter does not cover."""
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [len(registry.get(None, ())) for registry in registries]
    limiter.init_app(app)
    for registry, count in zip(registries, before, strict=True):
        hooks = registry[None]
        hooks[count:] = [_for_attempts(hook) for hook in hooks[count:]]


def _for_attempts(hook):
    """`hook`, run only for a request that can be an attempt. A page view gets back what
    it gave: nothing from a before-request hook, the response from an after-request one
    (a teardown hook's answer is not read)."""

    def hook_for_attempts(*args):
        if request.method in PAGE_VIEWS:
            return args[0] if args else None
        return hook(*args)

    return hook_for_attempts


def select_locale() -> str:
    """The language the member chose (kept in the session), else Italian."""
    if not has_request_context():
        return "it"  # jobs and commands: e-mails choose their language with force_locale
    chosen = session.get("lang")
    return chosen if chosen in current_app.config["PEC_LANGUAGES"] else "it"


babel = Babel()
