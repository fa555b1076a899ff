"""How member pages look and read (issue 11): Gestione PEC, the wizard's billing and
payment steps, paying by transfer, words that agree everywhere, and the weight budgets."""

import gzip
import html
import re

import pytest

from pec.labels import registration_delay
from pec.models import Mailbox, Order, OrderLine
from pec.vocabulary import PaymentMethod
from tests import factories
from tests.conftest import HTMX_PANEL, csrf_token
from tests.factories import make_order

MARIO_BOX = "mario.rossi@pec.demo.it"


def text(response) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", plain.replace("\xa0", " "))


def box(address=MARIO_BOX) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


@pytest.fixture
def mario(member, demo):
    member.login()
    return member


def pay(order, today):
    factories.pay(order, reference=f"TRN{order.id}", today=today, method=order.payment_method)


# --- Gestione PEC -------------------------------------------------------------------------


def test_an_open_order_shows_its_amount_and_a_primary_pay_button(mario, demo):
    order = make_order([box()], method="bank_transfer")
    page = mario.client.get("/mailboxes/").get_data(as_text=True)
    assert "Da pagare: 4,88" in html.unescape(page).replace("\xa0", " ")
    assert (
        f'<a class="button primary" href="/renewals/{order.id}/done">Paga ora'
        '<span class="sr-only"> – mario.rossi@pec.demo.it</span></a>' in page
    )
    assert f'href="/payments/{order.id}/report">Segnala il pagamento' in page


def test_an_online_order_pays_straight_at_the_checkout(mario, demo):
    order = make_order([box()], method="card")
    page = mario.client.get("/mailboxes/").get_data(as_text=True)
    assert f'<a class="button primary" href="/payments/{order.id}/checkout">Paga ora' in page


def test_renewing_several_mailboxes_uses_labelled_checkboxes(mario, demo):
    page = mario.client.get("/mailboxes/").get_data(as_text=True)
    boxes = re.findall(
        r'<label class="pick-label" for="pick-(\d+)"><input type="checkbox" name="mailbox" '
        r'value="\1" id="pick-\1"><span>Seleziona<span class="sr-only"> ([^<]+)</span>',
        page,
    )
    assert sorted(address for _id, address in boxes) == [
        "m.rossi@pec.demo.it",
        MARIO_BOX,
        "studio.rossi@pec.demo.it",
    ]


def test_addresses_may_wrap_after_the_at_sign_only(mario, demo):
    page = mario.client.get("/mailboxes/").get_data(as_text=True)
    assert '<th scope="row" class="address">mario.rossi@<wbr>pec.demo.it</th>' in page


def test_a_documents_text_is_one_escaped_paragraph_per_line(ctx):
    """Contracts, the printable contract, the privacy notice and the confirmation e-mail
    show a stored text through the `paragraphs` filter: blank lines dropped, markup
    escaped, the separator between paragraphs as asked."""
    render = ctx.jinja_env.from_string
    text = 'Art. 1 <b>Oggetto</b>\n\n  \nArt. 2 & "prezzo"\n'
    expected = ["<p>Art. 1 &lt;b&gt;Oggetto&lt;/b&gt;</p>", "<p>Art. 2 &amp; &#34;prezzo&#34;</p>"]
    assert render("{{ t|paragraphs }}").render(t=text) == "".join(expected)
    assert render('{{ t|paragraphs("\\n") }}').render(t=text) == "\n".join(expected)
    assert render("[{{ t|paragraphs }}]").render(t=None) == "[]"
    assert render("{{ t|paragraphs(s) }}").render(t=text, s="<hr>") == "&lt;hr&gt;".join(expected)


def test_a_deactivated_mailbox_reads_the_same_as_its_badge(mario, demo):
    page = text(mario.client.get("/mailboxes/"))
    assert "Disattivato" in page and "Disattivata" not in page
    assert "La casella non riceve né invia messaggi: puoi ancora rinnovarla" in page


def test_renew_on_a_mailbox_renewed_this_month_asks_first_and_says_the_new_expiry(
    mario, wizard, demo
):
    order = make_order([box()], method="card")
    pay(order, demo)
    line = OrderLine.get(OrderLine.order == order)
    gestione = text(mario.client.get("/mailboxes/"))
    assert f"Rinnovata il 10/03/2026: la nuova scadenza è {line.new_expires_on:%d/%m/%Y}." in (
        gestione
    )
    response = mario.post("/renewals/start", {"only": str(box().id)})
    assert response.status_code == 200
    page = text(response)
    assert "Casella già rinnovata di recente" in page
    assert f"la sua nuova scadenza è {line.new_expires_on:%d/%m/%Y}" in page
    assert "Un altro rinnovo la porterebbe al 30/03/2032" in page
    assert Order.select().count() == 1  # nothing started yet
    response = mario.post("/renewals/start", {"only": str(box().id), "again": "1"})
    assert response.status_code == 303 and response.location.endswith("/service")


