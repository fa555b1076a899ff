"""Members get in from the e-mail (R11), in a real Chromium with and without JavaScript:
a roster member with no password renews from the reminder's personal link delivered
through a real SMTP server; the link reaches nothing else; revoked, it says so and offers
a new one; first access sets a password; recovery works by codice fiscale. And no dead
ends: an expired session, a lost connection and an expired form each say what happened,
and the member finds the step again with what they typed."""

import datetime as dt
import re
import threading
import time

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from pec.database import db
from pec.domain import access_links, clock
from pec.models import Account, Mailbox, Order
from tests.conftest import make_app
from tests.factories import make_convention, make_documents, make_identity_document, make_order
from tests.test_delivery import SmtpServer

pytestmark = pytest.mark.browser

GIULIA = "giulia.verdi@pec.test.it"
STUDIO = "studio.verdi@pec.test.it"
REFERENCE = "giulia.verdi@example.org"
CF = "VRDGLI80A41H501S"
HEADER = (
    "convention_code;pec_address;expires_on;account_login;person_type;first_name;last_name;"
    "company_name;fiscal_code;vat_number;reference_email;phone;address;postal_code;city;province"
)


def roster_line(address: str, expires_on: dt.date) -> str:
    return (
        f"ORD;{address};{expires_on:%d/%m/%Y};;person;Giulia;Verdi;;{CF};;{REFERENCE};"
        "06 5551234;Via Appia 3;00179;Roma;RM"
    )


class Portal:
    """The app served on loopback, with its outbox delivered to a real SMTP server."""

    def __init__(self, tmp_path, **config):
        self.smtp = SmtpServer().start()
        self.app = make_app(
            tmp_path,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=self.smtp.port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_TIMEOUT=5,
            **config,
        )
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["PEC_BASE_URL"] = self.url  # links in e-mails point here
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.runner = self.app.test_cli_runner()

    def pec(self, *args):
        result = self.runner.invoke(args=["pec", *args])
        assert result.exit_code == 0, result.output
        return result.output

    def mail_to(self, address, subject_part=""):
        """Deliver the outbox, then the last message the SMTP server took for `address`."""
        self.pec("send-outbox")
        found = [
            m
            for m in self.smtp.handler.messages()
            if m["To"] == address and subject_part in m["Subject"]
        ]
        assert found, [m["Subject"] for m in self.smtp.handler.messages()]
        return found[-1].get_body(("plain",)).get_content()

    def close(self):
        self.server.shutdown()
        self.smtp.stop()
        if not db.is_closed():
            db.close()


@pytest.fixture
def portal(tmp_path):
    portal = Portal(tmp_path)
    yield portal
    portal.close()


def heading(page, text):
    expect(page.locator("h1")).to_contain_text(text)


