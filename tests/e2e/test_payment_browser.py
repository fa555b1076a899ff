"""A real Chromium pays Anna's renewal through the demo gateway, and declines it."""

import re

import pytest

from pec.database import db
from pec.domain import clock
from pec.models import (
    Mailbox,
    Order,
    OutboxMessage,
)
from tests.conftest import axe_violations
from tests.factories import make_order

pytestmark = pytest.mark.browser


@pytest.fixture
def anna_order(demo_server):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
        order = make_order([box], method="card")
    return demo_server, box, order


def login_as_anna(page, server):
    page.goto(server + "/login")
    page.get_by_label("Login o indirizzo PEC").fill("anna.bianchi@pec.demo.it")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")


def open_simulated_payment(page, server, order):
    page.goto(f"{server}/payments/{order.id}/checkout")
    assert order.number in page.locator("h1").inner_text()
    page.get_by_role("button", name=re.compile(r"^Paga 4,88")).click()
    page.wait_for_url("**/payments/demo-gateway/**")
    assert "SIMULAZIONE — nessun addebito reale" in page.locator("main").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_anna_pays_by_card_and_lands_on_the_receipt(browser, anna_order, javascript):
    server, box, order = anna_order
    new_expiry = clock.add_years(box.expires_on, 3)
    context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
    page = context.new_page()
    login_as_anna(page, server)
    open_simulated_payment(page, server, order)
    page.get_by_role("button", name="Approva il pagamento").click()
    page.wait_for_url(f"**/payments/{order.id}/receipt")
    main = page.locator("main").inner_text()
    assert f"Ricevuta di pagamento – ordine N° {order.number}" in main
    assert "Pagamento ricevuto: il rinnovo è stato applicato." in main
    assert new_expiry.strftime("%d/%m/%Y") in main
    assert re.search(r"TOTALE \(IVA inclusa 22%\)\s+4,88\s€", main)
    with db.connection_context():
        assert Mailbox.get_by_id(box.id).expires_on == new_expiry
        mail = OutboxMessage.get(OutboxMessage.kind == "renewal_applied")
        assert new_expiry.strftime("%d/%m/%Y") in mail.body_text
    context.close()


def test_declining_keeps_the_order_and_says_so(browser, anna_order):
    server, box, order = anna_order
    page = browser.new_page()
    login_as_anna(page, server)
    open_simulated_payment(page, server, order)
    page.get_by_role("button", name="Rifiuta il pagamento").click()
    page.wait_for_url(f"**/payments/{order.id}/checkout")
    assert "nessun importo è stato addebitato" in page.locator(".flashes").inner_text()
    with db.connection_context():
        assert Mailbox.get_by_id(box.id).expires_on == box.expires_on
        assert Order.get_by_id(order.id).status == "awaiting_payment"
    page.close()


def test_payment_pages_have_no_axe_violations(browser, anna_order):
    server, box, order = anna_order
    page = browser.new_page()
    login_as_anna(page, server)
    page.goto(f"{server}/payments/{order.id}/checkout")
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile(r"^Paga 4,88")).click()
    page.wait_for_url("**/payments/demo-gateway/**")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Approva il pagamento").click()
    page.wait_for_url(f"**/payments/{order.id}/receipt")
    assert axe_violations(page) == []
    page.close()


def test_report_and_slip_pages_have_no_axe_violations(browser, anna_order):
    server, box, order = anna_order
    with db.connection_context():
        Order.update(payment_method="bank_transfer").where(Order.id == order.id).execute()
    page = browser.new_page()
    login_as_anna(page, server)
    page.goto(f"{server}/payments/{order.id}/report")
    page.get_by_role("button", name="Invia la segnalazione").click()  # empty: errors shown
    assert page.locator("#paid_on-error").inner_text() == "Inserisci la data del pagamento."
    assert axe_violations(page) == []
    page.goto(f"{server}/payments/{order.id}/slip")
    assert "quattro/88" in page.locator(".slip").inner_text()
    assert axe_violations(page) == []
    page.close()
