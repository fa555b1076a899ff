"""Billing data validation (docs/rules.md, member journey 6): codice fiscale, partita IVA, CAP, province, e-mail."""

import pytest
from stdnum.it import codicefiscale

from pec.domain import billing
from pec.domain.provinces import PROVINCES, is_province
from tests.factories import VALID_BILLING


def check(**overrides) -> dict[str, str]:
    return billing.validate(billing.normalise(dict(VALID_BILLING, **overrides)))


def omocodic(code: str) -> str:
    """Replace the last digit of the body by its omocodia letter and recompute the check."""
    letters = "LMNPQRSTUV"
    body = code[:14] + letters[int(code[14])]
    return body + codicefiscale.calc_check_digit(body)


def test_the_demo_holders_data_is_valid():
    assert check() == {}


def test_an_omocodic_codice_fiscale_is_valid():
    code = omocodic("RSSMRA80A01H501U")
    assert code != "RSSMRA80A01H501U" and not code[14].isdigit()
    assert check(fiscal_code=code) == {}


def test_an_eleven_digit_temporary_codice_fiscale_is_valid_for_a_person():
    assert check(fiscal_code="00743110157") == {}


def test_a_wrong_check_character_is_a_checksum_error():
    assert check(fiscal_code="RSSMRA80A01H501X") == {"fiscal_code": "checksum"}


def test_a_codice_fiscale_of_the_wrong_length_is_invalid():
    assert check(fiscal_code="RSSMRA80A01") == {"fiscal_code": "invalid"}


def test_spaces_and_lower_case_in_the_codice_fiscale_are_forgiven():
    data = billing.normalise(dict(VALID_BILLING, fiscal_code=" rssmra 80a01 h501u "))
    assert data.fiscal_code == "RSSMRA80A01H501U" and billing.validate(data) == {}


def test_a_company_needs_an_eleven_digit_codice_fiscale_and_a_partita_iva():
    errors = check(person_type="company", company_name="Studio Rossi S.r.l.")
    assert errors == {
        "fiscal_code": "company_cf",
        "vat_number": "required",
        "einvoice_recipient": "required",
    }
    assert (
        check(
            person_type="company",
            company_name="Studio Rossi S.r.l.",
            fiscal_code="00743110157",
            vat_number="IT 00743110157",
            einvoice_recipient="m5uxcr1",
        )
        == {}
    )


def test_a_company_gives_its_name_not_first_and_last_name():
    errors = check(person_type="company", first_name="", last_name="", fiscal_code="00743110157")
    assert errors["company_name"] == "required"
    assert "first_name" not in errors and "last_name" not in errors


def test_a_professional_needs_partita_iva_and_an_sdi_code_or_pec():
    assert check(person_type="professional")["vat_number"] == "required"
    ok = check(
        person_type="professional", vat_number="00743110157", einvoice_recipient="m@pec.demo.it"
    )
    assert ok == {}


def test_a_partita_iva_with_a_wrong_check_digit_is_refused():
    errors = check(
        person_type="professional", vat_number="00743110158", einvoice_recipient="0000000"
    )
    assert errors == {"vat_number": "checksum"}


def test_an_sdi_code_has_seven_characters():
    errors = check(person_type="professional", vat_number="00743110157", einvoice_recipient="ABC")
    assert errors == {"einvoice_recipient": "invalid"}


def test_a_cap_of_four_digits_is_refused_in_italy():
    assert check(postal_code="0018") == {"postal_code": "cap"}


def test_an_unknown_province_is_refused_in_italy():
    assert check(province="XX") == {"province": "province"}


def test_abroad_cap_and_province_are_free():
    assert check(country="Francia", postal_code="75001 CEDEX", province="") == {}


def test_required_fields_are_reported_together():
    errors = check(address="", city="", phone="", email="")
    assert errors == {
        "address": "required",
        "city": "required",
        "phone": "required",
        "email": "required",
    }


def test_email_syntax_is_checked_without_dns():
    assert check(email="mario.rossi@") == {"email": "invalid"}
    assert check(email="mario@studio-che-non-esiste.example") == {}


@pytest.mark.parametrize("code", ["RM", "MI", "MB", "SU", "BT", "FM", "AO", "VS", "OT", "og"])
def test_current_province_codes_are_known(code):
    assert is_province(code)


