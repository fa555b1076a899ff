"""Who sells and who to call (issue 11): the convention's identity in its settings, on
every member page, in the contract texts (a change is a new version, rule R10), and the
help and privacy pages."""

import hashlib
import html
import re

import pytest

from pec.demo import IDENTITY, LOGO
from pec.models import AuditEvent, ContractAcceptance, ContractDocument, Convention, Mailbox

IDENTITY_FORM = {k: v for k, v in IDENTITY.items()}


def text(response) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", plain.replace("\xa0", " "))


def identity_url() -> str:
    return f"/operators/conventions/{Convention.get().id}/identity"


# --- Every member page names the seller ---------------------------------------------------


@pytest.mark.parametrize("url", ["/login", "/recover", "/help", "/privacy", "/mailboxes/"])
def test_every_member_page_shows_the_convention_and_the_seller(member, demo, url):
    member.login()
    response = member.client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert page.count("FNOMCeO – Federazione Nazionale") >= 1  # the header
    for fact in (
        "PEC Demo S.r.l.",
        "Via Nazionale 100, 00184 Roma (RM)",
        "P.IVA 07654320584",
        "amministrazione@pec.demo.it",
        "assistenza@pecdemo.example",
        "06 1234 5678",
        "lun–ven 9:00–13:00",
        "Aiuto: domande frequenti",
        "Informativa privacy",
    ):
        assert fact in page, (url, fact)
    body = response.get_data(as_text=True)
    logo = Convention.get().logo_sha256
    assert f'<img src="/logo/{logo}" alt="" width="112" height="40">' in body
    assert '<footer class="foot">' in body


def test_a_change_to_the_identity_shows_on_the_next_page_whoever_made_it(member, demo):
    """The header and footer are rendered once per worker and reused (pec.page_cache):
    a change made anywhere (here straight in the database, as another worker would) is
    on the very next page, and each language gets its own words."""
    member.login()
    before = text(member.client.get("/mailboxes/"))
    assert "PEC Demo S.r.l." in before and "Aiuto: domande frequenti" in before
    Convention.update(seller_name="PEC Nuova S.p.A.", contact_phone="06 9999 0000").execute()
    after = text(member.client.get("/mailboxes/"))
    assert "PEC Nuova S.p.A." in after and "PEC Demo S.r.l." not in after
    assert "06 9999 0000" in after and "06 1234 5678" not in after
    member.post("/language", {"lang": "en", "next": "/mailboxes/"})
    english = text(member.client.get("/mailboxes/"))
    assert "Help: frequently asked questions" in english and "PEC Nuova S.p.A." in english
    assert "Aiuto: domande frequenti" not in english
    Convention.update(logo_sha256="").execute()
    assert '<img src="/logo/' not in member.client.get("/mailboxes/").get_data(as_text=True)


def test_the_operators_area_shows_no_member_footer(operator, demo):
    operator.login()
    page = operator.page("/operators/")
    assert '<footer class="foot">' not in page


