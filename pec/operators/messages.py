"""What operators read for each roster problem and holder check (codes from the domain)."""

from pec.domain import billing
from pec.language import lazy_gettext as _l

# The holder edit's message at each field, for the codes of pec.domain.billing.
HOLDER_ERRORS = {
    ("person_type", billing.INVALID): _l("Tipo non valido."),
    ("first_name", billing.REQUIRED): _l("Il nome è obbligatorio."),
    ("last_name", billing.REQUIRED): _l("Il cognome è obbligatorio."),
    ("company_name", billing.REQUIRED): _l("La ragione sociale è obbligatoria."),
    ("fiscal_code", billing.REQUIRED): _l("Il codice fiscale è obbligatorio."),
    ("fiscal_code", billing.INVALID): _l(
        "Codice fiscale non valido. Ha 16 caratteri, o 11 cifre se provvisorio."
    ),
    ("fiscal_code", billing.CHECKSUM): _l(
        "Codice fiscale non valido. Il carattere di controllo non corrisponde."
    ),
    ("fiscal_code", billing.COMPANY_CF): _l("Il codice fiscale di un'azienda ha 11 cifre."),
    ("vat_number", billing.INVALID): _l("Partita IVA non valida. Ha 11 cifre."),
    ("vat_number", billing.CHECKSUM): _l(
        "Partita IVA non valida. La cifra di controllo non corrisponde."
    ),
    ("reference_email", billing.REQUIRED): _l("L'e-mail di riferimento è obbligatoria."),
    ("reference_email", billing.INVALID): _l("E-mail non valida."),
    ("phone", billing.INVALID): _l("Numero di telefono non valido."),
    ("postal_code", billing.CAP): _l("Il CAP ha 5 cifre."),
    ("province", billing.INVALID): _l("La provincia è una sigla di 2 lettere."),
    ("province", billing.PROVINCE): _l(
        "Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. MI."
    ),
}


def _billing_field(field: str) -> str:
    return "email" if field == "reference_email" else field


def holder_error_text(field: str, code: str):
    """The message an operator reads at `field` for the holder check's `code`."""
    if code == billing.TOO_LONG:
        return _l("Al massimo %(n)d caratteri.", n=billing.MAX_LENGTHS[_billing_field(field)])
    if (field, code) in HOLDER_ERRORS:
        return HOLDER_ERRORS[field, code]
    return _l("Campo obbligatorio.") if code == billing.REQUIRED else _l("Valore non valido.")


ROSTER_PROBLEMS = {
    "field_count": _l("numero di campi sbagliato (%(value)s)"),
    "convention_missing": _l("manca il codice della convenzione"),
    "convention_unknown": _l("convenzione sconosciuta: %(value)s"),
    "address_missing": _l("manca l'indirizzo PEC"),
    "address_invalid": _l("indirizzo PEC non valido: %(value)s"),
    "address_duplicate": _l("indirizzo PEC già presente alla riga %(other)s: %(value)s"),
    "expires_on_missing": _l("manca la data di scadenza"),
    "expires_on_invalid": _l("data di scadenza non valida (GG/MM/AAAA): %(value)s"),
    # The holder's columns, judged by pec.domain.billing (the roster's codes: see
    # pec.domain.roster._holder_problem).
    "person_type_invalid": _l("tipo di titolare non valido: %(value)s"),
    "name_missing": _l("mancano nome e cognome del titolare"),
    "company_name_missing": _l("manca la ragione sociale"),
    "fiscal_code_missing": _l("manca il codice fiscale"),
    "fiscal_code_invalid": _l("codice fiscale non valido: %(value)s"),
    "fiscal_code_company": _l(
        "il codice fiscale di un'azienda ha 11 cifre (la sua partita IVA): %(value)s"
    ),
    "vat_number_invalid": _l("partita IVA non valida: %(value)s"),
    "reference_email_missing": _l("manca l'e-mail di riferimento"),
    "reference_email_invalid": _l("e-mail di riferimento non valida: %(value)s"),
    "phone_invalid": _l("numero di telefono non valido: %(value)s"),
    "postal_code_invalid": _l("CAP non valido (5 cifre): %(value)s"),
    "province_invalid": _l("sigla di provincia inesistente: %(value)s"),
    "account_convention": _l("l'account %(value)s appartiene a un'altra convenzione"),
    "owner_conflict": _l(
        "la casella appartiene all'account %(value)s: l'import non cambia il titolare"
    ),
    "expiry_backwards": _l(
        "la scadenza nel file è precedente a quella registrata (%(value)s): il file è vecchio?"
    ),
    "open_order": _l("la casella ha un ordine aperto: la scadenza non si cambia con l'import"),
    "holder_conflict": _l("dati del titolare %(value)s diversi da quelli della riga %(other)s"),
    "login_is_address": _l("il login %(value)s è l'indirizzo PEC di un altro titolare"),
    "address_is_login": _l("l'indirizzo PEC %(value)s è il login di un altro titolare"),
    "cell_too_long": _l(
        "una cella supera i 5.000 caratteri (forse una virgoletta aperta e mai chiusa): "
        "riga saltata, le righe seguenti sono lette"
    ),
    "unclosed_quote": _l(
        "una virgoletta aperta e mai chiusa unisce questa riga alle seguenti: riga saltata, "
        "le righe seguenti sono lette"
    ),
    "too_long": _l("valore troppo lungo nella colonna %(value)s"),
}

