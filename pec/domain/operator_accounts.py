"""Operator accounts as admins manage them: invitations (an e-mailed single-use link to
choose a first password), roles, disabling, password resets, and the rule that the
portal always keeps one active admin. Every change is audited.

Operators are told through `OperatorMessages` (the web layer's operator mail), called
inside the change's transaction so the e-mail is queued with it or not at all.
"""

import datetime as dt
import hashlib
import secrets
from typing import Protocol

from pec.database import is_sqlite, write_transaction
from pec.domain import audit, passwords
from pec.models import Operator, OperatorLink
from pec.vocabulary import OperatorLinkPurpose, Role

LINK_LIFETIMES = {
    OperatorLinkPurpose.INVITE: dt.timedelta(days=3),
    OperatorLinkPurpose.RESET: dt.timedelta(hours=24),
}


class OperatorMessages(Protocol):
    """What operators are told by e-mail (implemented by pec.operators.mail)."""

    def invitation(self, operator: Operator, token: str, invited_by: Operator) -> None: ...

    def password_reset(self, operator: Operator, token: str, reset_by: Operator) -> None: ...


class OperatorExists(Exception):
    """An operator with this e-mail exists already."""


class LastAdmin(Exception):
    """The change would leave the portal with no active admin."""


def actor_of(operator: Operator) -> str:
    """How the audit log names an operator (kept as evidence; shown by name)."""
    return f"operator:{operator.id}"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_link(operator: Operator, purpose: OperatorLinkPurpose, now: dt.datetime) -> str:
    """A fresh single-use link; earlier unused links of the operator stop working."""
    OperatorLink.update(used_at=now).where(
        (OperatorLink.operator == operator.id) & OperatorLink.used_at.is_null()
    ).execute()
    raw = secrets.token_urlsafe(32)
    OperatorLink.create(
        token_hash=_hash(raw),
        operator=operator,
        purpose=purpose,
        created_at=now,
        expires_at=now + LINK_LIFETIMES[purpose],
    )
    return raw


def invite(
    name: str,
    email: str,
    role: Role,
    *,
    by: Operator,
    now: dt.datetime,
    messages: OperatorMessages,
    ip: str = "",
) -> Operator:
    """A new operator with no password yet, e-mailed a link to choose one;
    OperatorExists if the e-mail is taken."""
    email = email.strip().lower()
    with write_transaction():
        if Operator.get_or_none(Operator.email == email) is not None:
            raise OperatorExists(email)
        operator = Operator.create(
            email=email, name=name.strip(), role=role, password_hash=None, created_at=now
        )
        raw = _new_link(operator, OperatorLinkPurpose.INVITE, now)
        audit.record(
            actor_of(by),
            "operator.invited",
            operator,
            {"email": email, "name": operator.name, "role": role},
            ip=ip,
        )
        messages.invitation(operator, raw, by)
    return operator


def find_link(raw: str, now: dt.datetime) -> OperatorLink | None:
    """The link if it is unused, unexpired and its operator still active."""
    link = OperatorLink.get_or_none(
        (OperatorLink.token_hash == _hash(raw or ""))
        & OperatorLink.used_at.is_null()
        & (OperatorLink.expires_at > now)
    )
    if link is None or not link.operator.is_active:
        return None
    return link


def set_password_from_link(raw: str, password: str, now: dt.datetime, ip: str = ""):
    """Use a link once: the operator's password becomes `password` and every earlier
    session ends. The operator, or None if the link is unknown, used or expired
    (compare-and-set: two clicks, one change)."""
    new_hash = passwords.hash_password(password)  # slow: outside the write lock
    with write_transaction():
        link = find_link(raw, now)
        if link is None:
            return None
        claimed = (
            OperatorLink.update(used_at=now)
            .where((OperatorLink.id == link.id) & OperatorLink.used_at.is_null())
            .execute()
        )
        if claimed != 1:
            return None
        Operator.update(password_hash=new_hash, session_epoch=Operator.session_epoch + 1).where(
            Operator.id == link.operator_id
        ).execute()
        operator = Operator.get_by_id(link.operator_id)
        audit.record(
            actor_of(operator), "operator.password_set", operator, {"purpose": link.purpose}, ip=ip
        )
        return operator


def _active_admin_ids() -> list[int]:
    """Ids of the active admins. On PostgreSQL the rows are locked until the end of the
    transaction, so two admins demoting each other at once cannot both succeed (SQLite
    serialises writers with BEGIN IMMEDIATE already)."""
    query = Operator.select(Operator.id).where(
        (Operator.role == Role.ADMIN) & (Operator.is_active == True)  # noqa: E712
    )
    if not is_sqlite():
        query = query.for_update()
    return [row.id for row in query]


def _keeps_an_admin(target: Operator) -> None:
    if _active_admin_ids() == [target.id]:
        raise LastAdmin(target.email)


def update(target: Operator, *, name: str, role: Role, by: Operator, ip: str = "") -> dict:
    """Rename `target` or change their role; LastAdmin if that demotes the last active
    admin. Returns the changes (empty: nothing to do)."""
    with write_transaction():
        current = Operator.get_by_id(target.id)
        changes = {}
        if current.name != name.strip():
            changes["name"] = name.strip()
        if current.role != role:
            if current.role == Role.ADMIN:
                _keeps_an_admin(current)
            changes["role"] = role
        if not changes:
            return {}
        before = {k: getattr(current, k) for k in changes}
        Operator.update(**changes).where(Operator.id == target.id).execute()
        audit.record(
            actor_of(by), "operator.updated", current, {"before": before, "after": changes}, ip=ip
        )
    for key, value in changes.items():
        setattr(target, key, value)
    return changes


def set_active(target: Operator, active: bool, *, by: Operator, ip: str = "") -> bool:
    """Disable (every session ends at once) or enable an operator; LastAdmin if that
    disables the last active admin. False when nothing changed."""
    with write_transaction():
        current = Operator.get_by_id(target.id)
        if current.is_active == active:
            return False
        if not active and current.role == Role.ADMIN:
            _keeps_an_admin(current)
        Operator.update(is_active=active, session_epoch=Operator.session_epoch + 1).where(
            Operator.id == target.id
        ).execute()
        audit.record(
            actor_of(by), "operator.enabled" if active else "operator.disabled", current, ip=ip
        )
    target.is_active = active
    return True


def reset_password(
    target: Operator,
    *,
    by: Operator,
    now: dt.datetime,
    messages: OperatorMessages,
    ip: str = "",
) -> None:
    """The old password stops working and every session ends; a single-use link to
    choose a new one goes to the operator's e-mail."""
    with write_transaction():
        Operator.update(password_hash=None, session_epoch=Operator.session_epoch + 1).where(
            Operator.id == target.id
        ).execute()
        current = Operator.get_by_id(target.id)
        raw = _new_link(current, OperatorLinkPurpose.RESET, now)
        audit.record(actor_of(by), "operator.password_reset", current, ip=ip)
        messages.password_reset(current, raw, by)
    target.password_hash = None