def test_renew_on_a_mailbox_renewed_long_ago_starts_at_once(mario, wizard, demo):
    from pec.domain import clock

    order = make_order([box()], method="card")
    with clock.frozen(demo.replace(month=1)):
        pay(order, demo.replace(month=1))
    Order.update(paid_at=clock.start_of_day(demo.replace(month=1))).execute()
    response = mario.post("/renewals/start", {"only": str(box().id)})
    assert response.status_code == 303


# --- The wizard ---------------------------------------------------------------------------


def test_the_billing_form_puts_the_person_type_first_and_groups_by_type(mario, wizard):
    order_id = wizard.start(box())
    wizard.accept_contracts(order_id)
    page = mario.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    form = page[page.index('class="billing"') :]
    order_of = [
        form.index(s) for s in ('name="person_type"', "for-people", "for-company", "for-vat")
    ]
    assert order_of == sorted(order_of)
    assert re.search(r'<fieldset class="group for-people">\s*<legend>Persona fisica', form)
    assert re.search(r'<fieldset class="group for-company">\s*<legend>Azienda', form)
    assert re.search(r'<fieldset class="group for-vat">\s*<legend>Libero professionista e', form)


def test_the_payment_step_shows_the_bank_and_postal_details(mario, wizard):
    order_id = wizard.start(box())
    wizard.accept_contracts(order_id)
    wizard.submit_billing(order_id)
    page = text(mario.client.get(f"/renewals/{order_id}/payment", headers=HTMX_PANEL))
    assert "Coordinate per bonifico e bollettino" in page
    assert "IBAN IT60 X054 2811 1010 0000 0123 456" in page
    assert "conto corrente n. 1234567 intestato a PEC Demo S.r.l." in page


def test_each_method_names_the_same_registration_delay_everywhere(mario, wizard, demo):
    """One home for the figures: PaymentMethod.registration_days."""
    assert PaymentMethod.PREFILLED_SLIP.registration_days == (3, 3)
    assert PaymentMethod.BLANK_SLIP.registration_days == (5, 7)
    order_id = wizard.start(box())
    wizard.accept_contracts(order_id)
    wizard.submit_billing(order_id)
    step = text(mario.client.get(f"/renewals/{order_id}/payment"))
    order = make_order([box("studio.rossi@pec.demo.it")], method="prefilled_slip")
    slip = text(mario.client.get(f"/payments/{order.id}/slip"))
    with mario.client.application.test_request_context():
        prefilled = registration_delay(PaymentMethod.PREFILLED_SLIP)
        blank = registration_delay(PaymentMethod.BLANK_SLIP)
    assert prefilled == "in circa 3 giorni lavorativi"
    assert f"ufficio postale; è registrato {prefilled}." in step
    assert f"Il pagamento è registrato {prefilled};" in slip
    assert f"numero d'ordine; è registrato {blank}." in step


def test_the_done_page_of_a_transfer_has_grouped_iban_copy_buttons_causale_and_qr(mario, wizard):
    order_id = wizard.renew(box(), method="bank_transfer")
    order = Order.get_by_id(order_id)
    page = mario.client.get(f"/renewals/{order_id}/done").get_data(as_text=True)
    assert '<span class="iban">IT60 X054 2811 1010 0000 0123 456</span>' in page
    assert 'data-copy="IT60X0542811101000000123456"' in page
    causale = f"Rinnovo PEC ordine {order.number}"
    assert f'<span class="code">{causale}</span>' in page and "N°" not in causale
    assert '<svg role="img" focusable="false" viewBox=' in page
    assert "<title>Codice QR del bonifico</title>" in page
    assert "<script" not in page.split("</head>")[1]  # no inline script (CSP)


def test_english_says_country_for_the_country_and_status_for_the_status(mario, wizard):
    mario.post("/language", {"lang": "en"})
    order_id = wizard.start(box())
    wizard.accept_contracts(order_id)
    billing = mario.client.get(f"/renewals/{order_id}/billing").get_data(as_text=True)
    assert '<label for="country">Country</label>' in billing
    assert ">Status</th>" in mario.client.get("/mailboxes/").get_data(as_text=True)


