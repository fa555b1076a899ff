"""In Chromium: the transfer's QR code as a banking app would scan it, the copy buttons,
focus without a ring for pointer users, and axe on the new pages (issue 11)."""

import pytest
from playwright.sync_api import expect

from pec.database import db
from pec.models import Mailbox
from tests.conftest import axe_violations
from tests.factories import make_order
from tests.qr import decode_qr

pytestmark = pytest.mark.browser


def signed_in(browser, server, **options):
    context = browser.new_context(locale="it-IT", **options)
    page = context.new_page()
    page.goto(server + "/login")
    page.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")
    return context, page


def test_the_transfer_qr_on_the_page_decodes_and_the_iban_copies(browser, demo_server):
    with db.connection_context():
        box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
        order = make_order([box], method="bank_transfer")
    context, page = signed_in(
        browser, demo_server, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("link", name="Paga ora – mario.rossi@pec.demo.it").click()
    page.wait_for_url(f"**/renewals/{order.id}/done")
    payload = decode_qr(page.locator(".qr svg").screenshot()).decode()
    lines = payload.split("\n")
    assert lines[0] == "BCD" and lines[3] == "SCT"
    assert lines[6] == "IT60X0542811101000000123456"
    assert lines[7] == "EUR4.88"
    assert lines[10] == f"Rinnovo PEC ordine {order.number}"
    page.get_by_role("button", name="Copia IBAN").click()
    assert page.evaluate("navigator.clipboard.readText()") == "IT60X0542811101000000123456"
    assert page.locator("[data-copy-status]").inner_text() == "IBAN copiato"
    assert axe_violations(page) == []
    context.close()


def test_the_step_title_gets_focus_without_a_ring_for_the_mouse(browser, demo_server):
    context, page = signed_in(browser, demo_server)
    page.get_by_role("button", name="Rinnova mario.rossi@pec.demo.it").click()
    page.wait_for_url("**/service")
    page.get_by_role("link", name="Prosegui").click()  # a pointer click, swapped by htmx
    page.wait_for_url("**/contracts")
    expect(page.locator("#step-title")).to_be_focused()
    outline = "getComputedStyle(document.activeElement).outlineStyle"
    assert page.evaluate(outline) == "none"
    page.get_by_role("link", name="Indietro").focus()
    page.keyboard.press("Enter")  # the keyboard: the focused title shows where it is
    page.wait_for_url("**/service")
    expect(page.locator("#step-title")).to_be_focused()
    assert page.evaluate(outline) == "dotted"
    context.close()


@pytest.mark.parametrize("url", ["/help", "/privacy", "/mailboxes/"])
def test_the_new_pages_have_no_axe_violations(browser, demo_server, url):
    context, page = signed_in(browser, demo_server)
    page.goto(demo_server + url)
    assert axe_violations(page) == []
    context.close()
