"""A real Chromium: an operator uploads a bank statement holding a reversal and a line with
invalid bytes, and a roster with a stray Windows-1252 byte; the warnings are on the page
and axe finds no violation."""

import pytest

from pec.database import db
from pec.models import Mailbox, Order
from tests.e2e.test_operators_payments_browser import sign_in
from tests.factories import make_convention, make_order
from tests.test_operators_files import stray_byte_roster

pytestmark = pytest.mark.browser

RIGHT = "K7M4Q9X2"
STATEMENT = (
    "Data contabile;Data valuta;Descrizione;Accrediti;Addebiti;Descrizione estesa;\r\n"
    f"09/03/26;09/03/26;BONIFICO;4,88;;Rinnovo PEC {RIGHT} Lucà Niccolò;\r\n"
    f"12/03/26;12/03/26;STORNO BONIFICO;;-4,88;Rinnovo PEC {RIGHT};\r\n"
).encode() + "12/03/26;12/03/26;BONIFICO;10,00;;Quota Nicolò;\r\n".encode("cp1252")


def test_statement_and_roster_warnings_are_shown_clearly(browser, demo_server, tmp_path):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
        order = make_order([box], number=RIGHT)
        make_convention(code="ORD")
    context = browser.new_context(locale="it-IT")
    page = context.new_page()
    sign_in(page, demo_server)
    statement = tmp_path / "movimenti.csv"
    statement.write_bytes(STATEMENT)
    page.goto(demo_server + "/operators/statements")
    page.get_by_label("Estratto conto (CSV, XML CAMT o MT940)").set_input_files(str(statement))
    page.get_by_role("button", name="Anteprima").click()
    page.wait_for_selector("#reversals-title")
    assert "Intesa Sanpaolo (Movimenti conto)" in page.locator("main").inner_text()
    assert page.locator("#repaired-title").is_visible()
    page.get_by_role("button", name="Conferma: registra 1 pagamenti").click()
    page.wait_for_selector(".flash-warning")
    with db.connection_context():
        assert Order.get_by_id(order.id).status == "paid"
    assert "1 storni o bonifici restituiti" in page.locator(".flashes").inner_text()
    assert (
        "la banca riprende il pagamento di un ordine già rinnovato"
        in page.locator("#reversals-title + p + .table-scroll").inner_text()
    )
    from tests.conftest import axe_violations

    assert axe_violations(page) == []

    roster = tmp_path / "soci.csv"
    roster.write_bytes(stray_byte_roster())
    page.goto(demo_server + "/operators/roster")
    page.locator("input[type=file]").set_input_files(str(roster))
    page.locator("form button.primary").click()
    page.wait_for_selector("#repaired-title")
    assert "Nicolò" in page.locator("#repaired-title + p + .table-scroll").inner_text()
    assert axe_violations(page) == []
    context.close()
