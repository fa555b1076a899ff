"""What operators see of real-world roster and statement files (warnings, reversals, bank
profiles, batches), and the exit codes of `pec import-roster` / `pec import-statement`
as the README states them: 0 all good, 1 lines bad or to check, 2 unreadable."""

import re
from io import BytesIO
from pathlib import Path

from pec.models import Mailbox, Order, Payment
from tests.domain.test_roster import HEADER, csv_bytes, line
from tests.domain.test_roster_files import roster_with_accents
from tests.factories import make_convention, make_order
from tests.test_operators_payments import flashes

BANKS = Path(__file__).parent / "data" / "banks"
RIGHT, ANNA = "K7M4Q9X2", "R2D2C3PV"


def upload(operator, url, field, data: bytes, name):
    return operator.post(url, {field: (BytesIO(data), name)}, content_type="multipart/form-data")


def stray_byte_roster() -> bytes:
    data = csv_bytes(roster_with_accents(98), encoding="utf-8")
    stray = line("stray@pec.test.it", account_login="stray", first_name="Nicolò")
    return data + ";".join(stray).encode("cp1252") + b"\r\n"


def test_the_roster_preview_shows_the_lines_read_with_invalid_bytes(app, operator, today):
    make_convention(code="ORD")
    operator.login()
    response = upload(operator, "/operators/roster", "roster", stray_byte_roster(), "soci.csv")
    page = operator.page(response.location)
    assert "Righe da controllare: caratteri non validi" in page
    assert re.search(r'<th scope="row">100</th><td class="details">[^<]*Nicolò', page)
    assert 'id="repaired-lines">1<' in page and 'id="new-mailboxes">99<' in page
    applied = operator.post(response.location + "/apply").get_data(as_text=True)
    assert "Queste righe sono state importate" in applied
    assert Mailbox.select().count() == 99


def test_a_stray_quote_or_an_excel_file_get_a_message_never_a_500(app, operator, today):
    make_convention(code="ORD")
    operator.login()
    rows = [HEADER, line("a@pec.test.it")]
    huge = csv_bytes(rows) + b'ORD;"' + b"x" * 200_000 + b"\r\n"
    response = operator.client.get(
        upload(operator, "/operators/roster", "roster", huge, "soci.csv").location
    )
    assert response.status_code == 200
    assert "una cella supera i 5.000 caratteri" in response.get_data(as_text=True)
    excel = upload(operator, "/operators/roster", "roster", b"PK\x03\x04rest", "soci.xlsx")
    refused = operator.client.get(excel.location)
    assert refused.status_code == 422
    assert "È un file Excel" in refused.get_data(as_text=True)


def test_import_roster_exit_codes(app, runner, tmp_path):
    make_convention(code="ORD")
    cases = {
        "good.csv": (csv_bytes(roster_with_accents(2)), 0),
        "bad.csv": (csv_bytes([HEADER, line("not-an-address")]), 1),
        "stray.csv": (stray_byte_roster(), 1),
        "quote.csv": (csv_bytes([HEADER]) + b'ORD;"' + b"x" * 200_000 + b"\r\n", 1),
        "unicode.txt": (csv_bytes(roster_with_accents(2), delimiter="\t", encoding="utf-16"), 0),
        "book.xlsx": (b"PK\x03\x04rest", 2),
        "header.csv": (b"nome;cognome\r\n", 2),
    }
    for name, (data, code) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = runner.invoke(args=["pec", "import-roster", str(path)])
        assert result.exit_code == code, (name, result.output)
        assert "Traceback" not in result.output
    stray = runner.invoke(args=["pec", "import-roster", str(tmp_path / "stray.csv")])
    assert "line 100: check it" in stray.output and "Nicolò" in stray.output
    quote = runner.invoke(args=["pec", "import-roster", str(tmp_path / "quote.csv")])
    assert "line 2: a cell is over 5,000 characters" in quote.output


def statement_upload(operator, data: bytes, name="estratto.csv"):
    return upload(operator, "/operators/statements", "statement", data, name)


