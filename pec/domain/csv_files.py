"""CSV files people bring from a spreadsheet or a bank: the roster and statement exports.

Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in Windows-1252; Italian
exports separate cells with `;` (the comma is the decimal separator), others with `,` or
a tab; dates are written GG/MM/AAAA. The helpers here read such a file into rows that
keep their line number in the file (so a bad line can be named), parse its dates, and
guard the cells we write against spreadsheet formula injection.
"""

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

_DATE_IT = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# Spreadsheet formula injection: a cell starting with one of these is run as a formula
# by Excel or LibreOffice. Exports prefix it with a quote; imports take the quote off,
# so an exported roster (a phone "+39 …") imports back unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UnreadableText(ValueError):
    """The bytes are neither UTF-8 nor Windows-1252."""


class ControlCharacters(UnreadableText):
    """The text holds control characters (a NUL, an escape): a damaged or binary file,
    refused whole before any line reaches the database (PostgreSQL refuses NUL)."""


# C0 controls but tab, line feed and carriage return; DEL and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, else Windows-1252 (Excel's "CSV (separato da ;)")."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableText("neither UTF-8 nor Windows-1252") from None
    if _CONTROL.search(text):
        raise ControlCharacters("control characters")
    return text


def sniff_delimiter(header: str) -> str:
    """`;` or `,`, whichever the header line holds more of (`;` on a tie)."""
    return ";" if header.count(";") >= header.count(",") else ","


def numbered_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each row of `text` as (line number in the file, cells). A quoted cell may span
    lines, so the number is that of the row's first line (1 = the first line)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num


def is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def parse_date(value: str) -> dt.date | None:
    """GG/MM/AAAA (also with - or .), or AAAA-MM-GG; None if it is not a real date."""
    value = value.strip()
    if match := _DATE_IT.match(value):
        day, month, year = (int(g) for g in match.groups())
    elif match := _DATE_ISO.match(value):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def guard_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unguard_cell(text: str) -> str:
    """The value `guard_cell` protected (any other text is returned as it is)."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
