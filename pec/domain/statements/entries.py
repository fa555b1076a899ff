"""What every statement format is read into: a Statement of Entries, and the Problems of
the lines that could not be read; and the identity of each entry.

A format module (csv_format, camt, mt940_format) turns a file into a Statement and
nothing else: matching entries to orders (matching.py) never looks at the file. A file
that cannot be read at all raises StatementFileError; a bad line is a Problem and the
other lines are still read.

An entry's identity (`Entry.reference`, kept as the payment's reference) is what makes
importing a file twice register nothing twice, and it must never merge two credits:

- the bank's own reference, when the bank gives one and it is unique in the file (real
  files repeat them: one AcctSvcrRef on two credits, every MT940 line "NONREF");
- otherwise the entry's content (every cell of the CSV line as written, every field of
  the XML entry) and its position among the entries of identical content in the file,
  so two identical transfers on one day are two payments. Neither depends on the column
  settings, and an export covering a longer period finds the same identities.
"""

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from pec.domain import money


class StatementFileError(Exception):
    """The file as a whole cannot be read.

    `code` is one of: encoding (no text we can read), spreadsheet (an Excel file not
    saved as CSV), empty (no entries), columns (no header names a date, an amount and
    a text; `detail` the expected ones), xml (not well-formed or refused by the safe
    parser), not_camt (XML of another kind; `detail` its namespace), mt940 (a SWIFT
    statement the parser refuses; `detail` why)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Entry:
    """One movement on the account, as any format states it.

    `line` points the operator back into the file: the CSV line number, or the position
    of the entry in an XML or MT940 statement (1 = the first); `part` numbers the
    transactions of a batched entry (0 when the entry is one transaction).
    `amount_cents` is unsigned; the direction is `is_credit`. `text` is the remittance
    information, where the member writes the order number; `text_parts` are its
    pieces as the bank cut them (35-character remittance lines), so a number cut in two
    is still found. `reference` is the entry's identity (see the module docstring),
    given by `identify`; `legacy_references` are the identities earlier versions of
    this importer gave the same entry, so a statement imported before still finds its
    payments.
    """

    line: int
    booked_on: dt.date
    amount_cents: int
    is_credit: bool
    text: str
    currency: str = "EUR"
    reference: str = ""
    is_derived_reference: bool = False  # no unique bank reference: content + position
    is_reversal: bool = False  # the bank took back or returned an earlier movement
    is_booked: bool = True  # False for pending or informational entries
    part: int = 0
    bank_reference: str = ""
    other_references: tuple[
        str, ...
    ] = ()  # end-to-end id and such, to find what a reversal takes back
    content: str = ""
    text_parts: tuple[str, ...] = ()
    legacy_references: tuple[str, ...] = ()
    content_reference: str = ""  # the identity by content and position (given by identify)
    batch_without_details: bool = False  # several transfers in one entry, amounts not given

    @property
    def key(self) -> str:
        """The entry's place in the file as the operator reads it: "12", or "3.2"."""
        return f"{self.line}.{self.part}" if self.part else str(self.line)

    @property
    def search_texts(self) -> tuple[str, ...]:
        """Where order numbers are looked for: the text, and its parts run together."""
        joined = "".join(self.text_parts)
        return (self.text, joined) if len(self.text_parts) > 1 else (self.text,)


@dataclass(frozen=True)
class Problem:
    """A line that could not be read, with why (`code`) and the value at fault."""

    line: int
    code: str  # field_count, date_invalid, amount_invalid, amount_missing, cell_too_long, …
    value: str = ""


@dataclass
class Statement:
    """A file read: its format's name (`FORMAT` of its module), the bank profile that
    read it (CSV), entries, problems, the lines skipped as balances or totals, and the
    lines whose bytes needed repair (csv_files.RepairedLine)."""

    format: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    profile: str = ""
    skipped: list[int] = field(default_factory=list)
    repaired: tuple = ()

    @property
    def credits(self) -> list[Entry]:
        return [e for e in self.entries if e.is_credit]

    @property
    def debits(self) -> list[Entry]:
        return [e for e in self.entries if not e.is_credit]


def eur_cents(text: str) -> int:
    """An unsigned amount in euro (Italian or plain decimals) → cents; ValueError else."""
    try:
        return money.parse_eur(text)
    except (ValueError, ArithmeticError):
        raise ValueError(text) from None


# References that banks write when they have none: never an identity.
_PLACEHOLDERS = {"NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "NULL", "N/A", "NA", "UNKNOWN"}
_ONLY_FILLER = re.compile(r"^[0\s./-]*$")


def is_placeholder(reference: str) -> bool:
    """True for "NONREF", "NOTPROVIDED", "0000…" and the like."""
    value = " ".join((reference or "").split()).upper()
    return value in _PLACEHOLDERS or bool(_ONLY_FILLER.match(value))


def content_of(values) -> str:
    """The normalised content of an entry (its cells or fields, in order)."""
    return "\x1f".join(" ".join(str(v).split()) for v in values)


def content_reference(content: str, occurrence: int) -> str:
    """The identity of the `occurrence`-th entry of this content in a file."""
    digest = hashlib.sha256(f"{content}\x1e{occurrence}".encode()).hexdigest()[:24]
    return f"content-{digest}"


def identify(entries: list[Entry]) -> list[Entry]:
    """Give every entry its identity (see the module docstring), and its identity by
    content (`content_reference`) for when its bank reference turns out to be reused."""
    bank_counts = Counter(e.bank_reference for e in entries if e.bank_reference)
    seen: Counter = Counter()
    identified = []
    for entry in entries:
        seen[entry.content] += 1
        by_content = content_reference(entry.content, seen[entry.content])
        bank = entry.bank_reference
        if bank and not is_placeholder(bank) and bank_counts[bank] == 1:
            reference, derived = bank, False
        else:
            reference, derived = by_content, True
        identified.append(
            replace(
                entry,
                reference=reference,
                is_derived_reference=derived,
                content_reference=by_content,
            )
        )
    return identified


def by_content(entry: Entry) -> Entry:
    """`entry` known by its content although its bank reference is unique in the file:
    the bank reused that reference for another movement already registered."""
    return replace(entry, reference=entry.content_reference, is_derived_reference=True)


def legacy_derived_reference(booked_on: dt.date, amount_cents: int, text: str) -> str:
    """The identity the first version of this importer gave an entry without a bank
    reference (date, amount and text: two identical transfers got one). Kept so that
    statements imported with it are still recognised."""
    basis = f"{booked_on.isoformat()}|{amount_cents}|{' '.join(text.split()).upper()}"
    return "auto-" + hashlib.sha256(basis.encode()).hexdigest()[:20]


# The name callers used before identities changed.
derived_reference = legacy_derived_reference
