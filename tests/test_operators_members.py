"""Members by hand through the operators' pages: a new holder with account and
mailbox, another mailbox, a corrected expiry, with the roster's rules and messages."""

import datetime as dt

from pec.models import Account, AuditEvent, Mailbox

NEW = {
    "pec_address": "Paola.Gialli@PEC.demo.it",
    "expires_on": "2026-09-30",
    "person_type": "person",
    "first_name": "Paola",
    "last_name": "Gialli",
    "fiscal_code": "gllpla80a41h501p",
    "reference_email": "paola.gialli@example.org",
    "login": "",
}


def test_an_operator_creates_a_member_and_mailbox(operator, demo):
    operator.login()
    form = operator.page("/operators/members/new")
    assert 'name="pec_address"' in form and 'name="fiscal_code"' in form
    response = operator.post("/operators/members/new", NEW)
    assert response.status_code == 303
    account = Account.get(Account.login == "paola.gialli@example.org")
    assert response.location.endswith(f"/operators/accounts/{account.id}")
    assert account.fiscal_code == "GLLPLA80A41H501P" and account.password_hash is None
    box = Mailbox.get(Mailbox.account == account)
    assert box.address == "paola.gialli@pec.demo.it" and box.expires_on == dt.date(2026, 9, 30)
    page = operator.page(f"/operators/accounts/{account.id}")
    assert (
        "Giulia Verdi ha creato l&#39;iscritto Paola Gialli con la casella paola.gialli@pec.demo.it."
        in page
    )
    assert "non ancora scelta" in page


def test_bad_values_get_the_roster_messages_and_keep_what_was_typed(operator, demo):
    operator.login()
    response = operator.post(
        "/operators/members/new",
        NEW
        | {
            "pec_address": "mario.rossi@pec.demo.it",  # another holder's mailbox
            "fiscal_code": "GLLPLA80A41H501X",
            "login": "anna.bianchi@pec.demo.it",  # another holder's PEC address
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Codice fiscale non valido. Il carattere di controllo non corrisponde." in page
    assert "Questo indirizzo appartiene già a un" in page
    assert "è la casella PEC di un altro titolare" in page
    assert 'value="Gialli"' in page
    assert Account.select().where(Account.login == "paola.gialli@example.org").count() == 0


def test_a_mailbox_is_added_and_corrected(operator, demo):
    anna = Account.get(Account.login == "anna.bianchi@example.org")
    operator.login()
    added = operator.post(
        f"/operators/accounts/{anna.id}/mailboxes/new",
        {"address": "studio.bianchi@pec.demo.it", "expires_on": "2027-01-31"},
    )
    assert added.status_code == 303
    box = Mailbox.get(Mailbox.address == "studio.bianchi@pec.demo.it")
    assert box.account_id == anna.id
    bad = operator.post(f"/operators/mailboxes/{box.id}/edit", {"address": "x", "expires_on": ""})
    assert bad.status_code == 422
    fixed = operator.post(
        f"/operators/mailboxes/{box.id}/edit",
        {"address": "studio.bianchi@pec.demo.it", "expires_on": "2027-02-28"},
    )
    assert fixed.status_code == 303
    assert Mailbox.get_by_id(box.id).expires_on == dt.date(2027, 2, 28)
    event = AuditEvent.get(AuditEvent.action == "mailbox.updated")
    assert event.details == {
        "before": {"expires_on": "2027-01-31"},
        "after": {"expires_on": "2027-02-28"},
    }
    page = operator.page(f"/operators/mailboxes/{box.id}")
    assert "Scadenza</dt><dd>31/01/2027 → 28/02/2027" in page
