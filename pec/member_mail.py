"""Every e-mail to a member, written in one place: the web layer's implementation of the
domain's `Notices` port (pec.domain.notices), and what each message becomes at delivery.

Each method renders emails/<kind>.txt and .html in the member's current language and
queues the message in the outbox, inside the caller's transaction (the domain verb's).
Every e-mail names the convention that sends it, with its contacts (emails/_layout.html).
Templates for e-mails are rendered here and nowhere else.

At delivery (`outgoing`), a message gets what may have changed since it was queued: the
sender "Name <address>" from the convention's settings, its links moved onto the current
PEC_BASE_URL, and its inline images (the transfer's QR code) drawn from stored facts.
"""

import contextlib
import io
from dataclasses import dataclass, field
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale

from pec.domain import access_links, accounts, clock, lifecycle, seller, transfers
from pec.domain.balance import balance
from pec.domain.money import format_eur
from pec.domain.notices import RenewedMailbox
from pec.domain.outbox import Email, Queued, enqueue, enqueue_many
from pec.domain.renewal import lines_of
from pec.language import lazy_gettext as _l
from pec.links import external_url, login_link, path_of, pay_endpoint, rebase, renewal_link
from pec.models import Account, Convention, Mailbox, OutboxMessage
from pec.vocabulary import InvoiceKind
from pec.web import format_date

LIFECYCLE_TEMPLATES = {
    lifecycle.REMINDER: "reminder",
    lifecycle.DEACTIVATION: "deactivated",
    lifecycle.CEASING: "ceased",
}
QR_CID = "epc-qr"
# Personal links listed in an e-mail about a whole account (recovery, first access).
MAX_LISTED_LINKS = 10


def member_links(mailbox=None, order=None, *, until=None) -> dict:
    """`renewal_url` (the "Rinnova ora" link) and `member_url(endpoint, **values)` (any
    page of the member's, e.g. the order's payment) for an e-mail about `mailbox` or
    `order` (R11). A link opens one mailbox, so an order renewing several mailboxes
    (made by an account login, which has a password) links to the login instead."""
    lines = list(order.lines) if order is not None else []
    if len(lines) > 1:
        return dict(renewal_url=login_link(order.account.login), member_url=external_url)
    box = mailbox or lines[0].mailbox

    def member_url(endpoint: str, **values) -> str:
        return renewal_link(box, until=until, next_path=path_of(endpoint, **values))

    return dict(
        renewal_url=renewal_link(box, until=until),
        member_url=member_url,
        renewal_until=until or clock.today() + access_links.LINK_LIFETIME,
    )


def account_links(account) -> list[tuple[str, str]]:
    """(address, personal link) for each mailbox of the account that can still be
    renewed or read about (ceased ones are left out)."""
    boxes = Mailbox.of_account(account).where(Mailbox.ceased_on.is_null()).limit(MAX_LISTED_LINKS)
    return [(box.address, renewal_link(box)) for box in boxes]


def render_email(kind: str, *, to: str, language: str, subject, images=None, **context) -> Email:
    """Render emails/<kind>.txt and .html in the member's language."""
    with force_locale(language):
        context.update(language=language)
        return Email(
            kind=kind,
            to_address=to,
            subject=str(subject),
            body_text=render_template(f"emails/{kind}.txt", **context),
            body_html=render_template(f"emails/{kind}.html", **context),
            language=language,
            images=images,
        )


