"""Bank statements: CAMT.053 and CSV read safely, matched on order number and amount,
registered through register_payment once per entry reference (docs/rules.md, Operators, R3)."""

import datetime as dt
from pathlib import Path

import pytest

from pec.domain import statements
from pec.models import (
    AuditEvent,
    Mailbox,
    Order,
    Payment,
)
from tests.factories import make_order, pay
from tests.notices import RecordingNotices

DATA = Path(__file__).parent.parent / "data"
RIGHT, WRONG_AMOUNT, NOBODYS = "K7M4Q9X2", "R2D2C3PV", "Z9Y8X7WY"

CSV_STATEMENT = (
    "Estratto conto corrente;;;;;\r\n"
    "Conto;IT60X0542811101000000123456;;;;\r\n"
    ";;;;;\r\n"
    "Data contabile;Data valuta;Importo;Causale;Descrizione;Riferimento\r\n"
    "09/03/2026;09/03/2026;4,88;Bonifico a vostro favore;Rinnovo PEC ordine K7M4Q9X2 Niccolò;"
    "CSV-0001\r\n"
    "09/03/2026;09/03/2026;4,00;Bonifico a vostro favore;ORD r2d2c3pv;CSV-0002\r\n"
    "10/03/2026;10/03/2026;1.234,56;Bonifico a vostro favore;quota Z9Y8X7WY;CSV-0003\r\n"
    "10/03/2026;10/03/2026;-12,50;Commissioni;spese tenuta conto;CSV-0004\r\n"
    "31/02/2026;31/02/2026;4,88;Bonifico;x;CSV-0005\r\n"
    "10/03/2026;10/03/2026;quattro;Bonifico;x;CSV-0006\r\n"
).encode("cp1252")


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


@pytest.fixture
def orders(ctx, demo):
    mario = make_order([box("mario.rossi@pec.demo.it")], number=RIGHT)
    anna = make_order([box("anna.bianchi@pec.demo.it")], number=WRONG_AMOUNT)
    return mario, anna


def registered() -> list[Payment]:
    return list(Payment.select().where(Payment.status == "registered"))


def import_twice(data: bytes, today: dt.date):
    first = statements.apply(
        statements.parse(data), today=today, actor="test", notices=RecordingNotices(), filename="f"
    )
    second = statements.apply(
        statements.parse(data), today=today, actor="test", notices=RecordingNotices(), filename="f"
    )
    return first, second


def test_camt053_sample_registers_one_flags_one_lists_one_and_ignores_the_debit(orders, today):
    mario, anna = orders
    data = (DATA / "camt053_sample.xml").read_bytes()
    preview = statements.plan(statements.parse(data), today)
    assert [(d.entry.line, d.kind, d.reason) for d in preview.decisions] == [
        (1, "matched", "order_number"),
        (2, "flagged", "partial"),  # R12: 4,00 of 4,88 counts; the member is asked 0,88
        (3, "manual", "unknown_order"),
        (4, "ignored", "debit"),
    ]
    assert Payment.select().count() == 0  # the preview writes nothing

    first, second = import_twice(data, today)
    assert [d.outcome for d in first.decisions] == ["applied", "partial", "", ""]
    payment, partial = registered()
    assert (payment.order_id, payment.provider, payment.reference) == (
        mario.id,
        "statement",
        "0306202603090001",
    )
    assert payment.amount_cents == 488 and payment.paid_on == dt.date(2026, 3, 9)
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)
    assert (partial.order_id, partial.amount_cents) == (anna.id, 400)
    assert Order.get_by_id(anna.id).status == "awaiting_payment"
    assert Order.get_by_id(anna.id).received_cents == 400

    # The same statement again: nothing registered twice.
    assert [d.outcome for d in second.decisions] == ["", "", "", ""]
    assert [d.reason for d in second.decisions][:2] == ["already_registered"] * 2
    assert Payment.select().count() == 2 and len(registered()) == 2
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)
    assert AuditEvent.select().where(AuditEvent.action == "statement.imported").count() == 2


