"""Small builders for test data; each returns saved rows."""

import datetime as dt
import itertools

from pec.domain import clock, passwords
from pec.models import (
    Account,
    Convention,
    Mailbox,
)
from pec.vocabulary import OrderStatus

_seq = itertools.count(1)
PASSWORD = "secret-password"
_HASH_CACHE: dict[str, str] = {}


def _hash(password: str) -> str:
    # argon2 is deliberately slow; tests reuse one hash per password.
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = passwords.hash_password(password)
    return _HASH_CACHE[password]


def make_convention(**overrides) -> Convention:
    values = dict(
        code=f"CONV{next(_seq)}",
        name="Ordine di prova",
        price_cents=400,
        vat_rate_bp=2200,
        duration_years=3,
        iban="IT60X0542811101000000123456",
        beneficiary="PEC Test S.r.l.",
        postal_account="1234567",
    )
    values.update(overrides)
    return Convention.create(**values)


def make_account(convention=None, password=PASSWORD, **overrides) -> Account:
    n = next(_seq)
    values = dict(
        convention=convention or make_convention(),
        login=f"holder{n}@example.org",
        password_hash=_hash(password) if password else None,
        first_name="Mario",
        last_name=f"Rossi{n}",
        fiscal_code="RSSMRA80A01H501U",
        address="Via Roma 1",
        postal_code="00184",
        city="Roma",
        province="RM",
        reference_email=f"holder{n}@example.org",
    )
    values.update(overrides)
    return Account.create(**values)


def make_mailbox(
    account=None, expires_in: int = 20, today: dt.date | None = None, password=None, **overrides
) -> Mailbox:
    today = today or clock.today()
    values = dict(
        account=account or make_account(),
        address=f"box{next(_seq)}@pec.test.it",
        expires_on=today + dt.timedelta(days=expires_in),
        password_hash=_hash(password) if password else None,
    )
    values.update(overrides)
    return Mailbox.create(**values)


def make_order(
    mailboxes,
    *,
    status="awaiting_payment",
    method="bank_transfer",
    number=None,
    billing=None,
    accepted=False,
):
    """A confirmed order renewing `mailboxes` (same account), with prices frozen as the
    wizard freezes them; with `accepted`, also the acceptances of the convention's current
    contract documents that the wizard stores. For tests of payments, jobs and operators;
    the wizard itself creates orders through pec.domain.renewal."""
    from pec.domain import clock, renewal
    from pec.models import ContractAcceptance, Order, OrderLine

    mailboxes = list(mailboxes)
    account = mailboxes[0].account
    convention = account.convention
    now = clock.now()
    order = Order.create(
        number=number or f"T{next(_seq):05d}",
        account=account,
        convention=convention,
        status=status,
        **renewal.frozen_prices(convention, len(mailboxes)),
        payment_method=method,
        billing=billing
        or {
            "first_name": account.first_name,
            "last_name": account.last_name,
            "fiscal_code": account.fiscal_code,
        },
        confirmed_at=now if status != "draft" else None,
    )
    for box, old, new in renewal.priced_lines(convention, mailboxes):
        OrderLine.create(
            order=order,
            mailbox=box,
            open_mailbox=box if status in OrderStatus.open() else None,
            old_expires_on=old,
            new_expires_on=new,
            unit_price_cents=convention.price_cents,
        )
    for doc in renewal.current_documents(convention.id) if accepted else ():
        ContractAcceptance.create(
            order=order,
            document=doc,
            document_code=doc.code,
            document_version=doc.version,
            text_sha256=renewal.text_sha256(doc.body),
            accepted=True,
            answered_at=now,
            ip="",
            user_agent="",
        )
    return order


def make_documents(convention):
    """The three contract documents of docs/rules.md, member journey 5 (the demo's texts) for `convention`."""
    from pec.contracts import seed_documents
    from pec.models import ContractDocument

    seed_documents(convention)
    return list(ContractDocument.current_for(convention))


def make_identity_document(account, **overrides):
    """An identity document's row as an upload leaves it, without its file: for a page,
    an e-mail or an access check that reads only the row. `account`: a row or an id."""
    from pec.models import IdentityDocument

    values = dict(
        stored_name="x" * 32,
        original_name="documento.pdf",
        content_type="application/pdf",
        size_bytes=1000,
        sha256="0" * 64,
    )
    return IdentityDocument.create(account=account, **(values | overrides))


VALID_BILLING = dict(
    person_type="person",
    fiscal_code="RSSMRA80A01H501U",
    first_name="Mario",
    last_name="Rossi",
    company_name="",
    vat_number="",
    einvoice_recipient="",
    address="Via Roma 1",
    postal_code="00184",
    city="Roma",
    province="RM",
    country="Italia",
    phone="+39 06 1234567",
    fax="",
    email="mario.rossi@example.org",
)


def pay(
    order,
    amount_cents=None,
    *,
    reference: str,
    today: dt.date,
    method="bank_transfer",
    provider="operator",
    actor="operator:1",
    notices=None,
    paid_on=None,
):
    """Money received for `order` as an operator registers it (the whole amount unless
    `amount_cents` says otherwise). `notices`: what tells the member, RecordingNotices
    unless given (MemberMail for a test that reads the outbox)."""
    from pec.domain import payments
    from tests.notices import RecordingNotices

    return payments.register_payment(
        order,
        amount_cents=order.gross_cents if amount_cents is None else amount_cents,
        method=method,
        provider=provider,
        reference=reference,
        today=today,
        actor=actor,
        notices=RecordingNotices() if notices is None else notices,
        paid_on=paid_on,
    )


def refund(
    order,
    amount_cents: int,
    *,
    reference: str,
    today: dt.date,
    refunded_on=None,
    actor="operator:1",
    notices=None,
):
    """Money paid back to the member by transfer, on `refunded_on` (default `today`)."""
    from pec.domain import refunds
    from tests.notices import RecordingNotices

    return refunds.record_refund(
        order,
        amount_cents=amount_cents,
        refunded_on=today if refunded_on is None else refunded_on,
        reference=reference,
        actor=actor,
        notices=RecordingNotices() if notices is None else notices,
        today=today,
    )
