"""Operator sessions, apart from members' (own keys in the cookie): new at login,
revocable at logout through Operator.session_epoch, idle and absolute timeouts.

Between the password and the second factor (or, for an admin without one, the
enrolment) the browser holds a short-lived "pending" sign-in: who, their epoch, where
to go next. Nothing of the operators' area opens until the session proper begins.
"""

import functools
import time

from flask import abort, g, redirect, request, session, url_for
from flask_htmx import make_response as htmx_response

from pec.domain import operators, two_factor
from pec.domain.operator_accounts import actor_of
from pec.extensions import htmx
from pec.models import Operator
from pec.sessions import SessionSlot
from pec.vocabulary import Role

_slot = SessionSlot("operator")
_PENDING = "operator_pending"
PENDING_SECONDS = 300
# Where an admin who must enrol two-factor authentication may still go.
ENROLMENT_ENDPOINTS = {"operators.profile.two_factor", "operators.logout"}


def begin_pending(operator: Operator, next_url: str = "") -> None:
    """The password was right: wait for the second factor (or the enrolment)."""
    session.pop(_PENDING, None)
    session[_PENDING] = {
        "id": operator.id,
        "epoch": operator.session_epoch,
        "at": int(time.time()),
        "next": next_url,
    }


def pending_operator() -> Operator | None:
    """The operator whose password was accepted in the last PENDING_SECONDS, if still
    active and not signed out everywhere meanwhile."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None
    operator = Operator.get_or_none(Operator.id == pending.get("id"))
    if operator is None or not operator.is_active:
        return None
    return operator if operator.session_epoch == pending.get("epoch") else None


def pending_next() -> str:
    pending = session.get(_PENDING)
    return pending.get("next", "") if isinstance(pending, dict) else ""


def clear_pending() -> None:
    session.pop(_PENDING, None)


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
    return actor_of(current_operator())


def operator_required(role: str | None = None):
    """Only operators: anyone else (a member too) goes to the operators' login; an
    operator without `role` (admin) gets 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            operator = current_operator()
            if operator is None:
                target = request.full_path.rstrip("?") if request.method == "GET" else ""
                login = url_for("operators.login", next=target or None)
                if htmx:
                    # htmx would follow a 303 and swap the login page into the results
                    # (or fail on a missing block): load the login as a whole page.
                    return htmx_response(redirect=login)
                return redirect(login, 303)
            if (
                two_factor.is_required(operator)
                and not operator.has_two_factor
                and request.endpoint not in ENROLMENT_ENDPOINTS
            ):
                # An admin without two-factor authentication (promoted, or reset) must
                # enrol before anything else opens.
                enrol = url_for("operators.profile.two_factor")
                return htmx_response(redirect=enrol) if htmx else redirect(enrol, 303)
            if role is not None and operator.role != role and operator.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
