"""Operator sessions, apart from members' (own keys in the cookie): new at login,
revocable at logout through Operator.session_epoch, idle and absolute timeouts."""

import functools
import time

from flask import abort, current_app, g, redirect, request, session, url_for

from pec.models import ROLE_ADMIN, Operator

_KEYS = ("operator_id", "operator_epoch", "operator_started", "operator_seen")


def begin(operator: Operator) -> None:
    """A fresh session for `operator` (a member signed in on this browser is signed out)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    now = int(time.time())
    session.update(
        operator_id=operator.id,
        operator_epoch=operator.session_epoch,
        operator_started=now,
        operator_seen=now,
    )
    session.permanent = False


def end() -> None:
    """Log out: bump the epoch so every copy of this cookie stops working."""
    operator = current_operator()
    if operator is not None:
        Operator.update(session_epoch=Operator.session_epoch + 1).where(
            Operator.id == operator.id
        ).execute()
    for key in _KEYS:
        session.pop(key, None)
    g.pop("operator", None)


def current_operator() -> Operator | None:
    """The signed-in, active operator, or None (expired, revoked, never signed in)."""
    if "operator" in g:
        return g.operator
    g.operator = None
    operator_id = session.get("operator_id")
    if not isinstance(operator_id, int):
        return None
    now = int(time.time())
    idle = current_app.config["PEC_SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["PEC_SESSION_MAX_HOURS"] * 3600
    operator = Operator.get_or_none(Operator.id == operator_id)
    if (
        operator is None
        or not operator.is_active
        or operator.session_epoch != session.get("operator_epoch")
        or now - session.get("operator_seen", 0) > idle
        or now - session.get("operator_started", 0) > absolute
    ):
        for key in _KEYS:
            session.pop(key, None)
        return None
    session["operator_seen"] = now
    g.operator = operator
    return operator


def actor() -> str:
    """How the audit log names the signed-in operator."""
    return f"operator:{current_operator().id}"


def operator_required(role: str | None = None):
    """Only operators: anyone else (a member too) goes to the operators' login; an
    operator without `role` (admin) gets 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            operator = current_operator()
            if operator is None:
                target = request.full_path.rstrip("?") if request.method == "GET" else ""
                return redirect(url_for("operators.login", next=target or None), 303)
            if role is not None and operator.role != role and operator.role != ROLE_ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
