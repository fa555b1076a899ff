"""Personal access links (R11): members come from the roster without a password, so
every e-mail about a mailbox carries a link that opens that mailbox's renewal.

The link itself is signed by the web layer (pec.links); here are the rules it obeys:
it is bound to the mailbox, to the account's access epoch and to a last day; it opens a
session scoped like a PEC-address login (that mailbox only); a new password or an
operator's "revoke links" bumps the epoch and ends every link issued before.
"""

import datetime as dt

from pec.database import write_transaction
from pec.domain import audit
from pec.domain.accounts import Principal
from pec.domain.notices import Notices
from pec.domain.status import Policy, deletion_date, mailbox_status
from pec.models import Account, Convention, Mailbox, Order

# E-mails other than reminders and lifecycle notices: their links last this long.
LINK_LIFETIME = dt.timedelta(days=30)


def last_day(mailbox: Mailbox, today: dt.date, *, lifecycle: bool = False) -> dt.date:
    """The last day a link may be used: for reminders and deactivation notices the end
    of the restore window (the member may renew until then), otherwise 30 days; never
    less than 30 days (a ceasing notice comes after the window has closed)."""
    default = today + LINK_LIFETIME
    if not lifecycle:
        return default
    policy = Policy.of(Convention.get_by_id(mailbox.account.convention_id))
    return max(deletion_date(mailbox.expires_on, policy), default)


def link_principal(mailbox_id: int, epoch: int, last_on: dt.date, today: dt.date):
    """The login a link opens: that mailbox alone, while the link is in date and its
    epoch is the account's current one. None otherwise (expired, revoked, unknown)."""
    if today > last_on:
        return None
    mailbox = Mailbox.select(Mailbox, Account).join(Account).where(Mailbox.id == mailbox_id).first()
    if mailbox is None or mailbox.account.access_epoch != epoch:
        return None
    return Principal("mailbox", mailbox.id)


def is_link_current(account: Account, epoch: int) -> bool:
    """A session opened by a link lasts while the account's epoch is the link's."""
    return account is not None and account.access_epoch == epoch


def wants_renewal(mailbox: Mailbox, today: dt.date) -> bool:
    """Where a link lands: on the renewal (the open order, or a new Riepilogo servizio)
    when the mailbox has an open order or is in its renewal season (from the first
    reminder on, or deactivated but still renewable); otherwise on Gestione PEC (just
    renewed, or ceased)."""
    if Order.open_for(mailbox) is not None:
        return True
    convention = Convention.get_by_id(mailbox.account.convention_id)
    status = mailbox_status(
        mailbox.expires_on, today, Policy.of(convention), is_ceased=mailbox.ceased_on is not None
    )
    season = max([*convention.offsets, convention.expiring_window_days])
    return status.is_renewable and (mailbox.expires_on - today).days <= season


def revoke_links(account: Account, *, actor: str, ip: str = "") -> None:
    """An operator's "revoke links": every personal link and reset link of the account
    stops working, and so do the sessions opened by a link."""
    with write_transaction():
        Account.update(access_epoch=Account.access_epoch + 1).where(
            Account.id == account.id
        ).execute()
        audit.record(actor, "account.links_revoked", account, ip=ip)
    account.access_epoch += 1


def send_access_link(mailbox: Mailbox, *, notices: Notices, actor: str, ip: str = "") -> None:
    """An operator sends the holder the personal link of `mailbox` (reference e-mail)."""
    with write_transaction():
        notices.access_link(mailbox)
        audit.record(actor, "mailbox.access_link_sent", mailbox, ip=ip)
