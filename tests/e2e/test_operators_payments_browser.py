"""A real Chromium: an operator finds a transfer order, registers it on the order page
(with and without JavaScript), and the page has no axe violations."""

import pytest

from pec.database import db
from pec.domain import clock
from pec.models import (
    Mailbox,
    Order,
    Payment,
)
from tests.conftest import axe_violations, sign_in_operator
from tests.factories import make_order

pytestmark = pytest.mark.browser


@pytest.fixture
def transfer_order(demo_server):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
        order = make_order([box], method="bank_transfer", number="K7M4Q9X2")
    return demo_server, box, order


def sign_in(page, server):
    sign_in_operator(page, server)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_operator_registers_a_transfer_on_the_order_page(browser, transfer_order, javascript):
    server, box, order = transfer_order
    context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
    page = context.new_page()
    sign_in(page, server)
    page.goto(server + "/operators/orders?view=awaiting")
    page.get_by_role("link", name=order.number).click()
    page.wait_for_url(f"**/operators/orders/{order.id}")
    assert page.locator("h1").inner_text() == f"Ordine N° {order.number}"
    if javascript:  # axe runs as a script in the page
        assert axe_violations(page) == []
    page.get_by_label("Riferimento: CRO/TRN del bonifico o numero del bollettino").fill(
        "CRO-BROWSER-1"
    )
    page.get_by_role("button", name="Registra il pagamento").click()
    page.wait_for_selector(".flash-success")
    assert "Pagamento registrato sull'ordine N° K7M4Q9X2" in page.locator(".flashes").inner_text()
    with db.connection_context():
        assert Order.get_by_id(order.id).status == "paid"
        assert Mailbox.get_by_id(box.id).expires_on == clock.add_years(box.expires_on, 3)
        assert Payment.get(Payment.order == order).reference == "CRO-BROWSER-1"
    # The order is paid: the page no longer opens "Registra un pagamento" by itself.
    assert page.locator("#action-register").get_attribute("open") is None
    page.locator("#action-register summary").click()
    page.get_by_label("Riferimento: CRO/TRN del bonifico o numero del bollettino").fill(
        "CRO-BROWSER-1"
    )
    page.get_by_role("button", name="Registra il pagamento").click()
    page.wait_for_selector(".flash-error")
    assert "è già registrato" in page.locator(".flashes").inner_text()
    if javascript:
        assert axe_violations(page) == []
    context.close()


def test_statement_and_outbox_pages_have_no_axe_violations(browser, transfer_order):
    server, _box, _order = transfer_order
    page = browser.new_page()
    sign_in(page, server)
    for path in (
        "/operators/orders",
        "/operators/statements",
        "/operators/jobs",
        "/operators/jobs/tomorrow",
        "/operators/outbox",
    ):
        page.goto(server + path)
        assert axe_violations(page) == [], path
    page.close()