def test_the_province_list_has_every_current_sigla_and_no_abolished_one():
    assert len(PROVINCES) == 110
    assert not {"CI", "XX", "EE", "FO", "PS"} & PROVINCES


def test_billing_prefill_comes_from_the_holders_account(ctx):
    from pec.database import db
    from tests.factories import make_account

    with db.connection_context():
        account = make_account(phone="06 123456", country="IT")
        data = billing.from_account(account)
    assert data.fiscal_code == account.fiscal_code
    assert data.email == account.reference_email
    assert data.country == "Italia"


# --- One set of rules for the wizard, the roster and the operators' edit ----------------
# Vectors published with python-stdnum (arthurdejong/python-stdnum, LGPL-2.1+):
# tests/test_it_codicefiscale.doctest @ 1ac00a0b51204b953fa1f1bb0b87aee16d078dbc and
# tests/test_eu_vat.doctest @ 0427b01985058cc01389b40df9f9bad61e547f9c; and with
# fabiocaccamo/python-codicefiscale tests/test_checks.py @ 9158cab2fcb3cd4f27a778d9f72e2
# (MIT). The last four stdnum codes and the fabiocaccamo ones are omocodic.
VALID_CODICI_FISCALI = [
    "MRTNTN23M02D969P",
    "RCCMNL83S18D969H",
    "MRSMSR81D60Z611H",
    "CNTCHR83T41D969D",
    "FOXDRA26C24H872Y",
    "MAILCU91A25F839D",
    "RSSMRA45C12F205C",
    "RSSMRA45C12F20RX",
    "RSSMRA45C12F2L5N",
    "RSSMRA45C12F2LRI",
    "RSSMRAQRCMNFNLRG",
    "CCCFBA85D03L21VE",
    "CCCFBAURDLPLNMVU",
    "CCC FBA 85 D03 L219 P",
    "CCC-FBA-85-D03-L219-P",
]
INVALID_CODICI_FISCALI = [
    ("CSTNGL22I10D086I", billing.INVALID),  # I is no month letter
    ("FOXDRA26C24H872A", billing.CHECKSUM),
    ("CNTCHR83T32D969H", billing.INVALID),  # day 32
    ("RCCMNL83S18D969", billing.INVALID),  # 15 characters
    ("CCCFBA85D03L219PP", billing.INVALID),  # 17 characters
    ("CCCFBA85D03L219B", billing.CHECKSUM),
    ("CCCFBA85D00L219P", billing.CHECKSUM),  # day 0: the check character is wrong first
    ("00743110158", billing.CHECKSUM),  # 11 digits, checked as a partita IVA
]
VALID_PARTITE_IVA = [
    "IT - 01404480202",
    "IT 0 0 6 1 8 2 8 0 4 9 9",
    "IT 00118439991",
    "IT 00687120980",
    "IT-03827740402",
    "IT00743110157",
    "06363391001",
]
INVALID_PARTITE_IVA = [
    ("00743110158", billing.CHECKSUM),
    ("IT 00687129980", billing.INVALID),  # office code 998: no tax office
    ("12345678903", billing.INVALID),  # office code 890
    ("0074311015", billing.INVALID),  # 10 digits
]


def holder(**overrides) -> dict:
    """What check_holder finds wrong in Mario's holder data with these changes."""
    values = dict(
        person_type="person",
        first_name="Mario",
        last_name="Rossi",
        company_name="",
        fiscal_code="RSSMRA80A01H501U",
        vat_number="",
        reference_email="mario.rossi@example.org",
        phone="",
        address="",
        postal_code="",
        city="",
        province="",
    )
    return billing.check_holder(dict(values, **overrides))[1]


@pytest.mark.parametrize("code", VALID_CODICI_FISCALI)
def test_published_valid_codici_fiscali_pass_every_use(code):
    assert check(fiscal_code=code) == {} and holder(fiscal_code=code) == {}


@pytest.mark.parametrize("code, error", INVALID_CODICI_FISCALI)
def test_published_invalid_codici_fiscali_fail_every_use_alike(code, error):
    assert check(fiscal_code=code) == {"fiscal_code": error}
    assert holder(fiscal_code=code) == {"fiscal_code": error}


