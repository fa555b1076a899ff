"""The product's one vocabulary: every state and kind a row can be in, as `StrEnum`s.

Models store them through peewee's `EnumField` (a plain text column holding the value),
the rules compare against them, and templates ask them (`order.payment_method.is_online`)
instead of re-deciding from strings. Labels for people live in the web layer
(`pec/labels.py`), keyed by these members.
"""

import enum


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"  # the wizard is still being filled in
    AWAITING_PAYMENT = "awaiting_payment"  # confirmed, has its number, not yet paid
    PAID = "paid"  # the renewal was applied
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Open orders hold their mailboxes: at most one per mailbox (rule R4)."""
        return self in (OrderStatus.DRAFT, OrderStatus.AWAITING_PAYMENT)

    @classmethod
    def open(cls) -> tuple["OrderStatus", ...]:
        return (cls.DRAFT, cls.AWAITING_PAYMENT)


class PaymentMethod(enum.StrEnum):
    """How a member pays an order, in the order the payment step offers them."""

    CARD = "card"
    PAYPAL = "paypal"
    PREFILLED_SLIP = "prefilled_slip"
    BANK_TRANSFER = "bank_transfer"
    BLANK_SLIP = "blank_slip"

    @property
    def is_online(self) -> bool:
        """Paid through the gateway and registered at once."""
        return self in (PaymentMethod.CARD, PaymentMethod.PAYPAL)

    @property
    def is_reportable(self) -> bool:
        """Paid outside the portal: the member may report it (date, amount, CRO or slip
        number), and an operator or a bank statement registers it."""
        return not self.is_online

    @property
    def is_slow(self) -> bool:
        """Registered days after the member pays: near the expiry, the member is warned
        that registration may come after the deactivation."""
        return not self.is_online

    @property
    def registration_days(self) -> tuple[int, int] | None:
        """Working days from payment to registration, (fewest, most); None = at once.
        The one home of these figures: every page and e-mail words them from here."""
        return {
            PaymentMethod.PREFILLED_SLIP: (3, 3),  # its order number is read by machine
            PaymentMethod.BANK_TRANSFER: (3, 3),
            PaymentMethod.BLANK_SLIP: (5, 7),  # typed by hand, matched by a person
        }.get(self)

    @property
    def has_printable_slip(self) -> bool:
        """The portal prints the slip, filled in, for the member to pay at the post office."""
        return self is PaymentMethod.PREFILLED_SLIP

    @property
    def is_postal(self) -> bool:
        """Paid into the convention's postal account (needs it in the settings)."""
        return self in (PaymentMethod.PREFILLED_SLIP, PaymentMethod.BLANK_SLIP)

    @property
    def is_bank_transfer(self) -> bool:
        """Paid into the convention's bank account (needs its IBAN in the settings)."""
        return self is PaymentMethod.BANK_TRANSFER


class PaymentStatus(enum.StrEnum):
    """A payment row's life: a gateway attempt starts PENDING and ends REGISTERED or
    FAILED (declined, expired); a member's report is REPORTED until a registration
    absorbs it or an operator REJECTs it. REGISTERED is money received: it counts towards
    the order's total whether or not that total is reached yet (rule R12)."""

    PENDING = "pending"
    REPORTED = "reported"
    REGISTERED = "registered"
    REJECTED = "rejected"
    FAILED = "failed"
    # Money that arrived but was not applied, as versions before rule R12 kept it apart;
    # migration 0004 turned every such row into a registered one and nothing writes it now.
    FLAGGED = "flagged"
    # The bank's record of money an operator registered by hand before the statement
    # came: kept beside the registration, counted once, never applied again.
    RECONCILED = "reconciled"


class PaymentProvider(enum.StrEnum):
    """Who told us about a payment; with its reference it names the money once."""

    DEMO = "demo"  # the built-in simulated gateway
    STRIPE = "stripe"
    MEMBER = "member"  # a member's report of a transfer or slip
    OPERATOR = "operator"  # registered by hand
    STATEMENT = "statement"  # a bank statement import


class SettlementKind(enum.StrEnum):
    """How an operator closes money to refund (rule R12): it was paid back, or the
    convention keeps it, with a reason (e.g. a few cents not worth a transfer)."""

    REFUND = "refund"
    ACCEPTANCE = "acceptance"


class Seller(enum.StrEnum):
    """Who sells the renewal, and so who invoices it (rule R13)."""

    PROVIDER = "provider"  # the PEC provider invoices; operators export the paid orders
    CONVENTION = "convention"  # the convention invoices: numbers and FatturaPA files here

    @property
    def invoices_here(self) -> bool:
        return self is Seller.CONVENTION


class InvoiceKind(enum.StrEnum):
    """An electronic invoice, or a credit note for invoiced money refunded; the values
    are FatturaPA's TipoDocumento codes."""

    INVOICE = "TD01"
    CREDIT_NOTE = "TD04"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # to deliver (now, or after its backoff)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # gave up after the last attempt; an operator can retry it


class DocumentStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # waiting for an operator
    VERIFIED = "verified"
    REJECTED = "rejected"  # the member was told why and may upload another


class JobStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    # The process running it stopped (killed, restarted) before it finished; found and
    # marked at the next start. Its work is safe to run again (every job is idempotent).
    INTERRUPTED = "interrupted"

    @property
    def is_failure(self) -> bool:
        """A run operators must look at: it failed or never finished."""
        return self in (JobStatus.FAILED, JobStatus.INTERRUPTED)


class PersonType(enum.StrEnum):
    """Who the holder is, for billing: a private person, a professional, a company."""

    PERSON = "person"
    PROFESSIONAL = "professional"
    COMPANY = "company"

    @property
    def has_vat_number(self) -> bool:
        """Professionals and companies give a partita IVA and an e-invoicing recipient."""
        return self is not PersonType.PERSON

    @property
    def is_company(self) -> bool:
        return self is PersonType.COMPANY


class Role(enum.StrEnum):
    OPERATOR = "operator"
    ADMIN = "admin"


class OperatorLinkPurpose(enum.StrEnum):
    """Why a single-use link was e-mailed to an operator."""

    INVITE = "invite"  # an admin invited them: they choose their first password
    RESET = "reset"  # an admin reset their password: they choose a new one


class MailboxStatus(enum.StrEnum):
    """A mailbox's status as a member sees it; derived from dates, never stored
    (pec.domain.status)."""

    ACTIVE = "active"
    EXPIRING = "expiring"
    AWAITING_PAYMENT = "awaiting_payment"
    DEACTIVATED = "deactivated"
    CEASED = "ceased"

    @property
    def is_renewable(self) -> bool:
        """Online renewal is possible until the mailbox is ceased (rule R6)."""
        return self is not MailboxStatus.CEASED and self is not MailboxStatus.AWAITING_PAYMENT


# The enums templates compare with (e.g. `order.status == OrderStatus.PAID`).
FOR_TEMPLATES = {
    e.__name__: e
    for e in (
        OrderStatus,
        PaymentMethod,
        PaymentStatus,
        SettlementKind,
        InvoiceKind,
        OutboxStatus,
        DocumentStatus,
        JobStatus,
        MailboxStatus,
    )
}
