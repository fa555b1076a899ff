"""The renewal wizard over HTTP, plain and htmx (docs/rules.md, member journey 4–9, R2–R4, R9, R10)."""

import datetime as dt
import gzip
import html
import re

import pytest
from playhouse.test_utils import count_queries

from pec.database import db
from pec.domain import clock, renewal
from pec.member_mail import MemberMail
from pec.models import (
    Account,
    ContractAcceptance,
    Convention,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
)
from tests.conftest import HTMX_PANEL
from tests.factories import make_order, pay

NBSP = "\xa0"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace(NBSP, " ")


def box(address="mario.rossi@pec.demo.it") -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error" class="error">([^<]+)<', page)
    return match.group(1) if match else ""


def input_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="text" value="([^"]*)"', page)
    return match.group(1) if match else None


@pytest.fixture
def mario(member, demo):
    member.login()
    return member


# --- The acceptance path --------------------------------------------------------------


def test_mario_renews_his_mailbox_and_gets_an_order_number_and_an_email(mario, wizard):
    mailbox = box()
    order_id = wizard.start(mailbox)
    service = text(mario.client.get(f"/renewals/{order_id}/service"))
    assert "TOTALE (IVA esclusa) 4,00 €" in re.sub(r"<[^>]+>|\s+", " ", service).replace("  ", " ")
    wizard.up_to_confirm(order_id)
    summary = re.sub(
        r"\s+",
        " ",
        re.sub(r"<[^>]+>", " ", text(mario.client.get(f"/renewals/{order_id}/confirm"))),
    )
    assert "TOTALE (IVA esclusa) 4,00 €" in summary
    assert "TOTALE (IVA inclusa 22%) 4,88 €" in summary
    assert "nuova scadenza: 30/03/2029" in summary
    assert "mario.rossi@example.org — Mario Rossi" in summary
    response = wizard.confirm(order_id)
    assert response.status_code == 303 and response.location == f"/renewals/{order_id}/done"
    done = text(mario.client.get(response.location))
    order = Order.get_by_id(order_id)
    assert "L'ordine è andato a buon fine." in done and order.number in done
    assert (order.net_cents, order.vat_cents, order.gross_cents) == (400, 88, 488)
    assert "IT60 X054 2811 1010 0000 0123 456" in done
    email = OutboxMessage.get(OutboxMessage.order == order)
    assert email.to_address == "mario.rossi@example.org" and email.kind == "order_confirmed"
    body = email.body_text.replace(NBSP, " ")
    assert (
        f"La presente a conferma dell'ordine di rinnovo N° {order.number} relativo al "
        "Servizio Pec, effettuato in data 10/03/2026." in body
    )
    assert "4,88 €" in body and "IT60 X054 2811 1010 0000 0123 456" in body
    assert "nuova scadenza: 30/03/2029" in body
    assert "Condizioni Generali di Contratto (versione 1)" in body
    assert order.number in email.subject and order.number in email.body_html
    assert box().expires_on == mailbox.expires_on  # R3: no date moves at confirmation


def test_one_order_renews_two_mailboxes_with_one_number(mario, wizard):
    first, second = box(), box("studio.rossi@pec.demo.it")
    order_id = wizard.start(first, second, only=False)
    wizard.up_to_confirm(order_id)
    page = re.sub(r"<[^>]+>|\s+", " ", text(mario.client.get(f"/renewals/{order_id}/confirm")))
    assert "TOTALE (IVA esclusa) 8,00 €" in re.sub(r"\s+", " ", page)
    assert "TOTALE (IVA inclusa 22%) 9,76 €" in re.sub(r"\s+", " ", page)
    wizard.confirm(order_id)
    order = Order.get_by_id(order_id)
    assert renewal.is_order_number(order.number)
    assert sorted(line.mailbox.address for line in order.lines) == [
        "mario.rossi@pec.demo.it",
        "studio.rossi@pec.demo.it",
    ]
    assert (order.net_cents, order.gross_cents) == (800, 976)
    assert Order.select().where(Order.number.is_null(False)).count() == 1


def test_a_pec_address_login_renews_that_mailbox_alone(member, demo, wizard):
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    anna = box("anna.bianchi@pec.demo.it")
    order_id = wizard.renew(anna, fiscal_code="BNCNNA85M41F205Q")
    order = Order.get_by_id(order_id)
    assert order.started_by_mailbox_id == anna.id
    assert [line.mailbox_id for line in order.lines] == [anna.id]
    assert OutboxMessage.get(OutboxMessage.order == order).to_address == "anna.bianchi@example.org"


