"""Member sessions: new at login, revocable at logout (a per-principal epoch),
with idle and absolute timeouts (NOTES.md "Security")."""

import functools
import time

from flask import current_app, g, redirect, request, session, url_for

from pec.domain.accounts import Principal

_KEYS = ("who", "epoch", "started", "seen")


def begin(principal: Principal) -> None:
    """Start a fresh session for `principal` (the language choice survives)."""
    record = principal.record()
    lang = session.get("lang")
    session.clear()
    # An explicit choice made before login wins; otherwise the account's language.
    account = principal.account()
    session["lang"] = lang or (account.language if account else "it")
    now = int(time.time())
    session.update(who=principal.key, epoch=record.session_epoch, started=now, seen=now)
    session.permanent = False


def end() -> None:
    """Log out: bump the epoch so every copy of this cookie stops working."""
    principal = current_principal()
    if principal is not None:
        record = principal.record()
        model = type(record)
        model.update(session_epoch=model.session_epoch + 1).where(model.id == record.id).execute()
    for key in _KEYS:
        session.pop(key, None)
    g.pop("principal", None)


def current_principal() -> Principal | None:
    """The logged-in member, or None (expired, revoked, or never logged in)."""
    if "principal" in g:
        return g.principal
    g.principal = None
    principal = Principal.from_key(session.get("who", ""))
    if principal is None:
        return None
    now = int(time.time())
    idle = current_app.config["PEC_SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["PEC_SESSION_MAX_HOURS"] * 3600
    record = principal.record()
    if (
        record is None
        or record.session_epoch != session.get("epoch")
        or now - session.get("seen", 0) > idle
        or now - session.get("started", 0) > absolute
    ):
        for key in _KEYS:
            session.pop(key, None)
        return None
    session["seen"] = now
    g.principal = principal
    return principal


def member_required(view):
    """Send anonymous visitors to the login form, then back here."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_principal() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303)
        return view(*args, **kwargs)

    return wrapped
