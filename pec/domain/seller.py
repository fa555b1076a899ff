"""Who sells and who to call: the convention's identity, as an admin sets it.

Italian law wants the seller named before a contract (Codice del Consumo art. 49,
D.Lgs. 70/2003 art. 7) and the data controller's contacts given (GDPR art. 13). These
settings feed the footer of every member page and e-mail, the e-mails' sender, and the
contract texts: a text's placeholders ({venditore}, {titolare}, …) are filled from here,
and a change of identity that changes a filled text publishes it as a new version, so
what a member accepted before keeps its words and hash (rule R10).
"""

import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr

from pec.domain import billing
from pec.domain.billing import INVALID, is_italy, normal_email
from pec.models import Convention

# The identity an admin edits, in the settings form's order.
IDENTITY_FIELDS = (
    "seller_name",
    "seller_address",
    "seller_postal_code",
    "seller_city",
    "seller_province",
    "seller_country",
    "seller_vat_number",
    "seller_fiscal_code",
    "seller_pec",
    "contact_email",
    "contact_phone",
    "office_hours",
    "privacy_controller",
    "dpo_contact",
    "sender_name",
    "sender_address",
)
EMAIL_FIELDS = ("seller_pec", "contact_email", "sender_address")
_PARTY_FIELDS = ("vat_number", "fiscal_code", "postal_code", "province")
MAX_LENGTH = 200

# Error codes (the web layer words them).
LOCAL_SENDER = "local_sender"  # an address at localhost: mail from it looks like phishing
CONTROL = "control"  # a line break or control character (a header injection in a sender)
TOO_LONG = "too_long"

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_PLACEHOLDER_RE = re.compile(r"\{(venditore|titolare|dpo|convenzione|contatti)\}")
PLACEHOLDERS = ("venditore", "titolare", "dpo", "convenzione", "contatti")


# --- Checking what an admin typed ------------------------------------------------------


def is_local_address(address: str) -> bool:
    """An address no one outside this machine can answer: `localhost`, a `.localhost`
    name, or a host name without a dot."""
    domain = parseaddr(address or "")[1].rpartition("@")[2].strip().lower().rstrip(".")
    return (
        not domain
        or domain in {"localhost", "localhost.localdomain"}
        or domain.endswith(".localhost")
        or "." not in domain
    )


def check_identity(raw: Mapping[str, str]) -> tuple[dict, dict]:
    """The identity fields of `raw` trimmed and normalised, and their problems as
    {field: code}. Every field may be left empty (an install fills them in over time);
    a value given must be right."""
    values = {name: str(raw.get(name) or "").strip() for name in IDENTITY_FIELDS}
    errors: dict[str, str] = {}
    for name, value in values.items():
        if _CONTROL_RE.search(value):
            errors[name] = CONTROL
        elif len(value) > MAX_LENGTH:
            errors[name] = TOO_LONG
    values["seller_country"] = values["seller_country"].upper() or "IT"
    if values["sender_address"] and is_local_address(values["sender_address"]):
        errors.setdefault("sender_address", LOCAL_SENDER)
    for name in EMAIL_FIELDS:
        if values[name]:
            normal = normal_email(values[name])
            if normal is None:
                errors.setdefault(name, INVALID)
            else:
                values[name] = normal
    # The codes and the Italian address follow the holders' rules (pec.domain.billing):
    # a sole trader's codice fiscale has 16 characters, a company's 11 digits.
    party = billing.normalise(
        {"person_type": "professional", "country": values["seller_country"]}
        | {name: values[f"seller_{name}"] for name in _PARTY_FIELDS}
    )
    for name, code in billing.problems(party, []).items():
        errors.setdefault(f"seller_{name}", code)
    values |= {f"seller_{name}": getattr(party, name) for name in _PARTY_FIELDS}
    return values, errors


# --- The logo --------------------------------------------------------------------------

LOGO_MAX_BYTES = 6 * 1024  # it is on the login page, whose whole budget is 30 KB
LOGO_MAX_SIDE = 2000


class LogoError(ValueError):
    """A logo refused: `code` is too_large, type (not PNG or JPEG) or broken."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_logo(data: bytes) -> Logo:
    """A PNG or JPEG judged by its content, not its name: the signature, a well-formed
    header with sensible dimensions, and the end marker. SVG is refused (it can carry
    script)."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError("too_large")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type, size = "image/png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        content_type, size = "image/jpeg", _jpeg_size(data)
    else:
        raise LogoError("type")
    if size is None or not all(0 < side <= LOGO_MAX_SIDE for side in size):
        raise LogoError("broken")
    return Logo(data, content_type, *size)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR" or not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The frame size from the first SOF segment, walking the segments from the start."""
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


# --- The identity in words (footer, e-mails, contract texts) ----------------------------


def seller_line(convention: Convention) -> str:
    """'PEC Demo S.r.l., Via Roma 1, 00184 Roma (RM), P.IVA 01234567890, C.F. …, PEC …'."""
    c = convention
    place = " ".join(p for p in (c.seller_postal_code, c.seller_city) if p)
    if c.seller_province:
        place = f"{place} ({c.seller_province})".strip()
    if c.seller_country and not is_italy(c.seller_country):
        place = f"{place}, {c.seller_country}".strip(", ")
    parts = [c.seller_name or c.name, c.seller_address, place]
    if c.seller_vat_number:
        parts.append(f"P.IVA {c.seller_vat_number}")
    if c.seller_fiscal_code and c.seller_fiscal_code != c.seller_vat_number:
        parts.append(f"C.F. {c.seller_fiscal_code}")
    if c.seller_pec:
        parts.append(f"PEC {c.seller_pec}")
    return ", ".join(p for p in parts if p)


def contacts_line(convention: Convention) -> str:
    c = convention
    parts = []
    if c.contact_email:
        parts.append(f"e-mail {c.contact_email}")
    if c.contact_phone:
        parts.append(f"telefono {c.contact_phone}")
    if c.office_hours:
        parts.append(f"orari {c.office_hours}")
    return ", ".join(parts)


def placeholders(convention: Convention) -> dict[str, str]:
    """The words each contract placeholder stands for (contract texts are Italian)."""
    return {
        "venditore": seller_line(convention),
        "titolare": convention.privacy_controller or seller_line(convention),
        "dpo": convention.dpo_contact or "non designato",
        "convenzione": convention.name,
        "contatti": contacts_line(convention) or "vedi il sito della convenzione",
    }


def fill(template: str, convention: Convention) -> str:
    """A contract text with its placeholders filled; other braces are left alone."""
    words = placeholders(convention)
    return _PLACEHOLDER_RE.sub(lambda m: words[m.group(1)], template)
