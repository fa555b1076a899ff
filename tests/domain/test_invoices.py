"""R13: when the convention is the seller, a paid order gets an invoice number in the
payment's transaction (per calendar year, no gaps) and a FatturaPA 1.2.2 file that
validates against the official schema; refunds of invoiced money get credit notes."""

import datetime as dt
import functools
import io
import re
import threading
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pec.database import db
from pec.domain import invoices
from pec.member_mail import MemberMail
from pec.models import Invoice, InvoiceCounter, Order, OutboxMessage
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_account, make_convention, make_mailbox, make_order, pay, refund

SCHEMAS = Path(__file__).parent.parent / "data" / "fatturapa"
NS = {"p": "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"}
TODAY = dt.date(2026, 3, 10)
SELLER = dict(
    seller="convention",
    seller_name="Ordine dei Medici Chirurghi e degli Odontoiatri di Prova",
    seller_address="Via Giovanni Battista de Rossi 9",
    seller_postal_code="00161",
    seller_city="Roma",
    seller_province="RM",
    seller_vat_number="06363391001",
    seller_fiscal_code="06363391001",
    seller_pec="segreteria@pec.ordine.example.it",
)


class _LocalDsig(etree.Resolver):
    """The schema imports XML-DSig from w3.org: read the copy beside it instead."""

    def resolve(self, url, pubid, context):
        if url.endswith("xmldsig-core-schema.xsd"):
            return self.resolve_filename(str(SCHEMAS / "xmldsig-core-schema.xsd"), context)
        return None


