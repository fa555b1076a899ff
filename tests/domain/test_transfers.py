"""Paying by transfer: SEPA-safe words, the IBAN in groups, the EPC QR code (EPC069-12)."""

import io
import re

from pec.domain import transfers
from tests.qr import decode_qr

SEPA = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]*$")


def png(qr) -> bytes:
    out = io.BytesIO()
    qr.save(out, kind="png", scale=4)
    return out.getvalue()


def test_the_causale_names_the_order_in_the_sepa_character_set():
    text = transfers.causale("K7M4Q9XA")
    assert text == "Rinnovo PEC ordine K7M4Q9XA"
    assert "°" not in text and SEPA.match(text)


def test_sepa_text_drops_accents_degree_signs_and_dashes():
    assert transfers.sepa_text("Rinnovo PEC ordine N° 12 – Società") == (
        "Rinnovo PEC ordine N 12 - Societa"
    )
    assert SEPA.match(transfers.sepa_text("François D'Alsace «S.A.» €"))
    assert len(transfers.sepa_text("x" * 200, 70)) == 70


def test_the_iban_is_shown_in_groups_of_four():
    assert transfers.grouped_iban("it60x0542811101000000123456") == (
        "IT60 X054 2811 1010 0000 0123 456"
    )
    assert transfers.grouped_iban("IT60 X054 2811 1010 0000 0123 456") == (
        "IT60 X054 2811 1010 0000 0123 456"
    )


def test_the_epc_qr_matches_the_guideline_example_and_decodes():
    """EPC069-12 example 2 (see the research notes): the exact 103-byte payload."""
    facts = transfers.TransferFacts(
        beneficiary="François D'Alsace S.A.",
        iban="FR1420041010050500013M02606",
        amount_cents=1230,
        text="Client:Marie Louise La Lune",
    )
    qr = transfers.epc_qr(facts)
    assert qr.error == "M" and qr.version <= 13
    lines = decode_qr(png(qr)).decode("utf-8").split("\n")
    # zbar reads the Latin-1 "ço" as one Shift-JIS character; the rest is byte for byte.
    assert lines[:5] == ["BCD", "002", "2", "SCT", ""]  # charset 2 = ISO-8859-1, no BIC
    assert lines[5].startswith("Fran") and lines[5].endswith("is D'Alsace S.A.")
    assert lines[6:] == [
        "FR1420041010050500013M02606",
        "EUR12.3",
        "",
        "",
        "Client:Marie Louise La Lune",
    ]


class _Order:
    number = "K7M4Q9XA"
    gross_cents = 488


class _Convention:
    iban = "IT60 X054 2811 1010 0000 0123 456"
    beneficiary = "PEC Demo S.r.l. – Convenzione FNOMCeO"


def test_an_orders_qr_holds_iban_beneficiary_amount_and_order_number():
    facts = transfers.transfer_facts(_Order(), _Convention())
    payload = decode_qr(png(transfers.epc_qr(facts))).decode("utf-8").split("\n")
    assert payload[:4] == ["BCD", "002", payload[2], "SCT"]
    assert payload[5] == "PEC Demo S.r.l. - Convenzione FNOMCeO"  # SEPA-safe dash
    assert payload[6] == "IT60X0542811101000000123456"
    assert payload[7] == "EUR4.88"
    assert payload[10] == "Rinnovo PEC ordine K7M4Q9XA"


def test_no_qr_without_an_iban():
    class NoIban(_Convention):
        iban = ""

    assert transfers.transfer_facts(_Order(), NoIban()) is None
