"""How each bank's CSV export is laid out: one Profile per bank, and the generic one.

A profile is recognised by its header (every name of its `signature` present, on one
line or on two: UniCredit's xls saved as CSV writes "Data" over "Operaz."), and says
which columns hold the booking date, the amount (one signed column, or credits and
debits apart), the text (every description column, so an order number in "Descrizione
estesa" is found), whether a line is booked yet, and where the movements end. The
layouts come from the banks' exports as published in open-source importers' test
folders (tests/data/banks/*/SOURCES).

Lines that are no movement are skipped, for every bank: balances and totals (a line
without a booking date whose text starts with "Saldo" or "Totale", or a profile's own
balance lines), zero amounts, and whatever follows an end marker (Intesa's
"Operazioni non contabilizzate").

A bank not listed here is read by the generic profile: header names from
DEFAULT_COLUMNS plus those the settings add (PEC_STATEMENT_*_COLUMNS).
"""

import re
from dataclasses import dataclass


def header_name(cell: str) -> str:
    """A header cell compared loosely: case, spaces, underscores, "( € )" → "(€)"."""
    name = cell.replace("\ufeff", "").replace("_", " ").strip().lower()
    name = " ".join(name.split())
    return name.replace("( ", "(").replace(" )", ")")


@dataclass(frozen=True)
class Profile:
    name: str  # shown to the operator ("Intesa Sanpaolo (Movimenti conto)")
    signature: tuple[str, ...]  # header names that must all be present
    date: tuple[str, ...]  # booking date: the first of these with a value on the line
    amount: tuple[str, ...] = ()  # one signed amount (the first present) …
    credit: tuple[str, ...] = ()  # … or credits and debits in two columns
    debit: tuple[str, ...] = ()
    text: tuple[str, ...] = ()  # every one present is read, in the file's order
    reference: tuple[str, ...] = ()  # the bank's reference of the movement
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()  # a column saying whether the movement is booked …
    pending: tuple[str, ...] = ()  # … and how its values start when it is not
    end_markers: tuple[str, ...] = ("operazioni non contabilizzate",)
    balance: str = ""  # a regular expression for the bank's balance lines (text, lower case)
    decimal: str = ","  # the decimal mark when no amount of the file shows it

    def matches(self, names: list[str]) -> bool:
        return bool(self.signature) and all(n in names for n in self.signature)