def test_cp1252_csv_with_semicolons_registers_once_and_reports_bad_lines(orders, today):
    mario, anna = orders
    parsed = statements.parse(CSV_STATEMENT)
    assert parsed.format == "csv"
    assert [(p.line, p.code) for p in parsed.problems] == [
        (9, "date_invalid"),
        (10, "amount_invalid"),
    ]
    assert "Niccolò" in parsed.entries[0].text  # Windows-1252 decoded
    assert parsed.entries[2].amount_cents == 123456  # "1.234,56"
    first, second = import_twice(CSV_STATEMENT, today)
    assert [(d.kind, d.reason, d.outcome) for d in first.decisions] == [
        ("matched", "order_number", "applied"),
        ("flagged", "partial", "partial"),
        ("manual", "unknown_order", ""),
        ("ignored", "debit", ""),
    ]
    assert [p.reference for p in registered()] == ["CSV-0001", "CSV-0002"]
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)
    assert not any(d.outcome for d in second.decisions)
    assert len(registered()) == 2 and Payment.select().count() == 2


def test_camt053_later_versions_and_entry_reference_fallbacks(orders, today):
    xml = f"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
 <Ntry><NtryRef>N-77</NtryRef><Amt Ccy="EUR">4.88</Amt><CdtDbtInd>CRDT</CdtDbtInd>
  <Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-03-09T10:00:00+01:00</DtTm></BookgDt>
  <NtryDtls><TxDtls><RmtInf><Ustrd>RINNOVO</Ustrd><Ustrd>{RIGHT}</Ustrd></RmtInf></TxDtls></NtryDtls>
 </Ntry>
 <Ntry><Amt Ccy="EUR">4.88</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
  <BookgDt><Dt>2026-03-10</Dt></BookgDt></Ntry>
 <Ntry><Amt Ccy="USD">4.88</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-10</Dt></BookgDt>
  <AddtlNtryInf>{WRONG_AMOUNT}</AddtlNtryInf></Ntry>
 <Ntry><Amt Ccy="EUR">4,88x</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-10</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()
    parsed = statements.parse(xml)
    first = parsed.entries[0]
    assert (first.reference, first.booked_on, first.text) == (
        "N-77",
        dt.date(2026, 3, 9),
        f"RINNOVO {RIGHT}",
    )
    assert parsed.entries[1].is_derived_reference and parsed.entries[1].reference.startswith(
        "content-"
    )
    assert [(p.line, p.code) for p in parsed.problems] == [(4, "amount_invalid")]
    preview = statements.plan(parsed, today)
    assert [(d.kind, d.reason) for d in preview.decisions] == [
        ("matched", "order_number"),
        ("ignored", "not_booked"),
        ("ignored", "currency"),
    ]


@pytest.mark.parametrize(
    "xml, code",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>',
            "xml",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Document>&x;</Document>",
            "xml",
        ),
        (b"<Document><unclosed></Document>", "xml"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>', "not_camt"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>', "empty"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "empty"),
    ],
    ids=[
        "entity-expansion",
        "external-entity",
        "not-well-formed",
        "camt052",
        "camt054-empty",
        "no-entries",
    ],
)
def test_untrusted_xml_is_refused_with_a_code_never_parsed_unsafely(xml, code):
    with pytest.raises(statements.StatementFileError) as caught:
        statements.parse(xml)
    assert caught.value.code == code


def test_order_numbers_are_found_only_with_a_valid_check_character():
    assert statements.order_numbers_in(f"bonifico ord.{RIGHT.lower()}/2026") == [RIGHT]
    assert statements.order_numbers_in("ordine K7M4Q9X3") == []  # wrong check character
    assert statements.order_numbers_in(f"X{RIGHT}") == []  # glued to other characters
    assert statements.order_numbers_in(f"{RIGHT} {NOBODYS} {RIGHT}") == [RIGHT, NOBODYS]


def test_csv_with_credit_and_debit_columns_and_no_reference_imports_once(orders, today):
    data = (
        "\ufeffData operazione,Entrate,Uscite,Descrizione operazione\r\n"
        f'10/03/2026,"4,88",,Bonifico da Rossi {RIGHT}\r\n'
        '10/03/2026,,"3,00",Canone\r\n'
        "10/03/2026,,,Vuota\r\n"
    ).encode()
    parsed = statements.parse(data)
    assert [(e.amount_cents, e.is_credit) for e in parsed.entries] == [(488, True), (300, False)]
    assert [(p.line, p.code) for p in parsed.problems] == [(4, "amount_missing")]
    assert parsed.entries[0].is_derived_reference
    first, second = import_twice(data, today)
    assert first.decisions[0].outcome == "applied" and second.decisions[0].reason == (
        "already_registered"
    )
    assert len(registered()) == 1


