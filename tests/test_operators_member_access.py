"""Getting a member in from the operators' area (rule R11): the personal link of a
mailbox, the first-access e-mail, and revoking every link; each said in the audit log."""

import re

from pec.models import Account, Mailbox, OutboxMessage

LINK_RE = re.compile(r"https://portal\.example\.org(/links/[^\s\"<]+)")


def anna_box() -> Mailbox:
    return Mailbox.get(Mailbox.address == "anna.bianchi@pec.demo.it")


def test_an_operator_sends_the_personal_link_that_opens_the_renewal(app, operator, demo):
    box = anna_box()
    operator.login()
    page = operator.page(f"/operators/mailboxes/{box.id}")
    assert "Accesso dell&#39;iscritto" in page or "Accesso dell'iscritto" in page
    response = operator.post(f"/operators/mailboxes/{box.id}/access-link")
    assert response.status_code == 303 and response.location.endswith(
        f"/operators/mailboxes/{box.id}"
    )
    message = OutboxMessage.get(OutboxMessage.kind == "access_link")
    assert message.to_address == "anna.bianchi@example.org" and message.mailbox_id == box.id
    path = LINK_RE.search(message.body_text).group(1)
    member = app.test_client()
    opened = member.get(path)
    assert opened.status_code == 303 and "/links/expired" not in opened.location
    page = operator.page(f"/operators/mailboxes/{box.id}")
    assert (
        "Giulia Verdi ha inviato a Anna Bianchi il link personale della casella "
        "anna.bianchi@pec.demo.it." in page
    )


def test_revoking_the_links_ends_the_ones_already_sent(app, operator, demo):
    box = anna_box()
    operator.login()
    operator.post(f"/operators/mailboxes/{box.id}/access-link")
    path = LINK_RE.search(OutboxMessage.get(OutboxMessage.kind == "access_link").body_text).group(1)
    epoch = box.account.access_epoch
    response = operator.post(f"/operators/accounts/{box.account_id}/revoke-links")
    assert response.location.endswith(f"/operators/accounts/{box.account_id}")
    assert Account.get_by_id(box.account_id).access_epoch == epoch + 1
    assert app.test_client().get(path).location == "/links/expired"
    page = operator.page(f"/operators/accounts/{box.account_id}")
    assert "Giulia Verdi ha revocato tutti i link di accesso di Anna Bianchi." in page


def test_a_first_access_e_mail_lets_the_member_choose_a_password(operator, demo):
    box = anna_box()
    operator.login()
    response = operator.post(
        f"/operators/accounts/{box.account_id}/first-access", {"mailbox": str(box.id)}
    )
    assert response.location.endswith(f"/operators/mailboxes/{box.id}")
    message = OutboxMessage.get(OutboxMessage.kind == "password_reset")
    assert message.to_address == "anna.bianchi@example.org"
    page = operator.page(f"/operators/accounts/{box.account_id}")
    assert "Giulia Verdi ha inviato a Anna Bianchi l&#39;e-mail per scegliere la password." in page
    assert (
        "Invia l&#39;e-mail di primo accesso" in page or "Invia l'e-mail di primo accesso" in page
    )


def test_access_actions_need_an_operator(client, demo):
    box = anna_box()
    from tests.conftest import csrf_token

    token = csrf_token(client)
    for url in (
        f"/operators/mailboxes/{box.id}/access-link",
        f"/operators/accounts/{box.account_id}/first-access",
        f"/operators/accounts/{box.account_id}/revoke-links",
    ):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 303 and "/operators/login" in response.location, url
    assert OutboxMessage.select().count() == 0
