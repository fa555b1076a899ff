"""The roster import, the operators' holder edit and the wizard's billing step judge a
holder's data by one set of rules: they accept and refuse exactly the same values, each
with its message at the field (or on the roster line)."""

import csv
import io
import re

import pytest

from pec.domain import roster
from pec.domain.billing import HOLDER_FIELDS
from pec.models import Account, Mailbox, Order
from pec.operators.messages import problem_text
from tests.conftest import MemberActions, OperatorActions, WizardActions
from tests.factories import VALID_BILLING

# Codici fiscali and partite IVA from published test vectors (staged with their sources in
# the team's research notes, refs/cf_piva_vectors.md):
# - arthurdejong/python-stdnum tests/test_it_codicefiscale.doctest @ 1ac00a0b51204b953fa1f1bb
#   (LGPL-2.1+): RSSMRA45C12F20RX and RSSMRAQRCMNFNLRG are omocodic codes of RSSMRA45C12F205C
#   (digits replaced by letters); FOXDRA26C24H872A has a wrong check character.
# - fabiocaccamo/python-codicefiscale tests/test_checks.py @ 9158cab2fcb3cd4f27a778d9 (MIT):
#   CCCFBAURDLPLNMVU, the omocodic code of CCCFBA85D03L219P with seven letters.
# - python-stdnum tests/test_eu_vat.doctest @ 0427b01985058cc01389b40d: IT 00743110157 is a
#   valid partita IVA, IT 00687129980 has an office code no tax office uses; and
#   stdnum/it/iva.py @ 0922f3c19bd7b73a91db5de3: 00743110158 has a wrong check digit.
# No published vector exists for an 11-digit temporary codice fiscale: it follows the
# partita IVA's rule (stdnum's codicefiscale checks 11-character codes as one), so a valid
# partita IVA stands for it.
COMPANY = dict(
    person_type="company",
    first_name="",
    last_name="",
    company_name="Studio Associato Rossi",
    fiscal_code="00743110157",
    vat_number="00743110157",
    einvoice_recipient="M5UXCR1",
)
PROFESSIONAL = dict(person_type="professional", einvoice_recipient="M5UXCR1")

ACCEPTED = [
    pytest.param({"fiscal_code": "RSSMRA45C12F20RX"}, id="omocodic-codice-fiscale"),
    pytest.param({"fiscal_code": "RSSMRAQRCMNFNLRG"}, id="omocodic-codice-fiscale-all-letters"),
    pytest.param({"fiscal_code": "cccfbaurdlplnmvu"}, id="omocodic-codice-fiscale-lower-case"),
    pytest.param({"fiscal_code": "00743110157"}, id="eleven-digit-temporary-codice-fiscale"),
    pytest.param(COMPANY, id="company-with-eleven-digit-codice-fiscale"),
    pytest.param({"province": "MI"}, id="real-province"),
    pytest.param({"province": "og"}, id="re-established-sardinian-province"),
    pytest.param(dict(PROFESSIONAL, vat_number="IT 00743110157"), id="partita-iva-with-it-prefix"),
]