def test_the_logo_is_served_by_its_hash_and_cached_for_a_year(client, demo):
    convention = Convention.get()
    response = client.get(f"/logo/{convention.logo_sha256}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == LOGO.read_bytes()
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/logo/0000").status_code == 404


def test_the_help_page_answers_what_members_ask(client, demo):
    page = text(client.get("/help"))
    for question in (
        "Primo accesso: non ho una password",
        "Ho dimenticato il login o la password",
        "Ho pagato ma la casella risulta «In attesa di pagamento»",
        "Come cambio l'e-mail di riferimento",
        "A cosa serve il documento d'identità",
    ):
        assert page.count(question) == 2, question  # in the index and as a heading
    assert "«Rinnova ora»" in page and "«Primo accesso»" in page
    assert "in circa 3 giorni lavorativi" in page and "in 5–7 giorni lavorativi" in page
    assert "fino a 5 giorni dopo la scadenza" in page  # the declared-payment hold
    assert "cancellato 30 giorni dopo la verifica" in page  # document retention


def test_the_privacy_notice_names_the_controller_and_the_dpo(client, demo):
    page = text(client.get("/privacy"))
    assert "Titolare del trattamento è PEC Demo S.r.l., Via Nazionale 100" in page
    assert "Responsabile della protezione dei dati (DPO): dpo@pecdemo.example" in page
    assert "{titolare}" not in page and "{dpo}" not in page


def test_the_contract_texts_name_the_seller(demo):
    conditions = ContractDocument.get(ContractDocument.code == "conditions")
    assert conditions.body.startswith("Venditore: PEC Demo S.r.l., Via Nazionale 100")
    assert "{venditore}" in conditions.template and "{" not in conditions.body


# --- The settings -------------------------------------------------------------------------


def test_an_admin_edits_the_identity_and_a_changed_text_is_a_new_version(
    operator, demo, wizard, member
):
    """R10: whoever accepted before keeps the text (and hash) they accepted."""
    member.login()
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    assert wizard.accept_contracts(order_id).status_code == 303
    accepted = {a.document_code: a for a in ContractAcceptance.select()}
    member.logout()

    operator.login()
    page = operator.page(identity_url())
    assert 'value="PEC Demo S.r.l."' in page and 'value="rinnovi@pecdemo.example"' in page
    form = dict(IDENTITY_FORM, seller_name="PEC Nuova S.p.A.", dpo_contact="dpo@nuova.example")
    response = operator.post(identity_url(), form)
    assert response.status_code == 303
    page = operator.page(identity_url())
    assert "Pubblicate nuove versioni di" in page

    convention = Convention.get()
    assert convention.seller_name == "PEC Nuova S.p.A."
    event = AuditEvent.get(AuditEvent.action == "convention.identity_updated")
    assert event.details["before"]["seller_name"] == "PEC Demo S.r.l."
    current = {d.code: d for d in ContractDocument.current_for(convention)}
    assert current["conditions"].version == 2 and "PEC Nuova S.p.A." in current["conditions"].body
    assert current["privacy"].version == 2 and "dpo@nuova.example" in current["privacy"].body
    assert current["unfair_terms"].version == 1  # no placeholder: unchanged
    for acceptance in accepted.values():
        acceptance = ContractAcceptance.get_by_id(acceptance.id)
        assert acceptance.document.version == 1
        body = acceptance.document.body
        assert hashlib.sha256(body.encode()).hexdigest() == acceptance.text_sha256
        assert "PEC Nuova" not in body


def test_saving_the_same_identity_changes_nothing(operator, demo):
    operator.login()
    assert operator.post(identity_url(), IDENTITY_FORM).status_code == 303
    assert "Nessuna modifica." in operator.page(identity_url())
    assert ContractDocument.select().count() == 3


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("seller_vat_number", "07654320585", "Il carattere di controllo non corrisponde."),
        ("seller_fiscal_code", "ABC", "Valore non valido."),
        ("seller_postal_code", "0018", "Il CAP è formato da 5 cifre."),
        ("seller_province", "XX", "Sigla di provincia inesistente"),
        ("contact_email", "assistenza@", "Valore non valido."),
        ("sender_address", "noreply@localhost", "Un indirizzo su localhost"),
        ("sender_name", "Rinnovi\r\nBcc: x@example.org", "Senza a capo"),
    ],
)
def test_a_wrong_identity_value_gets_its_message_and_nothing_is_saved(
    operator, demo, field, value, message
):
    operator.login()
    response = operator.post(identity_url(), dict(IDENTITY_FORM, **{field: value}))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f'id="{field}-error"' in page and message in page
    assert getattr(Convention.get(), field) == IDENTITY[field]


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4e400"
    "00000049454e44ae426082"
)


@pytest.mark.parametrize(
    "filename,data,message",
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "SVG non"),
        ("logo.png", b"MZ\x90\x00" + b"\x00" * 64, "SVG non"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "non è un'immagine PNG o JPEG"),
        ("logo.png", PNG_1X1[:-12] + b"\x00" * 7 * 1024 + PNG_1X1[-12:], "6 KB"),
    ],
)
def test_a_logo_is_checked_by_content(operator, demo, filename, data, message):
    import io

    before = Convention.get().logo_sha256
    operator.login()
    url = f"/operators/conventions/{Convention.get().id}/logo"
    response = operator.post(
        url, {"logo": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert Convention.get().logo_sha256 == before


def test_a_png_logo_is_stored_and_can_be_removed(operator, demo):
    import io

    operator.login()
    url = f"/operators/conventions/{Convention.get().id}/logo"
    response = operator.post(
        url, {"logo": (io.BytesIO(PNG_1X1), "x.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    convention = Convention.get()
    assert (convention.logo_width, convention.logo_height) == (1, 1)
    assert convention.logo_sha256 == hashlib.sha256(PNG_1X1).hexdigest()
    assert operator.post(url, {"remove": "1"}).status_code == 303
    assert Convention.get().logo_sha256 == "" and Convention.get().logo is None
    assert AuditEvent.select().where(AuditEvent.action.startswith("convention.logo")).count() == 2
