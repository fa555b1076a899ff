"""Billing data validation (SPEC §2.6): codice fiscale, partita IVA, CAP, province, e-mail."""

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