# --- Every step, as a page and as a fragment -------------------------------------------

STEP_H1 = {
    "service": "Riepilogo servizio",
    "contracts": "Contratti",
    "billing": "Dati di fatturazione",
    "payment": "Modalità di pagamento",
    "confirm": "Riepilogo e conferma ordine",
    "done": "Ordine N°",
}


def order_at(wizard, step):
    """Mario's order, with everything before `step` filled in."""
    order_id = wizard.start(box())
    order_steps = ["contracts", "billing", "payment", "confirm", "done"]
    actions = [
        wizard.accept_contracts,
        wizard.submit_billing,
        wizard.choose_method,
        wizard.confirm,
    ]
    for name, action in zip(order_steps, actions, strict=False):
        if step in ("service", name):
            break
        assert action(order_id).status_code == 303
    return order_id


@pytest.mark.parametrize("step", list(STEP_H1))
def test_every_step_is_a_full_page_for_a_plain_request(mario, wizard, step):
    order_id = order_at(wizard, step)
    response = mario.client.get(f"/renewals/{order_id}/{step}")
    page = text(response)
    assert response.status_code == 200
    assert page.startswith("<!doctype html>") and '<header class="top">' in page
    assert STEP_H1[step] in page and '<div id="panel"' in page
    assert {"HX-Request", "HX-Target"} <= set(response.vary)


@pytest.mark.parametrize("step", list(STEP_H1))
def test_every_step_is_a_small_fragment_for_htmx(mario, wizard, step):
    order_id = order_at(wizard, step)
    response = mario.client.get(f"/renewals/{order_id}/{step}", headers=HTMX_PANEL)
    body = response.get_data()
    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page and "<header" not in page and 'id="panel"' not in page
    assert page.lstrip().startswith("<title>") and STEP_H1[step] in page
    assert len(gzip.compress(body)) <= 5 * 1024, len(
        gzip.compress(body)
    )  # docs/rules.md, Qualities


POSTS = {
    "contracts": ("accept_contracts", "billing"),
    "billing": ("submit_billing", "payment"),
    "payment": ("choose_method", "confirm"),
    "confirm": ("confirm", "done"),
}


@pytest.mark.parametrize("step", list(POSTS))
def test_a_valid_step_redirects_a_plain_client_with_303(mario, wizard, step):
    order_id = order_at(wizard, step)
    action, following = POSTS[step]
    response = getattr(wizard, action)(order_id)
    assert response.status_code == 303
    assert response.location == f"/renewals/{order_id}/{following}"


@pytest.mark.parametrize("step", list(POSTS))
def test_a_valid_step_gives_htmx_the_next_panel_and_its_url(mario, wizard, step):
    order_id = order_at(wizard, step)
    action, following = POSTS[step]
    response = getattr(wizard, action)(order_id, headers=HTMX_PANEL)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/renewals/{order_id}/{following}"
    page = text(response)
    assert STEP_H1[following] in page and "<html" not in page


def test_service_prosegui_is_a_plain_link_to_contracts_in_the_boosted_panel(mario, wizard):
    order_id = wizard.start(box())
    page = text(mario.client.get(f"/renewals/{order_id}/service"))
    panel = page[page.index('<div id="panel"') :]
    assert panel.startswith('<div id="panel" class="card wizard" hx-boost="true"')
    assert f'<a class="button primary" href="/renewals/{order_id}/contracts">Prosegui</a>' in panel
    swapped = mario.client.get(f"/renewals/{order_id}/contracts", headers=HTMX_PANEL)
    assert "<html" not in text(swapped) and "HX-Push-Url" not in swapped.headers


# --- State on the server: resume, back, later steps ------------------------------------


def test_a_later_step_redirects_to_the_current_one(mario, wizard):
    order_id = wizard.start(box())
    plain = mario.client.get(f"/renewals/{order_id}/confirm")
    assert plain.status_code == 303 and plain.location == f"/renewals/{order_id}/contracts"
    swapped = mario.client.get(f"/renewals/{order_id}/payment", headers=HTMX_PANEL)
    assert swapped.status_code == 200
    assert swapped.headers["HX-Push-Url"] == f"/renewals/{order_id}/contracts"
    assert "Contratti" in text(swapped)