# (values, refused field, roster line's problem, message on the roster line, at the
# operator's field, at the member's field)
REFUSED = [
    pytest.param(
        dict(COMPANY, fiscal_code="RSSMRA80A01H501U"),
        "fiscal_code",
        "fiscal_code_company",
        "il codice fiscale di un'azienda ha 11 cifre (la sua partita IVA): RSSMRA80A01H501U",
        "Il codice fiscale di un'azienda ha 11 cifre.",
        "Il codice fiscale di un'azienda ha 11 cifre.",
        id="company-with-sixteen-character-codice-fiscale",
    ),
    pytest.param(
        {"fiscal_code": "FOXDRA26C24H872A"},
        "fiscal_code",
        "fiscal_code_invalid",
        "codice fiscale non valido: FOXDRA26C24H872A",
        "Codice fiscale non valido. Il carattere di controllo non corrisponde.",
        "Codice fiscale non valido: il carattere di controllo non corrisponde.",
        id="codice-fiscale-with-wrong-check-character",
    ),
    pytest.param(
        {"fiscal_code": "RSSMRA80A01"},
        "fiscal_code",
        "fiscal_code_invalid",
        "codice fiscale non valido: RSSMRA80A01",
        "Codice fiscale non valido. Ha 16 caratteri, o 11 cifre se provvisorio.",
        "Il codice fiscale deve avere 16 caratteri (o 11 cifre se provvisorio).",
        id="codice-fiscale-of-eleven-characters-not-digits",
    ),
    pytest.param(
        {"province": "XX"},
        "province",
        "province_invalid",
        "sigla di provincia inesistente: XX",
        "Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. MI.",
        "Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. RM.",
        id="province-xx",
    ),
    pytest.param(
        {"province": "Roma"},
        "province",
        "province_invalid",
        "sigla di provincia inesistente: Roma",
        "La provincia è una sigla di 2 lettere.",
        "Scrivi la sigla di 2 lettere della provincia, ad es. RM.",
        id="province-name-not-sigla",
    ),
    pytest.param(
        dict(PROFESSIONAL, vat_number="00743110158"),
        "vat_number",
        "vat_number_invalid",
        "partita IVA non valida: 00743110158",
        "Partita IVA non valida. La cifra di controllo non corrisponde.",
        "Partita IVA non valida: la cifra di controllo non corrisponde.",
        id="partita-iva-with-wrong-check-digit",
    ),
    pytest.param(
        dict(PROFESSIONAL, vat_number="00687129980"),
        "vat_number",
        "vat_number_invalid",
        "partita IVA non valida: 00687129980",
        "Partita IVA non valida. Ha 11 cifre.",
        "La Partita IVA ha 11 cifre.",
        id="partita-iva-with-unknown-office-code",
    ),
    pytest.param(
        {"postal_code": "0018"},
        "postal_code",
        "postal_code_invalid",
        "CAP non valido (5 cifre): 0018",
        "Il CAP ha 5 cifre.",
        "Il CAP è formato da 5 cifre.",
        id="cap-of-four-digits",
    ),
    pytest.param(
        {"email": "mario.rossi@"},
        "email",
        "reference_email_invalid",
        "e-mail di riferimento non valida: mario.rossi@",
        "E-mail non valida.",
        "Indirizzo e-mail non valido.",
        id="bad-email",
    ),
]

# The account keeps the billing data's `email` as its `reference_email`.
ACCOUNT_NAME = {"email": "reference_email"}
BILLING_NAME = {v: k for k, v in ACCOUNT_NAME.items()}
ERROR_RE = re.compile(r'id="(\w+)-error" class="error">([^<]+)<')


@pytest.fixture
def member(app, demo):
    """Mario, signed in, with an order at the billing step."""
    member = MemberActions(app.test_client())
    assert member.login().status_code == 303
    return member


@pytest.fixture
def operator(app, demo):
    """The demo admin, signed in on a client of their own."""
    operator = OperatorActions(app.test_client())
    assert operator.login().status_code == 303
    return operator


def holder_values(values: dict) -> dict:
    """The holder's fields (account names) of a billing form's values."""
    data = dict(VALID_BILLING, **values)
    return {name: data[BILLING_NAME.get(name, name)] for name in HOLDER_FIELDS}


