"""Labels for stored English values shown in the operators' area."""

from flask_babel import lazy_gettext as _l

ORDER_STATUS_LABELS = {
    "draft": _l("Bozza"),
    "awaiting_payment": _l("In attesa di pagamento"),
    "paid": _l("Pagato"),
    "cancelled": _l("Annullato"),
}
PAYMENT_STATUS_LABELS = {
    "reported": _l("Segnalato dall'iscritto"),
    "registered": _l("Registrato"),
    "rejected": _l("Rifiutato"),
    "failed": _l("Non riuscito"),
    "pending": _l("In corso"),
    "flagged": _l("Da verificare"),
    "reconciled": _l("Movimento bancario di un pagamento registrato a mano"),
}
OUTBOX_STATUS_LABELS = {
    "pending": _l("Da inviare"),
    "sent": _l("Inviata"),
    "failed": _l("Non inviata"),
}
DOCUMENT_STATUS_LABELS = {
    "uploaded": _l("Da verificare"),
    "verified": _l("Verificato"),
    "rejected": _l("Rifiutato"),
}
JOB_STATUS_LABELS = {
    "running": _l("In corso"),
    "ok": _l("Riuscito"),
    "failed": _l("Fallito"),
    "interrupted": _l("Interrotto"),
}
