"""CSV files people bring from a spreadsheet or a bank: the roster and statement exports.

Excel saves "CSV UTF-8" with a byte-order mark, plain "CSV" in Windows-1252 and "Testo
Unicode" in UTF-16 with tabs; Italian exports separate cells with `;` (the comma is the
decimal separator), others with `,` or a tab; dates are written GG/MM/AAAA. The helpers
here tell the encoding of each file (and say which lines needed repairing), read it into
rows that keep their line number in the file (so a bad line can be named), parse its
dates, and guard the cells we write against spreadsheet formula injection.
"""

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_DATE_IT = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# Spreadsheet formula injection: a cell starting with one of these is run as a formula
# by Excel or LibreOffice. Exports prefix it with a quote; imports take the quote off,
# so an exported roster (a phone "+39 …") imports back unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# No roster or bank cell needs more: a bank's longest description is a few hundred
# characters. A longer cell is almost always an opening quote that was never closed
# (it swallows the lines after it), so the line is refused and the next one read.
MAX_CELL_CHARS = 5_000

# Why a row could not be read (`numbered_rows`)
CELL_TOO_LONG = "cell_too_long"  # a cell over MAX_CELL_CHARS, or over csv's own limit
UNCLOSED_QUOTE = "unclosed_quote"  # a quoted cell runs over several lines where none may

# Text files that are spreadsheets saved in their own format, not as CSV.
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVALID = re.compile("[\udc80-\udcff]+")  # bytes that were not UTF-8 (surrogateescape)


class UnreadableText(ValueError):
    """The bytes are no text we can read (`code`: encoding, or spreadsheet for an
    .xlsx/.xls file that was not saved as CSV)."""

    def __init__(self, code: str = "encoding"):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RepairedLine:
    """A line whose bytes were not all valid (shown to the operator to check)."""

    line: int
    text: str  # the line as read, shortened
    code: str  # invalid_utf8 (read as Windows-1252) or control_characters (removed)


@dataclass(frozen=True)
class TextFile:
    """A file's text, the encoding it was read in, and the lines that needed repair."""

    text: str
    encoding: str  # utf-8, utf-16, windows-1252
    repaired: tuple[RepairedLine, ...] = field(default=())


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte of the start is NUL (ASCII text
    saved as UTF-16 without a byte-order mark), else None."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2], sample[0::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def _snippet(text: str, line: int) -> str:
    lines = text.splitlines()
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    return shown if len(shown) <= 120 else shown[:119] + "…"


def _utf8_with_repairs(data: bytes) -> TextFile | None:
    """A UTF-8 file with a few invalid bytes: those bytes read as Windows-1252 (one
    invalid byte in a UTF-8 file is almost always a character pasted from a program that
    saved Windows-1252) and their lines listed. None when the file has no valid UTF-8
    beyond ASCII, or fewer valid characters than invalid bytes: a Windows-1252 file."""
    escaped = data.decode("utf-8", errors="surrogateescape")
    runs = list(_INVALID.finditer(escaped))
    invalid = sum(len(run.group()) for run in runs)
    valid_multibyte = sum(1 for c in escaped if ord(c) > 0x7F) - invalid
    if valid_multibyte <= 0 or valid_multibyte < invalid:
        return None
    text = _INVALID.sub(
        lambda run: bytes(ord(c) - 0xDC00 for c in run.group()).decode("cp1252", "replace"),
        escaped,
    )
    lines = sorted({escaped.count("\n", 0, run.start()) + 1 for run in runs})
    repaired = tuple(RepairedLine(n, _snippet(text, n), "invalid_utf8") for n in lines)
    return TextFile(text, "utf-8", repaired)


def read_text(data: bytes) -> TextFile:
    """Tell the encoding of one file: UTF-8 (BOM or not; a few invalid bytes are read as
    Windows-1252 and their lines listed), UTF-16 (BOM, or ASCII-range text without one:
    Excel's "Testo Unicode"), else Windows-1252 (Excel's "CSV (separato da ;)").
    Control characters are removed and their lines listed."""
    if data.startswith(_SPREADSHEET_MAGIC):
        raise UnreadableText("spreadsheet")
    decoded: TextFile | None = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(data):
        encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None
        try:
            text = data.decode(encoding or _utf16_without_bom(data))
        except UnicodeDecodeError:
            raise UnreadableText() from None
        decoded = TextFile(text.lstrip("\ufeff"), "utf-16")
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            decoded = TextFile(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            decoded = _utf8_with_repairs(data)
        if decoded is None:
            if b"\x00" in data:
                raise UnreadableText()
            try:
                decoded = TextFile(data.decode("cp1252"), "windows-1252")
            except UnicodeDecodeError:
                raise UnreadableText() from None
    return _without_control_characters(decoded)


def _without_control_characters(decoded: TextFile) -> TextFile:
    if not _CONTROL.search(decoded.text):
        return decoded
    lines = decoded.text.splitlines(keepends=True)
    cleaned, repaired = [], list(decoded.repaired)
    for number, line in enumerate(lines, 1):
        if _CONTROL.search(line):
            line = _CONTROL.sub("", line)
            repaired.append(RepairedLine(number, line.strip()[:120], "control_characters"))
        cleaned.append(line)
    repaired.sort(key=lambda r: r.line)
    return TextFile("".join(cleaned), decoded.encoding, tuple(repaired))


class ControlCharacters(UnreadableText):
    """The text holds control characters (a NUL, an escape): a damaged or binary file,
    refused whole before any line reaches the database (PostgreSQL refuses NUL)."""


# C0 controls but tab, line feed and carriage return; DEL and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode(data: bytes) -> str:
    """The text of `data` (see read_text), without the list of repaired lines."""
    return read_text(data).text


def sniff_delimiter(header: str) -> str:
    """`;`, `,` or a tab, whichever the header line holds most of (`;` on a tie)."""
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts.values())
    return next(d for d in (";", "\t", ",") if counts[d] == best)


def numbered_rows(
    text: str, delimiter: str, *, multiline: bool = True
) -> Iterator[tuple[int, list[str], str]]:
    """Each row of `text` as (line number in the file, cells, problem). A quoted cell may
    span lines when `multiline`, so the number is that of the row's first line
    (1 = the first line). A row that cannot be read (a cell over MAX_CELL_CHARS, or
    several lines when not `multiline`) comes with empty cells and its problem code, and
    reading goes on from the line after its first one: a stray quote costs one line."""
    lines = io.StringIO(text, newline="").readlines()
    start = 0
    while start < len(lines):
        reader = csv.reader(iter(lines[start:]), delimiter=delimiter)
        consumed = 0
        restart = None
        try:
            for cells in reader:
                line = start + consumed + 1
                spanned = reader.line_num - consumed
                consumed = reader.line_num
                if any(len(c) > MAX_CELL_CHARS for c in cells):
                    problem = CELL_TOO_LONG
                elif spanned > 1 and not multiline:
                    problem = UNCLOSED_QUOTE
                else:
                    yield line, cells, ""
                    continue
                yield line, [], problem
                restart = line
                break
        except csv.Error:  # a cell past csv.field_size_limit (an unclosed quote)
            restart = start + consumed + 1
            yield restart, [], CELL_TOO_LONG
        if restart is None:
            return
        start = restart


def trimmed(cells: list[str]) -> list[str]:
    """`cells` without the empty cells at its end (spreadsheets add empty columns)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


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