@functools.cache
def fatturapa_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalDsig())
    xsd = etree.parse(str(SCHEMAS / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"), parser)
    return etree.XMLSchema(xsd)


@pytest.fixture(scope="session")
def schema():
    return fatturapa_schema()


def validate(schema, xml: str):
    document = etree.fromstring(xml.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    return document


def seller_convention(**overrides):
    return make_convention(**{**SELLER, **overrides})


def paid_order(convention, billing=None, method="bank_transfer", reference=None, today=TODAY):
    box = make_mailbox(make_account(convention), expires_in=20, today=today)
    order = make_order([box], method=method, billing=billing)
    outcome = pay(
        order,
        reference=reference or f"CRO-{order.id}",
        today=today,
        method=method,
        notices=MemberMail(),
    )
    assert outcome.applied
    return Order.get_by_id(order.id)


PERSON = dict(
    person_type="person",
    fiscal_code="RSSMRA80A01H501U",
    first_name="Mario",
    last_name="Rossi",
    address="Via Roma 1",
    postal_code="00184",
    city="Roma",
    province="RM",
    country="Italia",
    email="mario.rossi@example.org",
)


def test_the_validator_accepts_the_agenzias_own_sample(schema):
    validate(schema, (SCHEMAS / "IT01234567890_FPR01.xml").read_text(encoding="utf-8"))


def test_the_validator_refuses_a_broken_file(schema):
    broken = (SCHEMAS / "IT01234567890_FPR01.xml").read_text(encoding="utf-8")
    broken = broken.replace("<Divisa>EUR</Divisa>", "<Divisa>euro</Divisa>")
    assert not schema.validate(etree.fromstring(broken.encode("utf-8")))


@ON_BOTH_DATABASES
def test_two_paid_orders_in_a_year_get_consecutive_numbers_and_valid_files(ctx, schema):
    convention = seller_convention()
    first = paid_order(convention, PERSON)
    second = paid_order(convention, PERSON)
    one, two = (invoices.order_invoice(o) for o in (first, second))
    assert (one.year, one.number, two.year, two.number) == (2026, 1, 2026, 2)
    assert one.label == "1/2026" and one.issued_on == TODAY
    for invoice, order in ((one, first), (two, second)):
        document = validate(schema, invoice.xml)
        assert document.findtext(".//DatiGeneraliDocumento/Numero") == invoice.label
        assert document.findtext(".//DatiGeneraliDocumento/TipoDocumento") == "TD01"
        assert document.findtext(".//ImportoTotaleDocumento") == "4.88"
        assert document.findtext(".//DatiRiepilogo/ImponibileImporto") == "4.00"
        assert document.findtext(".//DatiRiepilogo/Imposta") == "0.88"
        assert document.findtext(".//CessionarioCommittente//CodiceFiscale") == ("RSSMRA80A01H501U")
        assert document.findtext(".//CodiceDestinatario") == "0000000"
        assert document.findtext(".//CedentePrestatore//IdCodice") == "06363391001"
        assert order.number in document.findtext(".//DettaglioLinee/Descrizione")
        assert re.fullmatch(r"IT06363391001_[0-9A-Z]{5}\.xml", invoice.file_name)
        assert document.findtext(".//ProgressivoInvio") == invoice.file_name[14:19]
    assert one.file_name != two.file_name
    mails = OutboxMessage.select().where(OutboxMessage.kind == "invoice_issued")
    assert [m.order_id for m in mails.order_by(OutboxMessage.id)] == [first.id, second.id]
    courtesy = mails.first()
    assert SELLER["seller_name"] in courtesy.body_text and "1/2026" in courtesy.subject
    assert "copia di cortesia" in courtesy.body_text


def test_numbers_start_again_at_one_each_calendar_year(ctx, schema):
    convention = seller_convention()
    paid_order(convention, PERSON, today=dt.date(2026, 12, 31))
    new_year = paid_order(convention, PERSON, today=dt.date(2027, 1, 1))
    invoice = invoices.order_invoice(new_year)
    assert (invoice.year, invoice.number) == (2027, 1)
    assert {c.year: c.last_number for c in InvoiceCounter.select()} == {2026: 1, 2027: 1}
    validate(schema, invoice.xml)


@ON_BOTH_DATABASES
@pytest.mark.parametrize(
    "billing, code, pec",
    [
        (
            dict(
                person_type="company",
                fiscal_code="06363391001",
                company_name="Studio Medico Associato S.r.l.",
                vat_number="02780790107",
                einvoice_recipient="M5UXCR1",
                address="Corso Italia 12",
                postal_code="20122",
                city="Milano",
                province="MI",
                country="Italia",
            ),
            "M5UXCR1",
            None,
        ),
        (
            dict(
                PERSON,
                person_type="professional",
                vat_number="06363391001",
                einvoice_recipient="mario.rossi@pec.example.it",
            ),
            "0000000",
            "mario.rossi@pec.example.it",
        ),
        (dict(PERSON, address="Piazza Università 3 – scala B, ½ piano"), "0000000", None),
        (
            dict(PERSON, country="Francia", postal_code="75001", city="Paris", province=""),
            "XXXXXXX",
            None,
        ),
    ],
    ids=["company-sdi-code", "professional-pec", "person-odd-characters", "foreign-person"],
)
def test_every_buyer_gets_a_file_that_validates(ctx, schema, billing, code, pec):
    order = paid_order(seller_convention(), billing)
    document = validate(schema, invoices.order_invoice(order).xml)
    assert document.findtext(".//CodiceDestinatario") == code
    assert document.findtext(".//PECDestinatario") == pec
    if billing.get("company_name"):
        assert (
            document.findtext(".//CessionarioCommittente//Denominazione")
            == (billing["company_name"])
        )
        assert (
            document.findtext(".//CessionarioCommittente//IdFiscaleIVA/IdCodice")
            == (billing["vat_number"])
        )
    if billing["country"] == "Francia":
        assert document.findtext(".//CessionarioCommittente/Sede/Nazione") == "FR"


def test_the_provider_as_seller_numbers_nothing(ctx):
    order = paid_order(make_convention(), PERSON)
    assert invoices.order_invoice(order) is None and Invoice.select().count() == 0


@ON_BOTH_DATABASES
def test_a_refund_of_invoiced_money_gets_a_credit_note_that_validates(ctx, schema):
    order = paid_order(seller_convention(), PERSON)
    invoice = invoices.order_invoice(order)
    refund(order, 488, reference="TRN-RECESSO", today=TODAY, notices=MemberMail())
    note = Invoice.get(Invoice.kind == "TD04")
    assert (note.number, note.corrects_id, note.gross_cents) == (2, invoice.id, 488)
    assert (note.net_cents, note.vat_cents) == (400, 88)
    document = validate(schema, note.xml)
    assert document.findtext(".//TipoDocumento") == "TD04"
    assert document.findtext(".//DatiFattureCollegate/IdDocumento") == "1/2026"
    assert document.findtext(".//DatiFattureCollegate/Data") == "2026-03-10"


def test_refunding_only_the_excess_issues_no_credit_note(ctx):
    convention = seller_convention()
    box = make_mailbox(make_account(convention), expires_in=20, today=TODAY)
    order = make_order([box])
    pay(order, 1000, reference="CRO-BIG", today=TODAY, notices=MemberMail())
    refund(Order.get_by_id(order.id), 512, reference="TRN-1", today=TODAY, notices=MemberMail())
    assert [i.kind for i in Invoice.select()] == ["TD01"]


@ON_BOTH_DATABASES
def test_the_months_zip_holds_one_file_per_invoice_named_as_sdi_expects(ctx, schema):
    convention = seller_convention()
    paid_order(convention, PERSON, today=dt.date(2026, 3, 2))
    paid_order(convention, PERSON, today=dt.date(2026, 3, 31))
    paid_order(convention, PERSON, today=dt.date(2026, 4, 1))
    march = list(invoices.month_invoices(2026, 3))
    archive = zipfile.ZipFile(io.BytesIO(invoices.month_zip(march)))
    names = archive.namelist()
    assert names == [i.file_name for i in march] and len(names) == 2
    for name in names:
        assert re.fullmatch(r"IT06363391001_[0-9A-Z]{1,5}\.xml", name)
        validate(schema, archive.read(name).decode("utf-8"))
    zip_name = invoices.month_zip_name(convention, 2026, 3)
    assert re.fullmatch(r"IT06363391001_Z[0-9A-Z]{4}\.zip", zip_name)
    assert zip_name[:-4] + ".xml" not in names


def test_a_progressive_is_unique_for_every_year_and_number():
    seen = {invoices.progressive(y, n) for y in (2026, 2027, 2099) for n in (1, 2, 99_999)}
    assert len(seen) == 9 and all(len(p) == 5 for p in seen)


def race_invoice_numbers(app, threads=8):
    """Payments of `threads` orders registered at once: numbers 1..N, none shared or
    skipped."""
    with app.app_context(), db.connection_context():
        convention = seller_convention()
        orders = []
        for _ in range(threads):
            box = make_mailbox(make_account(convention), expires_in=20, today=TODAY)
            orders.append(make_order([box]))
    errors, barrier = [], threading.Barrier(threads)

    def worker(n):
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                pay(
                    Order.get_by_id(orders[n].id),
                    orders[n].gross_cents,
                    reference=f"CRO-{n}",
                    today=TODAY,
                    notices=MemberMail(),
                )
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == []
    with app.app_context(), db.connection_context():
        numbers = sorted(i.number for i in Invoice.select())
        assert numbers == list(range(1, threads + 1))
        assert InvoiceCounter.get_by_id(2026).last_number == threads
        assert len({i.order_id for i in Invoice.select()}) == threads
        # Each file written in a racing transaction validates, and carries its own number.
        for invoice in Invoice.select():
            document = validate(fatturapa_schema(), invoice.xml)
            assert document.findtext(".//DatiGeneraliDocumento/Numero") == invoice.label


def test_concurrent_registrations_never_share_or_skip_a_number(app):
    race_invoice_numbers(app)
