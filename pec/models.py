"""Peewee models for the whole product, with the keys and indexes the rules need.

No Flask and no clock here: models hold data and return queries. Conventions:
`*_on` a date, `*_at` an aware UTC datetime, `*_cents` an integer amount in cents,
`*_bp` a rate in basis points (2200 = 22 %).
"""

import datetime as dt
import json

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FieldAccessor,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.fields import EnumField as StoredEnumField

from pec.database import Prepared, Slot, db
from pec.vocabulary import (
    DocumentStatus,
    InvoiceKind,
    JobStatus,
    OperatorLinkPurpose,
    OrderStatus,
    OutboxStatus,
    PaymentMethod,
    PaymentStatus,
    PersonType,
    Role,
    Seller,
    SettlementKind,
)


class UtcDateTimeField(DateTimeField):
    """Stores naive UTC, returns aware UTC (portable across SQLite and PostgreSQL)."""

    def db_value(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class _EnumAccessor(FieldAccessor):
    # A value read from the database is already the member (the field's python_value):
    # stored as it is (pec.model_rows builds rows so).
    stores_as_read = True

    def __set__(self, instance, value):
        if value is not None:
            value = self.field.enum_class(value)
        super().__set__(instance, value)


class EnumField(StoredEnumField):
    """peewee's EnumField (a text column holding the member's value) that also turns a
    plain string assigned in Python into the member, so a row built in memory answers
    `order.payment_method.is_online` just like one read from the database."""

    accessor_class = _EnumAccessor


class JSONField(TextField):
    """A small JSON document in a text column (snapshots, counts, details)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def _utcnow() -> dt.datetime:
    # Row creation stamps only; business dates always come from pec.domain.clock.
    return dt.datetime.now(dt.UTC)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# --- The convention and its documents -------------------------------------------------


class Convention(BaseModel):
    """An order or association with an agreement with the PEC provider."""

    code = CharField(unique=True)
    name = CharField()
    price_cents = IntegerField()  # net price of one mailbox for `duration_years`
    vat_rate_bp = IntegerField(default=2200)
    duration_years = IntegerField(default=3)
    reminder_offsets = CharField(default="60,30,15,7,1")
    restore_window_days = IntegerField(default=90)
    declared_payment_hold_days = IntegerField(default=5)
    document_retention_days = IntegerField(default=30)
    expiring_window_days = IntegerField(default=30)
    iban = CharField(default="")
    beneficiary = CharField(default="")
    postal_account = CharField(default="")
    enabled_methods = CharField(default=",".join(PaymentMethod))
    # Who sells and who to call (Codice del Consumo art. 49, D.Lgs. 70/2003 art. 7, GDPR
    # art. 13): shown in every page's footer and e-mail, named in the contract texts.
    seller_name = CharField(default="")  # legal name (ragione sociale)
    seller_address = CharField(default="")  # street and number
    seller_postal_code = CharField(default="")
    seller_city = CharField(default="")
    seller_province = CharField(default="")
    seller_country = CharField(default="IT")
    seller_vat_number = CharField(default="")
    seller_fiscal_code = CharField(default="")
    seller_pec = CharField(default="")
    contact_email = CharField(default="")
    contact_phone = CharField(default="")
    office_hours = CharField(default="")
    privacy_controller = CharField(default="")  # who the controller is and how to reach it
    dpo_contact = CharField(default="")
    # The logo, checked by content (PNG or JPEG); its hash fingerprints its URL.
    logo = BlobField(null=True)
    logo_type = CharField(default="")
    logo_sha256 = CharField(default="")
    logo_width = IntegerField(default=0)
    logo_height = IntegerField(default=0)
    sender_name = CharField(default="")  # e-mails come from "sender_name <sender_address>"
    sender_address = CharField(default="")
    # Who sells and invoices the renewal (R13); with the convention, its FatturaPA
    # regime (RF01 = ordinario). The seller's identity is in the fields above.
    seller = EnumField(Seller, default=Seller.PROVIDER)
    tax_regime = CharField(default="RF01")
    created_at = UtcDateTimeField(default=_utcnow)

    @property
    def offsets(self) -> list[int]:
        """Reminder offsets in days before expiry, most distant first."""
        return sorted({int(x) for x in self.reminder_offsets.split(",") if x.strip()}, reverse=True)

    @property
    def methods(self) -> list[PaymentMethod]:
        """The payment methods this convention offers, in the payment step's order."""
        chosen = {m.strip() for m in self.enabled_methods.split(",")}
        return [m for m in PaymentMethod if m in chosen]


class ContractDocument(BaseModel):
    """One version of a contract text; a new version never changes past acceptances (R10)."""

    convention = ForeignKeyField(Convention, backref="documents", on_delete="RESTRICT")
    code = CharField()  # "conditions", "unfair_terms", "privacy"
    version = IntegerField()
    title = CharField()
    body = TextField()  # exactly the text shown and accepted (its SHA-256 is the evidence)
    # What the operator wrote, with placeholders such as {venditore} that `body` fills
    # from the convention's identity; "" = the body has none.
    template = TextField(default="")
    is_current = BooleanField(default=True)
    created_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = ((("convention", "code", "version"), True),)

    @classmethod
    def current_for(cls, convention):
        return (
            cls.select()
            .where((cls.convention == convention) & (cls.is_current == True))  # noqa: E712
            .order_by(cls.id)
        )


# --- Members ---------------------------------------------------------------------------


class Account(BaseModel):
    """A holder's customer account ("Area Clienti" login) with the holder's data."""

    convention = ForeignKeyField(Convention, backref="accounts", on_delete="RESTRICT")
    login = CharField(unique=True)
    password_hash = CharField(null=True)
    person_type = EnumField(PersonType, default=PersonType.PERSON)
    first_name = CharField(default="")
    last_name = CharField(default="")
    company_name = CharField(default="")
    fiscal_code = CharField(default="", index=True)
    vat_number = CharField(default="")
    einvoice_recipient = CharField(default="")  # SDI code or PEC address
    address = CharField(default="")
    postal_code = CharField(default="")
    city = CharField(default="")
    province = CharField(default="")
    country = CharField(default="IT")
    phone = CharField(default="")
    fax = CharField(default="")
    reference_email = CharField(index=True)  # recovery accepts it (docs/rules.md, journey 2)
    language = CharField(default="it")
    session_epoch = IntegerField(default=0)
    # R11: personal links carry it; a new password or an operator's "revoke links" bumps
    # it, and every link (and reset link) issued before stops working.
    access_epoch = IntegerField(default=0)
    created_at = UtcDateTimeField(default=_utcnow)

    @property
    def display_name(self) -> str:
        if self.person_type.is_company and self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()


class Mailbox(BaseModel):
    """A PEC mailbox. `expires_on` is the last day of service (R1).

    `deactivated_on` and `ceased_on` record what the daily job did (and told the
    holder); the status a member sees is derived from the dates (pec.domain.status).
    """

    # Indexed with the list's order (Meta.indexes), which serves an account's look-ups too.
    account = ForeignKeyField(Account, backref="mailboxes", on_delete="RESTRICT", index=False)
    address = CharField(unique=True)
    password_hash = CharField(null=True)
    expires_on = DateField(index=True)
    deactivated_on = DateField(null=True)
    ceased_on = DateField(null=True)
    session_epoch = IntegerField(default=0)
    created_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = (
            # Daily jobs read only what is due (docs/rules.md, Qualities): not yet deactivated, by expiry.
            (("deactivated_on", "expires_on"), False),
            (("ceased_on", "expires_on"), False),
            # Gestione PEC: an account's mailboxes in the list's order (pec.domain.
            # mailboxes.LIST_ORDER), so a page reads its rows and stops.
            (("account", "expires_on", "address"), False),
        )

    @classmethod
    def of_account(cls, account):
        return cls.select().where(cls.account == account).order_by(cls.expires_on, cls.address)


class IdentityDocument(BaseModel):
    """A holder's identity document, stored outside the web root (docs/rules.md, member journey 3)."""

    account = ForeignKeyField(Account, backref="documents", on_delete="RESTRICT")
    stored_name = CharField(unique=True)
    original_name = CharField()
    content_type = CharField()
    size_bytes = IntegerField()
    sha256 = CharField()
    status = EnumField(DocumentStatus, default=DocumentStatus.UPLOADED)
    rejection_reason = TextField(default="")
    uploaded_at = UtcDateTimeField(default=_utcnow)
    verified_at = UtcDateTimeField(null=True)
    purged_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("account", "uploaded_at"), False), (("status", "verified_at"), False))

    @classmethod
    def latest_for(cls, account):
        """The account's latest document not rejected (Gestione PEC shows it), or None."""
        return _LATEST_DOCUMENT.first(account=getattr(account, "id", account))