def test_the_order_follows_the_language_chosen_before_renewing(mario, wizard):
    from pec.models import Account

    mario.post("/language", {"lang": "en"})
    Account.update(language="it").execute()  # chosen before signing in: session only
    wizard.renew(box())
    assert Account.get(Account.login == "mario.rossi@example.org").language == "en"


# --- Weight -------------------------------------------------------------------------------


def gz(client, url, **kwargs):
    headers = {"Accept-Encoding": "gzip", **kwargs.pop("headers", {})}
    response = client.get(url, headers=headers, **kwargs)
    assert response.status_code == 200, url
    return response


def assets_of(page: bytes) -> list[str]:
    """Every same-origin file a page loads: stylesheet, scripts, icon, logo."""
    body = gzip.decompress(page).decode() if page[:2] == b"\x1f\x8b" else page.decode()
    links = re.findall(r'<link [^>]*href="(/[^"]+)"', body)
    sources = re.findall(r'<(?:script|img) [^>]*src="(/[^"]+)"', body)
    return links + sources


def page_and_assets_bytes(client, url) -> tuple[int, list[str]]:
    page = gz(client, url)
    total = len(page.data)
    assets = assets_of(page.data)
    for asset in assets:
        response = gz(client, asset)
        total += len(response.data)
        response.close()
    return total, assets


def test_the_login_page_with_the_logo_and_every_asset_is_under_30_kb(client, demo):
    total, assets = page_and_assets_bytes(client, "/login")
    assert any(a.startswith("/logo/") for a in assets)
    assert any("favicon.svg?v=" in a for a in assets)
    print("login bytes", total, assets)
    assert total <= 30 * 1024, total


def test_the_login_page_stays_under_30_kb_with_the_largest_logo_allowed(client, demo):
    import os
    import struct
    import zlib

    from pec.domain import seller
    from pec.models import Convention

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 200, 80, 8, 6, 0, 0, 0))
    tail = chunk(b"IEND", b"")
    filler = seller.LOGO_MAX_BYTES - len(head) - len(tail) - 12
    logo = seller.check_logo(head + chunk(b"zzZz", os.urandom(filler)) + tail)  # incompressible
    assert len(logo.data) == seller.LOGO_MAX_BYTES
    Convention.update(logo=logo.data, logo_sha256=logo.sha256).execute()
    total, _assets = page_and_assets_bytes(client, "/login")
    assert total <= 30 * 1024, total


def test_the_whole_renewal_from_login_to_the_order_number_is_under_80_kb(client, demo):
    """A cold cache, JavaScript on (htmx swaps the panel), compressed bytes."""
    total, assets = page_and_assets_bytes(client, "/login")
    sizes = {"login page + assets": total}

    def post(url, data, headers=None):
        response = client.post(
            url,
            data={"csrf_token": csrf_token(client), **data},
            headers={"Accept-Encoding": "gzip", **(headers or {})},
        )
        assert response.status_code in (200, 303), (url, response.status_code)
        sizes[url] = len(response.data)
        return response

    post("/login", {"identifier": "mario.rossi@example.org", "password": "demo-password"})
    sizes["/mailboxes/"] = len(gz(client, "/mailboxes/").data)
    start = post("/renewals/start", {"only": str(box().id)})
    order_id = int(re.search(r"/renewals/(\d+)/", start.location).group(1))
    sizes["service"] = len(gz(client, start.location).data)
    base = f"/renewals/{order_id}"
    sizes["contracts"] = len(gz(client, f"{base}/contracts", headers=HTMX_PANEL).data)
    from tests.conftest import MemberActions, WizardActions
    from tests.factories import VALID_BILLING

    names = WizardActions(MemberActions(client)).document_fields(order_id)
    post(f"{base}/contracts", {n: "yes" for n in names}, HTMX_PANEL)
    post(f"{base}/billing", VALID_BILLING, HTMX_PANEL)
    post(f"{base}/payment", {"method": "bank_transfer"}, HTMX_PANEL)
    post(f"{base}/confirm", {}, HTMX_PANEL)
    assert Order.get_by_id(order_id).status == "awaiting_payment"
    print("renewal bytes", sum(sizes.values()), sizes)
    assert sum(sizes.values()) <= 80 * 1024, sizes
