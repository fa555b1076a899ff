"""ISO 20022 bank-to-customer messages in XML: camt.053 (the end-of-day statement) and
camt.054 (debit and credit notifications), every version (001.02 to 001.10 and on).

Only the few fields we need are read, with the standard library's ElementTree behind
defusedxml (no DTDs, no entities: the file comes from outside). Elements are matched by
local name, whatever their namespace, so every version reads the same; the message is
told by its element (BkToCstmrStmt, BkToCstmrDbtCdtNtfctn), not its namespace. The
differences between versions that matter here are handled where they are read: the
status as `<Sts>BOOK</Sts>` or `<Sts><Cd>BOOK</Cd></Sts>`, a transaction's amount as
`TxDtls/Amt` or `TxDtls/AmtDtls/TxAmt/Amt`.

An entry (Ntry) that batches several transfers is split into its transactions (TxDtls),
each read on its own with its own amount and remittance text, so each is matched to its
own order. A batch whose transactions are not detailed stays one entry, to be matched by
hand.
"""

import datetime as dt
import re

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from pec.domain.statements.entries import (
    Entry,
    Problem,
    Statement,
    StatementFileError,
    content_of,
    eur_cents,
    legacy_derived_reference,
)
from pec.domain.statements.values import parse_date, xml_cents

MESSAGES = {"BkToCstmrStmt": "camt053", "BkToCstmrDbtCdtNtfctn": "camt054"}
REPORTS = ("Stmt", "Ntfctn")  # a statement, or a notification, holds the entries
FORMAT = "camt053"
REMITTANCE = ("Ustrd", "AddtlRmtInf", "AddtlTxInf")


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


def _children(element, name: str) -> list:
    return [c for c in element if _local(c.tag) == name] if element is not None else []


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


def _all(element, names, skip: tuple[str, ...] = ()) -> list[str]:
    """The texts of every descendant named in `names`, in document order (not under `skip`)."""
    found = []
    for child in element:
        name = _local(child.tag)
        if name in skip:
            continue
        if name in names and (child.text or "").strip():
            found.append(" ".join(child.text.split()))
        found.extend(_all(child, names, skip))
    return found


def _leaves(element, skip: tuple[str, ...] = (), path: str = "") -> list[str]:
    """Every field of `element` as "path=value" (the entry's content, for its identity)."""
    leaves = []
    for child in element:
        name = _local(child.tag)
        if name in skip:
            continue
        where = f"{path}/{name}"
        attributes = ",".join(f"{k}={v}" for k, v in sorted(child.attrib.items()))
        if (child.text or "").strip() or attributes:
            leaves.append(f"{where}[{attributes}]={(child.text or '').strip()}")
        leaves.extend(_leaves(child, (), where))
    return leaves


def _date(element) -> dt.date | None:
    return parse_date(_text(element, "Dt") or _text(element, "DtTm"))


def parse(data: bytes) -> Statement:
    """The entries (Ntry) of a camt.053 statement or camt.054 notification."""
    encoding = declared_encoding(data)
    if encoding is not None and encoding.strip().lower() not in ENCODINGS:
        raise StatementFileError("xml_encoding", encoding[:40])
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as error:
        raise StatementFileError("xml", str(error)[:200]) from None
    message = next((c for c in root if _local(c.tag) in MESSAGES), None)
    if message is None and _local(root.tag) in MESSAGES:
        message = root
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if message is None and any(f"camt.{n}." in namespace for n in ("053", "054")):
        raise StatementFileError("empty")
    if message is None:
        raise StatementFileError("not_camt", namespace or _local(root.tag))
    statement = Statement(MESSAGES[_local(message.tag)])
    position = 0
    for report in (c for c in message if _local(c.tag) in REPORTS):
        fallback = _report_day(message, report)
        for ntry in _children(report, "Ntry"):
            position += 1
            _read_entry(statement, position, ntry, fallback)
    if position == 0:
        raise StatementFileError("empty")
    return statement


def _report_day(message, report) -> dt.date | None:
    """The day of a statement, for entries that give no date (some banks leave them
    out): the end of its period, its creation, its closing balance, the message's."""
    closing = next(
        (b for b in _children(report, "Bal") if _text(b, "Tp", "CdOrPrtry", "Cd") == "CLBD"),
        None,
    )
    for value in (
        _text(report, "FrToDt", "ToDtTm"),
        _text(report, "CreDtTm"),
        _text(closing, "Dt", "Dt") or _text(closing, "Dt", "DtTm"),
        _text(message, "GrpHdr", "CreDtTm"),
    ):
        if day := parse_date(value):
            return day
    return None


def _amount(element, problems, position) -> tuple[int | None, str]:
    """(cents, currency) of an Amt element; a problem when it is no amount."""
    raw = (element.text or "") if element is not None else ""
    try:
        return xml_cents(raw), (element.get("Ccy") or "EUR").upper()
    except ValueError:
        problems.append(Problem(position, "amount_invalid", raw.strip()[:40]))
        return None, ""


def _transaction_amount(tx):
    """A transaction's amount: `Amt` from version 04 on, `AmtDtls/TxAmt/Amt` before."""
    for path in (("Amt",), ("AmtDtls", "TxAmt", "Amt"), ("AmtDtls", "InstdAmt", "Amt")):
        found = _child(tx, *path)
        if found is not None:
            return found
    return None


