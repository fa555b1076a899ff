"""Every operator page speaks the staff's words: people and mailboxes by name, actions
as sentences, never an internal id such as `operator:1` nor raw JSON."""

from pec.models import AuditEvent
from pec.operators import audit_words
from tests.operator_pages import (
    developer_speak,
    page_urls,
    populate,
    upload_previews,
    visible_text,
)


def test_no_operator_page_shows_internal_ids_or_json(app, operator, demo):
    ids = populate(app, demo)
    operator.login()
    urls = page_urls(app, ids) + upload_previews(operator)
    assert len(urls) >= 25, urls
    for url in urls:
        response = operator.client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        text = visible_text(response.get_data(as_text=True))
        assert developer_speak(text) == [], (url, developer_speak(text))


def test_the_check_itself_catches_an_actor_string_or_json():
    page = '<p>operator:1</p><td>{"a": 1}</td><meta content=\'{"x":1}\'><input type="hidden" value="operator:2">'
    assert developer_speak(visible_text(page)) == ["operator:", '{"']


def test_every_action_of_the_demo_day_has_its_own_sentence(app, operator, demo):
    populate(app, demo)
    operator.login()
    actions = {e.action for e in AuditEvent.select(AuditEvent.action).distinct()}
    assert actions - set(audit_words.FORMATTERS) == set()
    assert len(actions) >= 13, actions


def test_the_audit_log_reads_as_sentences(app, operator, demo):
    populate(app, demo)
    operator.login()
    text = visible_text(operator.page("/operators/audit"))
    for sentence in (
        "Anna Bianchi ha segnalato un bonifico di 4,88 € per l'ordine B6KRJV3H.",
        "Giulia Verdi ha registrato un pagamento di 4,88 € sull'ordine K7M4Q9X2: rinnovo "
        "applicato.",
        "Giulia Verdi ha registrato 4,00 € sull'ordine P3RTWX7Z: ricevuti 4,00 € su 4,88 €, "
        "mancano 0,88 €.",
        "Giulia Verdi ha registrato un rimborso di 1,00 € per l'ordine P3RTWX7Z.",
        "Giulia Verdi ha trattenuto 0,12 € dell'ordine P3RTWX7Z invece di rimborsarli.",
        "Giulia Verdi ha annullato l'ordine C4NC3LLD.",
        "Giulia Verdi ha creato l'iscritto Paola Gialli con la casella paola.gialli@pec.demo.it.",
        "Giulia Verdi ha invitato Luca Neri (luca.neri@example.org) come operatore.",
        "Giulia Verdi ha inviato a Paola Gialli il link personale della casella "
        "paola.gialli@pec.demo.it.",
        "Giulia Verdi ha inviato a Paola Gialli l'e-mail per scegliere la password.",
        "Giulia Verdi ha revocato tutti i link di accesso di Paola Gialli.",
        "Giulia Verdi ha disattivato l'account di Sara Blu.",
        "Giulia Verdi ha importato l'elenco iscritti iscritti.csv.",
        "Giulia Verdi ha modificato le impostazioni della convenzione FNOMCeO.",
        "Giulia Verdi ha effettuato l'accesso con password e codice dell'app.",
    ):
        assert sentence in text, sentence
    assert "Prezzo di una casella, IVA esclusa (euro) 4,00 € → 5,00 €" in text
    assert "Motivo Doppio ordine" in text
