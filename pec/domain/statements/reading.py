"""Which format a statement file is in, told apart by its content (never its name).

A new format family (MT940, a bank's own layout) is a module beside camt.py and
csv_format.py with `FORMAT`, a `looks_like(data)` test when its content says what it is,
and `parse(data) -> Statement`; add it here, before the CSV fallback.
"""

from pec.domain.statements import camt, csv_format
from pec.domain.statements.entries import Statement


def parse(data: bytes, columns: dict | None = None) -> Statement:
    """A CAMT.053 XML document or a CSV export; `columns` names the CSV headers to
    look for (empty settings keep csv_format.DEFAULT_COLUMNS)."""
    if camt.looks_like(data):
        return camt.parse(data)
    return csv_format.parse(data, columns)
