"""Member sessions: new at login, revocable at logout (a per-principal epoch),
with idle and absolute timeouts (docs/stack-notes.md "Security").

A session opened by a personal link (R11) is a PEC-address session of that mailbox that
also remembers the link's access epoch: a new password or an operator's "revoke links"
ends it. When a session has expired, what the member was typing is kept (pec.domain.
form_stash) and the step comes back filled after the next login.
"""

import functools

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_htmx import make_response as htmx_response
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from pec.auth.safety import local_path
from pec.domain import access_links, accounts, clock, form_stash
from pec.domain.accounts import Principal
from pec.extensions import htmx
from pec.language import lazy_gettext as _l
from pec.sessions import SessionSlot

_slot = SessionSlot("member")
LINK_KEY = "member_link"  # the access epoch of the link that opened this session
STASH_KEY = "form_stash"

SESSION_EXPIRED = _l("La sessione è scaduta: accedi di nuovo per continuare.")
SESSION_EXPIRED_KEPT = _l(
    "La sessione è scaduta: accedi di nuovo per continuare. Quanto avevi scritto è stato "
    "conservato e lo ritroverai nella pagina."
)
STASH_RESTORED = _l(
    "Bentornato: abbiamo ripreso quanto avevi scritto. Controlla i dati e premi Prosegui."
)


def begin(principal: Principal, *, link_epoch: int | None = None) -> None:
    """Start a fresh session for `principal` (`link_epoch`: opened by a personal link).
    An explicit language choice made before login wins; otherwise the account's."""
    principal = principal.loaded()
    record = principal.record()
    account = principal.account()
    lang = session.get("lang") or (account.language if account else "it")
    _slot.start(principal.key, record.session_epoch, lang=lang)
    if link_epoch is not None:
        session[LINK_KEY] = link_epoch
    g.principal = principal


def _clear() -> None:
    _slot.clear()
    session.pop(LINK_KEY, None)


def end() -> None:
    """Log out: bump the epoch so every copy of this cookie stops working."""
    principal = current_principal()
    if principal is not None:
        accounts.end_sessions(principal)
    _clear()
    g.pop("principal", None)


def current_principal() -> Principal | None:
    """The logged-in member, or None (expired, revoked, or never logged in). Notes in
    `g.member_session_ended` that the cookie held a session that is no longer valid."""
    if "principal" in g:
        return g.principal
    g.principal = None
    had_session = _slot.had_subject()
    principal = Principal.from_key(_slot.subject_id() or "")
    if principal is not None:
        principal = principal.loaded()  # what the page needs of it, in one query
    record = principal.record() if principal is not None else None
    current = _slot.is_current(record.session_epoch if record is not None else None)
    if current and LINK_KEY in session:
        current = access_links.is_link_current(principal.account(), session[LINK_KEY])
    if not current:
        _clear()
        g.member_session_ended = had_session
        return None
    g.principal = principal
    return principal


# --- Keeping a form across a new login ----------------------------------------------------


def _page_of(path: str) -> bool:
    """Whether `path` is also a page (GET): only then can it show a kept form again."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except HTTPException:  # not found, not a page, or a redirect (a missing slash)
        return False
    return True


def keep_typed_form() -> bool:
    """Keep what this POST carried (not the CSRF token, not files) for its page, under a
    random key remembered in the cookie. False when there was nothing to keep."""
    if request.method != "POST" or not _page_of(request.path):
        return False
    fields = [
        (name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"
    ]
    key = form_stash.keep(request.path, fields, clock.now())
    if key is None:
        return False
    session[STASH_KEY] = key
    return True


def take_typed_form() -> MultiDict | None:
    """What the member had typed on this page before logging in again, once."""
    key = session.get(STASH_KEY)
    if not key or request.method != "GET":
        return None
    fields = form_stash.take(key, request.path, clock.now())
    if fields is None:
        return None
    session.pop(STASH_KEY, None)
    flash(STASH_RESTORED, "info")
    return MultiDict(fields)


def login_url_for_this_request() -> str:
    """The login page, coming back here: this page, or for a form sent to an address
    that is not a page, the page it was sent from (when it is ours)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    if request.method != "GET" and not _page_of(request.path):
        target = _same_site_referrer() or ""
    return url_for("auth.login", next=target or None)


def _same_site_referrer() -> str | None:
    referrer = request.referrer or ""
    root = request.host_url
    if not referrer.startswith(root):
        return None
    return local_path("/" + referrer[len(root) :])


def member_required(view):
    """Send anonymous visitors to the login form, then back here. A session that has
    expired gets a message, and what a form was sending is kept for after the login."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_principal() is None:
            posted = request.method == "POST"
            kept = keep_typed_form() if posted else STASH_KEY in session
            if posted or kept or g.get("member_session_ended"):
                flash(SESSION_EXPIRED_KEPT if kept else SESSION_EXPIRED, "info")
            login = login_url_for_this_request()
            if htmx:
                # An htmx request would follow a 303 and swap the login page into the
                # wizard's panel: tell htmx to load it as a whole page instead.
                return htmx_response(redirect=login)
            return redirect(login, 303)
        return view(*args, **kwargs)

    return wrapped
