"""Member accounts: the two logins of docs/rules.md, member journey 2, recovery and first
access by a single-use link (R11), and the changes to an account's own data (its language,
an operator's edit of the holder's data)."""

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field

from pec.database import Prepared, Slot, write_transaction
from pec.domain import audit, passwords
from pec.domain.notices import Notices
from pec.models import (
    Account,
    Convention,
    Mailbox,
    ResetToken,
)

LANGUAGES = ("it", "en")


# Everything of the convention but the logo's bytes, which only the logo's URL reads.
CONVENTION_WITHOUT_LOGO = [f for f in Convention._meta.sorted_fields if f.name != "logo"]

# A signed-in member's every request reads its login with the account and the account's
# convention (the session check, the page's header and footer): one prepared query each.
_ACCOUNT = Prepared(
    lambda: (
        Account.select(Account, *CONVENTION_WITHOUT_LOGO)
        .join(Convention)
        .where(Account.id == Slot("id"))
    )
)
_MAILBOX = Prepared(
    lambda: (
        Mailbox.select(Mailbox, Account, *CONVENTION_WITHOUT_LOGO)
        .join(Account)
        .join(Convention)
        .where(Mailbox.id == Slot("id"))
    )
)


@dataclass(frozen=True)
class Principal:
    """Who is logged in: an account (all its mailboxes) or one mailbox (that one only).

    `loaded()` gives the same login with its row read once, with the account and the
    account's convention (without the logo): `record()` and `account()` then run no
    query. Two principals are equal when they name the same login."""

    kind: str  # "account" or "mailbox"
    id: int
    # (the row or None,) once loaded
    loaded_row: tuple | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_account(self) -> bool:
        """Logged in with the account (all its mailboxes), not with one PEC address."""
        return self.kind == "account"

    @classmethod
    def from_key(cls, key: str) -> "Principal | None":
        kind, _, raw_id = (key or "").partition(":")
        if kind not in ("account", "mailbox") or not raw_id.isdigit():
            return None
        return cls(kind, int(raw_id))

    def loaded(self) -> "Principal":
        """This login with its row, account and convention read in one query."""
        query = _ACCOUNT if self.kind == "account" else _MAILBOX
        return Principal(self.kind, self.id, (query.first(id=self.id),))

    def record(self):
        """The Account or Mailbox row, or None when it no longer exists."""
        if self.loaded_row is not None:
            return self.loaded_row[0]
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_IDENTIFIER_LENGTH = 254

# Every login attempt verifies this many password hashes, whatever it finds: a PEC
# address can be checked against its own password and its account's, so an unknown
# identifier or an account login is padded with dummy verifications to cost the same
# (no account enumeration by timing).
VERIFICATIONS_PER_LOGIN = 2


def _normalise(identifier: str) -> str | None:
    """The identifier as stored (trimmed, lower case), or None when it cannot name
    anything (empty, too long, or with control characters, which PostgreSQL refuses)."""
    value = (identifier or "").strip().lower()
    if not value or len(value) > MAX_IDENTIFIER_LENGTH or _CONTROL.search(value):
        return None
    return value


def _lookup(identifier: str | None) -> tuple[Account | None, Mailbox | None]:
    """The account whose login is `identifier` and the mailbox with that PEC address
    (with its account): the same two queries whether or not anything matches."""
    if identifier is None:
        return None, None
    account = Account.get_or_none(Account.login == identifier)
    mailbox = (
        Mailbox.select(Mailbox, Account).join(Account).where(Mailbox.address == identifier).first()
    )
    return account, mailbox


def authenticate(identifier: str, password: str) -> Principal | None:
    """(a) account login + password, or (b) PEC address + that mailbox's password
    (that mailbox only), or a PEC address + its account's password (the account).

    Constant work: every candidate is verified and the rest padded with dummy
    verifications, so existing and unknown logins answer in the same time."""
    account, mailbox = _lookup(_normalise(identifier))
    candidates = []
    if account is not None:
        candidates.append(("account", account))
    if mailbox is not None:
        candidates.append(("mailbox", mailbox))
        # The PEC address with the account password opens the whole account.
        if account is None or account.id != mailbox.account_id:
            candidates.append(("account", mailbox.account))
    found = None
    for kind, row in candidates:
        if passwords.verify_password(row.password_hash, password) and found is None:
            found = Principal(kind, row.id)
    for _ in range(VERIFICATIONS_PER_LOGIN - len(candidates)):
        passwords.burn_time(password)
    return found


def holder_key(identifier: str, *, wide: bool = False) -> str:
    """What rate limits count per holder: the account that `identifier` names (its
    login or one of its PEC addresses; with `wide`, also its reference e-mail or codice
    fiscale), so guessing one account through each of its addresses counts once.
    An identifier that names nothing is counted on its own."""
    value = _normalise(identifier)
    if wide:
        targets = find_targets(identifier)
        account_id = targets[0].account.id if targets else None
    else:
        account, mailbox = _lookup(value)
        account_id = account.id if account else (mailbox.account_id if mailbox else None)
    if account_id is not None:
        return f"account:{account_id}"
    return f"id:{value or ''}"


# --- Recovery and first access (docs/rules.md, member journey 2, R11) ---------------------

RESET_TOKEN_LIFETIME = dt.timedelta(hours=1)
# A first access is often read hours after the request (or after an operator sent it).
FIRST_ACCESS_LIFETIME = dt.timedelta(hours=24)
# Reset and first-access e-mails per account per hour: one person cannot be flooded.
MAX_ACCESS_EMAILS_PER_HOUR = 3
MAX_TARGETS = 5


