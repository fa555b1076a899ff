"""A statement line's identity (docs/rules.md, Operators): the bank's reference when it is
unique in the file, else its content and position; distinct credits are never merged,
re-importing registers nothing whatever the settings, and payments stored by the first
version of the importer are still recognised. Batches are split; reversals are listed."""

import datetime as dt
from pathlib import Path

import pytest

from pec.domain import statements
from pec.domain.balance import balance
from pec.domain.payments import APPLIED
from pec.domain.statements import legacy
from pec.domain.statements.entries import legacy_derived_reference
from pec.models import AuditEvent, Mailbox, Order, Payment
from tests.factories import make_order, pay
from tests.notices import RecordingNotices

BANKS = Path(__file__).parent.parent / "data" / "banks"
RIGHT, ANNA = "K7M4Q9X2", "R2D2C3PV"


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


@pytest.fixture
def orders(ctx, demo):
    mario = make_order([box("mario.rossi@pec.demo.it")], number=RIGHT)
    anna = make_order([box("anna.bianchi@pec.demo.it")], number=ANNA)
    return mario, anna


def run(data: bytes, today, settings=None):
    return statements.apply(
        statements.parse(data, settings),
        today=today,
        actor="test",
        notices=RecordingNotices(),
        filename="f",
    )


def kinds(preview) -> list[tuple[str, str, str]]:
    return [(d.entry.key, d.kind, d.reason) for d in preview.decisions]


def camt(*entries: str, version: str = "08") -> bytes:
    return (
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.'
        f'{version}"><BkToCstmrStmt><Stmt>{"".join(entries)}</Stmt></BkToCstmrStmt></Document>'
    ).encode()


def ntry(amount, text, ref="", day="2026-03-09", direction="CRDT", extra="") -> str:
    reference = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{extra}'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{day}</Dt></BookgDt>{reference}"
        f"<NtryDtls><TxDtls><RmtInf>{text}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def test_two_credits_with_one_bank_reference_are_two_payments(orders, today):
    mario, anna = orders
    data = camt(
        ntry("4.88", f"<Ustrd>Rinnovo {RIGHT}</Ustrd>", ref="0306-DUP"),
        ntry("4.88", f"<Ustrd>Rinnovo {ANNA}</Ustrd>", ref="0306-DUP"),
        ntry("12.00", "<Ustrd>quota sociale</Ustrd>", ref="0306-DUP"),
    )
    parsed = statements.parse(data)
    assert all(e.is_derived_reference for e in parsed.entries)  # the reference repeats
    first = run(data, today)
    assert kinds(first) == [
        ("1", "matched", "order_number"),
        ("2", "matched", "order_number"),
        ("3", "manual", "no_order_number"),
    ]
    assert {Order.get_by_id(o.id).status for o in (mario, anna)} == {"paid"}
    assert [d.reason for d in run(data, today).decisions] == ["already_registered"] * 2 + [
        "no_order_number"
    ]
    assert Payment.select().count() == 2


MT940_NONREF = """:20:STARTUMS
:25:IT60X0542811101000000123456
:28C:1/1
:60F:C260309EUR100,00
{lines}:62F:C260309EUR200,00
-
"""


def mt940(*lines: tuple[str, str]) -> bytes:
    body = "".join(f":61:{mark}NTRFNONREF\n:86:{text}\n" for mark, text in lines)
    return MT940_NONREF.format(lines=body).encode()


def test_seven_nonref_lines_are_seven_entries_and_none_is_taken_for_another(orders, today):
    """Every MT940 line of some banks says NONREF: it is no identity, in this file or the
    next one."""
    mario, anna = orders
    first_day = mt940(
        ("2603090309C4,88", f"RINNOVO PEC {RIGHT}"),
        *[("2603090309C10,00", "QUOTA")] * 3,
        *[("2603090309D1,00", "COMMISSIONI")] * 3,
    )
    parsed = statements.parse(first_day)
    assert (len(parsed.credits), len(parsed.debits)) == (4, 3)
    assert len({e.reference for e in parsed.entries}) == 7
    preview = run(first_day, today)
    assert [d.kind for d in preview.decisions] == ["matched"] + ["manual"] * 3 + ["ignored"] * 3
    assert Order.get_by_id(mario.id).status == "paid"
    # The next statement: another member's NONREF transfer is a new payment.
    next_day = mt940(("2603100310C4,88", f"RINNOVO PEC {ANNA}"))
    second = run(next_day, today)
    assert kinds(second) == [("1", "matched", "order_number")]
    assert second.decisions[0].outcome == "applied"
    assert Order.get_by_id(anna.id).status == "paid"


