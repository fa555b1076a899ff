"""The identities the first version of the importer gave CSV lines, so payments it
registered are still recognised when the same statement is imported again.

That version took the bank's reference column as it was (even when it repeated), else
derived "auto-…" from the date, amount and text, where the text was read from the
column settings of the day (each setting replaced the default names). Its reading rules
are copied here as they were, and used for nothing else.
"""

import codecs
import csv
import io

from pec.domain import csv_files
from pec.domain.statements.entries import eur_cents, legacy_derived_reference

_OLD_DEFAULTS = {
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


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().lower().split())


def _columns(settings: dict | None) -> dict:
    chosen = dict(_OLD_DEFAULTS)
    for key, names in (settings or {}).items():
        if names and key in chosen:
            chosen[key] = tuple(_norm(n) for n in names if n.strip())
    return chosen


def _header(rows: list[list[str]], columns: dict):
    for index, cells in enumerate(rows[:30]):
        names = [_norm(c) for c in cells]
        found: dict = {}
        for key in ("date", "amount", "credit", "debit", "reference", "currency"):
            for candidate in columns[key]:
                if candidate in names:
                    found[key] = names.index(candidate)
                    break
        texts = [names.index(c) for c in columns["text"] if c in names]
        if "date" in found and ("amount" in found or "credit" in found) and texts:
            found["text"] = texts
            return index, found
    return None


def _signed(text: str) -> int:
    cleaned = text.replace("€", "").replace("EUR", "").replace("\xa0", "").replace(" ", "")
    sign = -1 if cleaned.startswith("-") or cleaned.endswith("-") else 1
    return sign * eur_cents(cleaned.strip("+-"))


def _old_text(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def csv_references(data: bytes, settings: dict | None) -> dict[int, str]:
    """{line number: the reference the first version gave that line} for `data`."""
    columns = _columns(settings)
    text = _old_text(data)
    if text is None:
        return {}
    try:
        for delimiter in (";", ",", "\t"):
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            numbered, previous_end = [], 0
            for cells in reader:
                numbered.append((previous_end + 1, cells))
                previous_end = reader.line_num
            header = _header([cells for _line, cells in numbered], columns)
            if header is not None:
                break
        else:
            return {}
    except csv.Error:  # that version stopped here with an error: it registered nothing
        return {}
    start, where = header
    width = len(numbered[start][1])
    references = {}
    for line, cells in numbered[start + 1 :]:
        if csv_files.is_blank(cells) or len(cells) != width:
            continue
        booked_on = csv_files.parse_date(cells[where["date"]].strip())
        if booked_on is None:
            continue
        try:
            if "amount" in where:
                raw = cells[where["amount"]].strip()
                cents = abs(_signed(raw)) if raw else None
            else:
                credit = cells[where["credit"]].strip()
                debit = cells[where["debit"]].strip() if "debit" in where else ""
                raw = credit or debit
                cents = abs(_signed(raw)) if raw else None
        except ValueError:
            continue
        if cents is None:
            continue
        text_value = " ".join(cells[i].strip() for i in where["text"] if cells[i].strip())
        reference = cells[where["reference"]].strip() if "reference" in where else ""
        references[line] = reference or legacy_derived_reference(booked_on, cents, text_value)
    return references