def test_coming_back_later_resumes_at_the_right_step_with_what_was_typed(mario, wizard):
    order_id = wizard.start(box())
    wizard.accept_contracts(order_id)
    wizard.submit_billing(order_id, address="Via Nazionale 12")
    mario.client.get("/mailboxes/")
    again = mario.post("/renewals/start", {"only": str(box().id)})
    assert again.location == f"/renewals/{order_id}/"
    resumed = mario.client.get(again.location)
    assert resumed.location == f"/renewals/{order_id}/payment"
    billing = mario.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    assert input_value(billing, "address") == "Via Nazionale 12"


def test_gestione_pec_offers_to_resume_a_draft(mario, wizard):
    order_id = wizard.start(box())
    page = mario.client.get("/mailboxes/").get_data(as_text=True)
    assert f'href="/renewals/{order_id}/"' in page and "Riprendi il rinnovo" in page


def test_an_earlier_step_can_be_changed_and_keeps_the_rest(mario, wizard):
    order_id = order_at(wizard, "confirm")
    page = mario.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    assert input_value(page, "first_name") == "Mario"
    wizard.submit_billing(order_id, city="Frascati", postal_code="00044")
    order = Order.get_by_id(order_id)
    assert order.billing["city"] == "Frascati" and order.payment_method == "bank_transfer"
    assert renewal.current_step(order) == "confirm"
    contracts = mario.client.get(f"/renewals/{order_id}/contracts").get_data(as_text=True)
    assert contracts.count('value="yes" checked') == 3


def test_each_order_gets_its_own_answers_and_language_on_the_contracts_step(mario, wizard):
    # The form's class is kept per set of documents (pec.renewal.forms): what one order
    # answered, and the language one page was shown in, must not show on another's.
    answered = order_at(wizard, "billing")
    contracts = mario.client.get(f"/renewals/{answered}/contracts").get_data(as_text=True)
    assert contracts.count('value="yes" checked') == 3 and ">Accetto</label>" in contracts
    fresh = wizard.start(box("studio.rossi@pec.demo.it"))
    page = mario.client.get(f"/renewals/{fresh}/contracts").get_data(as_text=True)
    assert "checked" not in page and page.count(">Accetto</label>") == 3
    mario.post("/language", {"lang": "en"})
    english = mario.client.get(f"/renewals/{fresh}/contracts").get_data(as_text=True)
    assert "checked" not in english and english.count(">I accept</label>") == 3
    again = mario.client.get(f"/renewals/{answered}/contracts").get_data(as_text=True)
    assert again.count('value="yes" checked') == 3 and ">Accetto</label>" not in again


def test_billing_is_prefilled_from_the_holder(mario, wizard):
    order_id = order_at(wizard, "billing")
    page = mario.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    assert input_value(page, "fiscal_code") == "RSSMRA80A01H501U"
    assert input_value(page, "email") == "mario.rossi@example.org"
    assert input_value(page, "postal_code") == "00184"


# --- Refusals and wrong input: a message at the field, nothing lost -------------------


def test_refusing_a_contract_says_so_at_that_document_and_keeps_the_answers(mario, wizard):
    order_id = wizard.start(box())
    fields = wizard.document_fields(order_id)
    response = wizard.accept_contracts(order_id, **{fields[1]: "no"})
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, fields[1]) == "Per proseguire devi accettare questo documento."
    assert field_error(page, fields[0]) == ""
    assert f'id="{fields[0]}-yes" name="{fields[0]}" value="yes" checked' in page
    assert f'id="{fields[1]}-no" name="{fields[1]}" value="no" checked' in page
    assert ContractAcceptance.select().count() == 0


def test_an_unanswered_contract_asks_for_an_answer(mario, wizard):
    order_id = wizard.start(box())
    fields = wizard.document_fields(order_id)
    response = mario.post(f"/renewals/{order_id}/contracts", {fields[0]: "yes", fields[1]: "yes"})
    assert response.status_code == 422
    assert field_error(text(response), fields[2]) == "Scegli Accetto o Non accetto."


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"fiscal_code": "RSSMRA80A01H501X"},
            "fiscal_code",
            "Codice fiscale non valido: il carattere di controllo non corrisponde.",
        ),
        ({"postal_code": "0018"}, "postal_code", "Il CAP è formato da 5 cifre."),
        (
            {"province": "XX"},
            "province",
            "Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. RM.",
        ),
        (
            {
                "person_type": "company",
                "company_name": "Studio Rossi S.r.l.",
                "fiscal_code": "00743110157",
                "einvoice_recipient": "M5UXCR1",
            },
            "vat_number",
            "Indica la Partita IVA (obbligatoria per professionisti e aziende).",
        ),
    ],
    ids=["codice-fiscale", "cap", "province", "company-without-partita-iva"],
)
def test_wrong_billing_data_gets_its_message_at_its_field_and_loses_nothing(
    mario, wizard, overrides, field, message
):
    order_id = order_at(wizard, "billing")
    response = wizard.submit_billing(order_id, address="Via dei Mille 3", **overrides)
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert f'aria-describedby="{field}-error"' in page or f"{field}-error" in page
    assert input_value(page, "address") == "Via dei Mille 3"
    for name, value in overrides.items():
        if name != "person_type":
            assert input_value(page, name) == value
    assert Order.get_by_id(order_id).billing is None