_LATEST_DOCUMENT = Prepared(
    lambda: (
        IdentityDocument.select()
        .where(
            (IdentityDocument.account == Slot("account"))
            & (IdentityDocument.status != DocumentStatus.REJECTED)
        )
        .order_by(IdentityDocument.uploaded_at.desc(), IdentityDocument.id.desc())
        .limit(1)
    )
)


# --- Orders and payments ---------------------------------------------------------------


class Order(BaseModel):
    """A renewal order; while a draft it is also the wizard's state (nothing of the wizard
    lives in the session or in hidden fields).

    Prices, VAT rate, duration and billing data are frozen on it (R9, R10).
    """

    number = CharField(null=True, unique=True)  # given at confirmation
    account = ForeignKeyField(Account, backref="orders", on_delete="RESTRICT")
    convention = ForeignKeyField(Convention, backref="orders", on_delete="RESTRICT")
    # Set when started from a PEC-address login: that mailbox alone (R4).
    started_by_mailbox = ForeignKeyField(Mailbox, null=True, on_delete="RESTRICT")
    status = EnumField(OrderStatus, default=OrderStatus.DRAFT)
    duration_years = IntegerField()
    unit_price_cents = IntegerField()
    vat_rate_bp = IntegerField()
    net_cents = IntegerField(default=0)
    vat_cents = IntegerField(default=0)
    gross_cents = IntegerField(default=0)
    payment_method = EnumField(PaymentMethod, null=True)
    billing = JSONField(null=True)  # snapshot of the billing form (R10)
    # R12: the sum of the order's registered payments, kept by register_payment in the
    # payment's transaction (incrementing it is what serialises concurrent payments),
    # and the sum of the refunds and acceptances an operator recorded.
    received_cents = IntegerField(default=0)
    settled_cents = IntegerField(default=0)
    language = CharField(default="it")
    created_at = UtcDateTimeField(default=_utcnow)
    updated_at = UtcDateTimeField(default=_utcnow)
    confirmed_at = UtcDateTimeField(null=True)
    paid_at = UtcDateTimeField(null=True)
    cancelled_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("account", "status"), False), (("status", "updated_at"), False))

    @classmethod
    def open_for(cls, mailbox):
        """The open (draft or awaiting payment) order holding this mailbox, if any (R4)."""
        return (
            cls.select()
            .join(OrderLine)
            .where((OrderLine.mailbox == mailbox) & (cls.status.in_(OrderStatus.open())))
            .first()
        )