IDENTICAL = (
    "Data;Importo;Causale\r\n"
    f"09/03/2026;4,88;Bonifico Rossi rinnovo {RIGHT}\r\n"
    f"09/03/2026;4,88;Bonifico Rossi rinnovo {RIGHT}\r\n"
    "09/03/2026;10,00;Quota\r\n"
    "09/03/2026;10,00;Quota\r\n"
).encode()


def test_identical_transfers_on_one_day_are_each_listed_and_paying_twice_is_flagged(orders, today):
    mario, anna = orders
    preview = run(IDENTICAL, today)
    assert kinds(preview) == [
        ("2", "matched", "order_number"),
        ("3", "flagged", "paid_twice"),
        ("4", "manual", "no_order_number"),
        ("5", "manual", "no_order_number"),
    ]
    assert [d.outcome for d in preview.decisions] == ["applied", "not_payable", "", ""]
    # R12: the second transfer is money received too, to refund; the renewal once.
    payments = list(Payment.select().where(Payment.order == mario).order_by(Payment.id))
    assert [(p.status, p.amount_cents) for p in payments] == [("registered", 488)] * 2
    assert balance(Order.get_by_id(mario.id)).to_refund_cents == 488
    # The two identical 10 € lines can each be matched by hand, to different orders.
    manual = preview.of_kind(statements.MANUAL)
    outcome = statements.register_entry(
        manual[0].entry, anna, today=today, actor="operator:1", notices=RecordingNotices()
    )
    assert outcome.code == APPLIED  # 10 € for a 4,88 € order: renewed, 5,12 to refund
    again = statements.plan(statements.parse(IDENTICAL), today)
    assert kinds(again) == [
        ("2", "done", "already_registered"),
        ("3", "done", "already_registered"),
        ("4", "done", "already_registered"),
        ("5", "manual", "no_order_number"),
    ]


def test_two_partial_transfers_in_one_file_add_up_to_the_renewal(orders, today):
    """R12: money received adds up, in the preview as on apply."""
    mario, _anna = orders
    data = (
        "Data;Importo;Causale\r\n"
        f"09/03/2026;2,00;Rinnovo {RIGHT} prima parte\r\n"
        f"10/03/2026;2,88;Rinnovo {RIGHT} saldo\r\n"
    ).encode()
    preview = statements.plan(statements.parse(data), today)
    assert kinds(preview) == [("2", "flagged", "partial"), ("3", "matched", "order_number")]
    applied = run(data, today)
    assert [d.outcome for d in applied.decisions] == ["partial", "applied"]
    assert Order.get_by_id(mario.id).status == "paid"


def test_re_importing_with_other_column_settings_registers_nothing(orders, today):
    data = (
        f"Data valuta;Movimento;Causale;Nota interna\r\n09/03/2026;4,88;Rinnovo {RIGHT};x\r\n"
    ).encode()
    settings = {"date": ["Data valuta"], "amount": ["Movimento"]}
    assert run(data, today, settings).decisions[0].outcome == "applied"
    more = settings | {"text": ["Nota interna"]}
    assert kinds(run(data, today, more)) == [("2", "done", "already_registered")]
    assert Payment.select().count() == 1


def test_settings_add_names_to_the_defaults(orders, today):
    settings = {"date": ["Valuta"], "amount": ["Movimento"], "text": ["Testo libero"]}
    custom = b"Valuta;Movimento;Testo libero;Id\r\n09/03/2026;4,88;K7M4Q9X2;B-1\r\n"
    with pytest.raises(statements.StatementFileError) as caught:
        statements.parse(custom)
    assert caught.value.code == "columns"
    [entry] = statements.parse(custom, settings).entries
    assert (entry.booked_on, entry.amount_cents, entry.text) == (dt.date(2026, 3, 9), 488, RIGHT)
    # The defaults still read another bank's file with the same settings.
    usual = b"Data contabile;Importo;Causale\r\n10/03/2026;12,50;Quota\r\n"
    [other] = statements.parse(usual, settings).entries
    assert (other.booked_on, other.amount_cents) == (dt.date(2026, 3, 10), 1250)