ROSTER_FILE_ERRORS = {
    "encoding": _l("Il file non è un testo CSV leggibile (UTF-8, UTF-16 o Windows-1252)."),
    "spreadsheet": _l(
        "È un file Excel (.xlsx o .xls), non un CSV: aprilo e salvalo come «CSV UTF-8», "
        "poi caricalo di nuovo."
    ),
    "empty": _l("Il file è vuoto."),
    "columns": _l(
        "Intestazione non valida: colonne mancanti, sconosciute o ripetute: %(columns)s."
    ),
}


# Lines of a roster or statement whose bytes needed repair (csv_files.RepairedLine).
REPAIRED_LINES = {
    "invalid_utf8": _l(
        "il file è in UTF-8 ma questa riga contiene byte non validi, letti come "
        "Windows-1252: controlla nomi e lettere accentate"
    ),
    "control_characters": _l("caratteri di controllo (invisibili) tolti dalla riga"),
}


def repaired_text(repaired) -> str:
    """Why a line needed repair, as a sentence in the current language."""
    return str(REPAIRED_LINES[repaired.code])


def problem_text(problem) -> str:
    """One roster problem as a sentence in the current language."""
    return str(ROSTER_PROBLEMS[problem.code]) % {
        "value": problem.value,
        "other": problem.other_line or "",
    }


def file_error_text(error) -> str:
    return str(ROSTER_FILE_ERRORS[error.code]) % {"columns": ", ".join(error.columns)}


# --- Payments and statements -------------------------------------------------------------


def outcome_text(outcome) -> str:
    """What register_payment did, for the operator who asked (docs/rules.md, Operators)."""
    return str(_outcome_text(outcome))


def _outcome_text(outcome):
    from pec.domain import payments as pay
    from pec.domain.balance import balance
    from pec.domain.money import format_eur
    from pec.operators.labels import ORDER_STATUS_LABELS

    order, payment = outcome.order, outcome.payment
    funds = balance(order)
    values = {
        "number": order.number or order.id,
        "expected": format_eur(order.gross_cents),
        "missing": format_eur(funds.missing_cents),
        "to_refund": format_eur(funds.to_refund_cents),
        "received": format_eur(payment.amount_cents) if payment else "",
        "reference": payment.reference if payment else "",
        "status": ORDER_STATUS_LABELS.get(order.status, order.status),
    }
    if outcome.code == pay.APPLIED and funds.to_refund_cents:
        return _l(
            "Pagamento registrato sull'ordine N° %(number)s: il rinnovo è applicato. "
            "Ricevuti %(to_refund)s più del totale: sono da rimborsare (l'iscritto è avvisato).",
            **values,
        )
    if outcome.code == pay.APPLIED:
        return _l(
            "Pagamento registrato sull'ordine N° %(number)s: il rinnovo è applicato e "
            "l'iscritto riceve la conferma per e-mail.",
            **values,
        )
    if outcome.code == pay.PARTIAL:
        return _l(
            "Pagamento di %(received)s registrato sull'ordine N° %(number)s: mancano "
            "%(missing)s, il rinnovo non è ancora applicato. L'iscritto riceve un'e-mail "
            "con la differenza da pagare.",
            **values,
        )
    if outcome.code == pay.ALREADY_APPLIED:
        return _l(
            "Rifiutato: il pagamento con riferimento %(reference)s è già registrato su "
            "questo ordine. Nulla è cambiato.",
            **values,
        )
    if outcome.code == pay.DUPLICATE_REFERENCE:
        other = payment.order.number if payment else ""
        return _l(
            "Rifiutato: il riferimento %(reference)s appartiene già a un pagamento "
            "dell'ordine N° %(other)s. Nulla è cambiato.",
            other=other,
            **values,
        )
    if outcome.code == pay.WINDOW_CLOSED:
        return _l(
            "Pagamento registrato, ma una casella dell'ordine è cessata (oltre la finestra "
            "di ripristino): il rinnovo non si può applicare, l'ordine è annullato e "
            "%(to_refund)s sono da rimborsare. L'iscritto è avvisato.",
            **values,
        )
    return _l(
        "Pagamento registrato, ma l'ordine N° %(number)s non è in attesa di pagamento "
        "(%(status)s): il rinnovo non è applicato e %(to_refund)s sono da rimborsare. "
        "L'iscritto è avvisato.",
        **values,
    )


