"""What a member needs to pay by bank transfer: the causale, the IBAN as people read
it, and the European "SEPA credit transfer" QR code that banking apps scan (EPC069-12).

Banks carry only the SEPA character set (a-z, A-Z, 0-9 and / - ? : ( ) . , ' + space):
a "°" or an en dash in a causale or a name may be dropped or refused along the way, and
then the statement import cannot find the order number. So every text that travels with
the money is written in that set.
"""

import re
import unicodedata
from dataclasses import dataclass

from segno import QRCode, helpers

_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "’": "'", "‘": "'", "°": " "})
BENEFICIARY_MAX = 70  # EPC069-12 AT-21
TEXT_MAX = 140  # EPC069-12 AT-05, unstructured


def sepa_text(text: str, limit: int | None = None) -> str:
    """`text` in the SEPA character set: accents dropped (è → e), dashes and quotes
    simplified, anything else a space; runs of spaces collapsed."""
    plain = unicodedata.normalize("NFKD", (text or "").translate(_DASHES))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"\s+", " ", _NOT_SEPA.sub(" ", plain)).strip()
    return plain[:limit].rstrip() if limit else plain


def causale(order_number: str) -> str:
    """The transfer's or slip's reason: the order number, which the statement import
    looks for, in words any bank carries."""
    return f"Rinnovo PEC ordine {order_number}"


def grouped_iban(iban: str) -> str:
    """'IT60 X054 2811 1010 0000 0123 456': the IBAN in groups of four, as printed."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True)
class TransferFacts:
    """What the EPC QR code of a transfer holds; kept as plain values so an e-mail can
    draw the same code again at delivery."""

    beneficiary: str
    iban: str
    amount_cents: int
    text: str

    def as_dict(self) -> dict:
        return dict(
            beneficiary=self.beneficiary,
            iban=self.iban,
            amount_cents=self.amount_cents,
            text=self.text,
        )


def transfer_facts(order, convention, amount_cents: int | None = None) -> TransferFacts | None:
    """The QR facts of an order paid by transfer, for `amount_cents` (what is still
    missing; the order's total by default); None without an IBAN or beneficiary."""
    iban = re.sub(r"\s+", "", convention.iban or "").upper()
    beneficiary = sepa_text(convention.beneficiary, BENEFICIARY_MAX)
    if not iban or not beneficiary or not order.number:
        return None
    amount = order.gross_cents if amount_cents is None else amount_cents
    if amount <= 0:
        return None
    return TransferFacts(beneficiary, iban, amount, causale(order.number))


def epc_qr(facts: TransferFacts | dict) -> QRCode:
    """The EPC069-12 "SCT" QR code (version 002, error correction M) of a transfer."""
    if isinstance(facts, dict):
        facts = TransferFacts(**facts)
    return helpers.make_epc_qr(
        name=facts.beneficiary,
        iban=facts.iban,
        amount=f"{facts.amount_cents // 100}.{facts.amount_cents % 100:02d}",
        text=sepa_text(facts.text, TEXT_MAX),
    )
