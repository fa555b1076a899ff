"""ISO 20022 bank-to-customer statements in XML: camt.053 (the end-of-day statement).

Only the few fields we need are read, with the standard library's ElementTree behind
defusedxml (no DTDs, no entities: the file comes from outside). Elements are matched by
local name, so every camt.053 version (001.02 onwards) reads the same. Another message of
the family (camt.054 notifications, camt.052 intraday reports) has the same Ntry
entries: accept its namespace in `parse` and reuse `_entry`.
"""

import datetime as dt
import re
from collections.abc import Iterable

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from pec.domain.statements.entries import (
    Entry,
    Problem,
    Statement,
    StatementFileError,
    derived_reference,
    eur_cents,
)

FORMAT = "camt053"
CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."


# The encodings we read. Anything else declared (UTF-7, EBCDIC, a name Python does not
# know) is refused with its name, not left to the XML parser's own error.
ENCODINGS = {"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "utf16"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']{0,40})["']""")


def declared_encoding(data: bytes) -> str | None:
    """The encoding an XML declaration names (None without one: then UTF-8 or UTF-16 by
    the byte-order mark). A UTF-16 file's declaration is read in UTF-16."""
    head = data[:400]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    found = _DECLARED.match(head.lstrip(b"\xef\xbb\xbf"))
    return found.group(1).decode("ascii", errors="replace") if found else None


def looks_like(data: bytes) -> bool:
    """An XML document (ours to read, or refused with a clear reason): it starts with `<`
    (after a UTF-8 byte-order mark and blanks), or with a UTF-16 byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element, *path):
    """The first descendant along `path` of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _text(element, *path) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _texts(element, names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [
        (e.text or "").strip()
        for e in element.iter()
        if _local(e.tag) in wanted and (e.text or "").strip()
    ]


def _date(element) -> dt.date | None:
    value = _text(element, "Dt") or _text(element, "DtTm")[:10]
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse(data: bytes) -> Statement:
    """The entries (Ntry) of a camt.053.001.02 or later statement."""
    encoding = declared_encoding(data)
    if encoding is not None and encoding.strip().lower() not in ENCODINGS:
        raise StatementFileError("xml_encoding", encoding[:40])
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException) as error:
        raise StatementFileError("xml", str(error)[:200]) from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if not namespace.startswith(CAMT053_NAMESPACE):
        raise StatementFileError("not_camt", namespace or _local(root.tag))
    statement = Statement(FORMAT)
    position = 0
    for ntry in (e for e in root.iter() if _local(e.tag) == "Ntry"):
        position += 1
        _entry(statement, position, ntry)
    if position == 0:
        raise StatementFileError("empty")
    return statement


def _entry(statement: Statement, position: int, ntry) -> None:
    amount = _child(ntry, "Amt")
    try:
        cents = eur_cents((amount.text or "") if amount is not None else "")
    except ValueError:
        statement.problems.append(
            Problem(position, "amount_invalid", (amount.text or "") if amount is not None else "")
        )
        return
    booked_on = _date(_child(ntry, "BookgDt")) or _date(_child(ntry, "ValDt"))
    if booked_on is None:
        statement.problems.append(Problem(position, "date_invalid"))
        return
    status = _text(ntry, "Sts", "Cd") or _text(ntry, "Sts")
    text = " ".join(_texts(ntry, ("Ustrd", "Ref", "AddtlTxInf", "AddtlNtryInf")))
    reference = (
        _text(ntry, "AcctSvcrRef")
        or _text(ntry, "NtryRef")
        or _text(ntry, "NtryDtls", "TxDtls", "Refs", "AcctSvcrRef")
    )
    derived = not reference
    statement.entries.append(
        Entry(
            line=position,
            booked_on=booked_on,
            amount_cents=cents,
            is_credit=_text(ntry, "CdtDbtInd") == "CRDT",
            reference=reference or derived_reference(booked_on, cents, text),
            text=text,
            currency=(amount.get("Ccy") or "EUR").upper(),
            is_derived_reference=derived,
            is_reversal=_text(ntry, "RvslInd").lower() == "true",
            is_booked=status in ("", "BOOK"),
        )
    )
