"""Which format a statement file is in, told apart by its content (never its name), and
the identity of each entry read (entries.identify).

A new format family is a module beside camt.py, mt940_format.py and csv_format.py with
`FORMAT`, a `looks_like(data)` test when its content says what it is, and
`parse(data) -> Statement`; add it here, before the CSV fallback. A bank's own CSV
layout is a profile in banks.py, not a module.
"""

from pec.domain.statements import camt, csv_format, mt940_format
from pec.domain.statements.entries import Statement, identify


def parse(data: bytes, columns: dict | None = None) -> Statement:
    """An ISO 20022 camt.053/camt.054 XML document, a SWIFT MT940 statement or a CSV
    export; `columns` adds CSV header names to the generic profile's defaults."""
    if camt.looks_like(data):
        statement = camt.parse(data)
    elif mt940_format.looks_like(data):
        statement = mt940_format.parse(data)
    else:
        statement = csv_format.parse(data, columns)
    statement.entries = identify(statement.entries)
    return statement
