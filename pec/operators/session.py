"""Operator sessions, apart from members' (own keys in the cookie): new at login,
revocable at logout through Operator.session_epoch, idle and absolute timeouts."""

import functools

from flask import abort, g, redirect, request, url_for

from pec.domain import operators
from pec.models import Operator
from pec.sessions import SessionSlot
from pec.vocabulary import Role

_slot = SessionSlot("operator")


def begin(operator: Operator) -> None:
    """A fresh session for `operator` (a member signed in on this browser is signed out)."""
    _slot.start(operator.id, operator.session_epoch)


def end() -> None:
    """Log out (audited): bump the epoch so every copy of this cookie stops working."""
    operator = current_operator()
    if operator is not None:
        operators.log_out(operator, ip=request.remote_addr or "")
    _slot.clear()
    g.pop("operator", None)


def current_operator() -> Operator | None:
    """The signed-in, active operator, or None (expired, revoked, never signed in)."""
    if "operator" in g:
        return g.operator
    g.operator = None
    operator_id = _slot.subject_id()
    if not isinstance(operator_id, int):
        return None
    operator = Operator.get_or_none(Operator.id == operator_id)
    active = operator is not None and operator.is_active
    if not _slot.is_current(operator.session_epoch if active else None):
        return None
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
            if role is not None and operator.role != role and operator.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
