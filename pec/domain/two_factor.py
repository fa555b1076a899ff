"""Two-factor authentication for operators: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s
steps, as every authenticator app expects) through pyotp, and single-use recovery codes
stored hashed. Required for admins, available to every operator.

A code is accepted one step either side of now (a phone's clock drifts) and only once:
the step of the last accepted code is stored and a code of that step or an earlier one
is refused, so a code seen over a shoulder cannot be replayed.
"""

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp

from pec.database import write_transaction
from pec.domain import audit
from pec.domain.operator_accounts import actor_of
from pec.models import Operator, RecoveryCode
from pec.vocabulary import Role

RECOVERY_CODES = 10
# Lower-case letters and digits without the look-alikes 0/o, 1/l/i.
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10  # about 49 bits each: hashed with SHA-256, like the e-mailed links


def is_required(operator: Operator) -> bool:
    """Admins must use two-factor authentication; other operators may."""
    return operator.role == Role.ADMIN


def new_secret() -> str:
    """A fresh base32 secret (160 bits) for an authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _clean_code(code: str) -> str:
    return "".join((code or "").split())


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (now, or one either side) whose code is `code`, else None."""
    code = _clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_code(code: str) -> str:
    normal = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_codes(operator: Operator, now: dt.datetime) -> list[str]:
    """Replace the operator's recovery codes; returns the new ones (shown once)."""
    RecoveryCode.delete().where(RecoveryCode.operator == operator.id).execute()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.insert_many(
        [{"operator": operator.id, "code_hash": _hash_code(c), "created_at": now} for c in codes]
    ).execute()
    return codes


def enrolment_secret(operator: Operator) -> str:
    """The secret the operator is enrolling, kept (not yet in force) until their app
    proves it has it: a reload of the enrolment page shows the same QR code."""
    if operator.has_two_factor:
        raise ValueError("two-factor authentication is on already")
    if not operator.totp_secret:
        with write_transaction():
            Operator.update(totp_secret=new_secret()).where(
                (Operator.id == operator.id)
                & Operator.totp_enabled_at.is_null()
                & Operator.totp_secret.is_null()
            ).execute()
        operator.totp_secret = Operator.get_by_id(operator.id).totp_secret
    return operator.totp_secret


def enable(operator: Operator, code: str, *, now: dt.datetime, ip: str = "") -> list[str] | None:
    """Turn two-factor authentication on once the operator proves their app shows
    `code` for the enrolment secret; returns the new recovery codes (shown once), or
    None for a wrong code."""
    secret = enrolment_secret(operator)
    step = matching_step(secret, code, now)
    if step is None:
        return None
    with write_transaction():
        changed = (
            Operator.update(totp_enabled_at=now, totp_last_step=step)
            .where(
                (Operator.id == operator.id)
                & (Operator.totp_secret == secret)
                & Operator.totp_enabled_at.is_null()
            )
            .execute()
        )
        if changed != 1:
            return None
        codes = _new_codes(operator, now)
        audit.record(actor_of(operator), "operator.two_factor_enabled", operator, ip=ip)
    operator.totp_enabled_at, operator.totp_last_step = now, step
    return codes


def verify(operator: Operator, code: str, *, now: dt.datetime) -> bool:
    """True once for a right code of a step later than the last one accepted."""
    if not operator.has_two_factor:
        return False
    step = matching_step(operator.totp_secret, code, now)
    if step is None:
        return False
    with write_transaction():
        claimed = (
            Operator.update(totp_last_step=step)
            .where(
                (Operator.id == operator.id)
                & (Operator.totp_last_step.is_null() | (Operator.totp_last_step < step))
            )
            .execute()
        )
    return claimed == 1


def use_recovery_code(operator: Operator, code: str, *, now: dt.datetime) -> bool:
    """True once for each of the operator's recovery codes (spaces, dashes and case do
    not matter)."""
    with write_transaction():
        used = (
            RecoveryCode.update(used_at=now)
            .where(
                (RecoveryCode.operator == operator.id)
                & (RecoveryCode.code_hash == _hash_code(code))
                & RecoveryCode.used_at.is_null()
            )
            .execute()
        )
    return used == 1


def codes_left(operator: Operator) -> int:
    return (
        RecoveryCode.select()
        .where((RecoveryCode.operator == operator.id) & RecoveryCode.used_at.is_null())
        .count()
    )


def regenerate_codes(operator: Operator, *, now: dt.datetime, ip: str = "") -> list[str]:
    """New recovery codes; the old ones stop working."""
    with write_transaction():
        codes = _new_codes(operator, now)
        audit.record(actor_of(operator), "operator.recovery_codes_renewed", operator, ip=ip)
    return codes


def disable(operator: Operator, *, ip: str = "") -> bool:
    """An operator turns their own two-factor authentication off (admins may not);
    False if it was off or is required."""
    if is_required(operator):
        return False
    return _remove(operator, by=operator, action="operator.two_factor_disabled", ip=ip)


def reset(target: Operator, *, by: Operator, ip: str = "") -> bool:
    """An admin removes an operator's authenticator and recovery codes (a lost phone):
    every session of theirs ends, and an admin enrols a new one at the next sign-in.
    False if there was none."""
    return _remove(target, by=by, action="operator.two_factor_reset", ip=ip, end_sessions=True)


def _remove(
    target: Operator, *, by: Operator, action: str, ip: str, end_sessions: bool = False
) -> bool:
    """Forget the authenticator and the recovery codes, once (False if already off)."""
    changes = {
        Operator.totp_secret: None,
        Operator.totp_enabled_at: None,
        Operator.totp_last_step: None,
    }
    if end_sessions:
        changes[Operator.session_epoch] = Operator.session_epoch + 1
    with write_transaction():
        changed = (
            Operator.update(changes)
            .where((Operator.id == target.id) & Operator.totp_enabled_at.is_null(False))
            .execute()
        )
        if changed != 1:
            return False
        RecoveryCode.delete().where(RecoveryCode.operator == target.id).execute()
        audit.record(actor_of(by), action, target, ip=ip)
    target.totp_secret = target.totp_enabled_at = target.totp_last_step = None
    return True


def record_failure(operator: Operator, *, ip: str = "") -> None:
    """Audit a wrong second-factor code (a stolen password being tried)."""
    with write_transaction():
        audit.record(actor_of(operator), "operator.second_factor_failed", operator, ip=ip)
