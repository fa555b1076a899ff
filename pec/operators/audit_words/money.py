"""The audit log's sentences about money: payments, refunds, invoices, orders, exports."""

from flask_babel import gettext as _
from flask_babel import ngettext

from pec.operators.audit_words.parts import (
    METHOD_NOUNS,
    day,
    eur,
    method,
    says,
)
from pec.operators.labels import ORDER_STATUS_LABELS


@says("payment.reported")
def _reported(e):
    d = e.details
    fields = [
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]
    if d.get("reopened_after_rejection"):
        fields.append((_("Nota"), _("di nuovo, dopo un rifiuto")))
    return _(
        "%(who)s ha segnalato %(what)s di %(amount)s per l'ordine %(number)s.",
        who=e.who,
        what=METHOD_NOUNS.get(d.get("method"), _("un pagamento")),
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), fields


def _payment_fields(d: dict) -> list:
    fields = [
        (_("Modalità"), method(d.get("method"))),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]
    for box in d.get("mailboxes") or []:
        text = _(
            "nuova scadenza %(date)s (era %(old)s)",
            date=day(box.get("new_expires_on")),
            old=day(box.get("old_expires_on")),
        )
        if box.get("reactivated"):
            text += " · " + _("riattivata")
        fields.append((box.get("address", ""), text))
    return fields


@says("payment.registered")
def _registered(e):
    return _(
        "%(who)s ha registrato un pagamento di %(amount)s sull'ordine %(number)s: rinnovo applicato.",
        who=e.who,
        amount=eur(e.details.get("amount_cents")),
        number=e.number(),
    ), _payment_fields(e.details)


@says("payment.partial")
def _partial(e):
    d = e.details
    return _(
        "%(who)s ha registrato %(amount)s sull'ordine %(number)s: ricevuti %(received)s su "
        "%(total)s, mancano %(missing)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
        received=eur(d.get("received_cents")),
        total=eur(d.get("total_cents")),
        missing=eur(d.get("missing_cents")),
    ), _payment_fields(d)


@says(
    "payment.amount_mismatch",
    "payment.not_payable",
    "payment.window_closed",
    "payment.duplicate_reference",
    "payment.already_applied",
)
def _not_applied(e):
    d = e.details
    why = {
        "amount_mismatch": _(
            "l'importo è diverso dal totale (%(expected)s)", expected=eur(d.get("expected_cents"))
        ),
        "not_payable": _(
            "l'ordine non era in attesa di pagamento (%(status)s)",
            status=ORDER_STATUS_LABELS.get(d.get("order_status"), _("pagato nel frattempo")),
        ),
        "window_closed": _("una casella dell'ordine è cessata"),
        "duplicate_reference": _("il riferimento era già usato"),
        "already_applied": _("era già registrato"),
    }
    code = e.action.partition(".")[2]
    if code == "amount_mismatch":  # written before money received added up (rule R12)
        sentence = _(
            "%(who)s ha registrato %(amount)s sull'ordine %(number)s, ma il rinnovo non è "
            "applicato: %(why)s. Da verificare.",
            who=e.who,
            amount=eur(d.get("amount_cents")),
            number=e.number(),
            why=why[code],
        )
    else:
        sentence = _(
            "%(who)s ha registrato %(amount)s sull'ordine %(number)s, ma il rinnovo non è "
            "applicato: %(why)s. Il denaro è da rimborsare.",
            who=e.who,
            amount=eur(d.get("amount_cents")),
            number=e.number(),
            why=why.get(code, _("da verificare")),
        )
    return sentence, _payment_fields(d)


@says("refund.recorded")
def _refund_recorded(e):
    d = e.details
    return _(
        "%(who)s ha registrato un rimborso di %(amount)s per l'ordine %(number)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [
        (_("Data del rimborso"), day(d.get("refunded_on"))),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Nota"), d.get("note") or ""),
        (_("Nota di credito"), d.get("credit_note") or ""),
    ]


