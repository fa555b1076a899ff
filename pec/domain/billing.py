"""A holder's data and an order's billing data: the one set of rules that judges them.

Three uses ask these rules: the wizard's "Dati di fatturazione" (`validate`), the roster
import and the operators' holder edit (`check_holder`). A value present is normalised and
judged by the same rule whatever the use; the uses differ only in what they require:

- an invoice (the wizard) needs every field an Italian invoice names: codice fiscale, name
  or ragione sociale, full address, phone, e-mail, and for a professional or a company the
  partita IVA and the e-invoicing recipient (`invoice_fields`);
- a holder record (a roster line, an operator's edit) needs only who the holder is and how
  to reach them: codice fiscale, reference e-mail, name or ragione sociale
  (`holder_fields`). A roster line may lack an address; the member completes it in the
  wizard.

Errors come back all at once as {field: code}; the web layer maps codes to messages, so
each error sits next to its field (or on its roster line) and nothing typed is lost.
"""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.it import codicefiscale, iva

from pec.domain.provinces import is_province
from pec.vocabulary import PersonType

ITALY = "Italia"
_ITALY_NAMES = {"italia", "italy", "it", "ita"}
_SDI_RE = re.compile(r"^[A-Z0-9]{7}$")
_CAP_RE = re.compile(r"^\d{5}$")
_PROVINCE_RE = re.compile(r"^[A-Z]{2}$")
_PHONE_RE = re.compile(r"^\+?[\d\s./-]{6,20}$")

# Error codes
REQUIRED = "required"
INVALID = "invalid"  # wrong form: length, characters, not two letters, …
CHECKSUM = "checksum"  # a codice fiscale or partita IVA whose check character is wrong
COMPANY_CF = "company_cf"  # a company's codice fiscale is its 11 digits
CAP = "cap"
PROVINCE = "province"  # two letters, but no Italian province has them
TOO_LONG = "too_long"  # longer than MAX_LENGTHS allows

# The longest value each field keeps (after normalising): enough for any real name,
# street or town, and a bound on what one form or roster line can make us store.
MAX_LENGTHS = {
    "person_type": 20,
    "fiscal_code": 16,
    "first_name": 100,
    "last_name": 100,
    "company_name": 200,
    "vat_number": 16,
    "einvoice_recipient": 254,
    "address": 200,
    "postal_code": 20,
    "city": 100,
    "province": 60,
    "country": 60,
    "phone": 20,
    "fax": 20,
    "email": 254,
}

# The holder's fields on the account that a roster line or an operator may set, in the
# roster's column order. `reference_email` is the billing data's `email`.
HOLDER_FIELDS = (
    "person_type",
    "first_name",
    "last_name",
    "company_name",
    "fiscal_code",
    "vat_number",
    "reference_email",
    "phone",
    "address",
    "postal_code",
    "city",
    "province",
)
_ACCOUNT_NAME = {"email": "reference_email"}
_BILLING_NAME = {v: k for k, v in _ACCOUNT_NAME.items()}

# A roster may name the person type in Italian, as the member's screens do.
PERSON_TYPE_ALIASES = {
    "persona fisica": PersonType.PERSON.value,
    "libero professionista": PersonType.PROFESSIONAL.value,
    "azienda": PersonType.COMPANY.value,
} | {member.value: member.value for member in PersonType}


@dataclass(frozen=True)
class BillingData:
    """Holder or billing data, normalised; `snapshot()` of it is the order's snapshot (R10)."""

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
        return self.person_type in {t for t in PersonType if t.has_vat_number}

    @property
    def display_name(self) -> str:
        if self.person_type == PersonType.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    def snapshot(self) -> dict:
        # What asdict() gives, without its deep copy of each value: every field is a
        # string (or a PersonType, a string too), so there is nothing to copy.
        return {name: getattr(self, name) for name in FIELD_NAMES}


FIELD_NAMES = tuple(f.name for f in fields(BillingData))


def is_italy(country: str) -> bool:
    return (country or "").strip().lower() in _ITALY_NAMES


def _upper_compact(value: str) -> str:
    return re.sub(r"[\s.-]", "", value or "").upper()


