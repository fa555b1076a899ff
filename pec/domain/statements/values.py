"""Dates and amounts as banks write them, into dates and integer cents.

Dates: GG/MM/AAAA, GG.MM.AA (two-digit years are this century: statements are recent),
AAAA-MM-GG, each possibly followed by a time ("2022-01-02 12:16:55", "27.02.2015 11:58")
or a UTC offset ("2017-04-01+02:00").

Amounts: a sign in front or behind ("-12,50", "12,50-", "+2250.00"), a currency symbol
or code, thousands separators (dots, commas, spaces, apostrophes) and any number of
decimals as long as they are whole cents ("8.850", "22.500000000"). Whether "," or "."
is the decimal mark is decided once per file (`decimal_mark`): "1.234" is a thousand in
an Italian export and one euro twenty-three and a bit in an English one.
"""

import datetime as dt
import re
from collections.abc import Iterable

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?P<rest>.*)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?P<rest>.*)$")
# What may follow a date: a time, a UTC offset, or both.
_TIME = re.compile(
    r"^(?:[ T]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)

_CURRENCY = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$")
# Thousands separators that are no decimal mark: (narrow) no-break spaces, apostrophes,
# and the replacement character an export leaves where it could not write one of them.
_GROUPING = str.maketrans("", "", " \u00a0\u202f'’\ufffd")
_MAX_DIGITS = 15


def parse_date(value: str) -> dt.date | None:
    """A booking date as banks write it (see the module docstring); None if it is none."""
    value = (value or "").strip()
    if match := _ISO.match(value):
        year, month, day = (int(g) for g in match.groups()[:3])
    elif match := _DAY_FIRST.match(value):
        day, month, year = (int(g) for g in match.groups()[:3])
        if len(match.group(3)) == 2:
            year += 2000
    else:
        return None
    if not _TIME.match(match.group("rest")):
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _bare(text: str) -> tuple[int, str]:
    """(sign, the digits and marks) of an amount as written; ValueError if no amount."""
    cleaned = (text or "").strip().replace("€", "").upper()
    cleaned = _CURRENCY.sub("", cleaned).strip()
    sign = 1
    if cleaned.startswith("(") and cleaned.endswith(")"):
        sign, cleaned = -1, cleaned[1:-1]
    cleaned = cleaned.translate(_GROUPING)
    if cleaned[:1] in "+-" and cleaned:
        sign, cleaned = (-1 if cleaned[0] == "-" else 1) * sign, cleaned[1:]
    elif cleaned[-1:] in ("+", "-") and cleaned:
        sign, cleaned = (-1 if cleaned[-1] == "-" else 1) * sign, cleaned[:-1]
    if not cleaned or not re.fullmatch(r"[\d.,]+", cleaned):
        raise ValueError(text)
    return sign, cleaned


def decimal_mark(values: Iterable[str], default: str = ",") -> str:
    """ "," or ".": the decimal mark the amounts of one file use (`default` when none of
    them shows it, e.g. whole amounts only, or only ambiguous ones like "1.234")."""
    comma = dot = 0
    for value in values:
        try:
            _sign, bare = _bare(value)
        except ValueError:
            continue
        if re.search(r",\d{1,2}$|\.\d{3},", bare) or re.search(r",\d{4,}$", bare):
            comma += 1
        elif re.search(r"\.\d{1,2}$|\.\d{4,}$|,\d{3}\.", bare):
            dot += 1
    if comma == dot:
        return default
    return "," if comma > dot else "."


def parse_cents(text: str, decimal: str = ",") -> int:
    """A signed amount (see the module docstring) in cents, with `decimal` as the decimal
    mark; ValueError on anything else, or on fractions of a cent."""
    sign, bare = _bare(text)
    grouping = "." if decimal == "," else ","
    if decimal in bare:
        whole, _, fraction = bare.rpartition(decimal)
    else:
        whole, fraction = bare, ""
    if grouping in whole:
        groups = whole.split(grouping)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise ValueError(text)
        whole = "".join(groups)
    if not whole:
        whole = "0"
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or decimal in whole:
        raise ValueError(text)
    if len(whole) > _MAX_DIGITS or fraction[2:].strip("0"):
        raise ValueError(text)  # too large, or fractions of a cent
    cents = int(whole) * 100 + int((fraction[:2] or "0").ljust(2, "0"))
    return sign * cents


def xml_cents(text: str) -> int:
    """An ISO 20022 amount (xs:decimal: digits, a dot, any number of decimals) in cents."""
    value = (text or "").strip()
    if not re.fullmatch(r"\d{1,15}(\.\d+)?|\.\d+", value):
        raise ValueError(text)
    return parse_cents(value, ".")
