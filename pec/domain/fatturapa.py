"""FatturaPA 1.2.2 electronic invoices between private parties (FPR12), as the Agenzia
delle Entrate's schema (Schema_del_file_xml_FatturaPA_v1.2.2.xsd) describes them.

Only writes XML (the standard library's ElementTree), from plain values: the seller's
identity as frozen on the invoice and the buyer's billing data as frozen on the order
(rule R10). The tests validate every file against the official schema.
"""

import datetime as dt
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from babel import Locale

from pec.domain.billing import is_italy
from pec.vocabulary import InvoiceKind, PaymentMethod

NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
FORMAT = "FPR12"  # "fattura verso privati", version 1.2
NO_SDI_CODE = "0000000"  # delivered to the PEC given, or kept in the buyer's tax drawer
FOREIGN_SDI_CODE = "XXXXXXX"  # a buyer outside Italy
SDI_CODE = re.compile(r"^[A-Z0-9]{7}$")  # a professional's or company's recipient code

# ModalitaPagamento codes of the schema.
PAYMENT_CODES = {
    PaymentMethod.CARD: "MP08",  # carta di pagamento
    PaymentMethod.PAYPAL: "MP08",
    PaymentMethod.BANK_TRANSFER: "MP05",  # bonifico
    PaymentMethod.PREFILLED_SLIP: "MP18",  # bollettino di c/c postale
    PaymentMethod.BLANK_SLIP: "MP18",
}


@dataclass(frozen=True)
class Line:
    description: str
    unit_net_cents: int
    quantity: int = 1
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


@dataclass(frozen=True)
class Document:
    """One invoice or credit note, with everything the file states."""

    kind: InvoiceKind
    number: str  # as printed, e.g. "12/2026"
    issued_on: dt.date
    progressive: str  # the file's ProgressivoInvio, unique per sender
    seller: dict  # pec.domain.invoices.seller_identity
    buyer: dict  # the order's billing snapshot
    vat_rate_bp: int
    net_cents: int
    vat_cents: int
    lines: tuple[Line, ...]
    causale: str = ""
    payment_method: PaymentMethod | None = None  # paid already: how
    corrects: tuple[str, dt.date] | None = None  # a credit note: the invoice's number, date


def latin(text: str, limit: int) -> str:
    """`text` in the schema's character set (Latin-1, one line), at most `limit` long:
    letters outside it lose their accents or become '?'."""
    text = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(
            {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "€": "EUR"}.get(
                char, plain or "?"
            )
        )
    return "".join(out)[:limit].strip() or "-"


def ascii_text(text: str, limit: int) -> str:
    return "".join(c for c in latin(text, limit) if ord(c) < 128)[:limit] or "-"


def amount(cents: int) -> str:
    """Cents as the schema's decimal with two digits: 488 → "4.88"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def rate(basis_points: int) -> str:
    """2200 → "22.00"."""
    return f"{basis_points // 100}.{basis_points % 100:02d}"


_COUNTRIES: dict[str, str] = {}


def country_code(name: str) -> str:
    """ISO 3166 code of a country named in Italian or English (or given as a code)."""
    text = (name or "").strip()
    if not text or is_italy(text):
        return "IT"
    if len(text) == 2 and text.isalpha():
        return text.upper()
    if not _COUNTRIES:
        for language in ("it", "en"):
            for code, label in Locale(language).territories.items():
                if len(code) == 2 and code.isalpha():
                    _COUNTRIES.setdefault(label.casefold(), code)
    return _COUNTRIES.get(text.casefold(), "IT")


def _add(parent, tag: str, text: str | None = None):
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _address(parent, tag: str, data: dict, *, italian: bool) -> None:
    sede = _add(parent, tag)
    _add(sede, "Indirizzo", latin(data.get("address"), 60))
    postal_code = (data.get("postal_code") or "").strip()
    _add(sede, "CAP", postal_code if italian and len(postal_code) == 5 else "00000")
    _add(sede, "Comune", latin(data.get("city"), 60))
    province = (data.get("province") or "").strip().upper()
    if italian and len(province) == 2 and province.isalpha():
        _add(sede, "Provincia", province)
    _add(sede, "Nazione", data["country_code"])


def _recipient(buyer: dict) -> tuple[str, str | None]:
    """CodiceDestinatario and PECDestinatario from the buyer's e-invoicing recipient."""
    if buyer["country_code"] != "IT":
        return FOREIGN_SDI_CODE, None
    recipient = (buyer.get("einvoice_recipient") or "").strip()
    if SDI_CODE.match(recipient.upper()):
        return recipient.upper(), None
    if "@" in recipient:
        return NO_SDI_CODE, recipient
    return NO_SDI_CODE, None


