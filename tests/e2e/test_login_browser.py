"""A real Chromium logs in and reads "Gestione PEC", with and without JavaScript."""

import pytest

from tests.conftest import axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_mario_logs_in_and_sees_his_three_mailboxes(browser, demo_server, javascript):
    context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
    page = context.new_page()
    page.goto(demo_server + "/")
    assert page.locator("h1").inner_text() == "Area Clienti"
    page.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")
    addresses = page.locator("th.address").all_inner_texts()
    assert sorted(addresses) == [
        "m.rossi@pec.demo.it",
        "mario.rossi@pec.demo.it",
        "studio.rossi@pec.demo.it",
    ]
    assert page.locator("text=Disattivato").count() == 1
    context.close()


def test_wrong_password_shows_the_message_at_the_field(browser, demo_server):
    page = browser.new_page()
    page.goto(demo_server + "/login")
    page.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
    page.get_by_label("Password").fill("nope")
    page.get_by_role("button", name="Accedi").click()
    error = page.locator("#password-error")
    assert error.inner_text() == "Login o password non corretti."
    assert page.get_by_label("Login o indirizzo PEC").input_value() == "mario.rossi@example.org"
    assert page.locator("#password").get_attribute("aria-describedby") == "password-error"
    page.close()


def test_login_and_mailbox_pages_have_no_axe_violations(browser, demo_server):
    page = browser.new_page()
    page.goto(demo_server + "/login")
    assert axe_violations(page) == []
    page.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")
    assert axe_violations(page) == []
    page.close()


def test_english_can_be_chosen_in_the_browser(browser, demo_server):
    page = browser.new_page()
    page.goto(demo_server + "/login")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("h1:text('Customer area')")
    assert page.locator("html").get_attribute("lang") == "en"
    page.close()
