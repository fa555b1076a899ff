"""SWIFT MT940 statements, read by the `mt-940` library (wolph/mt940).

Each `:61:` statement line is an entry: its entry date (else its value date), amount and
debit/credit mark (`RC`, a reversal of a credit, is money taken back; `RD` money given
back), the bank's reference after `//` when there is one, and the `:86:` text. `:86:`
comes in lines of 65 characters, so its lines are kept apart too (Entry.text_parts): an
order number cut at a line end is still found. Most banks write "NONREF" as the
customer reference, which is never taken as an identity.

Some banks bend the `:61:` layout; the library ships their variants as tags, tried in
turn when the standard one refuses the file.
"""

import datetime as dt
import re
from decimal import Decimal

import mt940
from mt940 import tags

from pec.domain.csv_files import UnreadableText, read_text
from pec.domain.statements.entries import (
    Entry,
    Problem,
    Statement,
    StatementFileError,
    content_of,
    is_placeholder,
)

FORMAT = "mt940"
_MARKERS = re.compile(r"(^|[\r\n]):(20|25|28C?|60[FM]|61):", re.MULTILINE)
# The fixes the library makes opt-in until its next major release.
_OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    non_swift_free_text=True,
)
_VARIANTS = (None, tags.StatementASNB(), tags.StatementGLS())


def looks_like(data: bytes) -> bool:
    """SWIFT field tags (":20:", ":25:", ":61:" …) at the start of lines."""
    head = data[:8000].decode("latin-1")
    return len({m.group(2) for m in _MARKERS.finditer(head)}) >= 2 and b":61:" in data


def _transactions(text: str):
    error = ""
    for variant in _VARIANTS:
        try:
            extra = {variant.id: variant} if variant is not None else None
            return mt940.parse(text, tags=extra, options=_OPTIONS)
        except Exception as refused:  # the library raises RuntimeError, ValueError, …
            error = error or str(refused).split("\n", 1)[0][:200]
    raise StatementFileError("mt940", error)


def _cents(amount) -> int | None:
    value = Decimal(str(amount.amount)) * 100
    return int(value) if value == value.to_integral_value() else None


def parse(data: bytes) -> Statement:
    """The `:61:` lines of one or more MT940 statements."""
    try:
        decoded = read_text(data)
    except UnreadableText as error:
        raise StatementFileError(error.code) from None
    statement = Statement(FORMAT, repaired=decoded.repaired)
    for position, transaction in enumerate(_transactions(decoded.text), 1):
        values = transaction.data
        amount = values.get("amount")
        cents = _cents(amount) if amount is not None else None
        day = values.get("entry_date") or values.get("date")  # the library's own Date type
        booked_on = dt.date(day.year, day.month, day.day) if day is not None else None
        if cents is None:
            statement.problems.append(Problem(position, "amount_invalid", str(amount)))
            continue
        if booked_on is None:
            statement.problems.append(Problem(position, "date_invalid"))
            continue
        mark = (values.get("status") or "").upper()
        details = values.get("transaction_details") or ""
        parts = tuple(" ".join(p.split()) for p in details.splitlines() if p.strip())
        customer = (values.get("customer_reference") or "").strip()
        extra = (values.get("extra_details") or "").strip()
        statement.entries.append(
            Entry(
                line=position,
                booked_on=booked_on,
                amount_cents=abs(cents),
                is_credit=mark in ("C", "RD"),
                text=" ".join(p for p in (" ".join(parts), extra) if p),
                currency=(values.get("currency") or amount.currency or "EUR").upper(),
                is_reversal=mark.startswith("R"),
                bank_reference=(values.get("bank_reference") or "").strip(),
                other_references=() if is_placeholder(customer) else (customer,),
                content=content_of(
                    [
                        values.get("date"),
                        booked_on,
                        mark,
                        cents,
                        values.get("id"),
                        customer,
                        values.get("bank_reference"),
                        extra,
                        details,
                    ]
                ),
                text_parts=parts,
            )
        )
    if not statement.entries and not statement.problems:
        raise StatementFileError("empty")
    return statement
