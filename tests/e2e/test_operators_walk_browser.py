"""The operators' acceptance walk in a real Chromium, with e-mail through a real SMTP
server (aiosmtpd): an admin creates a member and mailbox by hand, sends the member's
personal access link (it arrives by SMTP and opens the mailbox's renewal), and invites a
new operator; the invitation arrives by SMTP; the new operator chooses a password, enrols an
authenticator (TOTP, required of an admin at the first sign-in), signs in with a code, and reads each step in the audit log, in
words. Screenshots of the pages only this walk reaches go to PEC_SHOTS_DIR when set."""

import re
import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from pec import jobs
from pec.database import db
from pec.demo import load_demo
from pec.domain import clock
from tests.conftest import axe_violations, totp_code
from tests.e2e.test_operators_pages_browser import shoot
from tests.test_delivery import SmtpServer, mail_app

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def served(tmp_path, smtp):
    """The portal with the demo data, mailing through the SMTP server, on loopback."""
    app = mail_app(tmp_path, smtp.port)
    with db.connection_context():
        load_demo(clock.today())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    if not db.is_closed():
        db.close()


def deliver(app) -> None:
    """The outbox delivery job, as the scheduler runs it every minute."""
    with app.app_context():
        jobs.send_outbox()


def mail_to(smtp, address: str):
    found = [m for m in smtp.handler.messages() if m["To"] == address]
    assert found, [m["To"] for m in smtp.handler.messages()]
    return found[-1]


def sign_in(page, server, email, password, code=None):
    page.goto(server + "/operators/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    if code is not None:
        page.wait_for_url("**/operators/login/code")
        page.get_by_label("Codice").fill(code())
        page.get_by_role("button", name="Verifica").click()
    page.wait_for_url("**/operators/")


def admin_code():
    with db.connection_context():
        return totp_code("admin@example.org")


def test_an_operator_walks_through_members_access_and_two_factor(browser, served, smtp):
    app, server = served
    admin = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    page = admin.new_page()
    sign_in(page, server, "admin@example.org", "admin-password", admin_code)

    # A member and their mailbox, by hand.
    page.get_by_role("link", name="Nuovo iscritto").click()
    page.get_by_label("Indirizzo PEC").fill("paola.gialli@pec.demo.it")
    page.get_by_label("Scadenza").fill("2027-09-30")
    page.get_by_label("Nome", exact=True).fill("Paola")
    page.get_by_label("Cognome").fill("Gialli")
    page.get_by_label("Codice fiscale").fill("GLLPLA80A41H501X")  # a wrong check character
    page.get_by_label("E-mail di riferimento").fill("paola.gialli@example.org")
    page.get_by_role("button", name="Crea l'iscritto").click()
    page.wait_for_selector("text=Il carattere di controllo non corrisponde")
    assert page.get_by_label("Cognome").input_value() == "Gialli"  # nothing typed is lost
    page.get_by_label("Codice fiscale").fill("GLLPLA80A41H501P")
    page.get_by_role("button", name="Crea l'iscritto").click()
    page.wait_for_url("**/operators/accounts/*")
    assert page.locator("h1").inner_text() == "Paola Gialli"

    # Her personal link, sent by e-mail (through SMTP), opens her mailbox's renewal.
    page.get_by_role("link", name="paola.gialli@pec.demo.it").first.click()
    page.wait_for_url("**/operators/mailboxes/*")
    page.get_by_role("button", name="Invia il link personale").click()
    page.wait_for_selector(".flash-success")
    deliver(app)
    access = mail_to(smtp, "paola.gialli@example.org")
    text = access.get_body(("plain",)).get_content()
    assert "paola.gialli@pec.demo.it" in access["Subject"]
    personal = re.search(r"https?://\S+/links/\S+", text).group(0)
    member = browser.new_context(locale="it-IT")
    renewal = member.new_page()
    renewal.goto(server + "/links/" + personal.split("/links/", 1)[1])
    assert "paola.gialli@pec.demo.it" in renewal.locator("main").inner_text()
    assert "/links/expired" not in renewal.url
    member.close()

    # A new operator, invited by e-mail (through SMTP).
    page.get_by_role("link", name="Operatori").click()
    page.get_by_role("link", name="Invita un operatore").click()
    page.get_by_label("Nome e cognome").fill("Luca Neri")
    page.get_by_label("E-mail").fill("luca.neri@example.org")
    page.get_by_label("Ruolo").select_option(label="amministratore")
    page.get_by_role("button", name="Invia l'invito").click()
    page.wait_for_selector(".flash-success")
    deliver(app)
    invitation = mail_to(smtp, "luca.neri@example.org")
    assert (
        "Giulia Verdi ti invita nell'area operatori"
        in invitation.get_body(("plain",)).get_content()
    )
    link = re.search(
        r"http\S+/operators/welcome/\S+", invitation.get_body(("plain",)).get_content()
    )
    welcome_url = server + "/operators/welcome/" + link.group(0).rsplit("/", 1)[1]
    admin.close()

    # The new operator chooses a password, enrols an authenticator, signs in with a code.
    luca = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    page = luca.new_page()
    page.goto(welcome_url)
    assert axe_violations(page) == []
    shoot(page, "welcome")
    page.get_by_label("Nuova password", exact=True).fill("tre parole a caso")
    page.get_by_label("Ripeti la nuova password").fill("tre parole a caso")
    page.get_by_role("button", name="Salva la password").click()
    page.wait_for_url("**/operators/login")
    page.goto(welcome_url)
    assert page.locator("h1").inner_text() == "Link non valido o scaduto"
    assert axe_violations(page) == []
    shoot(page, "welcome-invalid")
    # An admin enrols an authenticator before anything else opens.
    page.goto(server + "/operators/login")
    page.get_by_label("E-mail").fill("luca.neri@example.org")
    page.get_by_label("Password").fill("tre parole a caso")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/operators/login/enrol")
    assert page.locator("svg.qr").count() == 1
    assert axe_violations(page) == []
    shoot(page, "login-enrol")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Codice").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Attiva").click()
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    assert axe_violations(page) == []
    shoot(page, "recovery-codes")
    page.get_by_role("link", name="Ho conservato i codici, continua").click()
    page.wait_for_url("**/operators/")
    page.get_by_role("button", name="Esci").click()
    page.wait_for_url("**/operators/login")

    def luca_code():
        with db.connection_context():
            return totp_code("luca.neri@example.org")

    sign_in(page, server, "luca.neri@example.org", "tre parole a caso", luca_code)

    # Each step, in words, in the audit log.
    page.get_by_role("link", name="Registro attività").click()
    log = page.locator("#results").inner_text()
    for sentence in (
        "Giulia Verdi ha creato l'iscritto Paola Gialli con la casella paola.gialli@pec.demo.it.",
        "Giulia Verdi ha aggiunto la casella paola.gialli@pec.demo.it di Paola Gialli.",
        "Giulia Verdi ha inviato a Paola Gialli il link personale della casella "
        "paola.gialli@pec.demo.it.",
        "Giulia Verdi ha invitato Luca Neri (luca.neri@example.org) come amministratore.",
        "Luca Neri ha accettato l'invito e scelto la password.",
        "Luca Neri ha attivato la verifica in due passaggi.",
        "Luca Neri ha effettuato l'accesso con password e codice dell'app.",
    ):
        assert sentence in log, sentence
    assert "operator:" not in log and '{"' not in log
    luca.close()