def roster_line(values: dict) -> bytes:
    """A roster with one line: a new mailbox for a new holder with these values."""
    cells = dict(
        convention_code="FNOMCeO",
        pec_address="nuovo.iscritto@pec.demo.it",
        expires_on="31/12/2027",
        account_login="nuovo.iscritto",
        **holder_values(values),
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([roster.COLUMNS, [cells[c] for c in roster.COLUMNS]])
    return out.getvalue().encode("utf-8")


def roster_verdict(app, values: dict) -> tuple[dict, list, dict]:
    """The dry run's {field: message} for line 2, its problem codes, and the holder values
    the line would set."""
    data = roster_line(values)
    report = roster.dry_run(data)
    with app.test_request_context():
        messages = {
            BILLING_NAME.get(field, field): problem_text(p)
            for p in report.problems
            for field in HOLDER_FIELDS
            if p.code.startswith(field + "_")
        }
    assert {p.line for p in report.problems} <= {2}
    assert len(messages) == len(report.problems), report.problems
    rows, _problems, _lines, _repaired = roster.read_rows(data)
    holder = rows[0].holder if rows else {}
    return messages, [p.code for p in report.problems], holder


def page_errors(response) -> dict:
    return {
        BILLING_NAME.get(name, name): message
        for name, message in ERROR_RE.findall(response.get_data(as_text=True))
    }


def operator_verdict(operator, values: dict):
    box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    form = dict(holder_values(values), mailbox=box.id)
    return operator.post(f"/operators/accounts/{box.account_id}/edit", form)


def wizard_verdict(member, values: dict):
    wizard = WizardActions(member)
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    assert wizard.accept_contracts(order_id).status_code == 303
    return order_id, wizard.submit_billing(order_id, **values)


@pytest.mark.parametrize("values", ACCEPTED)
def test_roster_operator_edit_and_wizard_accept_the_same_holder_values(
    app, member, operator, values
):
    roster_messages, codes, roster_holder = roster_verdict(app, values)
    edit = operator_verdict(operator, values)
    order_id, billing = wizard_verdict(member, values)

    assert (roster_messages, codes) == ({}, [])
    assert edit.status_code == 303, page_errors(edit)
    assert billing.status_code == 303, page_errors(billing)
    # Each value is kept in the same normal form by the three.
    account = Account.get(Account.login == "anna.bianchi@example.org")
    snapshot = Order.get_by_id(order_id).billing
    for name in values:
        if name in HOLDER_FIELDS or name in ACCOUNT_NAME:
            field = ACCOUNT_NAME.get(name, name)
            stored = getattr(account, field)
            assert stored == snapshot[name], name
            assert roster_holder.get(field, "") == stored, name


@pytest.mark.parametrize(
    "values, field, roster_code, roster_message, operator_message, wizard_message", REFUSED
)
def test_roster_operator_edit_and_wizard_refuse_the_same_holder_values(
    app,
    member,
    operator,
    values,
    field,
    roster_code,
    roster_message,
    operator_message,
    wizard_message,
):
    account = Account.get(Account.login == "anna.bianchi@example.org")
    roster_messages, codes, _holder = roster_verdict(app, values)
    edit = operator_verdict(operator, values)
    order_id, billing = wizard_verdict(member, values)

    assert (edit.status_code, billing.status_code) == (422, 422)
    # The same field refused everywhere, each with its message at the field or line.
    assert codes == [roster_code]
    assert roster_messages == {field: roster_message}
    assert page_errors(edit) == {field: operator_message}
    assert page_errors(billing) == {field: wizard_message}
    # Nothing was stored, and what was typed is shown again.
    assert Account.get_by_id(account.id).__data__ == account.__data__
    assert Order.get_by_id(order_id).billing is None
    typed = dict(VALID_BILLING, **values)[field]
    assert f'value="{typed}"' in edit.get_data(as_text=True)
    assert f'value="{typed}"' in billing.get_data(as_text=True)


def test_holder_and_billing_rules_live_in_one_module():
    """The checks of a codice fiscale, a partita IVA, a province and an e-mail's syntax
    are made in pec/domain/billing.py and nowhere else."""
    from pathlib import Path

    import pec

    markers = ("stdnum.it", "codicefiscale", "email_validator", "is_province(")
    found = {
        str(path.relative_to(Path(pec.__file__).parent))
        for path in Path(pec.__file__).parent.rglob("*.py")
        if any(marker in path.read_text(encoding="utf-8") for marker in markers)
    }
    assert found == {"domain/billing.py", "domain/provinces.py"}


def test_internationalised_reference_addresses_are_kept_as_typed_never_rewritten():
    from pec.domain.billing import check_holder

    for address in ("josé.verdi@example.org", "verdi@straße.example"):
        clean, errors = check_holder({"reference_email": address})
        assert errors == {} and clean["reference_email"] == address
    clean, errors = check_holder({"reference_email": "verdi@-straße.example"})
    assert errors == {"reference_email": "invalid"}
