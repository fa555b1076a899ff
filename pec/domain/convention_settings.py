"""A convention's settings and contract texts, changed by an admin (docs/rules.md, Operators).

Orders freeze price, VAT and duration when created (R9), so a change here only
affects orders created afterwards. A contract text is never edited: a new version is a
new row and the old one stops being current (R10).
"""

import re
from decimal import Decimal, InvalidOperation

from peewee import fn
from stdnum import iban as iban_numbers

from pec.database import write_transaction
from pec.domain import audit, seller
from pec.models import ContractDocument, Convention
from pec.vocabulary import PaymentMethod

SETTINGS = (
    "price_cents",
    "vat_rate_bp",
    "duration_years",
    "reminder_offsets",
    "expiring_window_days",
    "restore_window_days",
    "declared_payment_hold_days",
    "document_retention_days",
    "iban",
    "beneficiary",
    "postal_account",
    "enabled_methods",
    "seller",
    "tax_regime",
)

# FatturaPA's RegimeFiscale codes a convention may invoice under (RF01 ordinario is the
# usual one; RF19 forfettario; RF02 contribuenti minimi).
TAX_REGIMES = ("RF01", "RF02", "RF19")


def parse_rate(text: str) -> int:
    """'22', '22%', '4,5' → basis points (2200, 450). Raises ValueError otherwise."""
    cleaned = (text or "").replace("%", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a rate") from None
    if not value.is_finite() or value < 0 or value > 100 or value.as_tuple().exponent < -2:
        raise ValueError("not a rate")
    return int(value * 100)


def parse_offsets(text: str) -> str:
    """'60, 30,15 7 1' → '60,30,15,7,1' (days before expiry, 0-365, most distant first)."""
    parts = [p for p in re.split(r"[,;\s]+", text or "") if p]
    if not parts or not all(p.isdigit() and int(p) <= 365 for p in parts):
        raise ValueError("offsets are whole days between 0 and 365")
    return ",".join(str(d) for d in sorted({int(p) for p in parts}, reverse=True))


def parse_iban(text: str) -> str:
    """An IBAN in compact form, '' for none; raises ValueError on a bad check digit."""
    if not (text or "").strip():
        return ""
    if not iban_numbers.is_valid(text):
        raise ValueError("invalid IBAN")
    return iban_numbers.compact(text)


def parse_postal_account(text: str) -> str:
    cleaned = re.sub(r"\s+", "", text or "")
    if cleaned and not cleaned.isdigit():
        raise ValueError("a postal account is made of digits")
    return cleaned


def missing_payment_details(values: dict) -> list[str]:
    """Enabled methods need their details: a transfer the IBAN and beneficiary, a slip
    the postal account."""
    methods = [PaymentMethod(m) for m in values["enabled_methods"].split(",") if m]
    missing = []
    if any(m.is_bank_transfer for m in methods):
        missing += [k for k in ("iban", "beneficiary") if not values[k]]
    if any(m.is_postal for m in methods) and not values["postal_account"]:
        missing.append("postal_account")
    return missing


def methods_value(methods) -> str:
    chosen = set(methods)
    return ",".join(m for m in PaymentMethod if m in chosen)


def update_convention(convention: Convention, values: dict, *, actor: str, ip: str = "") -> dict:
    """Save the settings that changed and audit them; returns {field: (before, after)}."""
    changes = {
        k: (getattr(convention, k), values[k])
        for k in SETTINGS
        if k in values and getattr(convention, k) != values[k]
    }
    if changes:
        with write_transaction():
            Convention.update({k: after for k, (_before, after) in changes.items()}).where(
                Convention.id == convention.id
            ).execute()
            audit.record(
                actor,
                "convention.updated",
                convention,
                {
                    "before": {k: b for k, (b, _a) in changes.items()},
                    "after": {k: a for k, (_b, a) in changes.items()},
                },
                ip=ip,
            )
        for k, (_before, after) in changes.items():
            setattr(convention, k, after)
    return changes


def add_contract_version(
    convention: Convention, code: str, title: str, body: str, *, actor: str, ip: str = ""
) -> ContractDocument:
    """A new current version of document `code`; earlier versions stay as accepted.

    `body` is what the operator wrote: its placeholders ({venditore}, {titolare}, …)
    are filled from the convention's identity, and the filled text is what members
    read, accept and hash (R10)."""
    template = body.replace("\r\n", "\n")
    with write_transaction():
        latest = (
            ContractDocument.select(fn.MAX(ContractDocument.version))
            .where((ContractDocument.convention == convention) & (ContractDocument.code == code))
            .scalar()
        )
        ContractDocument.update(is_current=False).where(
            (ContractDocument.convention == convention) & (ContractDocument.code == code)
        ).execute()
        document = ContractDocument.create(
            convention=convention,
            code=code,
            version=(latest or 0) + 1,
            title=title.strip(),
            body=seller.fill(template, convention),
            template=template,
            is_current=True,
        )
        audit.record(
            actor,
            "contract.version_added",
            document,
            {"code": code, "version": document.version},
            ip=ip,
        )
    return document


# --- The seller's identity and logo (pec.domain.seller judges them) ---------------------


def update_identity(convention: Convention, values: dict, *, actor: str, ip: str = "") -> dict:
    """Save the identity fields that changed, audited, and publish a new version of each
    current contract text whose filled words change; returns {field: (before, after)}."""
    changes = {
        k: (getattr(convention, k), values[k])
        for k in seller.IDENTITY_FIELDS
        if k in values and getattr(convention, k) != values[k]
    }
    if not changes:
        return changes
    with write_transaction():
        Convention.update({k: after for k, (_b, after) in changes.items()}).where(
            Convention.id == convention.id
        ).execute()
        for k, (_before, after) in changes.items():
            setattr(convention, k, after)
        audit.record(
            actor,
            "convention.identity_updated",
            convention,
            {
                "before": {k: b for k, (b, _a) in changes.items()},
                "after": {k: a for k, (_b, a) in changes.items()},
            },
            ip=ip,
        )
        refresh_contract_texts(convention, actor=actor, ip=ip)
    return changes


def refresh_contract_texts(convention: Convention, *, actor: str, ip: str = "") -> list:
    """A new version of every current document whose template fills to other words
    than its body now; the versions members accepted stay as they were (R10)."""
    published = []
    for document in list(ContractDocument.current_for(convention)):
        if not document.template:
            continue
        if seller.fill(document.template, convention) != document.body:
            published.append(
                add_contract_version(
                    convention,
                    document.code,
                    document.title,
                    document.template,
                    actor=actor,
                    ip=ip,
                )
            )
    return published


def set_logo(convention: Convention, logo: seller.Logo | None, *, actor: str, ip: str = "") -> None:
    """Store (or, with None, remove) the convention's logo, audited."""
    values = (
        dict(logo=logo.data, logo_type=logo.content_type, logo_sha256=logo.sha256)
        | dict(logo_width=logo.width, logo_height=logo.height)
        if logo
        else dict(logo=None, logo_type="", logo_sha256="", logo_width=0, logo_height=0)
    )
    with write_transaction():
        Convention.update(values).where(Convention.id == convention.id).execute()
        audit.record(
            actor,
            "convention.logo_set" if logo else "convention.logo_removed",
            convention,
            {"sha256": values["logo_sha256"], "bytes": len(logo.data) if logo else 0},
            ip=ip,
        )
    for k, v in values.items():
        setattr(convention, k, v)
