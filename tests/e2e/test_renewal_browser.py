"""A real Chromium renews mario.rossi@pec.demo.it from RINNOVA to the order number,
with JavaScript (htmx boosts the panel's links and forms and swaps only the panel) and
without (plain forms and 303s); axe-core checks every step."""

import re

import pytest
from playwright.sync_api import expect

from pec.models import (
    Mailbox,
    Order,
    OutboxMessage,
)
from tests.conftest import axe_violations

pytestmark = pytest.mark.browser

ADDRESS = "mario.rossi@pec.demo.it"


def heading(page, text):
    expect(page.locator("h1")).to_contain_text(text)


def no_axe_violations(page, checker):
    """axe-core needs JavaScript: without it, check the same HTML in a page that has it
    (same origin, so the same stylesheet applies)."""
    if checker is None:
        assert axe_violations(page) == []
        return
    checker.set_content(page.content())
    assert axe_violations(checker) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_mario_renews_his_mailbox_in_the_browser(browser, live_server, demo, javascript):
    expiry_before = Mailbox.get(Mailbox.address == ADDRESS).expires_on
    context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
    page = context.new_page()
    console_errors = []  # htmx logs what it cannot do (a selector without a match …)
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    checker = None
    if not javascript:
        checker = browser.new_context(locale="it-IT").new_page()
        checker.goto(live_server + "/login")
    page.goto(live_server + "/login")
    page.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")

    page.get_by_role("button", name=f"Rinnova {ADDRESS}").click()
    page.wait_for_url(re.compile(r"/renewals/\d+/service$"))
    heading(page, "Riepilogo servizio")
    panel = page.locator("#panel")
    expect(panel).to_contain_text("TOTALE (IVA esclusa)")
    expect(panel).to_contain_text("4,88")
    no_axe_violations(page, checker)
    if javascript:
        page.evaluate("window.__samePage = true")  # survives only htmx swaps

    page.get_by_role("link", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/contracts$"))
    heading(page, "Contratti")
    no_axe_violations(page, checker)
    if javascript:
        assert page.evaluate("document.activeElement.id") == "step-title"
        # A download is not swapped into the panel: the file arrives, the step stays.
        with page.expect_download() as download:
            page.get_by_role("link", name="scarica").first.click()
        assert download.value.suggested_filename == "conditions-v1.txt"
        heading(page, "Contratti")
        history_length = page.evaluate("history.length")
    # Refusing one document: its message, the other answers kept.
    radios = page.locator('input[type="radio"][value="yes"]')
    assert radios.count() == 3
    radios.nth(0).check()
    page.locator('input[type="radio"][value="no"]').nth(1).check()
    radios.nth(2).check()
    page.get_by_role("button", name="Prosegui").click()
    expect(page.locator(".fieldset-error, .radios.has-error .error")).to_have_text(
        "Per proseguire devi accettare questo documento."
    )
    assert page.locator('input[type="radio"][value="yes"]').nth(0).is_checked()
    no_axe_violations(page, checker)
    if javascript:  # a refused form is the same step: no new history entry
        assert page.evaluate("history.length") == history_length
        assert page.evaluate("document.activeElement.id") == "step-title"
    page.locator('input[type="radio"][value="yes"]').nth(1).check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/billing$"))
    heading(page, "Dati di fatturazione")
    expect(page.get_by_label("Codice Fiscale")).to_have_value("RSSMRA80A01H501U")
    no_axe_violations(page, checker)

    page.get_by_label("CAP").fill("0018")
    page.get_by_label("Indirizzo", exact=True).fill("Via Nazionale 12")
    page.get_by_role("button", name="Prosegui").click()
    expect(page.locator("#postal_code-error")).to_have_text("Il CAP è formato da 5 cifre.")
    expect(page.get_by_label("Indirizzo", exact=True)).to_have_value("Via Nazionale 12")
    no_axe_violations(page, checker)
    page.get_by_label("CAP").fill("00184")
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/payment$"))
    heading(page, "Modalità di pagamento")
    no_axe_violations(page, checker)

    if javascript:
        # The browser's back button lands on the billing step with what was typed.
        page.go_back()
        page.wait_for_url(re.compile(r"/billing$"))
        heading(page, "Dati di fatturazione")
        expect(page.get_by_label("Indirizzo", exact=True)).to_have_value("Via Nazionale 12")
        page.get_by_role("button", name="Prosegui").click()
        page.wait_for_url(re.compile(r"/payment$"))
        heading(page, "Modalità di pagamento")

    page.get_by_label("Bonifico bancario").check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/confirm$"))
    heading(page, "Riepilogo e conferma ordine")
    expect(panel).to_contain_text("nuova scadenza: 30/03/2029")
    expect(panel).to_contain_text("4,00")
    no_axe_violations(page, checker)

    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/done$"))
    expect(panel).to_contain_text("L'ordine è andato a buon fine.")
    no_axe_violations(page, checker)
    if javascript:
        assert page.evaluate("window.__samePage") is True
        assert page.evaluate("document.activeElement.id") == "step-title"

    order = Order.get(Order.status == "awaiting_payment")
    expect(panel).to_contain_text(order.number)
    expect(panel).to_contain_text("IT60 X054 2811 1010 0000 0123 456")
    assert (order.net_cents, order.gross_cents) == (400, 488)
    assert order.billing["address"] == "Via Nazionale 12"
    email = OutboxMessage.get(OutboxMessage.order == order)
    assert (
        order.number in email.body_text and "IT60 X054 2811 1010 0000 0123 456" in email.body_text
    )
    assert "4,88" in email.body_text
    assert Mailbox.get(Mailbox.address == ADDRESS).expires_on == expiry_before  # R3
    # Failed loads (each refused form's 422, the favicon's 404) are the server's answers.
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []
    context.close()
    if checker is not None:
        checker.context.close()