@dataclass(frozen=True)
class AccessTarget:
    """An account that an identifier names; with `mailbox`, the link sets that PEC
    address's own password instead of the account's."""

    account: Account
    mailbox: Mailbox | None = None

    @property
    def is_first_access(self) -> bool:
        """The account has no password yet (created by the roster import)."""
        return self.mailbox is None and not self.account.password_hash


def token_lifetime(target: AccessTarget) -> dt.timedelta:
    return FIRST_ACCESS_LIFETIME if target.is_first_access else RESET_TOKEN_LIFETIME


def find_targets(identifier: str) -> list[AccessTarget]:
    """The accounts an identifier names: a login, a PEC address, a reference e-mail or a
    codice fiscale (a person may hold several accounts). Always the same four queries."""
    value = _normalise(identifier)
    account, mailbox = _lookup(value)
    typed = (identifier or "").strip()
    by_email, by_fiscal_code = [], []
    if value is not None:
        # Reference e-mails keep the case of their local part: match as stored or typed.
        by_email = list(
            Account.select().where(Account.reference_email.in_({value, typed})).limit(MAX_TARGETS)
        )
        by_fiscal_code = list(
            Account.select().where(Account.fiscal_code == value.upper()).limit(MAX_TARGETS)
        )
    targets: dict[int, AccessTarget] = {}
    if account is not None:
        targets[account.id] = AccessTarget(account)
    if mailbox is not None and mailbox.account_id not in targets:
        own = mailbox if mailbox.password_hash else None
        targets[mailbox.account_id] = AccessTarget(mailbox.account, own)
    for found in (*by_email, *by_fiscal_code):
        targets.setdefault(found.id, AccessTarget(found))
    return list(targets.values())[:MAX_TARGETS]


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue_token(target: AccessTarget, now: dt.datetime, *, capped: bool = True) -> str | None:
    """A new single-use link for `target` (inside the caller's write transaction), or
    None when the account already had its hourly share of them."""
    if capped:
        recent = (
            ResetToken.select()
            .where(
                (ResetToken.account == target.account.id)
                & (ResetToken.created_at > now - dt.timedelta(hours=1))
            )
            .count()
        )
        if recent >= MAX_ACCESS_EMAILS_PER_HOUR:
            return None
    raw = secrets.token_urlsafe(32)
    ResetToken.create(
        token_hash=_token_hash(raw),
        account=target.account.id,
        mailbox=target.mailbox.id if target.mailbox else None,
        access_epoch=target.account.access_epoch,
        created_at=now,
        expires_at=now + token_lifetime(target),
    )
    return raw


def request_access(identifier: str, now: dt.datetime, *, notices: Notices) -> None:
    """ "Recupera dati di accesso" and "Primo accesso": for each account `identifier`
    names, a single-use link to choose a password goes to the reference e-mail, with the
    login and the personal renewal links. The caller answers the same whether or not
    anything was found (no enumeration)."""
    targets = find_targets(identifier)
    if not targets:
        return
    with write_transaction():
        for target in targets:
            raw = _issue_token(target, now)
            if raw is not None:
                notices.password_reset(target.account, target.mailbox, raw)


def send_first_access(account: Account, now: dt.datetime, *, notices: Notices, actor: str, ip=""):
    """An operator sends the holder a link to choose a password (first access, or a new
    password for an account that has one), with the personal renewal links."""
    with write_transaction():
        raw = _issue_token(AccessTarget(account), now, capped=False)
        notices.password_reset(account, None, raw)
        audit.record(actor, "account.access_email_sent", account, ip=ip)


def find_reset_token(raw: str, now: dt.datetime) -> ResetToken | None:
    """The token if it is unused, not expired, and issued under the account's current
    access epoch (a password set since, by this link or another, or links revoked by an
    operator, end it)."""
    return (
        ResetToken.select(ResetToken, Account)
        .join(Account, on=(ResetToken.account == Account.id))
        .where(
            (ResetToken.token_hash == _token_hash(raw or ""))
            & ResetToken.used_at.is_null()
            & (ResetToken.expires_at > now)
            & (ResetToken.access_epoch == Account.access_epoch)
        )
        .first()
    )


def reset_password(raw: str, new_password: str, now: dt.datetime) -> Account | None:
    """Use a link once: set the password, end the open sessions of that login and every
    personal link (R11: a new password bumps the access epoch). Returns the account, or
    None if the link is unknown, used, expired or outdated. Two links used at once: the
    first wins, the compare-and-set on the epoch refuses the second."""
    if find_reset_token(raw, now) is None:
        return None
    new_hash = passwords.hash_password(new_password)  # slow: outside the write lock
    with write_transaction():
        token = find_reset_token(raw, now)
        if token is None:
            return None
        account = token.account
        own_password = token.mailbox_id is None
        changes = {Account.access_epoch: Account.access_epoch + 1}
        if own_password:
            changes.update(
                {Account.password_hash: new_hash, Account.session_epoch: Account.session_epoch + 1}
            )
        bumped = (
            Account.update(changes)
            .where((Account.id == account.id) & (Account.access_epoch == token.access_epoch))
            .execute()
        )
        if bumped != 1:
            return None
        ResetToken.update(used_at=now).where(ResetToken.id == token.id).execute()
        if not own_password:
            Mailbox.update(password_hash=new_hash, session_epoch=Mailbox.session_epoch + 1).where(
                Mailbox.id == token.mailbox_id
            ).execute()
        audit.record(
            f"member:account:{account.id}",
            "account.password_set",
            account,
            {"mailbox": token.mailbox.address} if token.mailbox_id else None,
        )
        return Account.get_by_id(account.id)


def delete_stale_reset_tokens(now: dt.datetime) -> int:
    """Clean-up job: drop tokens that expired more than a day ago."""
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
