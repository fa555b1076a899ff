"""The member's payment pages: demo card checkout, reports, slip, receipt, access (docs/rules.md, member journey 7–11)."""

import datetime as dt
import html
import re

import pytest

from pec.database import db
from pec.member_mail import MemberMail
from pec.models import (
    AuditEvent,
    Mailbox,
    Order,
    OutboxMessage,
    Payment,
)
from pec.payments.words import euro_in_words, number_in_words
from tests import factories
from tests.factories import make_order

ANNA = ("anna.bianchi@pec.demo.it", "demo-password")


def text(response) -> str:
    """The page's visible text, whitespace collapsed (tags become spaces)."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", plain.replace("\xa0", " "))


def register(app, order, reference, **kwargs):
    """Money registered by someone else (an operator, an import) while the member waits."""
    with app.app_context(), db.connection_context():
        return factories.pay(
            order,
            kwargs.pop("amount_cents", None),
            reference=reference,
            today=dt.date(2026, 3, 10),
            method=kwargs.pop("method", order.payment_method),
            provider=kwargs.pop("provider", "operator"),
            notices=MemberMail(),
        )


def box(address):
    with db.connection_context():
        return Mailbox.get(Mailbox.address == address)


def order_for(address, **kwargs):
    with db.connection_context():
        return make_order([Mailbox.get(Mailbox.address == address)], **kwargs)


def reload(row):
    with db.connection_context():
        return type(row).get_by_id(row.id)


def start_demo_checkout(member, order):
    """Member presses "Paga" and lands on the demo provider's page; returns its URL."""
    response = member.post(f"/payments/{order.id}/checkout")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/payments/demo-gateway/")
    return location


def decide(member, gateway_url, decision):
    response = member.post(gateway_url, {"decision": decision})
    assert response.status_code == 303
    return response.headers["Location"]


