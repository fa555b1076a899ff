"""Bank statements through the operators' pages and `pec import-statement` (docs/rules.md, Operators)."""

import datetime as dt
import re
from io import BytesIO
from pathlib import Path

from pec.models import (
    AuditEvent,
    Mailbox,
    Payment,
)
from tests.domain.test_statements import CSV_STATEMENT, RIGHT, WRONG_AMOUNT
from tests.factories import make_order
from tests.test_operators_payments import flashes

SAMPLE = Path(__file__).parent / "data" / "camt053_sample.xml"


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def upload(operator, data: bytes, name="estratto.xml"):
    return operator.post(
        "/operators/statements",
        {"statement": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def orders():
    mario = make_order([box("mario.rossi@pec.demo.it")], number=RIGHT)
    anna = make_order([box("anna.bianchi@pec.demo.it")], number=WRONG_AMOUNT)
    return mario, anna


def count(page, kind) -> int:
    return int(re.search(rf'id="count-{kind}">(\d+)<', page).group(1))


def test_upload_preview_confirm_then_match_the_rest_by_hand(app, operator, demo):
    mario, anna = orders()
    studio = make_order([box("studio.rossi@pec.demo.it")], number="STUDIO01")
    operator.login()
    response = upload(operator, SAMPLE.read_bytes())
    assert response.status_code == 303
    preview_url = response.location
    page = operator.page(preview_url)
    assert 'type="hidden" name="statement' not in page  # the file waits on the server
    assert (count(page, "matched"), count(page, "flagged"), count(page, "manual")) == (1, 1, 1)
    assert count(page, "ignored") == 1
    assert "registrato in acconto, all'iscritto si chiede la differenza" in page.replace(
        "&#39;", "'"
    )
    assert "il numero nella causale non corrisponde a nessun ordine" in page
    assert Payment.select().count() == 0

    applied = operator.post(preview_url + "/apply")
    assert applied.status_code == 303
    after = operator.page(applied.location)
    assert "Import eseguito: 1 pagamenti registrati, 1 segnati da verificare, 1 movimenti" in (
        flashes(after)
    )
    assert count(after, "done") == 2 and count(after, "matched") == 0
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2029, 3, 30)
    assert Payment.get(Payment.order == anna).status == "registered"  # 4,00 counted (R12)

    # Line 3 names no known order: the operator picks one.
    unknown = operator.post(preview_url + "/lines/3/match", {"order_number": "NOPE1234"})
    assert "Nessun ordine con il numero NOPE1234." in flashes(operator.page(unknown.location))
    matched = operator.post(preview_url + "/lines/3/match", {"order_number": "studio01"})
    assert "Pagamento registrato sull&#39;ordine N° STUDIO01" in flashes(
        operator.page(matched.location)
    )
    payment = Payment.get(Payment.order == studio)
    assert (payment.provider, payment.reference, payment.status) == (
        "statement",
        "0306202603100003",
        "registered",
    )
    assert box("studio.rossi@pec.demo.it").expires_on == dt.date(2029, 9, 26)  # +200 d +3 y
    again = operator.post(preview_url + "/lines/3/match", {"order_number": "STUDIO01"})
    assert "non è da abbinare" in flashes(operator.page(again.location))

    # The same statement uploaded again registers nothing.
    second = operator.page(upload(operator, SAMPLE.read_bytes()).location)
    assert count(second, "done") == 3 and count(second, "matched") == 0
    assert "Conferma: registra" not in second
    assert (
        Payment.select().where(Payment.status == "registered").count() == 3
    )  # anna's 4,00 counts (R12)
    assert AuditEvent.get(AuditEvent.action == "statement.imported").details["outcomes"] == {
        "applied": 1,
        "partial": 1,
    }


def test_a_cp1252_csv_statement_works_through_the_pages(operator, demo):
    orders()
    operator.login()
    page = operator.page(upload(operator, CSV_STATEMENT, "movimenti.csv").location)
    assert count(page, "matched") == 1 and count(page, "problems") == 2
    assert "data non valida: 31/02/2026" in page and "importo non valido: quattro" in page
    assert "Niccolò" in page


def test_unreadable_files_get_a_clear_message_not_a_500(operator, demo):
    operator.login()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )
    response = operator.client.get(upload(operator, bomb).location)
    assert response.status_code == 422
    assert "Il file XML non è valido o contiene costrutti non ammessi" in response.get_data(
        as_text=True
    )
    csv = operator.client.get(upload(operator, b"a;b;c\r\n1;2;3\r\n", "x.csv").location)
    assert csv.status_code == 422
    assert "Non trovo l&#39;intestazione delle colonne" in csv.get_data(as_text=True)
    empty = upload(operator, b"", "vuoto.csv")
    assert empty.status_code == 422
    assert "Scegli il file dell&#39;estratto conto" in empty.get_data(as_text=True)
    assert operator.client.get("/operators/statements/" + "0" * 32).status_code == 404
    assert operator.client.get("/operators/statements/../../etc").status_code == 404


def test_import_statement_command_previews_then_applies_once(app, runner, demo, tmp_path):
    orders()
    path = tmp_path / "camt.xml"
    path.write_bytes(SAMPLE.read_bytes())
    preview = runner.invoke(args=["pec", "import-statement", str(path)])
    assert preview.exit_code == 0, preview.output
    assert "Preview (nothing changed; use --apply): 1 to register, 1 to flag" in preview.output
    assert Payment.select().count() == 0
    applied = runner.invoke(args=["pec", "import-statement", str(path), "--apply"])
    assert applied.exit_code == 0
    assert "Imported: 1 registered, 1 flagged, 1 to match by hand" in applied.output
    again = runner.invoke(args=["pec", "import-statement", str(path), "--apply"])
    assert "Imported: 0 registered, 0 flagged, 1 to match by hand, 2 imported before" in (
        again.output
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(CSV_STATEMENT)
    assert runner.invoke(args=["pec", "import-statement", str(bad)]).exit_code == 1
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"<nope")
    assert runner.invoke(args=["pec", "import-statement", str(junk)]).exit_code == 2
