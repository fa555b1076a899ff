"""Bank statements exported as CSV (home banking "esporta movimenti").

Every bank names its columns differently and puts account details above the header, so
the header is searched for in the first lines, by names an operator can configure
(DEFAULT_COLUMNS covers common Italian exports). The amount is either one signed column
or a credit and a debit column. A bank whose export needs more than other header names
(another layout altogether) gets a module of its own beside this one.
"""

from pec.domain.csv_files import (
    ControlCharacters,
    UnreadableText,
    decode,
    is_blank,
    numbered_rows,
    parse_date,
)
from pec.domain.statements.entries import (
    Entry,
    Problem,
    Statement,
    StatementFileError,
    derived_reference,
    eur_cents,
)

FORMAT = "csv"

# Default CSV headers of common Italian bank exports (compared case-insensitively, with
# spaces collapsed). Each setting is a list: the first header present is used; for the
# remittance text every listed header present is read and joined.
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
        "dettagli",
        "causale / descrizione",
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
HEADER_SEARCH_LINES = 30  # banks put account details above the header
DELIMITERS = (";", ",", "\t")


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().lower().split())


def _columns(settings: dict | None) -> dict[str, tuple[str, ...]]:
    chosen = dict(DEFAULT_COLUMNS)
    for key, names in (settings or {}).items():
        if names:
            chosen[key] = tuple(_norm(n) for n in names if n.strip())
    return chosen


def _find_header(rows: list[list[str]], columns: dict) -> tuple[int, dict[str, int]] | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_LINES]):
        names = [_norm(c) for c in cells]
        found: dict[str, int] = {}
        for key in ("date", "amount", "credit", "debit", "reference", "currency"):
            for candidate in columns[key]:
                if candidate in names:
                    found[key] = names.index(candidate)
                    break
        texts = [names.index(c) for c in columns["text"] if c in names]
        if "date" in found and ("amount" in found or "credit" in found) and texts:
            found["text"] = texts  # type: ignore[assignment]
            return index, found
    return None


def _signed_cents(text: str) -> int:
    """'-1.234,56', '+4,88', '4,88 €' → signed cents; ValueError on anything else."""
    cleaned = text.replace("€", "").replace("EUR", "").replace("\xa0", "").replace(" ", "")
    sign = -1 if cleaned.startswith("-") or cleaned.endswith("-") else 1
    return sign * eur_cents(cleaned.strip("+-"))


def parse(data: bytes, settings: dict | None = None) -> Statement:
    """A bank's CSV export: UTF-8 (BOM or not) or Windows-1252, `;`, `,` or tab."""
    try:
        text = decode(data)
    except ControlCharacters:
        raise StatementFileError("control") from None
    except UnreadableText:
        raise StatementFileError("encoding") from None
    if not text.strip():
        raise StatementFileError("empty")
    columns = _columns(settings)
    for delimiter in DELIMITERS:
        numbered = list(numbered_rows(text, delimiter))
        rows = [cells for _line, cells in numbered]
        header = _find_header(rows, columns)
        if header is not None:
            break
    else:
        wanted = f"{columns['date'][0]}, {columns['amount'][0]}, {columns['text'][0]}"
        raise StatementFileError("columns", wanted)
    start, where = header
    statement = Statement(FORMAT)
    width = len(rows[start])
    for line, cells in numbered[start + 1 :]:
        if is_blank(cells):
            continue
        if len(cells) != width:
            statement.problems.append(Problem(line, "field_count", f"{len(cells)}/{width}"))
            continue
        _entry(statement, line, cells, where)
    return statement


def _entry(statement: Statement, line: int, cells: list[str], where: dict) -> None:
    raw_date = cells[where["date"]].strip()
    booked_on = parse_date(raw_date)
    if booked_on is None:
        statement.problems.append(Problem(line, "date_invalid", raw_date))
        return
    try:
        if "amount" in where:
            raw = cells[where["amount"]].strip()
            if not raw:
                raise ValueError(raw)
            signed = _signed_cents(raw)
        else:
            credit = cells[where["credit"]].strip()
            debit = cells[where["debit"]].strip() if "debit" in where else ""
            raw = credit or debit
            if not raw:
                statement.problems.append(Problem(line, "amount_missing"))
                return
            signed = abs(_signed_cents(credit)) if credit else -abs(_signed_cents(debit))
    except ValueError:
        statement.problems.append(Problem(line, "amount_invalid", raw))
        return
    text = " ".join(cells[i].strip() for i in where["text"] if cells[i].strip())
    reference = cells[where["reference"]].strip() if "reference" in where else ""
    cents = abs(signed)
    statement.entries.append(
        Entry(
            line=line,
            booked_on=booked_on,
            amount_cents=cents,
            is_credit=signed > 0,
            reference=reference or derived_reference(booked_on, cents, text),
            text=text,
            currency=(cells[where["currency"]].strip().upper() if "currency" in where else "")
            or "EUR",
            is_derived_reference=not reference,
        )
    )
