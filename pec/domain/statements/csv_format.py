"""Bank statements exported as CSV (home banking "esporta movimenti", or the bank's
spreadsheet saved as CSV or as Unicode text).

The header is searched for in the first lines (banks put account details above it), on
one line or over two, and names the bank's profile (banks.py); a bank without one is
read by the generic profile from header names an operator can add to. The decimal mark
is told once per file from its amounts (values.decimal_mark).
"""

import re

from pec.domain import csv_files
from pec.domain.statements import banks, legacy
from pec.domain.statements.entries import Entry, Problem, Statement, StatementFileError, content_of
from pec.domain.statements.values import decimal_mark, parse_cents, parse_date

FORMAT = "csv"
HEADER_SEARCH_LINES = 60  # Intesa's exports have 30 lines of account details first
DELIMITERS = (";", ",", "\t")
DEFAULT_COLUMNS = banks.DEFAULT_COLUMNS


def _first(names: list[str], candidates) -> int | None:
    return next((names.index(c) for c in candidates if c in names), None)


def _layout(profile: banks.Profile, names: list[str]) -> dict | None:
    """Where `profile`'s columns are in a header of `names`, or None if it does not fit."""
    if profile.signature and not profile.matches(names):
        return None
    dates = [names.index(c) for c in profile.date if c in names]
    texts = sorted({names.index(c) for c in profile.text if c in names})
    amount = _first(names, profile.amount)
    credit, debit = _first(names, profile.credit), _first(names, profile.debit)
    if not dates or not texts or (amount is None and credit is None):
        return None
    where = {"date": dates, "text": texts}
    if amount is not None:
        where["amount"] = amount
    else:
        where["credit"] = credit
        if debit is not None:
            where["debit"] = debit
    for key in ("reference", "currency", "status"):
        found = _first(names, getattr(profile, key))
        if found is not None:
            where[key] = found
    return where


def _merged(first: list[str], second: list[str]) -> list[str]:
    """A header written over two lines ("Data" over "Operaz."), cell by cell."""
    width = max(len(first), len(second))
    first, second = first + [""] * (width - len(first)), second + [""] * (width - len(second))
    return [
        " ".join(p for p in (a.strip(), b.strip()) if p) for a, b in zip(first, second, strict=True)
    ]


def _find_header(rows, profiles):
    """(row index, header lines, profile, layout) of the first header in `rows`."""
    for index, (_line, cells, _problem) in enumerate(rows[:HEADER_SEARCH_LINES]):
        if csv_files.is_blank(cells):
            continue
        candidates = [(1, cells)]
        if index + 1 < len(rows):
            candidates.append((2, _merged(cells, rows[index + 1][1])))
        for height, header in candidates:
            names = [banks.header_name(c) for c in csv_files.trimmed(header)]
            for profile in profiles:
                where = _layout(profile, names)
                if where is not None:
                    return index, height, profile, where, len(names)
    return None


def parse(data: bytes, settings: dict | None = None) -> Statement:
    """A bank's CSV export: UTF-8, UTF-16 or Windows-1252; `;`, `,` or tab; `settings`
    add header names to the generic profile (banks.generic)."""
    try:
        decoded = csv_files.read_text(data)
    except csv_files.UnreadableText as error:
        raise StatementFileError(error.code) from None
    if not decoded.text.strip():
        raise StatementFileError("empty")
    profiles = (*banks.PROFILES, banks.generic(settings))
    for delimiter in DELIMITERS:
        rows = list(csv_files.numbered_rows(decoded.text, delimiter))
        found = _find_header(rows, profiles)
        if found is not None:
            break
    else:
        fallback = profiles[-1]
        wanted = f"{fallback.date[0]}, {fallback.amount[0]}, {fallback.text[0]}"
        raise StatementFileError("columns", wanted)
    index, height, profile, where, width = found
    statement = Statement(FORMAT, profile=profile.name, repaired=decoded.repaired)
    body = []
    for line, cells, unreadable in rows[index + height :]:
        if unreadable:
            statement.problems.append(Problem(line, unreadable))
            continue
        if csv_files.is_blank(cells):
            continue
        if any(banks.header_name(c).startswith(profile.end_markers) for c in cells):
            break
        cells = csv_files.trimmed(cells)
        if len(cells) > width:
            statement.problems.append(Problem(line, "field_count", f"{len(cells)}/{width}"))
            continue
        body.append((line, cells + [""] * (width - len(cells))))
    amount_columns = [where[k] for k in ("amount", "credit", "debit") if k in where]
    mark = decimal_mark(
        (cells[i] for _line, cells in body for i in amount_columns), profile.decimal
    )
    old = legacy.csv_references(data, settings)
    for line, cells in body:
        _entry(statement, profile, where, mark, line, cells, old.get(line))
    return statement


def _signed_amount(where: dict, cells: list[str], mark: str) -> int | None:
    """Signed cents (credits and debits columns: either sign written), or None when the
    line has no amount; ValueError when it is no amount."""
    if "amount" in where:
        raw = cells[where["amount"]].strip()
        return parse_cents(raw, mark) if raw else None
    credit = cells[where["credit"]].strip()
    debit = cells[where["debit"]].strip() if "debit" in where else ""
    if not credit and not debit:
        return None
    money_in = abs(parse_cents(credit, mark)) if credit else 0
    money_out = abs(parse_cents(debit, mark)) if debit else 0
    return money_in - money_out


def _entry(statement, profile, where, mark, line, cells, old_reference) -> None:
    text = " ".join(" ".join(cells[i].split()) for i in where["text"] if cells[i].strip())
    raw_date = next((cells[i].strip() for i in where["date"] if cells[i].strip()), "")
    lowered = text.lower()
    if profile.balance and re.search(profile.balance, lowered):
        statement.skipped.append(line)
        return
    try:
        signed, bad_amount = _signed_amount(where, cells, mark), False
    except ValueError:
        signed, bad_amount = None, True
    if not raw_date:
        # Balances and totals have no date; a movement without one is a bad line.
        if banks.SUMMARY.match(lowered) or (signed is None and not bad_amount):
            statement.skipped.append(line)
        else:
            statement.problems.append(Problem(line, "date_invalid", ""))
        return
    booked_on = parse_date(raw_date)
    if booked_on is None:
        statement.problems.append(Problem(line, "date_invalid", raw_date))
        return
    if bad_amount:
        statement.problems.append(Problem(line, "amount_invalid", _raw_amount(where, cells)))
        return
    if signed is None:
        statement.problems.append(Problem(line, "amount_missing"))
        return
    if signed == 0:  # a card hold or a zero line: no money moved
        statement.skipped.append(line)
        return
    status = cells[where["status"]].strip().lower() if "status" in where else ""
    currency = cells[where["currency"]].strip().upper() if "currency" in where else ""
    is_credit = signed > 0
    pending = bool(status and profile.pending and status.startswith(profile.pending))
    statement.entries.append(
        Entry(
            line=line,
            booked_on=booked_on,
            amount_cents=abs(signed),
            is_credit=is_credit,
            text=text,
            currency=currency if len(currency) == 3 and currency.isalpha() else "EUR",
            is_booked=not pending,
            bank_reference=cells[where["reference"]].strip() if "reference" in where else "",
            content=content_of(cells),
            legacy_references=(old_reference,) if old_reference else (),
        )
    )


def _raw_amount(where: dict, cells: list[str]) -> str:
    keys = ("amount",) if "amount" in where else ("credit", "debit")
    return " / ".join(
        cells[where[k]].strip() for k in keys if k in where and cells[where[k]].strip()
    )