def test_anna_pays_by_card_and_gets_three_years_from_her_old_expiry(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card")
    member.login(*ANNA)
    page = member.client.get(f"/payments/{order.id}/checkout")
    assert page.status_code == 200
    assert "Paga 4,88 €" in text(page) and "15/03/2029" in text(page)
    gateway_url = start_demo_checkout(member, order)
    simulated = member.client.get(gateway_url)
    assert "SIMULAZIONE — nessun addebito reale" in text(simulated)
    back = decide(member, gateway_url, "approve")
    assert back.startswith(f"/payments/{order.id}/return?session=demo_cs_")
    landed = member.client.get(back)
    assert landed.headers["Location"] == f"/payments/{order.id}/receipt"
    receipt = text(member.client.get(landed.headers["Location"]))
    assert "Pagamento ricevuto: il rinnovo è stato applicato." in receipt
    assert f"Ricevuta di pagamento – ordine N° {order.number}" in receipt
    assert "TOTALE (IVA esclusa) 4,00 €" in receipt
    assert "TOTALE (IVA inclusa 22%) 4,88 €" in receipt
    assert "Pagato il 10/03/2026" in receipt and "15/03/2029" in receipt
    with db.connection_context():
        payment = Payment.get(Payment.order == order.id)
        assert payment.status == "registered" and payment.reference in receipt
        mail = OutboxMessage.get(OutboxMessage.kind == "renewal_applied")
        assert "nuova scadenza 15/03/2029" in mail.body_text
        assert f"/payments/{order.id}/receipt" in mail.body_html
    assert box("anna.bianchi@pec.demo.it").expires_on == dt.date(2029, 3, 15)
    assert reload(order).status == "paid"


def test_declining_leaves_everything_as_it_was_with_a_clear_message(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card")
    member.login(*ANNA)
    back = decide(member, start_demo_checkout(member, order), "decline")
    landed = member.client.get(back)
    assert landed.headers["Location"] == f"/payments/{order.id}/checkout"
    page = text(member.client.get(landed.headers["Location"]))
    assert "Il pagamento non è andato a buon fine e nessun importo è stato addebitato" in page
    assert box("anna.bianchi@pec.demo.it").expires_on == dt.date(2026, 3, 15)
    assert reload(order).status == "awaiting_payment"
    with db.connection_context():
        assert Payment.get(Payment.order == order.id).status == "failed"
        assert OutboxMessage.select().count() == 0
    # The member can try again: a second attempt that is approved applies the renewal.
    member.client.get(decide(member, start_demo_checkout(member, order), "approve"))
    assert box("anna.bianchi@pec.demo.it").expires_on == dt.date(2029, 3, 15)


def test_the_browsers_return_alone_registers_nothing(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card")
    member.login(*ANNA)
    gateway_url = start_demo_checkout(member, order)
    with db.connection_context():
        reference = Payment.get(Payment.order == order.id).reference
    page = member.client.get(f"/payments/{order.id}/return?session={reference}")
    assert page.status_code == 200 and "Pagamento in verifica" in text(page)
    assert reload(order).status == "awaiting_payment"
    assert box("anna.bianchi@pec.demo.it").expires_on == dt.date(2026, 3, 15)
    assert member.client.get(gateway_url).status_code == 200  # still payable


def test_deactivated_m_rossi_is_reactivated_by_a_card_payment(app, member, demo):
    order = order_for("m.rossi@pec.demo.it", method="paypal")
    member.login()
    member.client.get(decide(member, start_demo_checkout(member, order), "approve"))
    mailbox = box("m.rossi@pec.demo.it")
    assert mailbox.deactivated_on is None and mailbox.expires_on == dt.date(2029, 3, 7)
    listing = text(member.client.get("/mailboxes/"))
    assert f"Ricevuta dell'ordine N° {order.number}" in listing


def test_a_forged_demo_page_link_is_404(app, member, demo):
    member.login(*ANNA)
    assert member.client.get("/payments/demo-gateway/not-a-token").status_code == 404


def test_mailbox_list_links_an_awaiting_order_to_its_payment_page(app, member, demo):
    card = order_for("mario.rossi@pec.demo.it", method="card")
    transfer = order_for("studio.rossi@pec.demo.it", method="bank_transfer")
    slip = order_for("m.rossi@pec.demo.it", method="prefilled_slip")
    member.login()
    page = member.client.get("/mailboxes/").get_data(as_text=True)
    assert f'href="/payments/{card.id}/checkout">Paga ora' in page
    assert f'href="/payments/{transfer.id}/report">Segnala il pagamento' in page
    assert f'href="/payments/{slip.id}/slip">Stampa il bollettino' in page


@pytest.mark.parametrize("page", ["checkout", "report", "slip", "receipt", "return"])
def test_a_member_cannot_open_anothers_order_pages(app, member, demo, page):
    annas = order_for("anna.bianchi@pec.demo.it", method="card")
    marios = order_for("mario.rossi@pec.demo.it", method="card")
    register(app, annas, "x", provider="demo")
    member.login()  # Mario's account
    assert member.client.get(f"/payments/{annas.id}/{page}").status_code == 404
    assert member.client.get("/payments/999999/" + page).status_code == 404
    member.logout()
    member.login(*ANNA)  # Anna's mailbox login
    assert member.client.get(f"/payments/{marios.id}/{page}").status_code == 404


def test_posting_to_anothers_checkout_or_report_is_404_and_changes_nothing(app, member, demo):
    annas = order_for("anna.bianchi@pec.demo.it", method="bank_transfer")
    member.login()
    assert member.post(f"/payments/{annas.id}/checkout").status_code == 404
    report = {"method": "bank_transfer", "paid_on": "09/03/2026", "amount": "4,88"}
    response = member.post(f"/payments/{annas.id}/report", {**report, "reference": "CRO123456"})
    assert response.status_code == 404
    with db.connection_context():
        assert Payment.select().count() == 0


def test_anonymous_visitors_are_sent_to_login(client, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card")
    response = client.get(f"/payments/{order.id}/receipt")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_report_shows_how_to_pay_and_records_a_declared_transfer(app, member, demo):
    order = order_for("mario.rossi@pec.demo.it", method="bank_transfer")
    member.login()
    page = text(member.client.get(f"/payments/{order.id}/report"))
    assert "IT60 X054 2811 1010 0000 0123 456" in page
    assert f"Causale: Rinnovo PEC ordine {order.number}" in page
    response = member.post(
        f"/payments/{order.id}/report",
        {"method": "bank_transfer", "paid_on": "10/03/2026", "amount": "4,88",
         "reference": "cro 1234 5678 901"},
    )  # fmt: skip
    assert response.status_code == 303
    with db.connection_context():
        payment = Payment.get(Payment.order == order.id)
        assert (payment.status, payment.provider, payment.reference) == (
            "reported",
            "member",
            "12345678901",  # the label "cro" typed before the number is not part of it
        )
        assert payment.amount_cents == 488 and payment.paid_on == dt.date(2026, 3, 10)
        assert AuditEvent.get(AuditEvent.action == "payment.reported").target_id == order.id
    after = text(member.client.get(f"/payments/{order.id}/report"))
    assert "È in attesa di registrazione" in after and "riferimento 12345678901" in after
    assert "Invia la segnalazione" not in after
    # The mailbox keeps its status; nothing about its expiry changed (R3).
    assert box("mario.rossi@pec.demo.it").expires_on == dt.date(2026, 3, 30)


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"paid_on": ""}, "paid_on", "Inserisci la data del pagamento."),
        ({"paid_on": "31/02/2026"}, "paid_on", "Scrivi la data come GG/MM/AAAA"),
        ({"paid_on": "11/03/2026"}, "paid_on", "non può essere nel futuro"),
        ({"paid_on": "01/01/2026"}, "paid_on", "precedente all'ordine (10/03/2026)"),
        ({"amount": ""}, "amount", "Inserisci l'importo pagato."),
        ({"amount": "quattro"}, "amount", "Scrivi l'importo in euro con i centesimi"),
        ({"amount": "4,00"}, "amount", "L'importo dell'ordine è 4,88 €"),
        ({"reference": ""}, "reference", "Inserisci il CRO/TRN o il numero del bollettino."),
        ({"reference": "ab!"}, "reference", "Il riferimento ha da 5 a 35 lettere o cifre"),
        ({"method": "card"}, "method", "Scegli come hai pagato."),
        ({"method": ""}, "method", "Scegli come hai pagato."),
    ],
)
def test_report_errors_sit_at_their_field_and_keep_what_was_typed(
    app, member, demo, form, field, message
):
    order = order_for("mario.rossi@pec.demo.it", method="blank_slip")
    member.login()
    data = {"method": "blank_slip", "paid_on": "10/03/2026", "amount": "4,88",
            "reference": "VCY 0042"}  # fmt: skip
    data.update(form)
    response = member.post(f"/payments/{order.id}/report", data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error" class="error">([^<]*)<', body)
    assert error and message in html.unescape(error.group(1)).replace("\xa0", " ")
    for name in ("paid_on", "amount", "reference"):
        if data[name]:
            assert f'value="{html.escape(data[name])}"' in body
    with db.connection_context():
        assert Payment.select().count() == 0


def test_prefilled_slip_is_printable_with_amount_in_words_and_causale(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="prefilled_slip")
    member.login(*ANNA)
    response = member.client.get(f"/payments/{order.id}/slip")
    page = text(response)
    assert "Sul C/C n. 1234567" in page
    assert "di Euro 4,88" in page and "Importo in lettere quattro/88" in page
    assert "Intestato a PEC Demo S.r.l. – Convenzione FNOMCeO" in page
    assert f"Causale Rinnovo PEC ordine {order.number}" in page
    assert "Eseguito da Anna Bianchi" in page
    body = response.get_data(as_text=True)
    assert "style=" not in body and "<style" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script (CSP)


def test_a_paid_orders_payment_pages_lead_to_its_receipt(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="bank_transfer")
    register(app, order, "CRO99")
    member.login(*ANNA)
    for page in ("checkout", "report", "slip"):
        response = member.client.get(f"/payments/{order.id}/{page}")
        assert response.headers["Location"] == f"/payments/{order.id}/receipt"


def test_receipt_shows_the_frozen_billing_data(app, member, demo):
    billing = {"first_name": "Anna", "last_name": "Bianchi", "fiscal_code": "BNCNNA85M41F205Q",
               "address": "Corso Buenos Aires 10", "city": "Milano"}  # fmt: skip
    order = order_for("anna.bianchi@pec.demo.it", method="card", billing=billing)
    register(app, order, "demo_cs_1", provider="demo")
    with db.connection_context():
        # Later changes to the account do not touch the receipt (R10).
        account = Order.get_by_id(order.id).account
        account.fiscal_code = "XXXXXX00X00X000X"
        account.save()
    member.login(*ANNA)
    page = text(member.client.get(f"/payments/{order.id}/receipt"))
    assert "Codice Fiscale BNCNNA85M41F205Q" in page and "Indirizzo Corso Buenos Aires 10" in page
    assert "Riferimento del pagamento demo_cs_1" in page
    assert "IVA 22% 0,88 €" in page


def test_an_awaiting_orders_receipt_sends_to_its_payment_page(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="bank_transfer")
    member.login(*ANNA)
    response = member.client.get(f"/payments/{order.id}/receipt")
    assert response.headers["Location"] == f"/payments/{order.id}/report"


def test_a_cancelled_order_cannot_be_paid(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card", status="cancelled")
    member.login(*ANNA)
    response = member.client.get(f"/payments/{order.id}/checkout")
    assert response.status_code == 409 and "è stato annullato" in text(response)
    assert member.post(f"/payments/{order.id}/checkout").status_code == 409


def test_english_receipt(app, member, demo):
    order = order_for("anna.bianchi@pec.demo.it", method="card")
    member.login(*ANNA)
    member.client.get(decide(member, start_demo_checkout(member, order), "approve"))
    member.post("/language", {"lang": "en"})
    page = text(member.client.get(f"/payments/{order.id}/receipt"))
    assert "TOTAL (excl. VAT) €4.00" in page and "TOTAL (incl. VAT 22%) €4.88" in page


@pytest.mark.parametrize(
    "cents, words",
    [
        (488, "quattro/88"),
        (100, "uno/00"),
        (2100, "ventuno/00"),
        (2800, "ventotto/00"),
        (10800, "centotto/00"),
        (18000, "centottanta/00"),
        (97600, "novecentosettantasei/00"),
        (100000, "mille/00"),
        (123456, "milleduecentotrentaquattro/56"),
        (2100005, "ventunomila/05"),
    ],
)
def test_amounts_in_words_as_on_a_postal_slip(cents, words):
    assert euro_in_words(cents) == words


def test_big_numbers_in_words():
    assert number_in_words(1_000_000) == "unmilione"
    assert number_in_words(2_300_001) == "duemilionitrecentomilauno"


def test_checkout_of_a_mailbox_past_the_restore_window_charges_nobody(app, member, demo):
    order = order_for("m.rossi@pec.demo.it", method="card")
    member.login()
    from pec.domain import clock

    with clock.frozen(dt.date(2026, 6, 6)):  # 07/03/2026 + 91 days
        page = member.client.get(f"/payments/{order.id}/checkout")
        assert page.status_code == 409
        assert "Non è più possibile rinnovare online m.rossi@pec.demo.it" in text(page)
        assert member.post(f"/payments/{order.id}/checkout").status_code == 409
    with db.connection_context():
        assert Payment.select().count() == 0