@functools.lru_cache(maxsize=20_000)
def _checked_email(value: str) -> tuple[str, str | None] | None:
    """(normal form, ASCII form or None) of an address, or None when its syntax is wrong.

    Cached: checking an address is pure and costs ~100 µs, and a roster checks each
    holder's reference address twice per line (normalised, then judged), once per line
    of every mailbox of the holder, and again when the previewed file is imported."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized, checked.ascii_email


def normal_email(value: str) -> str | None:
    """The address in normal form (domain lower-cased), or None when its syntax is wrong.
    Syntax only: no DNS lookup, so an address is never refused for a network hiccup.
    Internationalised addresses are kept as typed (`josé.verdi@…`, `…@straße.example`):
    delivery sends them as they are (`ascii_email`)."""
    checked = _checked_email((value or "").strip())
    return checked[0] if checked else None


def ascii_email(value: str) -> str | None:
    """The same address in ASCII for an SMTP server without SMTPUTF8: the domain in its
    IDNA 2008 form (`straße.example` is `xn--strae-oqa.example`, never `strasse.example`,
    another domain). None when the part before the @ is not ASCII (`josé.verdi@…`): that
    address has no ASCII form and needs a server that offers SMTPUTF8. Raises ValueError
    for an address that is not valid at all."""
    value = (value or "").strip()
    checked = _checked_email(value)
    if checked is None:
        try:  # the library's own words for what is wrong
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as error:
            raise ValueError(str(error)) from None
    return checked[1]


def normal_person_type(value: str) -> str:
    """PersonType's value for a value or an Italian label; "" gives a private person, and
    anything else is kept as it is for `validate` to refuse."""
    text = str(value or "").strip()
    if not text:
        return PersonType.PERSON.value
    return PERSON_TYPE_ALIASES.get(text.lower(), text)


def normalise(raw: Mapping) -> BillingData:
    """Trim everything; upper-case codes; drop the values that do not apply to the type
    (a person's partita IVA, a company's first and last name), which are then neither
    judged nor kept."""
    values = {name: str(raw.get(name) or "").strip() for name in FIELD_NAMES}
    values["person_type"] = normal_person_type(values["person_type"])
    values["fiscal_code"] = _upper_compact(values["fiscal_code"])
    values["vat_number"] = re.sub(r"^IT", "", _upper_compact(values["vat_number"]))
    values["province"] = values["province"].upper()
    values["email"] = normal_email(values["email"]) or values["email"]
    recipient = values["einvoice_recipient"]
    if "@" in recipient:
        values["einvoice_recipient"] = normal_email(recipient) or recipient
    else:
        values["einvoice_recipient"] = recipient.upper()
    if is_italy(values["country"]):
        values["country"] = ITALY
    if values["person_type"] == PersonType.COMPANY:
        values["first_name"] = values["last_name"] = ""
    else:
        values["company_name"] = ""
    if values["person_type"] == PersonType.PERSON:
        values["vat_number"] = values["einvoice_recipient"] = ""
    return BillingData(**values)


# --- One rule per field, for a value that is present --------------------------------------


def _person_type_error(value: str, data: BillingData) -> str | None:
    return None if value in tuple(PersonType) else INVALID


def _fiscal_code_error(code: str, data: BillingData) -> str | None:
    """16 characters with the right check character (omocodic ones too: digits replaced
    by letters), or 11 digits checked like a partita IVA (a company's code, or a person's
    temporary one). A company's codice fiscale is always its 11 digits."""
    if data.person_type == PersonType.COMPANY and len(code) != 11:
        return COMPANY_CF
    if len(code) not in (11, 16):
        return INVALID
    return _stdnum_error(codicefiscale, code)


def _vat_number_error(number: str, data: BillingData) -> str | None:
    """11 digits, a real tax office code and the right check digit."""
    if not number.isdigit() or len(number) != 11:
        return INVALID
    return _stdnum_error(iva, number)


def _stdnum_error(module, value: str) -> str | None:
    try:
        module.validate(value)
    except InvalidChecksum:
        return CHECKSUM
    except ValidationError:
        return INVALID
    return None