def test_an_amount_like_infinity_or_1e3_is_a_bad_line_not_a_crash(orders, today):
    data = (
        "Data operazione,Entrate,Uscite,Descrizione operazione\r\n"
        f'10/03/2026,"4,88",,Bonifico da Rossi {RIGHT}\r\n'
        "10/03/2026,Inf,,Strano\r\n"
        "10/03/2026,1e3,,Esponente\r\n"
    ).encode()
    parsed = statements.parse(data)
    assert [e.amount_cents for e in parsed.entries] == [488]
    assert [(p.line, p.code) for p in parsed.problems] == [
        (3, "amount_invalid"),
        (4, "amount_invalid"),
    ]


def test_configured_columns_override_the_defaults(orders, today):
    data = b"Valuta;Movimento;Testo libero;Id\r\n09/03/2026;4,88;K7M4Q9X2;B-1\r\n"
    with pytest.raises(statements.StatementFileError) as caught:
        statements.parse(data)
    assert caught.value.code == "columns"
    settings = {
        "date": ["valuta"],
        "amount": ["Movimento"],
        "text": ["testo libero"],
        "reference": ["id"],
    }
    [entry] = statements.parse(data, settings).entries
    assert (entry.booked_on, entry.amount_cents, entry.reference) == (
        dt.date(2026, 3, 9),
        488,
        "B-1",
    )


def test_a_line_matched_by_hand_is_registered_under_its_entry_reference(orders, today):
    mario, _anna = orders
    data = b"Data;Importo;Causale;Riferimento\r\n09/03/2026;4,88;quota PEC Rossi;HAND-1\r\n"
    preview = statements.plan(statements.parse(data), today)
    [decision] = preview.decisions
    assert (decision.kind, decision.reason) == ("manual", "no_order_number")
    outcome = statements.register_entry(
        decision.entry, mario, today=today, actor="operator:1", notices=RecordingNotices()
    )
    assert outcome.code == "applied" and outcome.payment.reference == "HAND-1"
    again = statements.plan(statements.parse(data), today)
    assert again.decisions[0].reason == "already_registered"
    assert statements.register_entry(
        decision.entry, mario, today=today, actor="x", notices=RecordingNotices()
    ).code == ("already_applied")


def test_money_registered_by_hand_is_recognised_in_the_statement_not_flagged(orders, today):
    """An operator registers a transfer from the bank's website; the statement imported
    later carries the same money: its line becomes that payment's bank record, once.
    A second credit for the same order is money received twice, and is flagged."""
    from pec.domain import payments

    mario, _ = orders
    by_hand = pay(mario, 488, reference="CRO123", today=today, paid_on=today)
    assert by_hand.code == payments.APPLIED
    data = (
        "Data operazione,Entrate,Uscite,Descrizione operazione,Riferimento\r\n"
        f'10/03/2026,"4,88",,Bonifico Rossi ordine {RIGHT},BANK-1\r\n'
    ).encode()
    first, second = import_twice(data, today)
    assert [(d.kind, d.reason) for d in first.decisions] == [("reconciled", "registered_by_hand")]
    assert [(d.kind, d.reason) for d in second.decisions] == [("done", "already_registered")]
    assert [
        p.status for p in Payment.select().where(Payment.order == mario).order_by(Payment.id)
    ] == [
        "registered",
        "reconciled",
    ]
    again = (
        "Data operazione,Entrate,Uscite,Descrizione operazione,Riferimento\r\n"
        f'12/03/2026,"4,88",,Secondo bonifico ordine {RIGHT},BANK-2\r\n'
    ).encode()
    twice = statements.apply(
        statements.parse(again), today=today, actor="test", notices=RecordingNotices(), filename="g"
    )
    assert [(d.kind, d.outcome) for d in twice.decisions] == [("flagged", "not_payable")]
    # One renewal; the second credit is money received too, to refund (R12).
    assert len(registered()) == 2
    assert Order.get_by_id(mario.id).status == "paid"
