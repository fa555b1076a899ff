"""Demo data of README, Commands and Demo logins, with dates relative to today. Idempotent: what exists is kept."""

import datetime as dt

from pec.contracts import seed_documents
from pec.database import write_transaction
from pec.domain import clock, passwords
from pec.models import (
    Account,
    Convention,
    Mailbox,
    Operator,
)
from pec.vocabulary import Role

DEMO_PASSWORD = "demo-password"
# The demo admin's authenticator secret (admins must use two-factor authentication). It is
# printed by `pec demo` and in the README, so anyone trying the demo can get the current
# code from an authenticator app or one line of Python; a real install never has it.
DEMO_TOTP_SECRET = "PECDEMOADMINTOTPSECRET234567ABCD"


def _convention() -> Convention:
    convention, _ = Convention.get_or_create(
        code="FNOMCeO",
        defaults=dict(
            name="FNOMCeO – Federazione Nazionale degli Ordini dei Medici Chirurghi e degli Odontoiatri",
            price_cents=400,
            vat_rate_bp=2200,
            duration_years=3,
            iban="IT60X0542811101000000123456",
            beneficiary="PEC Demo S.r.l. – Convenzione FNOMCeO",
            postal_account="1234567",
        ),
    )
    return convention


def _account(convention, login, password_hash, **holder) -> Account:
    account = Account.get_or_none(Account.login == login)
    if account is None:
        account = Account.create(
            convention=convention, login=login, password_hash=password_hash, **holder
        )
    return account


def _mailbox(account, address, expires_on, password_hash=None, deactivated_on=None) -> Mailbox:
    mailbox = Mailbox.get_or_none(Mailbox.address == address)
    if mailbox is None:
        mailbox = Mailbox.create(
            account=account,
            address=address,
            password_hash=password_hash,
            expires_on=expires_on,
            deactivated_on=deactivated_on,
        )
    return mailbox


def load_demo(today: dt.date) -> None:
    """Create the demo convention, operator, holders and mailboxes where missing."""
    days = dt.timedelta
    # Hashing is slow on purpose: done before the write lock is taken.
    admin_hash = passwords.hash_password("admin-password")
    mario_hash = passwords.hash_password(DEMO_PASSWORD)
    anna_box_hash = passwords.hash_password(DEMO_PASSWORD)
    with write_transaction():
        convention = _convention()
        seed_documents(convention)
        if Operator.get_or_none(Operator.email == "admin@example.org") is None:
            Operator.create(
                email="admin@example.org",
                name="Giulia Verdi",
                password_hash=admin_hash,
                role=Role.ADMIN,
                totp_secret=DEMO_TOTP_SECRET,
                totp_enabled_at=clock.now(),
            )
        mario = _account(
            convention,
            "mario.rossi@example.org",
            mario_hash,
            person_type="person",
            first_name="Mario",
            last_name="Rossi",
            fiscal_code="RSSMRA80A01H501U",
            address="Via Roma 1",
            postal_code="00184",
            city="Roma",
            province="RM",
            country="IT",
            phone="+39 06 1234567",
            reference_email="mario.rossi@example.org",
        )
        _mailbox(mario, "mario.rossi@pec.demo.it", today + days(20))
        _mailbox(mario, "studio.rossi@pec.demo.it", today + days(200))
        expired_on = today - days(3)
        _mailbox(mario, "m.rossi@pec.demo.it", expired_on, deactivated_on=expired_on + days(1))
        anna = _account(
            convention,
            "anna.bianchi@example.org",
            None,
            person_type="person",
            first_name="Anna",
            last_name="Bianchi",
            fiscal_code="BNCNNA85M41F205Q",
            address="Corso Buenos Aires 10",
            postal_code="20124",
            city="Milano",
            province="MI",
            country="IT",
            phone="+39 02 7654321",
            reference_email="anna.bianchi@example.org",
        )
        _mailbox(anna, "anna.bianchi@pec.demo.it", today + days(5), password_hash=anna_box_hash)
