"""What operators read for each roster problem and holder check (codes from the domain)."""

from flask_babel import lazy_gettext as _l

HOLDER_ERRORS = {
    "person_type_invalid": ("person_type", _l("Tipo non valido.")),
    "name_missing": ("last_name", _l("Nome e cognome sono obbligatori.")),
    "company_name_missing": ("company_name", _l("La ragione sociale è obbligatoria.")),
    "fiscal_code_missing": ("fiscal_code", _l("Il codice fiscale è obbligatorio.")),
    "fiscal_code_invalid": ("fiscal_code", _l("Codice fiscale non valido.")),
    "vat_number_invalid": ("vat_number", _l("Partita IVA non valida.")),
    "reference_email_missing": ("reference_email", _l("L'e-mail di riferimento è obbligatoria.")),
    "reference_email_invalid": ("reference_email", _l("E-mail non valida.")),
    "postal_code_invalid": ("postal_code", _l("Il CAP ha 5 cifre.")),
    "province_invalid": ("province", _l("La provincia è una sigla di 2 lettere.")),
}

ROSTER_PROBLEMS = {
    "field_count": _l("numero di campi sbagliato (%(value)s)"),
    "convention_missing": _l("manca il codice della convenzione"),
    "convention_unknown": _l("convenzione sconosciuta: %(value)s"),
    "address_missing": _l("manca l'indirizzo PEC"),
    "address_invalid": _l("indirizzo PEC non valido: %(value)s"),
    "address_duplicate": _l("indirizzo PEC già presente alla riga %(other)s: %(value)s"),
    "expires_on_missing": _l("manca la data di scadenza"),
    "expires_on_invalid": _l("data di scadenza non valida (GG/MM/AAAA): %(value)s"),
    "person_type_invalid": _l("tipo di titolare non valido: %(value)s"),
    "name_missing": _l("mancano nome e cognome del titolare"),
    "company_name_missing": _l("manca la ragione sociale"),
    "fiscal_code_missing": _l("manca il codice fiscale"),
    "fiscal_code_invalid": _l("codice fiscale non valido: %(value)s"),
    "vat_number_invalid": _l("partita IVA non valida: %(value)s"),
    "reference_email_missing": _l("manca l'e-mail di riferimento"),
    "reference_email_invalid": _l("e-mail di riferimento non valida: %(value)s"),
    "postal_code_invalid": _l("CAP non valido: %(value)s"),
    "province_invalid": _l("provincia non valida: %(value)s"),
    "account_convention": _l("l'account %(value)s appartiene a un'altra convenzione"),
    "owner_conflict": _l(
        "la casella appartiene all'account %(value)s: l'import non cambia il titolare"
    ),
    "expiry_backwards": _l(
        "la scadenza nel file è precedente a quella registrata (%(value)s): il file è vecchio?"
    ),
    "open_order": _l("la casella ha un ordine aperto: la scadenza non si cambia con l'import"),
    "holder_conflict": _l("dati del titolare %(value)s diversi da quelli della riga %(other)s"),
}

ROSTER_FILE_ERRORS = {
    "encoding": _l("Il file non è un testo CSV leggibile (UTF-8 o Windows-1252)."),
    "empty": _l("Il file è vuoto."),
    "columns": _l(
        "Intestazione non valida: colonne mancanti, sconosciute o ripetute: %(columns)s."
    ),
}


def problem_text(problem) -> str:
    """One roster problem as a sentence in the current language."""
    return str(ROSTER_PROBLEMS[problem.code]) % {
        "value": problem.value,
        "other": problem.other_line or "",
    }


def file_error_text(error) -> str:
    return str(ROSTER_FILE_ERRORS[error.code]) % {"columns": ", ".join(error.columns)}
