"""Translatable labels for values that code stores in English."""

from flask_babel import lazy_gettext as _l

from pec.domain.status import Status

STATUS_LABELS = {
    Status.ACTIVE: _l("Attivo"),
    Status.EXPIRING: _l("In scadenza"),
    Status.AWAITING_PAYMENT: _l("In attesa di pagamento"),
    Status.DEACTIVATED: _l("Disattivato"),
    Status.CEASED: _l("Cessato"),
}

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