class MemberMail:
    """The `Notices` port as e-mails in the outbox."""

    def __init__(self):
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.sender_domain = sender.rpartition("@")[2].strip(">") or "localhost"
        self.base_url = current_app.config["PEC_BASE_URL"]
        self._waiting: list[Queued] | None = None  # inside `together`

    @contextlib.contextmanager
    def together(self):
        """Messages queued inside the block go into the outbox at its end, in one INSERT
        (an import telling a hundred members costs one query, not three per member)."""
        if self._waiting is not None:  # nested: the outer block writes them
            yield
            return
        self._waiting = []
        try:
            yield
            enqueue_many(self._waiting, sender_domain=self.sender_domain, base_url=self.base_url)
        finally:
            self._waiting = None

    # --- writing ---------------------------------------------------------------------

    def _queue(self, kind, holder, *, subject, dedupe_key=None, links=None, **context):
        """Render and queue to the `holder` account's reference address in its language
        (the member's current choice). `links` ties the message to mailbox/order rows so
        operators see it in their history. A `dedupe_key` already queued adds nothing."""
        context.setdefault("convention", holder.convention)
        email = render_email(
            kind,
            to=context.pop("to", None) or holder.reference_email,
            language=holder.language or "it",
            subject=subject,
            help_url=external_url("pages.help_page"),
            privacy_url=external_url("pages.privacy"),
            **context,
        )
        links = {"account": holder, **(links or {})}
        if self._waiting is not None:
            self._waiting.append(Queued(email, dedupe_key, links))
            return None
        return enqueue(
            email,
            sender_domain=self.sender_domain,
            base_url=self.base_url,
            dedupe_key=dedupe_key,
            **links,
        )

    def _about_order(self, kind, order, *, subject, dedupe_key=None, **context):
        """An e-mail about `order` to its holder, tied to the order and its account."""
        account = order.account
        context.setdefault("name", account.display_name)
        for key, value in member_links(order=order).items():
            context.setdefault(key, value)
        return self._queue(
            kind,
            account,
            subject=subject,
            dedupe_key=dedupe_key,
            links={"order": order},
            order=order,
            **{"convention": order.convention, **context},
        )

    def _order_receipt(self, order, *, switched: bool, subject, dedupe_key=None):
        acceptances = sorted(order.acceptances, key=lambda a: a.document_id)
        qr = None
        if order.payment_method.is_bank_transfer:
            qr = transfers.transfer_facts(
                order, order.convention, amount_cents=balance(order).missing_cents
            )
        return self._about_order(
            "order_confirmed",
            order,
            subject=subject,
            dedupe_key=dedupe_key,
            switched=switched,
            account=order.account,
            lines=lines_of(order),
            amount_due=balance(order).missing_cents,
            documents=[a.document for a in acceptances],
            acceptances=acceptances,
            qr_cid=QR_CID if qr else None,
            images={QR_CID: qr.as_dict()} if qr else None,
        )

    # --- the order -------------------------------------------------------------------

    def order_confirmed(self, order) -> None:
        """ "La presente a conferma dell'ordine di rinnovo N° …": number, amount, how to
        pay, next expiry and the accepted conditions (the order receipt e-commerce law
        asks for)."""
        self._order_receipt(
            order,
            switched=False,
            subject=_l("Conferma dell'ordine di rinnovo PEC N° %(number)s", number=order.number),
            dedupe_key=f"order-confirmed:{order.id}",
        )

    def payment_method_switched(self, order) -> None:
        self._order_receipt(
            order,
            switched=True,
            subject=_l(
                "Nuove istruzioni di pagamento per l'ordine PEC N° %(number)s",
                number=order.number,
            ),
        )

    def order_cancelled(self, order, reason: str) -> None:
        self._about_order(
            "order_cancelled",
            order,
            subject=_l("Ordine di rinnovo PEC N° %(number)s annullato", number=order.number),
            dedupe_key=f"order_cancelled:{order.id}",
            reason=reason,
            # Each mailbox is free again: its own link starts a new renewal.
            mailbox_links=[
                (line.mailbox.address, renewal_link(line.mailbox)) for line in order.lines
            ],
        )

    # --- money -----------------------------------------------------------------------

    def renewal_applied(self, order, mailboxes: list[RenewedMailbox]) -> None:
        self._about_order(
            "renewal_applied",
            order,
            subject=_l("Rinnovo PEC completato – ordine N° %(number)s", number=order.number),
            dedupe_key=f"renewal_applied:{order.id}",
            mailboxes=mailboxes,
            receipt_url=member_links(order=order)["member_url"](
                "payments.receipt", order_id=order.id
            ),
            # R12: money beyond the total, to be refunded.
            to_refund_cents=balance(order).to_refund_cents,
        )

    def payment_received(self, order, payment) -> None:
        money = balance(order)
        self._about_order(
            "payment_received",
            order,
            subject=(
                _l(
                    "Pagamento parziale ricevuto – ordine PEC N° %(number)s: mancano %(missing)s",
                    number=order.number,
                    missing=format_eur(money.missing_cents, order.account.language or "it"),
                )
                if money.missing_cents
                else _l(
                    "Pagamento ricevuto per l'ordine PEC N° %(number)s: sarà rimborsato",
                    number=order.number,
                )
            ),
            dedupe_key=f"payment_received:{payment.id}",
            payment=payment,
            money=money,
            convention=order.convention,
            amount_due=money.missing_cents,
            orders_url=member_links(order=order)["member_url"]("orders.index"),
        )

    def refund_recorded(self, settlement) -> None:
        order = settlement.order
        self._about_order(
            "refund_recorded",
            order,
            subject=_l("Rimborso per l'ordine PEC N° %(number)s", number=order.number),
            dedupe_key=f"refund_recorded:{settlement.id}",
            settlement=settlement,
            orders_url=member_links(order=order)["member_url"]("orders.index"),
        )

    def invoice_issued(self, invoice) -> None:
        order = invoice.order
        credit = invoice.kind == InvoiceKind.CREDIT_NOTE
        self._about_order(
            "invoice_issued",
            order,
            subject=(
                _l(
                    "Nota di credito N° %(number)s – ordine PEC N° %(order)s",
                    number=invoice.label,
                    order=order.number,
                )
                if credit
                else _l(
                    "Fattura N° %(number)s – ordine PEC N° %(order)s",
                    number=invoice.label,
                    order=order.number,
                )
            ),
            dedupe_key=f"invoice_issued:{invoice.id}",
            invoice=invoice,
            is_credit_note=credit,
            seller=invoice.seller,
            recipient=(order.billing or {}).get("einvoice_recipient", ""),
            invoice_url=member_links(order=order)["member_url"](
                "payments.invoice", order_id=order.id, invoice_id=invoice.id
            ),
        )

    def payment_rejected(self, payment) -> None:
        order = payment.order
        self._about_order(
            "payment_rejected",
            order,
            subject=_l(
                "Pagamento non riconosciuto per l'ordine PEC N° %(number)s", number=order.number
            ),
            dedupe_key=f"payment_rejected:{payment.id}",
            payment=payment,
            reason=payment.rejection_reason,
            pay_url=member_links(order=order)["member_url"](
                pay_endpoint(order.payment_method), order_id=order.id
            ),
        )

    # --- the account -----------------------------------------------------------------

    def document_rejected(self, document) -> None:
        account = document.account
        # A personal link (the Gestione PEC page it opens has the upload form), never a
        # login the member may not have a password for.
        box = Mailbox.of_account(account).where(Mailbox.ceased_on.is_null()).first()
        links = member_links(box) if box else {"renewal_url": login_link(account.login)}
        upload_url = links["member_url"]("mailboxes.index") if box else links["renewal_url"]
        self._queue(
            "document_rejected",
            account,
            subject=_l("Documento d'identità da ricaricare"),
            name=account.display_name,
            reason=document.rejection_reason,
            upload_url=upload_url,
            renewal_until=links.get("renewal_until"),
        )

    def password_reset(self, account, mailbox, token: str) -> None:
        """Recovery and first access: the login, a single-use link to choose a password
        (the account's, or with `mailbox` that PEC address's own) and the personal links."""
        target = accounts.AccessTarget(account, mailbox)
        first_access = target.is_first_access
        self._queue(
            "password_reset",
            account,
            subject=_l("Primo accesso al portale di rinnovo PEC")
            if first_access
            else _l("Recupero dati di accesso"),
            links={"mailbox": mailbox},
            name=account.display_name,
            first_access=first_access,
            account_login=account.login,
            login=mailbox.address if mailbox is not None else account.login,
            reset_url=external_url("auth.reset", token=token),
            hours=int(accounts.token_lifetime(target).total_seconds() // 3600),
            renewal_links=account_links(account),
            login_url=external_url("auth.login"),
        )

    def access_link(self, mailbox) -> None:
        """The personal "Rinnova ora" link of `mailbox`, sent on an operator's request."""
        account = mailbox.account
        self._queue(
            "access_link",
            account,
            subject=_l(
                "Il tuo link per rinnovare la casella PEC %(address)s", address=mailbox.address
            ),
            links={"mailbox": mailbox},
            name=account.display_name,
            address=mailbox.address,
            account_login=account.login,
            login_url=external_url("auth.login"),
            **member_links(mailbox),
        )

    # --- the daily jobs --------------------------------------------------------------

    def reminder(self, due) -> None:
        values = self._values(due)
        subjects = {
            "notice": _l("La casella PEC %(address)s scade il %(date)s", **values),
            "soon": _l(
                "Mancano %(days)d giorni: la casella PEC %(address)s scade il %(date)s",
                **values,
            ),
            "urgent": _l(
                "Urgente: la casella PEC %(address)s scade tra %(days)d giorni (%(date)s)",
                **values,
            ),
            "last": _l(
                "Ultimo avviso: la casella PEC %(address)s scade domani (%(date)s)", **values
            )
            if due.days_left == 1
            else _l("Ultimo avviso: la casella PEC %(address)s scade oggi (%(date)s)", **values),
        }
        self._lifecycle(due, subjects[due.tone])

    def deactivated(self, due) -> None:
        self._lifecycle(
            due, _l("La casella PEC %(address)s è stata disattivata", **self._values(due))
        )

    def ceased(self, due) -> None:
        self._lifecycle(due, _l("La casella PEC %(address)s è cessata", **self._values(due)))

    @staticmethod
    def _values(due) -> dict:
        return dict(
            address=due.mailbox.address,
            date=format_date(due.expires_on),
            days=due.days_left or 0,
        )

    def _lifecycle(self, due, subject) -> None:
        account = due.mailbox.account
        # Reminders and deactivation notices: the link lasts until the restore window ends.
        until = access_links.last_day(due.mailbox, clock.today(), lifecycle=True)
        self._queue(
            LIFECYCLE_TEMPLATES[due.kind],
            account,
            to=due.to_address,
            subject=subject,
            dedupe_key=due.dedupe_key,
            links={"mailbox": due.mailbox.id, "order": due.order.id if due.order else None},
            due=due,
            name=account.display_name,
            address=due.mailbox.address,
            expires_on=due.expires_on,
            order=due.order,
            amount_due=balance(due.order).missing_cents if due.order else None,
            login_url=external_url("auth.login"),
            **member_links(due.mailbox, due.order, until=until),
        )


# --- At delivery -------------------------------------------------------------------------


class LocalSenderRefused(ValueError):
    """The sender is an address at localhost: members would get mail that looks like
    phishing and bounces when answered. Set the sender in the convention's settings."""


@dataclass(frozen=True)
class Outgoing:
    """An outbox row as it leaves: sender, bodies on the current base URL, images."""

    sender: tuple[str, str]
    body_text: str
    body_html: str
    images: list[tuple[str, str, bytes]] = field(default_factory=list)


def _convention_of(row: OutboxMessage) -> Convention | None:
    query = Convention.select()
    if row.account_id is not None:
        query = query.join(Account).where(Account.id == row.account_id)
    return query.order_by(Convention.id).first()


def sender_of(row: OutboxMessage) -> tuple[str, str]:
    """(name, address): the convention's sender, else MAIL_DEFAULT_SENDER's, named after
    the convention when the default has no name."""
    default_name, default_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    convention = _convention_of(row)
    if convention is None:
        return default_name, default_address
    return (
        convention.sender_name or default_name or convention.name,
        convention.sender_address or default_address,
    )


def qr_png(facts: dict) -> bytes:
    """The transfer's EPC QR code as a PNG for an e-mail (mail clients show no SVG)."""
    out = io.BytesIO()
    transfers.epc_qr(facts).save(out, kind="png", scale=5, border=4)
    return out.getvalue()


def outgoing(row: OutboxMessage) -> Outgoing:
    """What `row` becomes at delivery; raises LocalSenderRefused for a localhost sender."""
    sender = sender_of(row)
    if seller.is_local_address(sender[1]):
        raise LocalSenderRefused(
            f"sender {sender[1]!r} is a local address: set the e-mail sender in the "
            "convention's settings (or MAIL_DEFAULT_SENDER)"
        )
    base = current_app.config["PEC_BASE_URL"]
    images = [(cid, "image/png", qr_png(facts)) for cid, facts in (row.images or {}).items()]
    return Outgoing(
        sender=sender,
        body_text=rebase(row.body_text, row.base_url, base),
        body_html=rebase(row.body_html, row.base_url, base),
        images=images,
    )
