"""What the rules tell members: one port, given to every domain verb that must tell one.

A verb calls the matching method inside the transaction of the change it reports, so the
message exists if and only if the change does (the outbox row commits with it). The web
layer's `pec.member_mail.MemberMail` is the one implementation: it writes each notice
as an e-mail into the outbox, in the member's language. Tests give a recording double.
"""

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only for the type hints; the domain imports no models at runtime here
    from pec.domain.lifecycle import Due
    from pec.models import Account, IdentityDocument, Invoice, Mailbox, Order, Payment, Settlement


@dataclass(frozen=True)
class RenewedMailbox:
    """One mailbox whose renewal was applied: its new expiry, and whether it had been
    deactivated (and so works again)."""

    address: str
    new_expires_on: dt.date
    was_deactivated: bool


class Notices(Protocol):
    def together(self) -> AbstractContextManager[None]:
        """A block whose notices may be written all at once at its end, still inside
        the caller's transaction (a verb that tells many members in one transaction,
        e.g. a statement import, then costs a few queries, not a few per member)."""

    # --- the order -------------------------------------------------------------------
    def order_confirmed(self, order: "Order") -> None:
        """The order's number, amount, how to pay it and the accepted conditions."""

    def payment_method_switched(self, order: "Order") -> None:
        """The same order number with the new method's payment instructions."""

    def order_cancelled(self, order: "Order", reason: str) -> None:
        """An operator cancelled the member's confirmed order, with the reason."""

    # --- money -----------------------------------------------------------------------
    def renewal_applied(self, order: "Order", mailboxes: list[RenewedMailbox]) -> None:
        """The payment was registered: the new expiry of each mailbox, and the receipt."""

    def payment_rejected(self, payment: "Payment") -> None:
        """A reported transfer or slip matched no money received, with the reason."""

    def payment_received(self, order: "Order", payment: "Payment") -> None:
        """Money arrived and the renewal is not applied (rule R12): what arrived, what
        is missing and how to pay it, or, when the order can no longer be applied, that
        the money will be refunded."""

    def refund_recorded(self, settlement: "Settlement") -> None:
        """An operator paid money back: amount, date, reference (rule R12)."""

    def invoice_issued(self, invoice: "Invoice") -> None:
        """The courtesy copy of an electronic invoice or credit note, naming the seller
        (rule R13)."""

    # --- the account -----------------------------------------------------------------
    def document_rejected(self, document: "IdentityDocument") -> None:
        """The identity document must be uploaded again, with the reason."""

    def password_reset(self, account: "Account", mailbox: "Mailbox | None", token: str) -> None:
        """Recovery or first access (R11): the login, a single-use link to choose a
        password (the account's or, with `mailbox`, that PEC address's own) and the
        personal links of the account's mailboxes."""

    def access_link(self, mailbox: "Mailbox") -> None:
        """The personal link that opens the renewal of `mailbox` without a password (R11)."""

    # --- the daily jobs --------------------------------------------------------------
    def reminder(self, due: "Due") -> None:
        """The mailbox expires soon (rule R7)."""

    def deactivated(self, due: "Due") -> None:
        """The mailbox was deactivated the day after expiry (rule R5)."""

    def ceased(self, due: "Due") -> None:
        """The mailbox is past the restore window and deleted (rule R6)."""
