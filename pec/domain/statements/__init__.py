"""Bank statement import (docs/rules.md, Operators): reading a bank's file into entries, and matching
those entries to orders.

- entries.py: Entry, Statement and Problem, what every format is read into, and the
  identity of each entry (the bank's unique reference, else content and position);
- reading.py: parse(), which tells the format apart by content;
- csv_format.py (bank CSV exports, one profile per bank in banks.py), camt.py (ISO 20022
  camt.053 and camt.054 XML) and mt940_format.py (SWIFT MT940): one module per format
  family; values.py reads their dates and amounts; legacy.py the identities the first
  version gave CSV lines;
- matching.py: plan (preview), apply (import), register_entry (a manual match).

Callers import the names below from `pec.domain.statements`.
"""

from pec.domain.statements.entries import (
    Entry,
    Problem,
    Statement,
    StatementFileError,
    derived_reference,
)
from pec.domain.statements.matching import (
    DONE,
    FLAGGED,
    IGNORED,
    KINDS,
    MANUAL,
    MATCHED,
    PROVIDER,
    REASONS,
    RECONCILED,
    REVERSAL,
    Decision,
    Preview,
    apply,
    find_order,
    order_numbers_in,
    plan,
    predict,
    register_entry,
)
from pec.domain.statements.reading import parse

__all__ = [
    "DONE",
    "FLAGGED",
    "IGNORED",
    "KINDS",
    "MANUAL",
    "MATCHED",
    "PROVIDER",
    "REASONS",
    "RECONCILED",
    "REVERSAL",
    "Decision",
    "Entry",
    "Preview",
    "Problem",
    "Statement",
    "StatementFileError",
    "apply",
    "derived_reference",
    "find_order",
    "order_numbers_in",
    "parse",
    "plan",
    "predict",
    "register_entry",
]
