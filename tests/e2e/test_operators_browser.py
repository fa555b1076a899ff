"""A real Chromium: an operator signs in, reads the dashboard, opens a mailbox's history."""

import pytest

from pec.database import db
from tests.conftest import axe_violations, sign_in_operator, totp_code

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_operator_signs_in_and_opens_a_mailbox_history(browser, demo_server, javascript):
    context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
    page = context.new_page()
    page.goto(demo_server + "/operators/")
    page.wait_for_url("**/operators/login**")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill("admin-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/operators/login/code")
    with db.connection_context():
        code = totp_code("admin@example.org")
    page.get_by_label("Codice").fill(code)
    page.get_by_role("button", name="Verifica").click()
    page.wait_for_url("**/operators/")
    assert page.locator("h1").inner_text() == "Riepilogo caselle"
    assert page.locator("#count-expiring").inner_text() == "2"  # mario.rossi, anna.bianchi
    assert page.locator("#count-deactivated").inner_text() == "1"
    page.locator("a[href$='status=deactivated']").click()
    page.wait_for_url("**/operators/mailboxes?status=deactivated")
    page.get_by_role("link", name="m.rossi@pec.demo.it").click()
    page.wait_for_selector("h1:text('m.rossi@pec.demo.it')")
    assert "Disattivato" in page.locator("main").inner_text()
    assert page.get_by_role("heading", name="Registro attività").count() == 1
    context.close()


def test_search_swaps_only_the_results_with_htmx(browser, demo_server):
    page = browser.new_page()
    sign_in_operator(page, demo_server)
    page.goto(demo_server + "/operators/mailboxes")
    page.get_by_label("Cerca").fill("BNCNNA85M41F205Q")
    page.get_by_role("button", name="Filtra").click()
    page.wait_for_url("**/operators/mailboxes?q=BNCNNA85M41F205Q**")
    assert page.locator("#results th.address").all_inner_texts() == ["anna.bianchi@pec.demo.it"]
    assert page.locator("h1").count() == 1  # a fragment swap, not a page inside the page
    page.close()


def test_dashboard_and_lists_have_no_axe_violations(browser, demo_server):
    page = browser.new_page()
    page.goto(demo_server + "/operators/login")
    assert axe_violations(page) == []
    sign_in_operator(page, demo_server)
    assert axe_violations(page) == []
    for path in ("/operators/mailboxes", "/operators/domicilio", "/operators/audit"):
        page.goto(demo_server + path)
        assert axe_violations(page) == [], path
    page.close()