def _email_error(address: str, data: BillingData) -> str | None:
    return None if normal_email(address) else INVALID


def _einvoice_recipient_error(value: str, data: BillingData) -> str | None:
    """A 7-character SDI code or a (PEC) e-mail address."""
    if "@" in value:
        return _email_error(value, data)
    return None if _SDI_RE.match(value) else INVALID


def _postal_code_error(value: str, data: BillingData) -> str | None:
    # Abroad, postal codes take any form ("75001 CEDEX").
    return CAP if data.is_italy and not _CAP_RE.match(value) else None


def _province_error(value: str, data: BillingData) -> str | None:
    if not data.is_italy:
        return None
    if not _PROVINCE_RE.match(value):
        return INVALID
    return None if is_province(value) else PROVINCE


def _phone_error(value: str, data: BillingData) -> str | None:
    return None if _PHONE_RE.match(value) else INVALID


_RULES = {
    "person_type": _person_type_error,
    "fiscal_code": _fiscal_code_error,
    "vat_number": _vat_number_error,
    "einvoice_recipient": _einvoice_recipient_error,
    "email": _email_error,
    "postal_code": _postal_code_error,
    "province": _province_error,
    "phone": _phone_error,
    "fax": _phone_error,
}


# --- What each use requires ---------------------------------------------------------------


def _name_fields(data: BillingData) -> list[str]:
    if data.person_type == PersonType.COMPANY:
        return ["company_name"]
    return ["first_name", "last_name"]


def holder_fields(data: BillingData) -> list[str]:
    """What a holder record needs: who the holder is and how to reach them."""
    return ["fiscal_code", "email", *_name_fields(data)]


def invoice_fields(data: BillingData) -> list[str]:
    """What an invoice needs: the holder, the full address and a phone; a province only in
    Italy; the partita IVA and e-invoicing recipient for professionals and companies."""
    required = [*holder_fields(data), "address", "postal_code", "city", "country", "phone"]
    if data.is_italy:
        required.append("province")
    if data.needs_vat:
        required += ["vat_number", "einvoice_recipient"]
    return required


def problems(data: BillingData, required: list[str]) -> dict[str, str]:
    """Every problem of `data` as {field name: error code}: each field of `required` that
    is empty, and each value present that its rule refuses. Empty when all is well."""
    errors = {name: REQUIRED for name in required if not getattr(data, name)}
    for name in FIELD_NAMES:
        value = getattr(data, name)
        if not value:
            continue
        rule = _RULES.get(name)
        problem = rule(value, data) if rule else None
        # A field's own rule speaks first (a codice fiscale of 17 characters is invalid,
        # not too long); a value it lets through, or free text, is then held to its length.
        if problem is None and len(value) > MAX_LENGTHS[name]:
            problem = TOO_LONG
        if problem:
            errors[name] = problem
    return errors


def validate(data: BillingData) -> dict[str, str]:
    """The wizard's billing step: every problem of `data` for an invoice."""
    return problems(data, invoice_fields(data))


def check_holder(values: Mapping[str, str], *, country: str = ITALY) -> tuple[dict, dict]:
    """A roster line or an operator's edit of the holder (account field names).

    Returns the given fields normalised and their problems as {account field: code}.
    Only the keys present are required or touched, so a roster without a phone column
    neither needs nor changes the phone. `country` is the holder's (a roster has no
    country column: its addresses are Italian); it decides whether the CAP and the
    province follow the Italian rules.
    """
    given = {_BILLING_NAME.get(k, k): v for k, v in values.items() if k in HOLDER_FIELDS}
    data = normalise(given | {"country": country})
    errors = problems(data, [name for name in holder_fields(data) if name in given])
    clean = {_ACCOUNT_NAME.get(name, name): getattr(data, name) for name in given}
    return clean, {_ACCOUNT_NAME.get(name, name): code for name, code in errors.items()}


# --- Where the form starts ------------------------------------------------------------------


def from_account(account) -> BillingData:
    """The holder's data as the billing form's starting point (prefilled)."""
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