class OrderLine(BaseModel):
    """One mailbox renewed by an order, with the expiry it had and the one it will give.

    `open_mailbox` equals `mailbox` while the order is open and NULL afterwards: its
    unique key is what keeps a mailbox on at most one open order (R4), on SQLite and
    PostgreSQL alike (both allow many NULLs under a unique key).
    """

    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    mailbox = ForeignKeyField(Mailbox, backref="order_lines", on_delete="RESTRICT")
    open_mailbox = ForeignKeyField(Mailbox, null=True, unique=True, on_delete="RESTRICT")
    old_expires_on = DateField()
    new_expires_on = DateField()
    unit_price_cents = IntegerField()

    class Meta:
        indexes = ((("order", "mailbox"), True),)


class ContractAcceptance(BaseModel):
    """Evidence of one Accetto / Non accetto answer on a document (R10)."""

    order = ForeignKeyField(Order, backref="acceptances", on_delete="CASCADE")
    document = ForeignKeyField(ContractDocument, on_delete="RESTRICT")
    document_code = CharField()
    document_version = IntegerField()
    text_sha256 = CharField()
    accepted = BooleanField()
    answered_at = UtcDateTimeField(default=_utcnow)
    ip = CharField(default="")
    user_agent = TextField(default="")

    class Meta:
        indexes = ((("order", "document"), True),)


class Payment(BaseModel):
    """A payment attempt, report or registration on an order (R3).

    (provider, reference) is unique: a gateway event, a CRO/TRN or a bank entry
    reference is registered at most once.
    """

    order = ForeignKeyField(Order, backref="payments", on_delete="RESTRICT")
    method = EnumField(PaymentMethod)
    provider = CharField()  # a PaymentProvider, or the name of a gateway adapter
    reference = CharField(null=True)
    amount_cents = IntegerField()
    status = EnumField(PaymentStatus, default=PaymentStatus.REPORTED)
    paid_on = DateField(null=True)
    note = TextField(default="")
    rejection_reason = TextField(default="")
    created_at = UtcDateTimeField(default=_utcnow)
    registered_at = UtcDateTimeField(null=True)
    registered_by = CharField(default="")

    class Meta:
        indexes = (
            (("provider", "reference"), True),
            (("order", "status"), False),
            (("status", "created_at"), False),
        )