def renew_to_the_end(page):
    """From Riepilogo servizio to the order number, as a member would."""
    page.get_by_role("link", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/contracts$"))
    for radio in page.locator('input[type="radio"][value="yes"]').all():
        radio.check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/billing$"))
    expect(page.get_by_label("Codice Fiscale")).to_have_value(CF)
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/payment$"))
    page.get_by_label("Bonifico bancario").check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/confirm$"))
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url(re.compile(r"/done$"))
    expect(page.locator("#panel")).to_contain_text("L'ordine è andato a buon fine.")


@pytest.mark.timeout(300)  # a long journey; CI runs it beside other workers
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_roster_member_renews_from_the_reminders_link(browser, portal, tmp_path, javascript):
    today = clock.today()
    with portal.app.app_context():
        make_documents(make_convention(code="ORD", name="Ordine di prova"))
    roster = tmp_path / "iscritti.csv"
    roster.write_text(
        "\n".join(
            [
                HEADER,
                roster_line(GIULIA, today + dt.timedelta(days=20)),
                roster_line(STUDIO, today + dt.timedelta(days=200)),
            ]
        ),
        encoding="utf-8",
    )
    portal.pec("import-roster", str(roster), "--apply")
    with portal.app.app_context():
        account = Account.get(Account.reference_email == REFERENCE)
        assert account.password_hash is None  # the roster creates no password

    portal.pec("jobs", "run", "--today", today.isoformat())
    reminder = portal.mail_to(REFERENCE, GIULIA)
    assert "Rinnova ora" in reminder and "Primo accesso" in reminder
    link = re.search(re.escape(portal.url) + r"/links/\S+", reminder).group(0)

    def new_page():
        context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
        return context.new_page()

    # The link, in a browser that never logged in: that mailbox's Riepilogo servizio.
    page = new_page()
    page.goto(link)
    page.wait_for_url(re.compile(r"/renewals/\d+/service$"))
    assert "/links/" not in page.url
    heading(page, "Riepilogo servizio")
    expect(page.locator("#panel")).to_contain_text(GIULIA)
    renew_to_the_end(page)

    # Scoped like a PEC-address login: the other mailbox and the account's data are 404.
    page.goto(portal.url + "/mailboxes/")
    expect(page.locator("th.address")).to_have_text([GIULIA])
    with portal.app.app_context():
        other = make_order([Mailbox.get(Mailbox.address == STUDIO)])
        document = make_identity_document(account.id)
    for path in (f"/renewals/{other.id}/done", f"/mailboxes/document/{document.id}"):
        response = page.goto(portal.url + path)
        assert response.status == 404, path
        heading(page, "Pagina non trovata")
    page.context.close()

    # An operator revokes the links: the link says so and offers a new one.
    with portal.app.app_context():
        access_links.revoke_links(account, actor="operator:1")
    page = new_page()
    page.goto(link)
    page.wait_for_url("**/links/expired")
    heading(page, "Questo link non è più valido")
    page.get_by_label("Login, indirizzo PEC, e-mail di riferimento o codice fiscale").fill(GIULIA)
    page.get_by_role("button", name="Invia").click()
    page.wait_for_url("**/login")
    expect(page.locator(".flashes")).to_contain_text("Se il dato inserito corrisponde")
    renewed = portal.mail_to(REFERENCE, "Primo accesso")  # no password yet: says how to set one
    assert f"Il tuo login è {REFERENCE}" in renewed
    new_link = re.search(r"Rinnova ora " + re.escape(GIULIA) + r": (\S+)", renewed).group(1)
    page.goto(new_link)
    with portal.app.app_context():
        order = Order.get(Order.status == "awaiting_payment")
    page.wait_for_url(f"**/renewals/{order.id}/done")  # its open order

    # First access: a password from the e-mailed link, then the account login.
    page.goto(portal.url + "/login")
    page.get_by_role("link", name="Primo accesso").click()
    page.wait_for_url("**/first-access")
    page.get_by_label("Login, indirizzo PEC, e-mail di riferimento o codice fiscale").fill(
        REFERENCE
    )
    page.get_by_role("button", name="Invia").click()
    page.wait_for_url("**/login")
    first = portal.mail_to(REFERENCE, "Primo accesso")
    page.goto(re.search(re.escape(portal.url) + r"/reset/\S+", first).group(0))
    heading(page, "Primo accesso: scegli la tua password")
    page.get_by_label("Nuova password", exact=True).fill("giulia-password-1")
    page.get_by_label("Ripeti la nuova password").fill("giulia-password-1")
    page.get_by_role("button", name="Salva la password").click()
    page.wait_for_url("**/login?login=*")
    expect(page.locator(".flashes")).to_contain_text("Password salvata")
    expect(page.get_by_label("Login o indirizzo PEC")).to_have_value(REFERENCE)
    page.get_by_label("Password").fill("giulia-password-1")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")
    expect(page.locator("th.address")).to_have_count(2)
    page.context.close()

    # Recovery by codice fiscale; an unknown value gets the very same page.
    answers = []
    for value in (CF, "XXXXXX00X00X000X"):
        page = new_page()
        page.goto(portal.url + "/recover")
        page.get_by_label("Login, indirizzo PEC, e-mail di riferimento o codice fiscale").fill(
            value
        )
        page.get_by_role("button", name="Invia").click()
        page.wait_for_url("**/login")
        answers.append(page.locator("main").inner_text())
        page.context.close()
    assert answers[0] == answers[1]
    assert "Il tuo login è" in portal.mail_to(REFERENCE, "Recupero dati di accesso")


@pytest.mark.timeout(400)  # waits a minute for the session to expire
def test_an_expired_session_a_lost_connection_and_an_expired_form_are_no_dead_ends(
    browser, tmp_path
):
    """With and without JavaScript during the same one-minute wait."""
    from pec.demo import load_demo

    portal = Portal(tmp_path, PEC_SESSION_IDLE_MINUTES=1)
    with db.connection_context():
        load_demo(clock.today())
    members = {  # JavaScript: Mario's account; without: Anna's PEC-address login
        True: ("mario.rossi@example.org", "mario.rossi@pec.demo.it"),
        False: ("anna.bianchi@pec.demo.it", "anna.bianchi@pec.demo.it"),
    }
    pages = {}
    try:
        for javascript, (login, address) in members.items():
            context = browser.new_context(java_script_enabled=javascript, locale="it-IT")
            page = pages[javascript] = context.new_page()
            page.goto(portal.url + "/login")
            page.get_by_label("Login o indirizzo PEC").fill(login)
            page.get_by_label("Password").fill("demo-password")
            page.get_by_role("button", name="Accedi").click()
            page.wait_for_url("**/mailboxes/")
            page.get_by_role("button", name=f"Rinnova {address}").click()
            page.get_by_role("link", name="Prosegui").click()
            page.wait_for_url(re.compile(r"/contracts$"))
            for radio in page.locator('input[type="radio"][value="yes"]').all():
                radio.check()
            page.get_by_role("button", name="Prosegui").click()
            page.wait_for_url(re.compile(r"/billing$"))
            page.get_by_label("Comune").fill("Torino")

        time.sleep(62)  # past PEC_SESSION_IDLE_MINUTES=1, for both at once

        for javascript, (login, _address) in members.items():
            page = pages[javascript]
            billing_url = page.url
            page.get_by_role("button", name="Prosegui").click()
            page.wait_for_url(re.compile(r"/login\?next=/renewals/\d+/billing$"))
            expect(page.locator(".flashes")).to_contain_text("La sessione è scaduta")
            expect(page.locator(".flashes")).to_contain_text("conservato")
            page.get_by_label("Login o indirizzo PEC").fill(login)
            page.get_by_label("Password").fill("demo-password")
            page.get_by_role("button", name="Accedi").click()
            page.wait_for_url(billing_url)
            expect(page.get_by_label("Comune")).to_have_value("Torino")
            expect(page.locator(".flashes")).to_contain_text("Bentornato")

        # JavaScript on: offline, the panel says so, keeps what was typed, and retries.
        page = pages[True]
        page.context.set_offline(True)
        page.get_by_role("button", name="Prosegui").click()
        problem = page.locator("#panel .request-error")
        expect(problem).to_contain_text("Connessione assente")
        expect(page.get_by_label("Comune")).to_have_value("Torino")
        page.context.set_offline(False)
        problem.get_by_role("button", name="Riprova").click()
        page.wait_for_url(re.compile(r"/payment$"))

        # An expired form: logging in again in another tab replaces this tab's token.
        other = page.context.new_page()
        other.goto(portal.url + "/login")
        other.get_by_label("Login o indirizzo PEC").fill("mario.rossi@example.org")
        other.get_by_label("Password").fill("demo-password")
        other.get_by_role("button", name="Accedi").click()
        other.wait_for_url("**/mailboxes/")
        page.get_by_label("Bonifico bancario").check()
        page.get_by_role("button", name="Prosegui").click()
        expect(problem).to_contain_text("La pagina era scaduta")
        assert page.get_by_label("Bonifico bancario").is_checked()
        problem.get_by_role("button", name="Riprova").click()
        page.wait_for_url(re.compile(r"/confirm$"))
        with portal.app.app_context():
            assert Order.get(Order.payment_method == "bank_transfer").billing["city"] == "Torino"
    finally:
        for page in pages.values():
            page.context.close()
        portal.close()