def render(doc: Document) -> str:
    """The invoice file's XML text (UTF-8 declared)."""
    seller = dict(doc.seller, country_code=country_code(doc.seller.get("country") or "IT"))
    buyer = dict(doc.buyer, country_code=country_code(doc.buyer.get("country") or ""))
    ET.register_namespace("p", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}FatturaElettronica", {"versione": FORMAT})

    header = _add(root, "FatturaElettronicaHeader")
    transmission = _add(header, "DatiTrasmissione")
    sender = _add(transmission, "IdTrasmittente")
    _add(sender, "IdPaese", seller["country_code"])
    _add(sender, "IdCodice", seller.get("fiscal_code") or seller["vat_number"])
    _add(transmission, "ProgressivoInvio", doc.progressive)
    _add(transmission, "FormatoTrasmissione", FORMAT)
    code, pec = _recipient(buyer)
    _add(transmission, "CodiceDestinatario", code)
    if pec:
        _add(transmission, "PECDestinatario", pec)

    cedente = _add(header, "CedentePrestatore")
    data = _add(cedente, "DatiAnagrafici")
    vat = _add(data, "IdFiscaleIVA")
    _add(vat, "IdPaese", seller["country_code"])
    _add(vat, "IdCodice", seller["vat_number"])
    if seller.get("fiscal_code"):
        _add(data, "CodiceFiscale", seller["fiscal_code"])
    _add(_add(data, "Anagrafica"), "Denominazione", latin(seller["name"], 80))
    _add(data, "RegimeFiscale", seller.get("tax_regime") or "RF01")
    _address(cedente, "Sede", seller, italian=seller["country_code"] == "IT")

    cessionario = _add(header, "CessionarioCommittente")
    data = _add(cessionario, "DatiAnagrafici")
    if buyer.get("vat_number"):
        vat = _add(data, "IdFiscaleIVA")
        _add(vat, "IdPaese", buyer["country_code"])
        _add(vat, "IdCodice", buyer["vat_number"])
    fiscal_code = (buyer.get("fiscal_code") or "").upper()
    if 11 <= len(fiscal_code) <= 16 and fiscal_code.isalnum():
        _add(data, "CodiceFiscale", fiscal_code)
    names = _add(data, "Anagrafica")
    if buyer.get("company_name"):
        _add(names, "Denominazione", latin(buyer["company_name"], 80))
    else:
        _add(names, "Nome", latin(buyer.get("first_name"), 60))
        _add(names, "Cognome", latin(buyer.get("last_name"), 60))
    _address(cessionario, "Sede", buyer, italian=buyer["country_code"] == "IT")

    body = _add(root, "FatturaElettronicaBody")
    general = _add(body, "DatiGenerali")
    document = _add(general, "DatiGeneraliDocumento")
    _add(document, "TipoDocumento", doc.kind.value)
    _add(document, "Divisa", "EUR")
    _add(document, "Data", doc.issued_on.isoformat())
    _add(document, "Numero", ascii_text(doc.number, 20))
    _add(document, "ImportoTotaleDocumento", amount(doc.net_cents + doc.vat_cents))
    if doc.causale:
        _add(document, "Causale", latin(doc.causale, 200))
    if doc.corrects:
        linked = _add(general, "DatiFattureCollegate")
        _add(linked, "IdDocumento", ascii_text(doc.corrects[0], 20))
        _add(linked, "Data", doc.corrects[1].isoformat())

    goods = _add(body, "DatiBeniServizi")
    for number, line in enumerate(doc.lines, start=1):
        row = _add(goods, "DettaglioLinee")
        _add(row, "NumeroLinea", str(number))
        _add(row, "Descrizione", latin(line.description, 1000))
        _add(row, "Quantita", f"{line.quantity}.00")
        if line.starts_on and line.ends_on:
            _add(row, "DataInizioPeriodo", line.starts_on.isoformat())
            _add(row, "DataFinePeriodo", line.ends_on.isoformat())
        _add(row, "PrezzoUnitario", amount(line.unit_net_cents))
        _add(row, "PrezzoTotale", amount(line.unit_net_cents * line.quantity))
        _add(row, "AliquotaIVA", rate(doc.vat_rate_bp))
        if doc.vat_rate_bp == 0:
            _add(row, "Natura", "N2.2")
    summary = _add(goods, "DatiRiepilogo")
    _add(summary, "AliquotaIVA", rate(doc.vat_rate_bp))
    if doc.vat_rate_bp == 0:
        _add(summary, "Natura", "N2.2")
    _add(summary, "ImponibileImporto", amount(doc.net_cents))
    _add(summary, "Imposta", amount(doc.vat_cents))
    if doc.vat_rate_bp:
        _add(summary, "EsigibilitaIVA", "I")  # immediate

    if doc.payment_method is not None:
        payment = _add(body, "DatiPagamento")
        _add(payment, "CondizioniPagamento", "TP02")  # paid in full
        detail = _add(payment, "DettaglioPagamento")
        _add(detail, "ModalitaPagamento", PAYMENT_CODES[doc.payment_method])
        _add(detail, "ImportoPagamento", amount(doc.net_cents + doc.vat_cents))

    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', "\n")
    )
