"""Member accounts: the two logins of docs/rules.md, member journey 2, password recovery, and the changes
to an account's own data (its language, an operator's edit of the holder's data)."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from pec.database import write_transaction
from pec.domain import audit, passwords
from pec.domain.notices import Notices
from pec.models import (
    Account,
    Mailbox,
    ResetToken,
)

RESET_TOKEN_LIFETIME = dt.timedelta(hours=1)
LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class Principal:
    """Who is logged in: an account (all its mailboxes) or one mailbox (that one only)."""

    kind: str  # "account" or "mailbox"
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_key(cls, key: str) -> "Principal | None":
        kind, _, raw_id = (key or "").partition(":")
        if kind not in ("account", "mailbox") or not raw_id.isdigit():
            return None
        return cls(kind, int(raw_id))

    def record(self):
        """The Account or Mailbox row, or None when it no longer exists."""
        model = Account if self.kind == "account" else Mailbox
        return model.get_or_none(model.id == self.id)

    def account(self) -> Account | None:
        row = self.record()
        if row is None:
            return None
        return row if self.kind == "account" else row.account

    def mailboxes(self):
        """The mailboxes this login may see and act on (everything else is 404)."""
        if self.kind == "account":
            return Mailbox.select().where(Mailbox.account == self.id)
        return Mailbox.select().where(Mailbox.id == self.id)


def _normalise(identifier: str) -> str:
    return identifier.strip().lower()


def authenticate(identifier: str, password: str) -> Principal | None:
    """(a) account login + password, or (b) PEC address + that mailbox's password
    (that mailbox only), or a PEC address + its account's password (the account)."""
    identifier = _normalise(identifier)
    candidates = []
    account = Account.get_or_none(Account.login == identifier)
    if account is not None:
        candidates.append(("account", account))
    mailbox = Mailbox.get_or_none(Mailbox.address == identifier)
    if mailbox is not None:
        candidates.append(("mailbox", mailbox))
        # The reminder's link prefills the PEC address (R7); the holder may answer with
        # the account password, which already opens every mailbox of that account.
        if account is None or account.id != mailbox.account_id:
            candidates.append(("account", mailbox.account))
    if not candidates:
        passwords.burn_time(password)
        return None
    for kind, row in candidates:
        if passwords.verify_password(row.password_hash, password):
            return Principal(kind, row.id)
    return None


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_reset_token(identifier: str, now: dt.datetime):
    """A reset link for a login or PEC address: (raw token, Account|Mailbox) or None.

    The caller answers the same whether or not this found anything (no enumeration).
    """
    identifier = _normalise(identifier)
    target = Account.get_or_none(Account.login == identifier) or Mailbox.get_or_none(
        Mailbox.address == identifier
    )
    if target is None:
        return None
    raw = secrets.token_urlsafe(32)
    with write_transaction():
        ResetToken.create(
            token_hash=_token_hash(raw),
            account=target if isinstance(target, Account) else None,
            mailbox=target if isinstance(target, Mailbox) else None,
            created_at=now,
            expires_at=now + RESET_TOKEN_LIFETIME,
        )
    return raw, target


def request_password_reset(identifier: str, now: dt.datetime, *, notices: Notices) -> None:
    """ "Recupera dati di accesso": if `identifier` names a login or a PEC address, a
    single-use link goes to the holder's reference e-mail. The caller answers the same
    whether or not anything was found (no enumeration)."""
    with write_transaction():
        found = create_reset_token(identifier, now)
        if found is not None:
            raw, target = found
            if isinstance(target, Mailbox):
                notices.password_reset(target.account, target, raw)
            else:
                notices.password_reset(target, None, raw)


def find_reset_token(raw: str, now: dt.datetime) -> ResetToken | None:
    """The token if it is unused and not expired."""
    return ResetToken.get_or_none(
        (ResetToken.token_hash == _token_hash(raw or ""))
        & ResetToken.used_at.is_null()
        & (ResetToken.expires_at > now)
    )


def reset_password(raw: str, new_password: str, now: dt.datetime) -> bool:
    """Use a reset token once: set the password, end every open session. False if the
    token is unknown, used or expired (compare-and-set: two clicks, one reset)."""
    new_hash = passwords.hash_password(new_password)  # slow: outside the write lock
    with write_transaction():
        token = find_reset_token(raw, now)
        if token is None:
            return False
        claimed = (
            ResetToken.update(used_at=now)
            .where((ResetToken.id == token.id) & ResetToken.used_at.is_null())
            .execute()
        )
        if claimed != 1:
            return False
        target = token.account or token.mailbox
        model = type(target)
        model.update(
            password_hash=new_hash,
            session_epoch=model.session_epoch + 1,
        ).where(model.id == target.id).execute()
        return True


def delete_stale_reset_tokens(now: dt.datetime) -> int:
    """Clean-up job: drop tokens that expired or were used more than a day ago."""
    cutoff = now - dt.timedelta(days=1)
    with write_transaction():
        return ResetToken.delete().where(ResetToken.expires_at < cutoff).execute()


def end_sessions(principal: Principal) -> None:
    """Log out everywhere: a new session epoch makes every earlier session of this login
    (an account's or a mailbox's) stop working."""
    model = Account if principal.kind == "account" else Mailbox
    with write_transaction():
        model.update(session_epoch=model.session_epoch + 1).where(
            model.id == principal.id
        ).execute()


def choose_language(account: Account, language: str) -> None:
    """Remember the account's interface language (its e-mails follow it too)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    with write_transaction():
        Account.update(language=language).where(Account.id == account.id).execute()
    account.language = language


def update_holder(account: Account, values: dict, *, actor: str, ip: str = "") -> dict:
    """Save the holder's data that changed (`values` already checked and normalised)
    and audit it with before and after; returns the changes (empty: nothing to do)."""
    changes = {k: v for k, v in values.items() if getattr(account, k) != v}
    if not changes:
        return changes
    before = {k: getattr(account, k) for k in changes}
    with write_transaction():
        Account.update(**changes).where(Account.id == account.id).execute()
        audit.record(actor, "account.updated", account, {"before": before, "after": changes}, ip=ip)
    for key, value in changes.items():
        setattr(account, key, value)
    return changes