@pytest.mark.parametrize("number", VALID_PARTITE_IVA)
def test_published_valid_partite_iva_pass_every_use(number):
    assert check(person_type="professional", vat_number=number, einvoice_recipient="0000000") == {}
    assert holder(person_type="professional", vat_number=number) == {}


@pytest.mark.parametrize("number, error", INVALID_PARTITE_IVA)
def test_published_invalid_partite_iva_fail_every_use_alike(number, error):
    errors = check(person_type="professional", vat_number=number, einvoice_recipient="0000000")
    assert errors == {"vat_number": error}
    assert holder(person_type="professional", vat_number=number) == {"vat_number": error}


def test_a_company_with_a_sixteen_character_codice_fiscale_is_refused_by_the_holder_check():
    errors = holder(person_type="company", company_name="Studio Rossi", first_name="")
    assert errors == {"fiscal_code": "company_cf"}


@pytest.mark.parametrize(
    "province, error", [("XX", "province"), ("Roma", "invalid"), ("rm", None), ("VS", None)]
)
def test_the_holder_check_knows_the_real_province_codes(province, error):
    assert holder(province=province) == ({"province": error} if error else {})
    assert check(province=province) == ({"province": error} if error else {})


def test_abroad_the_holder_check_leaves_cap_and_province_free():
    values = dict(fiscal_code="RSSMRA80A01H501U", postal_code="75001 CEDEX", province="XX")
    assert billing.check_holder(values, country="Francia")[1] == {}
    assert billing.check_holder(values)[1] == {"postal_code": "cap", "province": "province"}


def test_a_holder_record_needs_less_than_an_invoice():
    # A roster line may lack the address and phone the wizard asks for.
    assert holder() == {}
    invoice = billing.normalise(
        dict(VALID_BILLING, address="", postal_code="", city="", province="", phone="")
    )
    assert set(billing.validate(invoice)) == {"address", "postal_code", "city", "province", "phone"}
    # Who the holder is and how to reach them are needed by both.
    assert holder(fiscal_code="", reference_email="", last_name="") == {
        "fiscal_code": "required",
        "reference_email": "required",
        "last_name": "required",
    }
    assert holder(person_type="company", company_name="", fiscal_code="00743110157") == {
        "company_name": "required"
    }


def test_the_holder_check_requires_only_the_fields_it_is_given():
    # A roster without name columns updates a holder's codice fiscale alone.
    clean, errors = billing.check_holder({"fiscal_code": " rssmra80a01h501u "})
    assert (clean, errors) == ({"fiscal_code": "RSSMRA80A01H501U"}, {})


def test_person_types_are_read_in_italian_too_and_others_refused():
    clean, errors = billing.check_holder({"person_type": "Libero professionista"})
    assert (clean, errors) == ({"person_type": "professional"}, {})
    assert billing.check_holder({"person_type": "ente"})[1] == {"person_type": "invalid"}
    assert check(person_type="ente") == {"person_type": "invalid"}


def test_the_holder_and_the_wizard_keep_an_email_in_the_same_normal_form():
    clean, _errors = billing.check_holder({"reference_email": " Anna.B@Example.ORG "})
    data = billing.normalise(dict(VALID_BILLING, email=" Anna.B@Example.ORG "))
    assert clean["reference_email"] == data.email == "Anna.B@example.org"


def test_a_value_that_does_not_apply_to_the_person_type_is_neither_judged_nor_kept():
    # A private person has no partita IVA; a company has no first and last name.
    assert holder(vat_number="123") == {} and check(vat_number="123") == {}
    clean, _errors = billing.check_holder(
        dict(person_type="company", company_name="Studio", first_name="Mario", vat_number="")
    )
    assert clean["first_name"] == "" and clean["company_name"] == "Studio"


def test_the_snapshot_is_every_field_as_asdict_gives_it():
    from dataclasses import asdict

    data = billing.normalise(
        {"person_type": "professional", "first_name": " Anna ", "vat_number": "12345678903"}
    )
    assert data.snapshot() == asdict(data)
    assert list(data.snapshot()) == list(billing.FIELD_NAMES)
