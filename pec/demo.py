"""Demo data of README, Commands and Demo logins, with dates relative to today. Idempotent: what exists is kept."""

import datetime as dt
from pathlib import Path

from pec.contracts import seed_documents
from pec.database import write_transaction
from pec.domain import clock, passwords, seller
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

LOGO = Path(__file__).with_name("demo_logo.png")

# A fictional seller: plausible Italian data that belongs to no one (the partita IVA has a
# valid check digit; the addresses use the reserved .example domain).
IDENTITY = dict(
    seller_name="PEC Demo S.r.l.",
    seller_address="Via Nazionale 100",
    seller_postal_code="00184",
    seller_city="Roma",
    seller_province="RM",
    seller_country="IT",
    seller_vat_number="07654320584",
    seller_fiscal_code="07654320584",
    seller_pec="amministrazione@pec.demo.it",
    contact_email="assistenza@pecdemo.example",
    contact_phone="06 1234 5678",
    office_hours="lun–ven 9:00–13:00 e 14:30–17:30",
    privacy_controller="PEC Demo S.r.l., Via Nazionale 100, 00184 Roma – privacy@pecdemo.example",
    dpo_contact="dpo@pecdemo.example",
    sender_name="Rinnovi PEC FNOMCeO",
    sender_address="rinnovi@pecdemo.example",
)


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
    # Fill the identity where it is missing (an older demo database), keeping the rest.
    missing = {k: v for k, v in IDENTITY.items() if not getattr(convention, k)}
    if not convention.logo_sha256:
        logo = seller.check_logo(LOGO.read_bytes())
        missing |= dict(logo=logo.data, logo_type=logo.content_type, logo_sha256=logo.sha256)
        missing |= dict(logo_width=logo.width, logo_height=logo.height)
    if missing:
        Convention.update(missing).where(Convention.id == convention.id).execute()
        for key, value in missing.items():
            setattr(convention, key, value)
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
