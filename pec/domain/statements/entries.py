"""What every statement format is read into: a Statement of Entries, and the Problems of
the lines that could not be read.

A format module (csv_format, camt, …) turns a file into a Statement and nothing else:
matching entries to orders (matching.py) never looks at the file. A file that cannot be
read at all raises StatementFileError; a bad line is a Problem and the other lines are
still read.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from pec.domain import money


class StatementFileError(Exception):
    """The file as a whole cannot be read.

    `code` is one of: encoding (neither UTF-8 nor Windows-1252), empty (no entries),
    columns (no header names a date, an amount and a text; `detail` the expected ones),
    xml (not well-formed or refused by the safe parser), not_camt (XML of another kind;
    `detail` its namespace)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Entry:
    """One movement on the account, as any format states it.

    `line` points the operator back into the file: the CSV line number, or the position
    of the entry in an XML statement (1 = the first). `amount_cents` is unsigned; the
    direction is `is_credit`. `reference` is the bank's own reference of the entry, or,
    when the file has none, one derived from the entry's content (`is_derived_reference`)
    so that importing the file again finds the same entries. `text` is the remittance
    information, where the member writes the order number.
    """

    line: int
    booked_on: dt.date
    amount_cents: int
    is_credit: bool
    reference: str
    text: str
    currency: str = "EUR"
    is_derived_reference: bool = False
    is_reversal: bool = False  # the bank took back an earlier entry
    is_booked: bool = True  # False for pending or informational entries


@dataclass(frozen=True)
class Problem:
    """A line that could not be read, with why (`code`) and the value at fault."""

    line: int
    code: str  # field_count, date_invalid, amount_invalid, amount_missing
    value: str = ""


@dataclass
class Statement:
    """A file read: its format's name (`FORMAT` of its module), entries and problems."""

    format: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def eur_cents(text: str) -> int:
    """An unsigned amount in euro (Italian or plain decimals) → cents; ValueError else."""
    try:
        return money.parse_eur(text)
    except (ValueError, ArithmeticError):
        raise ValueError(text) from None


def derived_reference(booked_on: dt.date, amount_cents: int, text: str) -> str:
    """For exports without an entry reference: the same line always gets the same one,
    so a second import of the file still registers nothing twice."""
    basis = f"{booked_on.isoformat()}|{amount_cents}|{' '.join(text.split()).upper()}"
    return "auto-" + hashlib.sha256(basis.encode()).hexdigest()[:20]