def test_the_statement_page_names_the_bank_and_lists_reversals_and_bad_bytes(app, operator, demo):
    mario = make_order([Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")], number=RIGHT)
    operator.login()
    paid = (
        "Data contabile;Data valuta;Descrizione;Accrediti;Addebiti;Descrizione estesa;\r\n"
        f"09/03/26;09/03/26;BONIFICO;4,88;;Rinnovo PEC {RIGHT} Niccolò;\r\n"
    ).encode()
    first = statement_upload(operator, paid)
    operator.post(first.location + "/apply")
    assert Order.get_by_id(mario.id).status == "paid"
    returned = paid.replace(b"4,88;;Rinnovo", b";-4,88;STORNO BONIFICO").replace(
        b"09/03/26", b"12/03/26"
    ) + "12/03/26;12/03/26;BONIFICO;10,00;;Quota Nicolò;\r\n".encode("cp1252")
    preview = statement_upload(operator, returned)
    page = operator.page(preview.location)
    assert "formato riconosciuto: Intesa Sanpaolo (Movimenti conto)" in page
    assert "Storni e bonifici restituiti" in page and 'id="count-reversal">1<' in page
    assert "la banca riprende il pagamento di un ordine già rinnovato" in page
    assert "Righe da controllare: caratteri non validi" in page
    assert re.search(r'<th scope="row">3</th><td class="details">[^<]*Nicolò', page)
    applied = operator.post(preview.location + "/apply")
    assert "il file contiene 1 storni o bonifici restituiti" in flashes(
        operator.page(applied.location)
    )


def test_each_credit_of_a_batch_or_of_a_repeated_reference_can_be_matched_by_hand(
    app, operator, demo
):
    anna = make_order([Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")], number=ANNA)
    studio = make_order([Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")])
    operator.login()
    text = (BANKS / "camt053" / "test-camt053-txdtls").read_text()
    text = text.replace('Ccy="CHF"', 'Ccy="EUR"').replace("2187.00", "4.88", 1)
    text = text.replace("1296.00", "4.88", 1)
    preview = statement_upload(operator, text.encode(), "batch.xml").location
    page = operator.page(preview)
    assert 'id="line-1.1"' in page and 'id="line-1.2"' in page
    assert page.count("Registra su questo ordine") == 2
    for key, order in (("1.1", anna), ("1.2", studio)):
        matched = operator.post(f"{preview}/lines/{key}/match", {"order_number": order.number})
        assert f"Pagamento registrato sull&#39;ordine N° {order.number}" in flashes(
            operator.page(matched.location)
        )
    assert {(p.order_id, p.amount_cents) for p in Payment.select()} == {
        (anna.id, 488),
        (studio.id, 488),
    }
    assert operator.post(f"{preview}/lines/9.9/match", {"order_number": ANNA}).status_code == 404


def test_import_statement_exit_codes(app, runner, demo, tmp_path):
    make_order([Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")], number=RIGHT)
    reversal = (
        "Data;Importo;Causale\r\n"
        f"09/03/2026;4,88;Rinnovo {RIGHT}\r\n"
        f"10/03/2026;-4,88;Storno bonifico {RIGHT}\r\n"
    ).encode()
    cases = {
        "good.csv": ((BANKS / "n26" / "n26.csv").read_bytes(), 0),
        "bad.csv": (b"Data;Importo;Causale\r\n31/02/2026;4,88;x\r\n", 1),
        "reversal.csv": (reversal, 1),
        "abn.sta": ((BANKS / "mt940" / "abnamro.sta").read_bytes(), 0),
        "quote.csv": (b'Data;Importo;Causale\r\n01/03/2026;1,00;"' + b"x" * 200_000, 1),
        "book.xlsx": (b"PK\x03\x04rest", 2),
        "junk.xml": (b"<nope", 2),
        "nothing.csv": (b"a;b;c\r\n", 2),
    }
    for name, (data, code) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = runner.invoke(args=["pec", "import-statement", str(path)])
        assert result.exit_code == code, (name, result.output)
        assert "Traceback" not in result.output
    applied = runner.invoke(
        args=["pec", "import-statement", str(tmp_path / "reversal.csv"), "--apply"]
    )
    assert "line 3: reversal of 488 cents order K7M4Q9X2" in applied.output
    assert "Format: CSV" in applied.output
    good = runner.invoke(args=["pec", "import-statement", str(tmp_path / "good.csv")])
    assert "Format: CSV (N26)" in good.output
