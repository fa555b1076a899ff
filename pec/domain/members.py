"""Members by hand: an operator creates a holder with their account and first mailbox,
adds a mailbox to an account, or corrects a mailbox's address or expiry. The holder's
data are judged by pec.domain.billing.check_holder, the rules of the roster import;
the mailbox by the roster's rules too (a PEC address in normal form, one holder per
address). Every change is audited with what it was before.
"""

import datetime as dt
from dataclasses import dataclass

from peewee import IntegrityError

from pec.database import write_transaction
from pec.domain import audit
from pec.domain.billing import HOLDER_FIELDS, normal_email
from pec.models import Account, Convention, Mailbox

# Problem codes, by field (the web layer words them).
ADDRESS_INVALID = "address_invalid"
ADDRESS_TAKEN = "address_taken"  # another mailbox, or another holder's login
LOGIN_INVALID = "login_invalid"
LOGIN_TAKEN = "login_taken"  # another account's login, or another holder's PEC address
EXPIRY_REQUIRED = "expiry_required"


class MemberError(Exception):
    """The database refused the change (a concurrent one took the address or login)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class NewMailbox:
    address: str
    expires_on: dt.date


def normal_address(value: str) -> str | None:
    """A PEC address as the roster stores it (lower case), or None if it is not one."""
    address = (value or "").strip().lower()
    return address if address and normal_email(address) is not None else None


def check_address(value: str, *, mailbox: Mailbox | None = None, account=None) -> tuple:
    """(address, problem code or None) for a mailbox's PEC address: well formed, not
    another mailbox's, and not the login of another holder (whose recovery it would
    otherwise reach)."""
    address = normal_address(value)
    if address is None:
        return (value or "").strip(), ADDRESS_INVALID
    other = Mailbox.get_or_none(Mailbox.address == address)
    if other is not None and (mailbox is None or other.id != mailbox.id):
        return address, ADDRESS_TAKEN
    holder = Account.get_or_none(Account.login == address)
    if holder is not None and (account is None or holder.id != account.id):
        return address, ADDRESS_TAKEN
    return address, None


def check_login(value: str, *, address: str = "") -> tuple:
    """(login, problem code or None) for a new account's login: one word, not another
    account's login and not another holder's PEC address (`address` is the new
    account's own first mailbox, which it may equal)."""
    login = (value or "").strip().lower()
    if not login or len(login) > 254 or any(ch.isspace() or not ch.isprintable() for ch in login):
        return login, LOGIN_INVALID
    if Account.get_or_none(Account.login == login) is not None:
        return login, LOGIN_TAKEN
    if login != address and Mailbox.get_or_none(Mailbox.address == login) is not None:
        return login, LOGIN_TAKEN
    return login, None


def _mailbox_details(box: Mailbox) -> dict:
    return {"address": box.address, "expires_on": box.expires_on.isoformat()}


def create_member(
    convention: Convention,
    holder: dict,
    login: str,
    first: NewMailbox,
    *,
    actor: str,
    ip: str = "",
) -> Mailbox:
    """A new account (no password: the member gets in through an access link or first
    access) with the holder's data (`holder` already checked by check_holder) and its
    first mailbox. MemberError if the login or the address was taken meanwhile."""
    values = {k: v for k, v in holder.items() if k in HOLDER_FIELDS}
    try:
        with write_transaction():
            account = Account.create(
                convention=convention, login=login, password_hash=None, **values
            )
            box = Mailbox.create(
                account=account, address=first.address, expires_on=first.expires_on
            )
            audit.record(
                actor,
                "member.created",
                account,
                {"login": login, "name": account.display_name, **_mailbox_details(box)},
                ip=ip,
            )
            audit.record(actor, "mailbox.created", box, _mailbox_details(box), ip=ip)
    except IntegrityError:
        raise MemberError(_which_is_taken(login, first.address)) from None
    return box


def _which_is_taken(login: str, address: str) -> dict[str, str]:
    problems = {}
    if Account.get_or_none(Account.login == login) is not None:
        problems["login"] = LOGIN_TAKEN
    if Mailbox.get_or_none(Mailbox.address == address) is not None:
        problems["address"] = ADDRESS_TAKEN
    return problems or {"address": ADDRESS_TAKEN}


def add_mailbox(account: Account, new: NewMailbox, *, actor: str, ip: str = "") -> Mailbox:
    """Another mailbox for an existing account (checked by check_address)."""
    try:
        with write_transaction():
            box = Mailbox.create(account=account, address=new.address, expires_on=new.expires_on)
            audit.record(actor, "mailbox.created", box, _mailbox_details(box), ip=ip)
    except IntegrityError:
        raise MemberError({"address": ADDRESS_TAKEN}) from None
    return box


def update_mailbox(
    mailbox: Mailbox, *, address: str, expires_on: dt.date, actor: str, ip: str = ""
) -> dict:
    """Correct a mailbox's PEC address or expiry (checked by check_address); returns
    the changes. A later expiry starts a new term, as in the roster import: the marks of
    the daily jobs (deactivated, ceased) are cleared so they judge the new date. A
    payment registered later counts from the corrected expiry (rule R2)."""
    changes = {}
    if mailbox.address != address:
        changes["address"] = address
    if mailbox.expires_on != expires_on:
        changes["expires_on"] = expires_on
    if not changes:
        return {}
    before = {k: getattr(mailbox, k) for k in changes}
    marks = {}
    if "expires_on" in changes and expires_on > mailbox.expires_on:
        marks = {"deactivated_on": None, "ceased_on": None}
    try:
        with write_transaction():
            Mailbox.update(**changes, **marks).where(Mailbox.id == mailbox.id).execute()
            audit.record(
                actor,
                "mailbox.updated",
                mailbox,
                {
                    "before": {k: str(v) for k, v in before.items()},
                    "after": {k: str(v) for k, v in changes.items()},
                },
                ip=ip,
            )
    except IntegrityError:
        raise MemberError({"address": ADDRESS_TAKEN}) from None
    for key, value in {**changes, **marks}.items():
        setattr(mailbox, key, value)
    return changes