@pytest.mark.parametrize("sample", ["test-camt053-txdtls", "v06-from-test-camt053-txdtls.xml"])
def test_a_batch_is_split_and_only_the_matching_transfer_is_applied(orders, today, sample):
    """A real Swiss batch entry (two transfers, one AcctSvcrRef for both), in euro, one
    of its transfers the member's 4,88 € naming the order (camt.053 versions 04 and 06)."""
    mario, _anna = orders
    text = (BANKS / "camt053" / sample).read_text()
    text = text.replace('Ccy="CHF"', 'Ccy="EUR"').replace("2187.00", "4.88", 1)
    text = text.replace("302388292000011111111111111", RIGHT)
    data = text.encode()
    first = run(data, today)
    assert kinds(first) == [
        ("1.1", "matched", "order_number"),
        ("1.2", "manual", "no_order_number"),
    ]
    assert [(p.amount_cents, p.status) for p in Payment.select()] == [(488, "registered")]
    assert Order.get_by_id(mario.id).status == "paid"
    assert kinds(run(data, today))[0] == ("1.1", "done", "already_registered")
    assert Payment.select().count() == 1


def test_a_batch_without_its_transfers_amounts_is_left_to_the_operator(orders, today):
    data = (BANKS / "camt053" / "2024-03-07.xml").read_bytes()
    preview = statements.plan(statements.parse(data), today)
    assert kinds(preview)[0] == ("1", "manual", "batch_without_details")


def test_an_order_number_cut_across_two_remittance_lines_is_found(orders, today):
    """Banks cut the remittance text in 35-character lines, wherever the cut falls."""
    data = camt(
        ntry("4.88", "<Ustrd>BONIFICO DA MARIO ROSSI RINNOVO K7M4</Ustrd><Ustrd>Q9X2</Ustrd>"),
        version="02",
    )
    assert kinds(statements.plan(statements.parse(data), today)) == [
        ("1", "matched", "order_number")
    ]
    wrapped = mt940(("2603090309C4,88", "BONIFICO DA MARIO ROSSI PER RINNOVO PEC ORD K7\nM4Q9X2"))
    assert kinds(statements.plan(statements.parse(wrapped), today)) == [
        ("1", "matched", "order_number")
    ]


def test_three_decimals_and_dates_with_an_offset_are_read(orders, today):
    data = camt(
        ntry("8.850", "<Ustrd>x</Ustrd>", day="2026-03-09"),
        '<Ntry><Amt Ccy="EUR">4.880</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><DtTm>'
        "2026-03-10T09:00:00+01:00</DtTm></BookgDt></Ntry>",
        '<Ntry><Amt Ccy="EUR">4.885</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>'
        "2026-03-10+01:00</Dt></BookgDt></Ntry>",
        version="10",
    )
    parsed = statements.parse(data)
    assert [(e.amount_cents, e.booked_on) for e in parsed.entries] == [
        (885, dt.date(2026, 3, 9)),
        (488, dt.date(2026, 3, 10)),
    ]
    assert [(p.line, p.code) for p in parsed.problems] == [(3, "amount_invalid")]


def test_a_reversal_of_an_applied_credit_is_listed_with_its_order(orders, today):
    mario, _anna = orders
    run(camt(ntry("4.88", f"<Ustrd>Rinnovo {RIGHT}</Ustrd>", ref="CR-1")), today)
    assert Order.get_by_id(mario.id).status == "paid"
    taken_back = camt(
        ntry(
            "4.88",
            f"<Ustrd>Rinnovo {RIGHT}</Ustrd>",
            ref="RV-1",
            day="2026-03-12",
            direction="DBIT",
            extra="<RvslInd>true</RvslInd>",
        ),
        ntry("1.50", "<Ustrd>Storno commissioni</Ustrd>", ref="RV-2", direction="DBIT"),
        ntry("20.00", "<Ustrd>Bonifico restituito</Ustrd>", ref="RV-3", direction="DBIT"),
    )
    preview = run(taken_back, today)
    assert kinds(preview) == [
        ("1", "reversal", "reversal_of_applied"),
        ("2", "reversal", "reversal_unmatched"),
        ("3", "reversal", "reversal_unmatched"),
    ]
    assert preview.decisions[0].order.id == mario.id
    # Nothing is undone by itself; the order's history says what the bank did, once.
    assert Order.get_by_id(mario.id).status == "paid"
    run(taken_back, today)
    events = AuditEvent.select().where(AuditEvent.action == "statement.reversal")
    assert [(e.target_id, e.details["amount_cents"]) for e in events] == [(mario.id, 488)]
    imported = AuditEvent.select().where(AuditEvent.action == "statement.imported")
    assert imported.order_by(AuditEvent.id.desc()).first().details["reversals"][0] == {
        "line": "1",
        "amount_cents": 488,
        "order": RIGHT,
    }


