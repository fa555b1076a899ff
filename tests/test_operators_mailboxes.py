"""Operators search mailboxes, read one's whole history and edit the holder (audited)."""

import datetime as dt

from pec.domain import audit
from pec.member_mail import MemberMail
from pec.models import (
    Account,
    AuditEvent,
    Mailbox,
    Payment,
    ReminderSent,
)
from tests.factories import make_mailbox, make_order


def _addresses(page: str) -> list[str]:
    import re

    return re.findall(r'<th scope="row" class="address"><a [^>]+>([^<]+)</a>', page)


def test_search_finds_by_address_name_and_codice_fiscale(operator, demo):
    operator.login()
    assert _addresses(operator.page("/operators/mailboxes?q=studio.rossi")) == [
        "studio.rossi@pec.demo.it"
    ]
    assert _addresses(operator.page("/operators/mailboxes?q=Anna+Bianchi")) == [
        "anna.bianchi@pec.demo.it"
    ]
    by_cf = _addresses(operator.page("/operators/mailboxes?q=rssmra80a01h501u"))
    assert sorted(by_cf) == [
        "m.rossi@pec.demo.it",
        "mario.rossi@pec.demo.it",
        "studio.rossi@pec.demo.it",
    ]
    assert _addresses(operator.page("/operators/mailboxes?q=nessuno")) == []


def test_status_filter_and_expiry_window(operator, demo):
    operator.login()
    expiring = _addresses(operator.page("/operators/mailboxes?status=expiring"))
    assert expiring == ["anna.bianchi@pec.demo.it", "mario.rossi@pec.demo.it"]
    window = f"from={demo.isoformat()}&to={(demo + dt.timedelta(days=10)).isoformat()}"
    assert _addresses(operator.page(f"/operators/mailboxes?{window}")) == [
        "anna.bianchi@pec.demo.it"
    ]
    assert _addresses(operator.page("/operators/mailboxes?status=deactivated")) == [
        "m.rossi@pec.demo.it"
    ]
    # Nonsense filters are ignored, never a 500.
    assert len(_addresses(operator.page("/operators/mailboxes?status=x&from=31/02&page=x"))) == 4


def test_results_are_paginated_and_htmx_gets_only_the_results(operator, demo):
    mario = Account.get(Account.login == "mario.rossi@example.org")
    for i in range(60):
        make_mailbox(mario, address=f"extra{i:02d}@pec.demo.it", expires_in=300 + i)
    operator.login()
    first = operator.page("/operators/mailboxes")
    assert len(_addresses(first)) == 50 and "Pagina 1 di 2" in first
    second = operator.page("/operators/mailboxes?page=2")
    assert len(_addresses(second)) == 14
    fragment = operator.client.get(
        "/operators/mailboxes?q=extra", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="results"') and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_mailbox_page_shows_its_whole_history(app, operator, demo):
    box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
    order = make_order([box], number="R-2026-0001")
    Payment.create(
        order=order,
        method="bank_transfer",
        provider="member",
        reference="CRO123456",
        amount_cents=488,
    )
    ReminderSent.create(mailbox=box, expires_on=box.expires_on, offset_days=30, sent_on=demo)
    with app.test_request_context():
        MemberMail().password_reset(box.account, box, "a-test-token")
    audit.record(
        "operator:1",
        "mailbox.updated",
        box,
        {"before": {"expires_on": "2026-03-30"}, "after": {"expires_on": "2026-04-30"}},
    )
    operator.login()
    page = operator.page(f"/operators/mailboxes/{box.id}")
    for expected in (
        "mario.rossi@pec.demo.it",
        "RSSMRA80A01H501U",
        "R-2026-0001",
        "In attesa di pagamento",
        "CRO123456",
        "4,88",
        "30 giorni prima della scadenza",
        "Recupero dati di accesso",
        "Giulia Verdi ha modificato la casella mario.rossi@pec.demo.it.",
        "30/03/2026 → 30/04/2026",
        "studio.rossi@pec.demo.it",  # the holder's other mailboxes
    ):
        assert expected in page, expected


def test_holder_edit_is_validated_and_audited(operator, demo):
    box = Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")
    account = box.account
    operator.login()
    url = f"/operators/accounts/{account.id}/edit"
    form = {
        "person_type": "person",
        "first_name": "Anna",
        "last_name": "Bianchi",
        "fiscal_code": "BNCNNA85M41F205X",
        "reference_email": "anna@",
        "province": "Milano",
        "mailbox": box.id,
    }
    bad = operator.post(url, form)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Codice fiscale non valido." in page and "E-mail non valida." in page
    assert "La provincia è una sigla di 2 lettere." in page
    assert 'value="BNCNNA85M41F205X"' in page  # typed values are kept
    assert Account.get_by_id(account.id).reference_email == "anna.bianchi@example.org"

    form.update(fiscal_code="bncnna85m41f205q", reference_email="Anna.B@Example.org", province="mi")
    good = operator.post(url, form)
    assert good.status_code == 303 and good.location.endswith(f"/operators/mailboxes/{box.id}")
    account = Account.get_by_id(account.id)
    assert (account.reference_email, account.province) == ("Anna.B@example.org", "MI")
    event = AuditEvent.get(AuditEvent.action == "account.updated")
    assert event.actor.startswith("operator:") and event.target_id == account.id
    assert event.details["before"]["reference_email"] == "anna.bianchi@example.org"
    assert event.details["after"]["reference_email"] == "Anna.B@example.org"
    page = operator.page(f"/operators/mailboxes/{box.id}")
    assert "Giulia Verdi ha modificato i dati del titolare Anna Bianchi." in page
    assert "E-mail di riferimento</dt><dd>anna.bianchi@example.org → Anna.B@example.org" in page
