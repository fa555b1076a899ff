"""Labels for stored English values shown in the operators' area."""

from pec.language import lazy_gettext as _l

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
ROLE_LABELS = {"operator": _l("operatore"), "admin": _l("amministratore")}

# The scheduled jobs by what they do, and what each of their counts means.
JOB_LABELS = {
    "cease": _l("Cessazione delle caselle oltre la finestra di ripristino"),
    "deactivate": _l("Disattivazione delle caselle scadute"),
    "reminders": _l("Promemoria di scadenza"),
    "cleanup": _l("Pulizia notturna"),
    "send_outbox": _l("Invio delle e-mail"),
}
JOB_SCHEDULES = {
    "cease": _l("ogni notte, subito dopo la mezzanotte"),
    "deactivate": _l("ogni notte, subito dopo la mezzanotte"),
    "reminders": _l("ogni giorno"),
    "cleanup": _l("ogni notte"),
    "send_outbox": _l("ogni minuto"),
}

# Where a payment came from (Payment.provider), in words.
PAYMENT_ORIGINS = {
    "member": _l("Segnalato dall'iscritto"),
    "operator": _l("Registrato a mano"),
    "statement": _l("Estratto conto"),
    "demo": _l("Pagamento online di prova"),
    "stripe": _l("Pagamento online (Stripe)"),
}

# The kinds of e-mail in the outbox (OutboxMessage.kind), in words.
EMAIL_KINDS = {
    "order_confirmed": _l("Conferma d'ordine"),
    "order_cancelled": _l("Ordine annullato"),
    "renewal_applied": _l("Rinnovo completato"),
    "payment_rejected": _l("Pagamento non riconosciuto"),
    "document_rejected": _l("Documento da ricaricare"),
    "password_reset": _l("Recupero dati di accesso"),
    "reminder": _l("Promemoria di scadenza"),
    "deactivated": _l("Casella disattivata"),
    "ceased": _l("Casella cessata"),
    "operator_invitation": _l("Invito a un operatore"),
    "operator_password_reset": _l("Nuova password di un operatore"),
}