FLAG_REASONS = {
    "amount_mismatch": _l("importo diverso dal totale"),
    "not_payable": _l("ordine non in attesa di pagamento"),
    "window_closed": _l("casella cessata"),
    "duplicate_reference": _l("riferimento già usato"),
}

STATEMENT_REASONS = {
    "order_number": _l("numero d'ordine e importo corrispondono"),
    "partial": _l(
        "importo inferiore a quanto manca: registrato in acconto, all'iscritto si chiede la differenza"
    ),
    "not_payable": _l("l'ordine non è in attesa di pagamento: registrato, da rimborsare"),
    "window_closed": _l("una casella dell'ordine è cessata: registrato, da rimborsare"),
    "paid_twice": _l(
        "un movimento precedente di questo file paga già lo stesso ordine: pagato due volte, "
        "registrato, da rimborsare"
    ),
    "no_order_number": _l("nessun numero d'ordine nella causale"),
    "unknown_order": _l("il numero nella causale non corrisponde a nessun ordine"),
    "several_orders": _l("la causale nomina più ordini"),
    "batch_without_details": _l(
        "più bonifici raggruppati in un solo movimento, senza il dettaglio degli importi: "
        "da abbinare a mano"
    ),
    "already_registered": _l("già registrato da un import precedente"),
    "already_flagged": _l("già importato e segnato da verificare"),
    "registered_by_hand": _l(
        "pagamento già registrato a mano da un operatore: questo movimento ne diventa la "
        "registrazione bancaria"
    ),
    "reversal_of_applied": _l(
        "storno o bonifico restituito: la banca riprende il pagamento di un ordine già "
        "rinnovato. Verifica con l'iscritto; il rinnovo resta applicato"
    ),
    "reversal_of_order": _l(
        "storno o bonifico restituito di un ordine non rinnovato: verifica i suoi pagamenti"
    ),
    "reversal_unmatched": _l(
        "storno o bonifico restituito: nessun pagamento registrato corrisponde, verifica"
    ),
    "debit": _l("addebito: ignorato"),
    "reversal": _l("storno di un nostro addebito (denaro restituito a noi): ignorato"),
    "not_booked": _l("movimento non contabilizzato: ignorato"),
    "currency": _l("valuta diversa dall'euro: ignorato"),
}

STATEMENT_PROBLEMS = {
    "field_count": _l("numero di campi sbagliato (%(value)s)"),
    "date_invalid": _l("data non valida: %(value)s"),
    "amount_invalid": _l("importo non valido: %(value)s"),
    "amount_missing": _l("manca l'importo"),
    "direction_invalid": _l("non dice se è un accredito o un addebito: %(value)s"),
    "cell_too_long": _l(
        "una cella supera i 5.000 caratteri (forse una virgoletta aperta e mai chiusa): "
        "riga saltata, le righe seguenti sono lette"
    ),
}

STATEMENT_FILE_ERRORS = {
    "encoding": _l("Il file non è un testo leggibile (UTF-8, UTF-16 o Windows-1252)."),
    "spreadsheet": _l(
        "È un file Excel (.xlsx o .xls): aprilo e salvalo come CSV, poi caricalo di nuovo."
    ),
    "xml_encoding": _l(
        "Il file XML dichiara la codifica %(detail)s: sono accettati solo file XML in "
        "UTF-8 o UTF-16. Scarica di nuovo l'estratto conto dalla banca."
    ),
    "empty": _l("Il file non contiene movimenti."),
    "columns": _l(
        "Non trovo l'intestazione delle colonne (data, importo, causale). Attese per "
        "esempio: %(detail)s. Le colonne si configurano nelle impostazioni (README)."
    ),
    "xml": _l("Il file XML non è valido o contiene costrutti non ammessi: %(detail)s"),
    "not_camt": _l(
        "Il file XML non è un estratto conto CAMT.053 né un avviso CAMT.054 (%(detail)s)."
    ),
    "mt940": _l("Il file MT940 non è leggibile: %(detail)s"),
}

STATEMENT_FORMATS = {
    "csv": "CSV",
    "camt053": "CAMT.053",
    "camt054": "CAMT.054",
    "mt940": "MT940",
}


def statement_problem_text(problem) -> str:
    return str(STATEMENT_PROBLEMS[problem.code]) % {"value": problem.value}


def statement_file_error_text(error) -> str:
    return str(STATEMENT_FILE_ERRORS[error.code]) % {"detail": error.detail}