class Settlement(BaseModel):
    """Money to refund closed by an operator (R12): paid back (date, amount, reference)
    or accepted with a reason. Never updated, never deleted."""

    order = ForeignKeyField(Order, backref="settlements", on_delete="RESTRICT")
    kind = EnumField(SettlementKind)
    amount_cents = IntegerField()
    settled_on = DateField()
    reference = CharField(default="")  # the refund transfer's CRO/TRN
    reason = TextField(default="")
    actor = CharField()
    created_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = ((("order", "created_at"), False),)


class InvoiceCounter(BaseModel):
    """The last invoice number given in a calendar year (R13: progressive, no gaps)."""

    year = IntegerField(primary_key=True)
    last_number = IntegerField(default=0)


class Invoice(BaseModel):
    """An electronic invoice (or credit note) issued by the convention, with its
    FatturaPA file as sent, frozen at issue with the seller's data (R10, R13)."""

    kind = EnumField(InvoiceKind)
    year = IntegerField()
    number = IntegerField()
    issued_on = DateField()
    order = ForeignKeyField(Order, backref="invoices", on_delete="RESTRICT")
    # A credit note: the invoice it corrects and the refund that caused it.
    corrects = ForeignKeyField("self", null=True, backref="credit_notes", on_delete="RESTRICT")
    settlement = ForeignKeyField(Settlement, null=True, on_delete="RESTRICT")
    net_cents = IntegerField()
    vat_cents = IntegerField()
    gross_cents = IntegerField()
    seller = JSONField()  # the seller's identity as printed on it
    file_name = CharField(unique=True)  # IT<seller id>_<progressive>.xml, as SDI wants
    xml = TextField()
    created_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = ((("year", "number"), True), (("issued_on",), False))

    @property
    def label(self) -> str:
        """The number as printed: 12/2026."""
        return f"{self.number}/{self.year}"


class GatewayEvent(BaseModel):
    """A payment provider's notification, kept once per event id (replays are no-ops)."""

    provider = CharField()
    event_id = CharField()
    order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    outcome = CharField(default="")
    payload = TextField(default="")
    received_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = ((("provider", "event_id"), True),)


# --- Scheduled work and e-mail ---------------------------------------------------------


class ReminderSent(BaseModel):
    """One reminder per (mailbox, expiry date, offset), ever (R7)."""

    mailbox = ForeignKeyField(Mailbox, backref="reminders", on_delete="CASCADE")
    expires_on = DateField()
    offset_days = IntegerField()
    sent_on = DateField()
    created_at = UtcDateTimeField(default=_utcnow)

    class Meta:
        indexes = ((("mailbox", "expires_on", "offset_days"), True),)


class OutboxMessage(BaseModel):
    """An e-mail written in the same transaction as its cause, delivered later (docs/rules.md, Scheduled work and e-mail).

    `dedupe_key` (unique) makes each event's e-mail exist at most once.
    """

    kind = CharField()
    dedupe_key = CharField(null=True, unique=True)
    message_id = CharField(unique=True)
    to_address = CharField()
    subject = CharField()
    body_text = TextField()
    body_html = TextField(default="")
    language = CharField(default="it")
    # The PEC_BASE_URL the links were written with: delivery rewrites them onto the
    # current one, so a changed address never sends members to the old host.
    base_url = CharField(default="")
    # Inline images by Content-ID, as the facts to draw them from ({"epc-qr": payload}).
    images = JSONField(null=True)
    account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    mailbox = ForeignKeyField(Mailbox, null=True, on_delete="SET NULL")
    order = ForeignKeyField(Order, null=True, on_delete="SET NULL")
    status = EnumField(OutboxStatus, default=OutboxStatus.PENDING)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = UtcDateTimeField(default=_utcnow)
    created_at = UtcDateTimeField(default=_utcnow)
    sent_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = (
            (("status", "next_attempt_at"), False),
            (("mailbox", "created_at"), False),
            (("account", "created_at"), False),
        )


