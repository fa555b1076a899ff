"""Every page a member sees, and every e-mail a member gets, in a real Chromium at 1280
and 390 px wide: axe finds no violation and nothing is wider than a phone's screen at
390 px. With PEC_SHOTS_DIR set, each is also saved as a screenshot at both widths, for
people to look at. The list of pages comes from the app's URL map, so a new member page
fails this test until it is visited here (or listed as not a page)."""

import base64
import datetime as dt
import functools
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pec.database import db
from pec.domain import (
    access_links,
    accounts,
    clock,
    document_review,
    lifecycle,
    order_admin,
    payments,
    renewal,
)
from pec.links import renewal_link
from pec.member_mail import MemberMail, outgoing
from pec.models import Account, Convention, Invoice, Mailbox, Order, OutboxMessage
from tests.conftest import MemberActions, WizardActions, axe_violations
from tests.domain.test_invoices import SELLER
from tests.factories import (
    VALID_BILLING,
    make_identity_document,
    make_mailbox,
    make_order,
    pay,
    refund,
)
from tests.notices import RecordingNotices

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("PEC_SHOTS_DIR")
WIDTHS = (1280, 390)
PHONE = 390

# GET endpoints of the member side that are not pages of their own.
NOT_PAGES = {
    "auth.home",  # redirects to the login or to Gestione PEC
    "auth.links.open",  # a personal link: redirects (its expired page is visited)
    "renewal.resume",  # redirects to the order's current step
    "renewal.document_text",  # a contract's text as a download
    "mailboxes.document",  # the member's identity document file
    "pages.logo",  # the convention's logo (an image, on every page)
    "static",
}
# Member e-mails that are not one per kind of template: each variant gets its own shot.
EMAIL_PARTIALS = re.compile(r"^_|^operator_")


def member_get_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith("operators.")
    }


class Widths:
    """One browser context per width, signed in as the same person: each look is taken
    in both, and what fails is collected (to report every page at once)."""

    def __init__(self, browser, server, app):
        self.server = server
        self.adapter = app.url_map.bind("localhost")
        self.contexts = {
            width: browser.new_context(locale="it-IT", viewport={"width": width, "height": 900})
            for width in WIDTHS
        }
        self.pages = {width: context.new_page() for width, context in self.contexts.items()}
        self.problems: dict[str, list] = {}
        self.visited: set[str] = set()

    @property
    def wide(self):
        return self.pages[WIDTHS[0]]

    def share_session(self):
        """The phone-sized context takes the wide one's cookies (one sign-in, not two)."""
        phone = self.contexts[PHONE]
        phone.clear_cookies()
        phone.add_cookies(self.contexts[WIDTHS[0]].cookies())

    def sign_in(self, identifier, password="demo-password"):
        page = self.wide
        page.goto(self.server + "/login")
        page.get_by_label("Login o indirizzo PEC").fill(identifier)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Accedi").click()
        page.wait_for_url("**/mailboxes/")
        self.share_session()

    def sign_out(self):
        for context in self.contexts.values():
            context.clear_cookies()

    def look(self, url: str, name: str, status: int = 200):
        """Open `url` at both widths and check it."""
        for page in self.pages.values():
            response = page.goto(self.server + url)
            assert response.status == status, (url, response.status)
        if status == 200:  # where it landed, after any redirect
            self.visited.add(self.adapter.match(urlsplit(self.wide.url).path)[0])
        self.check(name)

    def check(self, name: str):
        """Check what each width shows now (after a click, say)."""
        for width, page in self.pages.items():
            found = check_page(page, width)
            if found:
                self.problems[f"{name}-{width}"] = found
            shoot(page, name, width)

    def close(self):
        for context in self.contexts.values():
            context.close()


def as_json(route, *, csrf_token: str) -> None:
    """The browser's request for the page, sent instead as a POST with a JSON body."""
    headers = route.request.headers | {
        "content-type": "application/json",
        "x-csrftoken": csrf_token,
    }
    route.continue_(method="POST", headers=headers, post_data='{"identifier": "mario"}')


def check_page(page, width) -> list:
    found = list(axe_violations(page))
    if width == PHONE:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > PHONE:
            found.append(("overflow", scroll_width, wider_than(page, PHONE)))
    return found


