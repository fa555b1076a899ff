"""Translatable labels for values that code stores in English."""

from flask_babel import LazyString, pgettext
from flask_babel import gettext as _

from pec.language import lazy_gettext as _l
from pec.vocabulary import MailboxStatus, PaymentMethod

# "Stato" is both a country and a status in Italian: the country has its own context, so
# English can say "Country" here and "Status" in the tables. (A lambda, so the standard
# extract command finds the pgettext call.)
COUNTRY_LABEL = LazyString(lambda: pgettext("paese", "Stato"))

STATUS_LABELS = {
    MailboxStatus.ACTIVE: _l("Attivo"),
    MailboxStatus.EXPIRING: _l("In scadenza"),
    MailboxStatus.AWAITING_PAYMENT: _l("In attesa di pagamento"),
    MailboxStatus.DEACTIVATED: _l("Disattivato"),
    MailboxStatus.CEASED: _l("Cessato"),
}


def translated(labels: dict) -> dict:
    """`labels` with each lazy label translated now, in the current language: for a page
    that shows one per row (a lazy label is translated again each time it is shown)."""
    return {key: str(label) for key, label in labels.items()}


PAYMENT_METHOD_LABELS = {
    "card": _l("Carta di credito"),
    "paypal": _l("PayPal"),
    "prefilled_slip": _l("Bollettino precompilato"),
    "bank_transfer": _l("Bonifico bancario"),
    "blank_slip": _l("Bollettino non precompilato"),
}

PERSON_TYPE_LABELS = {
    "person": _l("Persona fisica"),
    "professional": _l("Libero professionista"),
    "company": _l("Azienda"),
}


def registration_delay(method) -> str:
    """How soon a payment by `method` is registered, in words ("in circa 3 giorni
    lavorativi", "in 5–7 giorni lavorativi", "subito"), from PaymentMethod."""
    days = PaymentMethod(method).registration_days
    if days is None:
        return _("subito")
    fewest, most = days
    if fewest == most:
        return _("in circa %(days)d giorni lavorativi", days=most)
    return _("in %(fewest)d–%(most)d giorni lavorativi", fewest=fewest, most=most)


# How a member reads an order's status and a payment's ("I miei ordini").
ORDER_STATUS_LABELS = {
    "draft": _l("Rinnovo da completare"),
    "awaiting_payment": _l("In attesa di pagamento"),
    "paid": _l("Pagato"),
    "cancelled": _l("Annullato"),
}
PAYMENT_STATUS_LABELS = {
    "registered": _l("Ricevuto"),
    "reported": _l("Segnalato, in verifica"),
    "rejected": _l("Segnalazione non riconosciuta"),
}