def test_only_the_conventions_methods_are_offered_and_accepted(mario, wizard):
    convention = Convention.get(Convention.code == "FNOMCeO")
    convention.enabled_methods = "card,bank_transfer"
    convention.save()
    order_id = order_at(wizard, "payment")
    page = mario.client.get(f"/renewals/{order_id}/payment").get_data(as_text=True)
    assert re.findall(r'name="method" value="(\w+)"', page) == ["card", "bank_transfer"]
    response = wizard.choose_method(order_id, "blank_slip")
    assert response.status_code == 422
    assert field_error(text(response), "method") == "Scegli una modalità di pagamento."


def test_payment_methods_say_how_fast_they_are_registered(mario, wizard):
    order_id = order_at(wizard, "payment")
    page = text(mario.client.get(f"/renewals/{order_id}/payment"))
    assert "Consigliato! Evasione rapida" in page
    assert "circa 3 giorni lavorativi" in page and "5–7 giorni lavorativi" in page
    assert 'id="slow-warning"' not in page  # 20 days to expiry


def test_slow_methods_warn_when_the_mailbox_expires_within_seven_days(member, demo, wizard):
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    order_id = wizard.start(box("anna.bianchi@pec.demo.it"))
    wizard.accept_contracts(order_id)
    wizard.submit_billing(order_id, fiscal_code="BNCNNA85M41F205Q")
    page = text(member.client.get(f"/renewals/{order_id}/payment"))
    assert 'id="slow-warning"' in page
    assert "può arrivare dopo la disattivazione" in page


# --- One order, whatever the member does (R4) -------------------------------------------


def test_a_replayed_confirmation_is_still_one_order_and_one_email(mario, wizard):
    order_id = order_at(wizard, "confirm")
    first = wizard.confirm(order_id)
    second = wizard.confirm(order_id)
    assert first.location == second.location == f"/renewals/{order_id}/done"
    assert Order.select().where(Order.status == "awaiting_payment").count() == 1
    assert OutboxMessage.select().where(OutboxMessage.kind == "order_confirmed").count() == 1


def test_a_replayed_billing_post_after_confirmation_changes_nothing(mario, wizard):
    order_id = order_at(wizard, "done")
    frozen = Order.get_by_id(order_id).billing
    response = wizard.submit_billing(order_id, city="Milano")
    assert response.status_code == 303 and response.location.endswith("/done")
    assert Order.get_by_id(order_id).billing == frozen


def test_starting_while_an_order_awaits_payment_shows_how_to_pay_it(mario, wizard):
    order_id = order_at(wizard, "done")
    again = mario.post("/renewals/start", {"only": str(box().id)})
    assert again.location == f"/renewals/{order_id}/done"
    page = text(mario.client.get(again.location))
    assert Order.get_by_id(order_id).number in page and "IT60X0542811101000000123456" in page
    listing = text(mario.client.get("/mailboxes/"))
    assert f"Ordine N° {Order.get_by_id(order_id).number} in attesa di pagamento" in listing
    assert f'href="/renewals/{order_id}/done"' in listing


def test_switching_the_payment_method_keeps_the_number_and_mails_new_instructions(mario, wizard):
    order_id = order_at(wizard, "done")
    number = Order.get_by_id(order_id).number
    response = mario.post(f"/renewals/{order_id}/method", {"method": "card"})
    assert response.status_code == 303 and response.location.endswith("/done")
    order = Order.get_by_id(order_id)
    assert order.number == number and order.payment_method == "card"
    page = text(mario.client.get(response.location))
    assert f'href="/payments/{order_id}/checkout"' in page
    mails = list(
        OutboxMessage.select().where(OutboxMessage.order == order_id).order_by(OutboxMessage.id)
    )
    assert len(mails) == 2 and number in mails[1].subject
    assert f"/payments/{order_id}/checkout" in mails[1].body_text