def wider_than(page, width) -> list[str]:
    """The first few elements that stick out past the right edge (to say what to fix)."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
        width,
    )


def shoot(page, name: str, width: int) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


# --- The pages -----------------------------------------------------------------------------


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def member_data(app) -> dict:
    """Mario's orders in every state a page shows (made through the wizard as he would,
    and paid through the domain as an operator would), a reset link for Anna's first
    access and a personal link revoked. Returns what the URLs need."""
    Convention.update(**SELLER).execute()  # the convention invoices: a courtesy copy
    mario = Account.get(Account.login == "mario.rossi@example.org")
    make_mailbox(mario, address="r.rossi@pec.demo.it", expires_in=45)
    make_mailbox(mario, address="segreteria.ambulatorio.rossi@pec.demo.it", expires_in=60)
    wizard = WizardActions(MemberActions(app.test_client()))
    assert wizard.member.login().status_code == 303
    paid = wizard.renew(box("studio.rossi@pec.demo.it"))
    transfer = wizard.renew(box("mario.rossi@pec.demo.it"))
    card = wizard.renew(box("m.rossi@pec.demo.it"), method="card")
    slip = wizard.renew(box("r.rossi@pec.demo.it"), method="prefilled_slip")
    draft = wizard.start(box("segreteria.ambulatorio.rossi@pec.demo.it"))
    wizard.up_to_confirm(draft)
    with app.test_request_context():
        order = Order.get_by_id(paid)
        pay(order, reference="CRO-0306-0001", today=clock.today(), notices=MemberMail())
        anna = box("anna.bianchi@pec.demo.it")
        revoked = urlsplit(renewal_link(anna)).path
        access_links.revoke_links(anna.account, actor="operator:1")
        told = RecordingNotices()
        accounts.send_first_access(anna.account, clock.now(), notices=told, actor="operator:1")
    (_kind, _account, _mailbox, token) = told.sent[-1]
    return dict(
        paid=paid,
        transfer=transfer,
        card=card,
        slip=slip,
        draft=draft,
        invoice=Invoice.get(Invoice.order == paid).id,
        revoked=revoked,
        token=token,
        document=Order.get_by_id(draft).convention.documents.first().code,
    )


def test_every_member_page_is_axe_clean_and_fits_a_phone(browser, app, demo_server):
    ids = member_data(app)
    if not db.is_closed():
        db.close()
    widths = Widths(browser, demo_server, app)

    # Signed out.
    widths.look("/login", "login")
    widths.look("/first-access", "first-access")
    widths.look("/recover", "recover")
    widths.look(f"/reset/{ids['token']}", "reset")
    widths.look("/reset/not-a-token", "reset-invalid", status=410)
    widths.look(ids["revoked"], "link-expired")
    widths.look("/help", "help")
    widths.look("/privacy", "privacy")

    # Anna signs in with her PEC address.
    widths.sign_in("anna.bianchi@pec.demo.it")
    widths.look("/mailboxes/", "mailboxes-pec-login")
    widths.look("/orders/", "orders-pec-login")
    widths.sign_out()

    # Mario signs in with his account's login.
    widths.sign_in("mario.rossi@example.org")
    widths.look("/mailboxes/", "mailboxes")
    widths.look("/orders/", "orders")
    draft = ids["draft"]
    for step in ("service", "contracts", "billing", "payment", "confirm"):
        widths.look(f"/renewals/{draft}/{step}", f"wizard-{step}")
    widths.look(f"/renewals/{draft}/documents/{ids['document']}", "wizard-document")
    widths.look(f"/renewals/{ids['transfer']}/done", "done-bank-transfer")
    widths.look(f"/renewals/{ids['card']}/done", "done-card")
    widths.look(f"/renewals/{ids['slip']}/done", "done-prefilled-slip")
    widths.look(f"/payments/{ids['slip']}/slip", "slip")
    widths.look(f"/payments/{ids['transfer']}/report", "report")
    widths.look(f"/payments/{ids['paid']}/receipt", "receipt")
    widths.look(f"/payments/{ids['paid']}/invoices/{ids['invoice']}", "invoice")
    widths.look(f"/payments/{ids['card']}/checkout", "checkout")
    page = widths.wide
    page.get_by_role("button", name=re.compile(r"^Paga ")).click()
    page.wait_for_url("**/payments/demo-gateway/**")
    widths.look(urlsplit(page.url).path, "demo-gateway")
    # The browser's return from the gateway before its notification has arrived.
    widths.look(f"/payments/{ids['card']}/return", "gateway-return")
    widths.look("/payments/999999/receipt", "not-found", status=404)
    # A JSON body sent to a form (no page of ours sends one) gets a page that says so.
    for page in widths.pages.values():
        page.goto(widths.server + "/login")
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        page.route("**/login", functools.partial(as_json, csrf_token=token))
    widths.look("/login", "json-refused", status=415)
    for page in widths.pages.values():
        page.unroute("**/login")
    # RINNOVA on the mailbox just renewed asks first (a page answering a form).
    widths.look("/mailboxes/", "mailboxes")
    for phone_or_wide in widths.pages.values():
        phone_or_wide.get_by_role("button", name="Rinnova studio.rossi@pec.demo.it").click()
        phone_or_wide.wait_for_url("**/renewals/start")
    widths.check("renew-again")
    widths.close()

    forgotten = member_get_endpoints(app) - NOT_PAGES - widths.visited
    assert forgotten == set(), "member pages nobody looked at: add them here"
    assert widths.problems == {}


# --- The e-mails ---------------------------------------------------------------------------


def all_member_emails(app, today) -> None:
    """One e-mail of every kind (and the variants that read differently), queued through
    the domain's verbs with the real MemberMail, on the demo data."""
    told = MemberMail()
    admin = "operator:1"
    Convention.update(**SELLER).execute()
    mario_box = box("mario.rossi@pec.demo.it")
    studio = box("studio.rossi@pec.demo.it")
    anna = box("anna.bianchi@pec.demo.it")
    # Reminders: the first and the last, different in tone (the 20-day one is "soon").
    lifecycle.send_due_reminders(mario_box.expires_on - dt.timedelta(days=60), told)
    lifecycle.send_due_reminders(mario_box.expires_on - dt.timedelta(days=1), told)
    # An order by transfer (with its QR code), switched to the prefilled slip, cancelled.
    order = make_order([mario_box], billing=VALID_BILLING, accepted=True)
    told.order_confirmed(order)
    renewal.choose_payment_method(
        order, "prefilled_slip", now=clock.now(), notices=told, actor=admin, ip=""
    )
    renewal.cancel_order(
        Order.get_by_id(order.id), now=clock.now(), actor=admin, reason="Doppio", notices=told
    )
    # Money: part, then the rest with more than due (renewed, invoiced, a refund).
    order = make_order([studio], billing=VALID_BILLING)
    for amount, reference in ((200, "CRO-1"), (order.gross_cents, "CRO-2")):
        pay(order, amount, reference=reference, today=today, actor=admin, notices=told)
    refund(
        Order.get_by_id(order.id),
        200,
        reference="TRN-BACK",
        today=today,
        actor=admin,
        notices=told,
    )
    # A reported transfer that matches nothing.
    order = make_order([anna], billing=VALID_BILLING)
    reported = payments.report_payment(
        order,
        method="bank_transfer",
        amount_cents=488,
        paid_on=today,
        reference="CRO-9",
        actor=admin,
    )
    order_admin.reject_report(
        reported.payment, "Nessun bonifico trovato", actor=admin, notices=told
    )
    # An identity document that cannot be read.
    document = make_identity_document(anna.account, original_name="carta.pdf")
    document_review.reject_document(document, "Illeggibile", actor=admin, notices=told)
    # Getting in: first access (Anna has no password), recovery, a personal link.
    accounts.send_first_access(anna.account, clock.now(), notices=told, actor=admin)
    accounts.request_access("RSSMRA80A01H501U", clock.now(), notices=told)
    access_links.send_access_link(studio, notices=told, actor=admin)
    # The end of a mailbox: deactivated the day after its expiry, then ceased.
    lifecycle.deactivate_overdue(anna.expires_on + dt.timedelta(days=1), told)
    lapsed = box("m.rossi@pec.demo.it")
    lifecycle.cease_lapsed(lapsed.expires_on + dt.timedelta(days=120), told)