PROFILES = (
    Profile(
        "Intesa Sanpaolo (Movimenti conto)",
        signature=(
            "data contabile",
            "data valuta",
            "descrizione",
            "accrediti",
            "addebiti",
            "descrizione estesa",
        ),
        date=("data contabile",),
        credit=("accrediti",),
        debit=("addebiti",),
        text=("descrizione", "descrizione estesa"),
    ),
    Profile(
        "Intesa Sanpaolo (Lista operazioni)",
        signature=("data", "operazione", "dettagli", "conto o carta", "contabilizzazione"),
        date=("data",),
        amount=("importo",),
        text=("operazione", "dettagli"),
        currency=("valuta",),
        status=("contabilizzazione",),
        pending=("non contabilizzat",),
    ),
    Profile(
        "UniCredit (xls salvato come CSV)",
        signature=("data operaz.", "valuta", "descrizione", "eur"),
        date=("data operaz.",),
        amount=("eur",),
        text=("descrizione",),
    ),
    Profile(
        "UniCredit",
        signature=("data registrazione", "data valuta", "descrizione", "importo (eur)"),
        date=("data registrazione",),
        amount=("importo (eur)",),
        text=("descrizione",),
    ),
    Profile(
        "Fineco",
        signature=("entrate", "uscite", "descrizione", "descrizione completa"),
        date=("data", "data operazione"),
        credit=("entrate",),
        debit=("uscite",),
        text=("descrizione", "descrizione completa"),
        status=("stato",),
        pending=("autorizzat",),
    ),
    Profile(
        "BancoPosta",
        signature=("data", "valuta", "addebiti", "accrediti", "descrizione operazioni"),
        date=("data",),
        credit=("accrediti",),
        debit=("addebiti",),
        text=("descrizione operazioni",),
        balance=r"^\W*saldo (iniziale|finale)\b",
    ),
    Profile(
        "Crédit Agricole Italia",
        signature=("data op.", "data val.", "causale", "descrizione", "importo", "div."),
        date=("data op.",),
        amount=("importo",),
        text=("causale", "descrizione"),
        currency=("div.",),
    ),
    Profile(
        "Banca Popolare di Sondrio",
        signature=("data", "valuta", "causale", "descrizione", "importo", "divisa"),
        date=("data",),
        amount=("importo",),
        text=("causale", "descrizione"),
        currency=("divisa",),
    ),
    Profile(
        "Banca Sella",
        signature=("data operazione", "descrizione", "credito", "debito"),
        date=("data operazione",),
        credit=("credito",),
        debit=("debito",),
        text=("descrizione",),
        balance=r"^\W*saldo al\b",
    ),
    Profile(
        "BCC (Inbank)",
        signature=("data contabile", "data valuta", "importo", "descrizione", "note"),
        date=("data contabile",),
        amount=("importo",),
        text=("descrizione", "note"),
    ),
    Profile(
        "BCC (Inbank, xls salvato come testo)",
        signature=("data", "valuta", "dare", "avere", "divisa", "descrizione operazione"),
        date=("data",),
        credit=("avere",),
        debit=("dare",),
        text=("descrizione operazione",),
        currency=("divisa",),
    ),
    Profile(
        "Hype",
        signature=("data operazione", "data contabile", "tipologia", "nome", "importo (€)"),
        date=("data contabile", "data operazione"),
        amount=("importo (€)",),
        text=("tipologia", "nome", "descrizione"),
    ),
    Profile(
        "N26",
        signature=("amount (eur)", "payment reference"),
        date=("booking date", "date"),
        amount=("amount (eur)",),
        text=("partner name", "payee", "payment reference"),
        decimal=".",
    ),
    Profile(
        "Revolut",
        signature=("started date", "completed date", "description", "amount", "state"),
        date=("completed date", "started date"),
        amount=("amount",),
        text=("description",),
        currency=("currency",),
        status=("state",),
        pending=("pending", "reverted", "declined", "failed"),
        decimal=".",
    ),
)

# The generic profile's header names (compared like header_name). Each setting
# (PEC_STATEMENT_<KEY>_COLUMNS) adds names in front of these: the first present wins;
# for the text, every one present is read.
DEFAULT_COLUMNS = {
    "date": (
        "data contabile",
        "data operazione",
        "data registrazione",
        "data",
        "booking date",
        "date",
    ),
    "amount": ("importo", "importo (eur)", "importo eur", "importo in euro", "amount"),
    "credit": ("entrate", "avere", "accrediti", "importo avere", "credit"),
    "debit": ("uscite", "dare", "addebiti", "importo dare", "debit"),
    "text": (
        "causale",
        "descrizione",
        "descrizione operazione",
        "descrizione estesa",
        "descrizione completa",
        "dettagli",
        "causale / descrizione",
        "note",
        "remittance information",
        "description",
    ),
    "reference": (
        "riferimento",
        "riferimento banca",
        "id operazione",
        "numero operazione",
        "cro",
        "trn",
        "reference",
    ),
    "currency": ("divisa", "currency"),
}


def generic(settings: dict | None = None) -> Profile:
    """The profile for other banks: DEFAULT_COLUMNS, with the configured names added."""
    columns = {key: list(names) for key, names in DEFAULT_COLUMNS.items()}
    for key, names in (settings or {}).items():
        if key not in columns:
            continue
        added = [header_name(n) for n in names or () if n.strip()]
        columns[key] = added + [n for n in columns[key] if n not in added]
    return Profile(
        "",
        signature=(),
        date=tuple(columns["date"]),
        amount=tuple(columns["amount"]),
        credit=tuple(columns["credit"]),
        debit=tuple(columns["debit"]),
        text=tuple(columns["text"]),
        reference=tuple(columns["reference"]),
        currency=tuple(columns["currency"]),
    )


# A line without a booking date whose text starts so is a balance or a total.
SUMMARY = re.compile(r"^\W*(saldo|totale|totali|total|balance)\b")