def test_cancelling_keeps_the_number_and_frees_the_mailbox(mario, wizard):
    order_id = order_at(wizard, "done")
    number = Order.get_by_id(order_id).number
    response = mario.post(f"/renewals/{order_id}/cancel", {})
    assert response.status_code == 303 and response.location == "/mailboxes/"
    order = Order.get_by_id(order_id)
    assert order.status == "cancelled" and order.number == number
    assert OrderLine.get(OrderLine.order == order_id).open_mailbox_id is None
    assert wizard.start(box()) != order_id


def test_confirming_or_cancelling_without_the_csrf_token_changes_nothing(mario, wizard):
    order_id = order_at(wizard, "confirm")
    refused = mario.client.post(f"/renewals/{order_id}/confirm", data={})
    assert refused.status_code == 400 and "La pagina è scaduta" in text(refused)
    assert Order.get_by_id(order_id).status == "draft" and OutboxMessage.select().count() == 0
    wizard.confirm(order_id)
    refused = mario.client.post(f"/renewals/{order_id}/cancel", data={})
    assert refused.status_code == 400 and "La pagina è scaduta" in text(refused)
    assert Order.get_by_id(order_id).status == "awaiting_payment"
    refused = mario.client.post("/renewals/start", data={"only": str(box().id)})
    assert refused.status_code == 400 and Order.select().count() == 1


def test_each_steps_form_without_the_csrf_token_is_refused_and_changes_nothing(mario, wizard):
    """The steps' forms have no CSRF field of their own (pec.plain_form): CSRFProtect
    refuses a form sent without the token, or with another, before the view."""
    from tests.factories import VALID_BILLING

    order_id = order_at(wizard, "contracts")
    steps = {
        "contracts": (
            {n: "yes" for n in wizard.document_fields(order_id)},
            wizard.accept_contracts,
        ),
        "billing": (dict(VALID_BILLING), wizard.submit_billing),
        "payment": ({"method": "bank_transfer"}, wizard.choose_method),
    }
    for step, (data, send_with_token) in steps.items():
        for token in ({}, {"csrf_token": "forged"}):
            refused = mario.client.post(f"/renewals/{order_id}/{step}", data=data | token)
            assert refused.status_code == 400 and "La pagina è scaduta" in text(refused)
        resumed = mario.client.get(f"/renewals/{order_id}/")
        assert resumed.location.endswith(f"/{step}")  # the order is still at this step
        assert send_with_token(order_id).status_code == 303


def test_an_order_confirmed_at_half_past_midnight_in_rome_is_dated_that_day_everywhere(
    app, mario, wizard
):
    """In March Rome is UTC+1: 00:30 on 11 March is still 10 March in UTC. The done page,
    the receipt and the confirmation e-mail all say 11/03/2026."""
    order_id = order_at(wizard, "confirm")
    half_past_midnight = dt.datetime(2026, 3, 11, 0, 30, tzinfo=clock.ROME)
    with clock.frozen(half_past_midnight):
        assert wizard.confirm(order_id).status_code == 303
        done = visible_text(mario.client.get(f"/renewals/{order_id}/done"))
        order = Order.get_by_id(order_id)
        with app.app_context():  # an operator registers the transfer the same night
            outcome = pay(
                order,
                reference="CRO0001",
                today=clock.today(),
                method=order.payment_method,
                notices=MemberMail(),
            )
        assert outcome.code == "applied"
        receipt = visible_text(mario.client.get(f"/payments/{order_id}/receipt"))
    assert Order.get_by_id(order_id).confirmed_at.date() == dt.date(2026, 3, 10)  # UTC
    assert "Data dell'ordine: 11/03/2026" in done
    assert "Data dell'ordine 11/03/2026" in receipt
    email = OutboxMessage.get(
        (OutboxMessage.order == order_id) & (OutboxMessage.kind == "order_confirmed")
    )
    assert "effettuato in data 11/03/2026." in email.body_text.replace(NBSP, " ")
    assert "effettuato in data 11/03/2026." in visible_text_of(email.body_html)


