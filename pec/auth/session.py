"""Member sessions: new at login, revocable at logout (a per-principal epoch),
with idle and absolute timeouts (docs/stack-notes.md "Security")."""

import functools

from flask import g, redirect, request, session, url_for
from flask_htmx import make_response as htmx_response

from pec.domain import accounts
from pec.domain.accounts import Principal
from pec.extensions import htmx
from pec.sessions import SessionSlot

_slot = SessionSlot("member")


def begin(principal: Principal) -> None:
    """Start a fresh session for `principal`. An explicit language choice made before
    login wins; otherwise the account's language."""
    record = principal.record()
    account = principal.account()
    lang = session.get("lang") or (account.language if account else "it")
    _slot.start(principal.key, record.session_epoch, lang=lang)


def end() -> None:
    """Log out: bump the epoch so every copy of this cookie stops working."""
    principal = current_principal()
    if principal is not None:
        accounts.end_sessions(principal)
    _slot.clear()
    g.pop("principal", None)


def current_principal() -> Principal | None:
    """The logged-in member, or None (expired, revoked, or never logged in)."""
    if "principal" in g:
        return g.principal
    g.principal = None
    principal = Principal.from_key(_slot.subject_id() or "")
    if principal is None:
        return None
    record = principal.record()
    if not _slot.is_current(record.session_epoch if record is not None else None):
        return None
    g.principal = principal
    return principal


def member_required(view):
    """Send anonymous visitors to the login form, then back here."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_principal() is None:
            login = url_for("auth.login", next=request.full_path.rstrip("?"))
            if htmx:
                # An htmx request would follow a 303 and swap the login page into the
                # wizard's panel: tell htmx to load it as a whole page instead.
                return htmx_response(redirect=login)
            return redirect(login, 303)
        return view(*args, **kwargs)

    return wrapped
