"""Billing data of an order (SPEC §2.6): normalisation and validation, no Flask.

`validate()` returns every problem at once as {field: code}; the form maps codes to
messages so each error sits next to its field and nothing typed is lost.
"""

import re
from dataclasses import asdict, dataclass, fields

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva

from pec.domain.provinces import is_province
from pec.vocabulary import PersonType

ITALY = "Italia"
_ITALY_NAMES = {"italia", "italy", "it", "ita"}
_SDI_RE = re.compile(r"^[A-Z0-9]{7}$")
_CAP_RE = re.compile(r"^\d{5}$")
_PHONE_RE = re.compile(r"^\+?[\d\s./-]{6,20}$")

# Error codes
REQUIRED = "required"
INVALID = "invalid"
CHECKSUM = "checksum"
COMPANY_CF = "company_cf"
CAP = "cap"
PROVINCE = "province"


@dataclass(frozen=True)
class BillingData:
    """The billing form, normalised; `asdict()` of it is the order's snapshot (R10)."""

    person_type: str = PersonType.PERSON
    fiscal_code: str = ""
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    vat_number: str = ""
    einvoice_recipient: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    province: str = ""
    country: str = ITALY
    phone: str = ""
    fax: str = ""
    email: str = ""

    @property
    def is_italy(self) -> bool:
        return is_italy(self.country)

    @property
    def needs_vat(self) -> bool:
        """Libero professionista and Azienda invoice with a Partita IVA and an SDI/PEC."""
        return self.person_type in (PersonType.PROFESSIONAL, PersonType.COMPANY)

    @property
    def display_name(self) -> str:
        if self.person_type == PersonType.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    def snapshot(self) -> dict:
        return asdict(self)


FIELD_NAMES = tuple(f.name for f in fields(BillingData))


def is_italy(country: str) -> bool:
    return (country or "").strip().lower() in _ITALY_NAMES


def _upper_compact(value: str) -> str:
    return re.sub(r"[\s.-]", "", value or "").upper()


def normalise(raw: dict) -> BillingData:
    """Trim everything; upper-case codes; drop values that do not apply to the type."""
    values = {name: str(raw.get(name) or "").strip() for name in FIELD_NAMES}
    values["fiscal_code"] = _upper_compact(values["fiscal_code"])
    values["vat_number"] = re.sub(r"^IT", "", _upper_compact(values["vat_number"]))
    values["province"] = values["province"].upper()
    values["email"] = values["email"].lower()
    recipient = values["einvoice_recipient"]
    values["einvoice_recipient"] = recipient.lower() if "@" in recipient else recipient.upper()
    if is_italy(values["country"]):
        values["country"] = ITALY
    if values["person_type"] not in tuple(PersonType):
        values["person_type"] = PersonType.PERSON
    if values["person_type"] == PersonType.COMPANY:
        values["first_name"] = values["last_name"] = ""
    else:
        values["company_name"] = ""
    if values["person_type"] == PersonType.PERSON:
        values["vat_number"] = values["einvoice_recipient"] = ""
    return BillingData(**values)


def fiscal_code_error(code: str, person_type: str) -> str | None:
    """CF with its check character: 16 characters (omocodic ones too) or 11 digits
    (a company's, or a person's temporary code)."""
    if not code:
        return REQUIRED
    if person_type == PersonType.COMPANY and len(code) != 11:
        return COMPANY_CF
    if len(code) not in (11, 16):
        return INVALID
    try:
        codicefiscale.validate(code)
    except ValidationError as error:
        return CHECKSUM if "checksum" in type(error).__name__.lower() else INVALID
    return None


def vat_number_error(number: str) -> str | None:
    if not number:
        return REQUIRED
    if not number.isdigit() or len(number) != 11:
        return INVALID
    try:
        iva.validate(number)
    except ValidationError as error:
        return CHECKSUM if "checksum" in type(error).__name__.lower() else INVALID
    return None


def email_error(address: str) -> str | None:
    if not address:
        return REQUIRED
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return INVALID
    return None


def einvoice_recipient_error(value: str) -> str | None:
    """A 7-character SDI code or a (PEC) e-mail address."""
    if not value:
        return REQUIRED
    if "@" in value:
        return email_error(value)
    return None if _SDI_RE.match(value) else INVALID


def validate(data: BillingData) -> dict[str, str]:
    """Every problem of `data` as {field name: error code}; empty when valid."""
    errors: dict[str, str] = {}
    required = ["address", "postal_code", "city", "country", "phone"]
    required += (
        ["company_name"] if data.person_type == PersonType.COMPANY else ["first_name", "last_name"]
    )
    if data.is_italy:
        required.append("province")
    for name in required:
        if not getattr(data, name):
            errors[name] = REQUIRED
    if problem := fiscal_code_error(data.fiscal_code, data.person_type):
        errors["fiscal_code"] = problem
    if problem := email_error(data.email):
        errors["email"] = problem
    if data.needs_vat:
        if problem := vat_number_error(data.vat_number):
            errors["vat_number"] = problem
        if problem := einvoice_recipient_error(data.einvoice_recipient):
            errors["einvoice_recipient"] = problem
    if data.is_italy:
        if data.postal_code and not _CAP_RE.match(data.postal_code):
            errors["postal_code"] = CAP
        if data.province and not is_province(data.province):
            errors["province"] = PROVINCE
    if data.phone and not _PHONE_RE.match(data.phone):
        errors["phone"] = INVALID
    if data.fax and not _PHONE_RE.match(data.fax):
        errors["fax"] = INVALID
    return errors


def from_account(account) -> BillingData:
    """The holder's data as the form's starting point (SPEC §2.6: prefilled)."""
    return normalise(
        {
            "person_type": account.person_type,
            "fiscal_code": account.fiscal_code,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "company_name": account.company_name,
            "vat_number": account.vat_number,
            "einvoice_recipient": account.einvoice_recipient,
            "address": account.address,
            "postal_code": account.postal_code,
            "city": account.city,
            "province": account.province,
            "country": account.country,
            "phone": account.phone,
            "fax": account.fax,
            "email": account.reference_email,
        }
    )


def from_snapshot(snapshot: dict | None) -> BillingData | None:
    if not snapshot:
        return None
    return BillingData(**{k: v for k, v in snapshot.items() if k in FIELD_NAMES})