class JobRun(BaseModel):
    """One run of a scheduled job: when, as of which day, what it did, what failed."""

    job = CharField()
    as_of = DateField()
    started_at = UtcDateTimeField(default=_utcnow)
    finished_at = UtcDateTimeField(null=True)
    status = EnumField(JobStatus, default=JobStatus.RUNNING, index=True)
    counts = JSONField(null=True)
    error = TextField(default="")
    runner = CharField(default="")  # host:pid of the process that runs it

    class Meta:
        indexes = ((("job", "started_at"), False),)


class Lease(BaseModel):
    """A named lease held by one process at a time (the scheduler's single runner)."""

    name = CharField(primary_key=True)
    holder = CharField()
    expires_at = UtcDateTimeField()


# --- Operators, security, audit --------------------------------------------------------


class Operator(BaseModel):
    """A member of the convention's staff. No password until an invited operator
    chooses one; `totp_secret` is set once two-factor authentication is enrolled, and
    `totp_last_step` is the time step of the last code accepted (a code works once)."""

    email = CharField(unique=True)
    name = CharField(default="")
    password_hash = CharField(null=True)
    role = EnumField(Role, default=Role.OPERATOR)
    is_active = BooleanField(default=True)
    session_epoch = IntegerField(default=0)
    totp_secret = CharField(null=True)
    totp_enabled_at = UtcDateTimeField(null=True)
    totp_last_step = IntegerField(null=True)
    created_at = UtcDateTimeField(default=_utcnow)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None


class OperatorLink(BaseModel):
    """A single-use link e-mailed to an operator (an invitation or a password reset);
    only its hash is stored."""

    token_hash = CharField(unique=True)
    operator = ForeignKeyField(Operator, backref="links", on_delete="CASCADE")
    purpose = EnumField(OperatorLinkPurpose)
    created_at = UtcDateTimeField(default=_utcnow)
    expires_at = UtcDateTimeField(index=True)
    used_at = UtcDateTimeField(null=True)


class RecoveryCode(BaseModel):
    """A single-use code that stands in for an operator's authenticator; hashed."""

    operator = ForeignKeyField(Operator, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(unique=True)
    created_at = UtcDateTimeField(default=_utcnow)
    used_at = UtcDateTimeField(null=True)


class ResetToken(BaseModel):
    """A single-use link to choose a password: recovery, or the first access of an account
    created without one (docs/rules.md, member journey 2, R11); only its hash is stored.

    `account` is always the holder's account (the per-account hourly cap counts on it);
    `mailbox` is set when the link sets that PEC address's own password. The link works
    while the account's `access_epoch` still equals the one it was issued under.
    """

    token_hash = CharField(unique=True)
    account = ForeignKeyField(Account, null=True, on_delete="CASCADE")
    mailbox = ForeignKeyField(Mailbox, null=True, on_delete="CASCADE")
    access_epoch = IntegerField(default=0)
    created_at = UtcDateTimeField(default=_utcnow)
    expires_at = UtcDateTimeField(index=True)
    used_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("account", "created_at"), False),)


class FormStash(BaseModel):
    """What a member typed on a step when the session had expired, kept for a short time
    under a random key (only its hash here) so the step comes back filled after login."""

    key_hash = CharField(unique=True)
    path = CharField()
    fields = JSONField()  # [[name, value], ...] without the CSRF token
    created_at = UtcDateTimeField(index=True)


class AuditEvent(BaseModel):
    """Who did what to which record (R10). Never updated, never deleted."""

    at = UtcDateTimeField(default=_utcnow, index=True)
    actor = CharField()  # "operator:3", "member:account:1", "system:deactivation"
    action = CharField(index=True)
    target_type = CharField(default="")
    target_id = IntegerField(null=True)
    details = JSONField(null=True)
    ip = CharField(default="")

    class Meta:
        indexes = ((("target_type", "target_id"), False),)


ALL_MODELS = [
    Convention,
    ContractDocument,
    Account,
    Mailbox,
    IdentityDocument,
    Order,
    OrderLine,
    ContractAcceptance,
    Payment,
    Settlement,
    InvoiceCounter,
    Invoice,
    GatewayEvent,
    ReminderSent,
    OutboxMessage,
    JobRun,
    Lease,
    Operator,
    OperatorLink,
    RecoveryCode,
    ResetToken,
    FormStash,
    AuditEvent,
]