@says("refund.accepted")
def _refund_accepted(e):
    d = e.details
    return _(
        "%(who)s ha trattenuto %(amount)s dell'ordine %(number)s invece di rimborsarli.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [(_("Motivo"), d.get("reason") or "")]


@says("invoice.issued", "invoice.credit_note_issued")
def _invoice_issued(e):
    d = e.details
    values = dict(
        who=e.who, label=d.get("number", ""), amount=eur(d.get("gross_cents")), number=e.number()
    )
    if e.action == "invoice.credit_note_issued":
        sentence = _(
            "%(who)s ha emesso la nota di credito N° %(label)s di %(amount)s per l'ordine "
            "%(number)s.",
            **values,
        )
    else:
        sentence = _(
            "%(who)s ha emesso la fattura N° %(label)s di %(amount)s per l'ordine %(number)s.",
            **values,
        )
    return sentence, [(_("File per il Sistema di Interscambio"), d.get("file") or "")]


@says("invoice.not_issued")
def _invoice_not_issued(e):
    return _(
        "Fattura non emessa per l'ordine %(number)s: nelle impostazioni della convenzione "
        "mancano dati del venditore.",
        number=e.number(),
    ), []


@says("payment.report_rejected")
def _report_rejected(e):
    d = e.details
    return _(
        "%(who)s ha rifiutato il pagamento di %(amount)s segnalato per l'ordine %(number)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [
        (_("Motivo"), d.get("reason") or ""),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]


@says("payment.checkout_started")
def _checkout(e):
    return _(
        "%(who)s ha avviato il pagamento online dell'ordine %(number)s.",
        who=e.who,
        number=e.number(),
    ), []


@says("payment.declined")
def _declined(e):
    return _(
        "%(who)s: il pagamento online dell'ordine %(number)s non è andato a buon fine.",
        who=e.who,
        number=e.number(),
    ), [(_("Motivo"), e.details.get("reason") or "")]


@says("order.confirmed")
def _confirmed(e):
    return _(
        "%(who)s ha confermato l'ordine %(number)s (%(method)s).",
        who=e.who,
        number=e.number(),
        method=method(e.details.get("method")),
    ), []


@says("order.method_switched")
def _switched(e):
    return _(
        "%(who)s ha scelto di pagare l'ordine %(number)s con: %(method)s.",
        who=e.who,
        number=e.number(),
        method=method(e.details.get("method")),
    ), []


@says("order.cancelled")
def _cancelled(e):
    reason = e.details.get("reason") or ""
    return _("%(who)s ha annullato l'ordine %(number)s.", who=e.who, number=e.number()), (
        [(_("Motivo"), reason)] if reason else []
    )


@says("order.draft_cancelled")
def _draft_cancelled(e):
    return _(
        "%(who)s ha annullato una bozza d'ordine abbandonata di %(holder)s.",
        who=e.who,
        holder=e.holder() or _("un iscritto"),
    ), []


@says("payments.exported")
def _payments_exported(e):
    d = e.details
    return ngettext(
        "%(who)s ha esportato i pagamenti dal %(start)s al %(end)s (%(num)d riga).",
        "%(who)s ha esportato i pagamenti dal %(start)s al %(end)s (%(num)d righe).",
        int(d.get("rows") or 0),
        who=e.who,
        start=day(d.get("from")),
        end=day(d.get("to")),
    ), []


@says("statement.reversal")
def _reversal(e):
    d = e.details
    return _(
        "Nell'estratto conto %(file)s c'è uno storno di %(amount)s per l'ordine %(number)s: "
        "da verificare.",
        file=d.get("filename") or "",
        amount=eur(abs(int(d.get("amount_cents") or 0))),
        number=e.number(),
    ), [
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data contabile"), day(d.get("booked_on"))),
        (_("Causale"), d.get("text") or ""),
    ]
