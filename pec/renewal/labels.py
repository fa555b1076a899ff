"""Translatable words of the wizard: step names, how each payment method is registered,
and the messages for domain error codes."""

from pec.labels import registration_delay
from pec.language import lazy_gettext as _l

STEP_LABELS = {
    "service": _l("Riepilogo servizio"),
    "contracts": _l("Contratti"),
    "billing": _l("Dati di fatturazione"),
    "payment": _l("Modalità di pagamento"),
    "confirm": _l("Riepilogo e conferma"),
    "done": _l("Ordine confermato"),
}

# docs/rules.md, member journey 7: how and how fast each method is registered; the delay
# is PaymentMethod.registration_days in words (pec.labels.registration_delay).
_METHOD_DETAILS = {
    "card": _l(
        "Consigliato! Evasione rapida: il pagamento è registrato subito e la casella è rinnovata all'istante."
    ),
    "paypal": _l(
        "Consigliato! Evasione rapida: il pagamento è registrato subito e la casella è rinnovata all'istante."
    ),
    "prefilled_slip": _l(
        "Stampi il bollettino già compilato e lo paghi in un ufficio postale; è registrato %(delay)s."
    ),
    "bank_transfer": _l("Bonifico con il numero d'ordine nella causale; è registrato %(delay)s."),
    "blank_slip": _l(
        "Bollettino postale da compilare a mano con il numero d'ordine; è registrato %(delay)s."
    ),
}


def method_details() -> dict[str, str]:
    """Each method's sentence for the payment step, in the current language."""
    return {
        method: str(text) % {"delay": registration_delay(method)}
        if "%(delay)s" in str(text)
        else str(text)
        for method, text in _METHOD_DETAILS.items()
    }


ERRORS = {
    "not_renewable": _l(
        "Questa casella non si può più rinnovare online: per una nuova casella PEC rivolgiti alla convenzione."
    ),
    "no_mailboxes": _l("Seleziona almeno una casella da rinnovare."),
    "documents_changed": _l(
        "I documenti contrattuali sono stati aggiornati: leggili di nuovo e rispondi."
    ),
    "not_draft": _l("Questo ordine è già stato confermato e non si può più modificare."),
    "not_open": _l("Questo ordine non è più in attesa di pagamento."),
    "method": _l("Scegli una modalità di pagamento."),
    "payment_reported": _l(
        "Hai già segnalato un pagamento per questo ordine: non si può annullare finché non è verificato."
    ),
    "payment_received": _l(
        "Per questo ordine abbiamo già ricevuto un pagamento: non si può annullare. Paga la differenza, oppure chiedi alla convenzione il rimborso."
    ),
    "prices_changed": _l(
        "Le condizioni economiche della convenzione sono cambiate: controlla il riepilogo aggiornato e conferma di nuovo."
    ),
}
