"""Checks and normal forms for a holder's data (roster import and operators' edits).

Codice fiscale: 16 characters with check character (omocodic ones included) or the
11-digit temporary/company code (SPEC §2.6). E-mail: syntax only, no DNS lookup.
"""

import re

from email_validator import EmailNotValidError, validate_email
from stdnum.it import codicefiscale, iva

# Holder fields an operator or a roster may set, in the roster's column order.
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

PERSON_TYPE_ALIASES = {
    "person": "person",
    "persona fisica": "person",
    "professional": "professional",
    "libero professionista": "professional",
    "company": "company",
    "azienda": "company",
}

_POSTAL_CODE = re.compile(r"^\d{5}$")
_PROVINCE = re.compile(r"^[A-Z]{2}$")


def normal_fiscal_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def is_valid_fiscal_code(value: str) -> bool:
    """16-character CF with a right check character (omocodic too) or 11 valid digits."""
    return codicefiscale.is_valid(normal_fiscal_code(value))


def normal_email(value: str) -> str | None:
    """The e-mail in normal form, or None when its syntax is wrong."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def normal_person_type(value: str) -> str | None:
    return PERSON_TYPE_ALIASES.get((value or "").strip().lower())


def check_holder(values: dict) -> tuple[dict, list[str]]:
    """Normalise holder fields present in `values`; returns (clean values, problem codes).

    Only the keys present are checked, so a partial update (a roster without a phone
    column) neither needs nor touches the others.
    """
    clean = {k: (values[k] or "").strip() for k in HOLDER_FIELDS if k in values}
    problems = []
    if "person_type" in clean:
        person_type = normal_person_type(clean["person_type"] or "person")
        if person_type is None:
            problems.append("person_type_invalid")
        else:
            clean["person_type"] = person_type
    person_type = clean.get("person_type", "person")
    if person_type == "company":
        if "company_name" in values and not clean.get("company_name"):
            problems.append("company_name_missing")
    elif ("first_name" in values or "last_name" in values) and not (
        clean.get("first_name") and clean.get("last_name")
    ):
        problems.append("name_missing")
    if "fiscal_code" in clean:
        clean["fiscal_code"] = normal_fiscal_code(clean["fiscal_code"])
        if not clean["fiscal_code"]:
            problems.append("fiscal_code_missing")
        elif not codicefiscale.is_valid(clean["fiscal_code"]):
            problems.append("fiscal_code_invalid")
    if clean.get("vat_number"):
        clean["vat_number"] = re.sub(r"\s+", "", clean["vat_number"]).upper().removeprefix("IT")
        if not iva.is_valid(clean["vat_number"]):
            problems.append("vat_number_invalid")
    if "reference_email" in clean:
        if not clean["reference_email"]:
            problems.append("reference_email_missing")
        else:
            email = normal_email(clean["reference_email"])
            if email is None:
                problems.append("reference_email_invalid")
            else:
                clean["reference_email"] = email
    if clean.get("postal_code") and not _POSTAL_CODE.match(clean["postal_code"]):
        problems.append("postal_code_invalid")
    if clean.get("province"):
        clean["province"] = clean["province"].upper()
        if not _PROVINCE.match(clean["province"]):
            problems.append("province_invalid")
    return clean, problems