def visible_text_of(markup: str) -> str:
    """Markup as a person reads it: tags become spaces, whitespace collapses."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace(NBSP, " ")
    return re.sub(r"\s+", " ", plain)


def visible_text(response) -> str:
    return visible_text_of(response.get_data(as_text=True))


# --- Other people's orders ---------------------------------------------------------------


@pytest.mark.parametrize("step", [*STEP_H1, "", "documents/conditions"])
def test_a_member_cannot_see_another_members_order(mario, step):
    anna = box("anna.bianchi@pec.demo.it")
    order = make_order([anna])
    assert mario.client.get(f"/renewals/{order.id}/{step}").status_code == 404


def test_a_member_cannot_change_another_members_order(mario):
    order = make_order([box("anna.bianchi@pec.demo.it")])
    for action, data in [("confirm", {}), ("method", {"method": "card"}), ("cancel", {})]:
        assert mario.post(f"/renewals/{order.id}/{action}", data).status_code == 404
    assert Order.get_by_id(order.id).status == "awaiting_payment"


def test_a_mailbox_login_cannot_open_the_accounts_two_mailbox_order(member, demo):
    account = Account.get(Account.login == "anna.bianchi@example.org")
    from tests.factories import make_mailbox

    order = make_order([box("anna.bianchi@pec.demo.it"), make_mailbox(account)])
    member.login("anna.bianchi@pec.demo.it", "demo-password")
    assert member.client.get(f"/renewals/{order.id}/done").status_code == 404


# --- Contract documents -------------------------------------------------------------------


def test_the_general_conditions_are_printable_and_downloadable_as_accepted(mario, wizard):
    order_id = order_at(wizard, "done")
    acceptance = ContractAcceptance.get(
        (ContractAcceptance.order == order_id) & (ContractAcceptance.document_code == "conditions")
    )
    printable = text(mario.client.get(f"/renewals/{order_id}/documents/conditions"))
    assert "Condizioni Generali di Contratto" in printable and "Art. 10" in printable
    download = mario.client.get(f"/renewals/{order_id}/documents/conditions/download")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert acceptance.document.body in download.get_data(as_text=True)
    import hashlib

    assert hashlib.sha256(acceptance.document.body.encode()).hexdigest() == acceptance.text_sha256


def test_an_unknown_document_is_not_found(mario, wizard):
    order_id = wizard.start(box())
    assert mario.client.get(f"/renewals/{order_id}/documents/nope").status_code == 404


# --- Cost ----------------------------------------------------------------------------------


def test_a_step_is_served_in_a_handful_of_queries(mario, wizard):
    order_id = order_at(wizard, "confirm")
    with count_queries() as counter:
        response = mario.client.get(f"/renewals/{order_id}/confirm", headers=HTMX_PANEL)
    assert response.status_code == 200
    assert counter.count <= 10, counter.count


def test_the_wizard_e_mail_is_queued_in_the_confirming_transaction(mario, wizard, monkeypatch):
    order_id = order_at(wizard, "confirm")

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr("pec.member_mail.MemberMail.order_confirmed", broken)
    with pytest.raises(RuntimeError):
        wizard.confirm(order_id)
    with db.connection_context():
        order = Order.get_by_id(order_id)
    assert order.status == "draft" and order.number is None


def test_confirming_switching_and_cancelling_are_in_the_audit_log(mario, wizard):
    from pec.models import AuditEvent

    order_id = order_at(wizard, "done")
    mario.post(f"/renewals/{order_id}/method", {"method": "paypal"})
    mario.post(f"/renewals/{order_id}/cancel", {})
    events = AuditEvent.select().where(
        (AuditEvent.target_type == "Order") & (AuditEvent.target_id == order_id)
    )
    assert [e.action for e in events.order_by(AuditEvent.id)] == [
        "order.confirmed",
        "order.method_switched",
        "order.cancelled",
    ]
    assert all(e.actor.startswith("member:account:") for e in events)


def test_the_wizard_speaks_english_when_chosen(mario, wizard):
    mario.post("/language", {"lang": "en"})
    order_id = order_at(wizard, "confirm")
    page = text(mario.client.get(f"/renewals/{order_id}/confirm"))
    assert "Order summary and confirmation" in page
    assert "TOTAL (incl. VAT 22%)" in page and "€4.88" in page
    assert "new expiry: 30/03/2029" in page
    wizard.confirm(order_id)
    email = OutboxMessage.get(OutboxMessage.order == order_id)
    assert email.language == "en"
    assert "This confirms renewal order No." in email.body_text


def test_the_demo_contract_documents_are_loaded_once(app, demo):
    from pec.demo import load_demo
    from pec.models import ContractDocument

    load_demo(demo)
    codes = sorted(d.code for d in ContractDocument.select())
    assert codes == ["conditions", "privacy", "unfair_terms"]