def email_name(row: OutboxMessage, seen: dict) -> str:
    seen[row.kind] = seen.get(row.kind, 0) + 1
    return f"email-{row.kind}" + (f"-{seen[row.kind]}" if seen[row.kind] > 1 else "")


def test_every_member_email_is_axe_clean_and_fits_a_phone(browser, app, demo):
    with app.test_request_context():
        all_member_emails(app, demo)
        rows = list(OutboxMessage.select().order_by(OutboxMessage.kind, OutboxMessage.id))
        bodies = [(row, outgoing(row)) for row in rows]
    templates = {
        path.stem
        for path in Path(app.root_path, "..", "templates", "emails").glob("*.html")
        if not EMAIL_PARTIALS.match(path.stem)
    }
    assert templates - {row.kind for row in rows} == set(), "e-mail kinds nobody looked at"
    contexts = [
        browser.new_context(locale="it-IT", viewport={"width": width, "height": 900})
        for width in WIDTHS
    ]
    pages = {width: context.new_page() for width, context in zip(WIDTHS, contexts, strict=True)}
    problems, seen = {}, {}
    for row, mail in bodies:
        html = mail.body_html
        for cid, content_type, data in mail.images:  # as a mail client shows them
            uri = f"data:{content_type};base64,{base64.b64encode(data).decode()}"
            html = html.replace(f"cid:{cid}", uri)
        name = email_name(row, seen)
        for width, page in pages.items():
            page.set_content(html)
            found = check_page(page, width)
            if found:
                problems[f"{name}-{width}"] = found
            shoot(page, name, width)
    for context in contexts:
        context.close()
    assert problems == {}