def _references(tx) -> tuple[str, ...]:
    refs = _child(tx, "Refs")
    names = ("EndToEndId", "TxId", "InstrId", "UETR", "AcctSvcrRef", "MsgId", "PmtInfId")
    return tuple(dict.fromkeys(v for v in (_text(refs, n) for n in names) if v))


def _read_entry(statement: Statement, position: int, ntry, report_day) -> None:
    amount, currency = _amount(_child(ntry, "Amt"), statement.problems, position)
    if amount is None:
        return
    booked_on = _date(_child(ntry, "BookgDt")) or _date(_child(ntry, "ValDt")) or report_day
    if booked_on is None:
        statement.problems.append(Problem(position, "date_invalid"))
        return
    direction = _text(ntry, "CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        statement.problems.append(Problem(position, "direction_invalid", direction))
        return
    transactions = [
        tx for details in _children(ntry, "NtryDtls") for tx in _children(details, "TxDtls")
    ]
    batch_size = max(
        [len(transactions)]
        + [
            int(n)
            for details in _children(ntry, "NtryDtls")
            if (n := _text(details, "Btch", "NbOfTxs")).isdigit()
        ]
    )
    entry_fields = _leaves(ntry, skip=("NtryDtls",))
    common = {
        "line": position,
        "booked_on": booked_on,
        "currency": currency,
        # A reversal flag, return information, or the bank transaction code of a
        # received transfer taken back (RRTN return, RPCR cancellation request).
        "is_reversal": _text(ntry, "RvslInd").lower() in ("true", "1")
        or any(_child(tx, "RtrInf") is not None for tx in transactions)
        or _text(ntry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd") in ("RRTN", "RPCR"),
        "is_booked": (_text(ntry, "Sts", "Cd") or _text(ntry, "Sts")) in ("", "BOOK"),
        "legacy_references": _legacy(ntry),
    }
    amounts = [_transaction_amount(tx) for tx in transactions]
    if len(transactions) > 1 and all(a is not None for a in amounts):
        for part, (tx, element) in enumerate(zip(transactions, amounts, strict=True), 1):
            cents, tx_currency = _amount(element, statement.problems, position)
            if cents is None:
                continue
            tx_direction = _text(tx, "CdtDbtInd") or direction
            parts = _all(tx, REMITTANCE) + _creditor_references(tx)
            statement.entries.append(
                Entry(
                    **(common | {"currency": tx_currency}),
                    part=part,
                    amount_cents=cents,
                    is_credit=tx_direction == "CRDT",
                    text=" ".join(parts),
                    text_parts=tuple(_all(tx, ("Ustrd",))),
                    bank_reference=_text(tx, "Refs", "AcctSvcrRef"),
                    other_references=_references(tx),
                    content=content_of(entry_fields + _leaves(tx)),
                )
            )
        return
    tx = transactions[0] if transactions else None
    parts = (_all(tx, REMITTANCE) + _creditor_references(tx) if tx is not None else []) + _all(
        ntry, ("AddtlNtryInf",), skip=("NtryDtls",)
    )
    statement.entries.append(
        Entry(
            **common,
            amount_cents=amount,
            is_credit=direction == "CRDT",
            text=" ".join(parts),
            text_parts=tuple(_all(tx, ("Ustrd",))) if tx is not None else (),
            # The first version's order: the entry's own references, then the transaction's.
            bank_reference=_text(ntry, "AcctSvcrRef")
            or _text(ntry, "NtryRef")
            or (_text(tx, "Refs", "AcctSvcrRef") if tx is not None else ""),
            other_references=_references(tx) if tx is not None else (),
            content=content_of(_leaves(ntry)),
            batch_without_details=batch_size > 1,
        )
    )


def _creditor_references(tx) -> list[str]:
    """Structured references (RF creditor reference, a bank's own): member may put the
    order number there."""
    return [
        " ".join(ref.text.split())
        for strd in _children(_child(tx, "RmtInf"), "Strd")
        for info in _children(strd, "CdtrRefInf")
        for ref in _children(info, "Ref")
        if (ref.text or "").strip()
    ]


def _legacy(ntry) -> tuple[str, ...]:
    """The identity the first version of this importer gave the whole entry (see
    entries.legacy_derived_reference), so its payments are still recognised."""
    reference = (
        _text(ntry, "AcctSvcrRef")
        or _text(ntry, "NtryRef")
        or _text(ntry, "NtryDtls", "TxDtls", "Refs", "AcctSvcrRef")
    )
    if reference:
        return (reference,)
    amount = _child(ntry, "Amt")
    try:
        cents = eur_cents((amount.text or "") if amount is not None else "")
    except ValueError:
        return ()
    booked_on = None
    for name in ("BookgDt", "ValDt"):
        booked = _child(ntry, name)
        try:
            booked_on = dt.date.fromisoformat(_text(booked, "Dt") or _text(booked, "DtTm")[:10])
            break
        except ValueError:
            continue
    if booked_on is None:
        return ()
    wanted = {"Ustrd", "Ref", "AddtlTxInf", "AddtlNtryInf"}
    texts = [
        (e.text or "").strip()
        for e in ntry.iter()
        if _local(e.tag) in wanted and (e.text or "").strip()
    ]
    return (legacy_derived_reference(booked_on, cents, " ".join(texts)),)