def test_a_returned_transfer_in_a_csv_export_is_listed(orders, today):
    same_file = (
        "Data;Importo;Causale\r\n"
        f"09/03/2026;4,88;Bonifico Rossi {RIGHT}\r\n"
        f"12/03/2026;-4,88;Bonifico restituito Rossi {RIGHT}\r\n"
    ).encode()
    assert kinds(statements.plan(statements.parse(same_file), today)) == [
        ("2", "matched", "order_number"),
        ("3", "reversal", "reversal_of_applied"),  # the line above renews it
    ]
    run(
        f"Data;Importo;Causale\r\n09/03/2026;4,88;Bonifico Rossi {RIGHT}\r\n".encode(),
        today,
    )
    returned = (
        "Data;Importo;Causale\r\n"
        f"12/03/2026;-4,88;STORNO BONIFICO Rossi {RIGHT}\r\n"
        "12/03/2026;-3,00;Canone mensile\r\n"
    ).encode()
    assert kinds(statements.plan(statements.parse(returned), today)) == [
        ("2", "reversal", "reversal_of_applied"),
        ("3", "ignored", "debit"),
    ]


# --- Payments stored by the first version of the importer -------------------------------


def stored(order, reference, cents=488, day=dt.date(2026, 3, 9)):
    return pay(
        order,
        cents,
        reference=reference,
        today=day,
        provider="statement",
        actor="test",
        paid_on=day,
    )


def test_first_version_derived_references_are_still_recognised(orders, today):
    mario, _anna = orders
    old = legacy.csv_references(IDENTICAL, None)
    assert (
        old[2]
        == old[3]
        == legacy_derived_reference(dt.date(2026, 3, 9), 488, f"Bonifico Rossi rinnovo {RIGHT}")
    )
    stored(mario, old[2])  # that version registered line 2 and skipped line 3
    preview = statements.plan(statements.parse(IDENTICAL), today)
    assert kinds(preview)[:2] == [
        ("2", "done", "already_registered"),
        ("3", "flagged", "not_payable"),  # the twin is money received twice: listed
    ]


def test_first_version_bank_references_are_recognised_but_never_nonref(orders, today):
    mario, anna = orders
    stored(mario, "0306-DUP")  # that version kept the first of two lines with this reference
    stored(anna, "NONREF")  # … and took every NONREF line after the first for this one
    data = camt(
        ntry("4.88", f"<Ustrd>Rinnovo {RIGHT}</Ustrd>", ref="0306-DUP"),
        ntry("4.88", "<Ustrd>Rinnovo</Ustrd>", ref="0306-DUP"),
        ntry("4.88", "<Ustrd>Rinnovo</Ustrd>", ref="NONREF"),
    )
    assert kinds(statements.plan(statements.parse(data), today)) == [
        ("1", "done", "already_registered"),
        ("2", "manual", "no_order_number"),
        ("3", "manual", "no_order_number"),
    ]


def test_a_batch_the_first_version_imported_whole_is_recognised(orders, today):
    mario, _anna = orders
    text = (BANKS / "camt053" / "test-camt053-txdtls").read_text().replace('Ccy="CHF"', 'Ccy="EUR"')
    stored(mario, "20170323001234567891234567891234", 348300, dt.date(2017, 3, 22))
    preview = statements.plan(statements.parse(text.encode()), today)
    assert [d.kind for d in preview.decisions] == ["done", "done"]


def test_a_bank_reference_reused_for_another_movement_is_another_payment(orders, today):
    mario, anna = orders
    run(camt(ntry("4.88", f"<Ustrd>{RIGHT}</Ustrd>", ref="SEQ-1")), today)
    later = camt(ntry("4.88", f"<Ustrd>{ANNA}</Ustrd>", ref="SEQ-1", day="2026-04-01"))
    preview = run(later, today)
    assert kinds(preview) == [("1", "matched", "order_number")]
    assert Order.get_by_id(anna.id).status == "paid"
    assert kinds(run(later, today)) == [("1", "done", "already_registered")]
