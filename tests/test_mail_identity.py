"""Every e-mail says who sends it and how to reach them, is readable on a phone, links to
the portal's current address, and speaks as the seed does (issue 11)."""

import datetime as dt
import email
import email.policy

import pytest

from pec import delivery
from pec.domain import clock, lifecycle
from pec.member_mail import MemberMail
from pec.models import Account, Convention, Mailbox, Order, OutboxMessage
from tests.factories import make_account, make_convention, make_mailbox, make_order, pay
from tests.qr import decode_qr
from tests.test_delivery import SmtpServer, mail_app

IMPORTANTE = "IMPORTANTE: se il rinnovo non è ordinato e pagato entro il"
EARLY = (
    "il pagamento anticipato dell'ordine di rinnovo non comporterà variazioni alla "
    "prossima data di scadenza"
)


def reminder_on(box, day):
    with clock.frozen(day):
        lifecycle.send_due_reminders(day, MemberMail())
    return (
        OutboxMessage.select()
        .where((OutboxMessage.mailbox == box) & (OutboxMessage.kind == "reminder"))
        .order_by(OutboxMessage.id.desc())
        .first()
    )


def test_the_demo_reminders_at_60_and_1_day_differ_and_carry_the_seed_sentences(ctx, demo):
    from pec.demo import load_demo

    load_demo(demo)
    box = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
    early = reminder_on(box, box.expires_on - dt.timedelta(days=60))
    last = reminder_on(box, box.expires_on - dt.timedelta(days=1))
    assert early.subject != last.subject and early.body_text != last.body_text
    assert "Mancano 60 giorni alla scadenza" in early.body_text
    assert "ULTIMO AVVISO: la casella scade domani" in last.body_text
    assert last.subject.startswith("Ultimo avviso:")
    day_after = (box.expires_on + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    for message in (early, last):
        for part in (message.body_text, message.body_html.replace("&#39;", "'")):
            assert IMPORTANTE in part and f"il giorno successivo, {day_after}" in part
            assert EARLY in part
            assert "Rinnova ora" in part


@pytest.mark.parametrize(
    "days,words",
    [
        (30, "Mancano 30 giorni alla scadenza: puoi rinnovarla fin d'ora"),
        (15, "Mancano solo 15 giorni alla scadenza"),
        (7, "URGENTE: mancano 7 giorni alla scadenza"),
        (5, "URGENTE: mancano 5 giorni alla scadenza"),  # a late job: the days really left
        (0, "ULTIMO AVVISO: la casella scade oggi"),
    ],
)
def test_reminders_say_how_many_days_are_left_and_escalate(ctx, today, days, words):
    box = make_mailbox(expires_in=days)
    message = reminder_on(box, today)
    assert words in message.body_text


def test_every_email_is_phone_sized_and_names_the_convention_and_its_contacts(ctx, demo):
    from pec.demo import load_demo

    load_demo(demo)
    lifecycle.send_due_reminders(demo, MemberMail())
    lifecycle.deactivate_overdue(demo + dt.timedelta(days=30), MemberMail())
    order = make_order([Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")])
    MemberMail().order_confirmed(order)
    messages = list(OutboxMessage.select())
    assert {m.kind for m in messages} >= {"reminder", "deactivated", "order_confirmed"}
    for message in messages:
        html = message.body_html
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        for part in (message.body_text, html):
            assert "FNOMCeO" in part and "PEC Demo S.r.l." in part
            assert "assistenza@pecdemo.example" in part and "06 1234 5678" in part
            assert "https://portal.example.org/help" in part
            assert "https://portal.example.org/privacy" in part


def test_the_deactivation_notice_of_an_unpaid_order_does_not_say_not_renewed(ctx, today):
    box = make_mailbox(expires_in=-1)
    order = make_order([box])
    lifecycle.deactivate_overdue(today, MemberMail())
    message = OutboxMessage.get(OutboxMessage.kind == "deactivated")
    assert "non è stata rinnovata" not in message.body_text
    assert f"il pagamento dell'ordine di rinnovo N° {order.number} non è ancora stato" in (
        message.body_text
    )


def test_the_renewal_email_says_a_deactivated_mailbox_works_again(ctx, today):
    box = make_mailbox(expires_in=-3, deactivated_on=today - dt.timedelta(days=2))
    order = make_order([box])
    pay(order, reference="TRN-1", today=today, notices=MemberMail())
    message = OutboxMessage.get(OutboxMessage.kind == "renewal_applied")
    assert "era stata disattivata: ora è di nuovo attiva" in message.body_text


def test_order_emails_follow_the_members_current_language(ctx, today):
    account = make_account(language="it")
    order = make_order([make_mailbox(account)])
    assert order.language == "it"
    Account.update(language="en").where(Account.id == account.id).execute()
    MemberMail().order_cancelled(Order.get_by_id(order.id), "duplicate")
    message = OutboxMessage.get(OutboxMessage.kind == "order_cancelled")
    assert message.language == "en" and "Dear" in message.body_text


# --- At delivery ---------------------------------------------------------------------------


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def sent(smtp):
    return [
        email.message_from_bytes(e.content, policy=email.policy.default)
        for e in smtp.handler.envelopes
    ]


def test_mail_comes_from_the_conventions_named_sender(tmp_path, close_db, smtp, today):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        convention = make_convention(
            sender_name="Rinnovi PEC Ordine", sender_address="pec@ordine.example"
        )
        make_mailbox(make_account(convention), expires_in=30)
        lifecycle.send_due_reminders(today, MemberMail())
        assert delivery.deliver_due()["sent"] == 1
    (message,) = sent(smtp)
    assert message["From"] == "Rinnovi PEC Ordine <pec@ordine.example>"


def test_without_a_sender_the_default_is_named_after_the_convention(
    tmp_path, close_db, smtp, today
):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        make_mailbox(make_account(make_convention(name="Ordine di Prova")), expires_in=30)
        lifecycle.send_due_reminders(today, MemberMail())
        assert delivery.deliver_due()["sent"] == 1
    (message,) = sent(smtp)
    assert message["From"] == "Ordine di Prova <noreply@portal.example.org>"


def test_a_localhost_sender_is_refused_and_the_mail_waits(tmp_path, close_db, smtp, today):
    app = mail_app(tmp_path, smtp.port, MAIL_DEFAULT_SENDER="noreply@localhost")
    with app.app_context():
        make_mailbox(make_account(), expires_in=30)
        lifecycle.send_due_reminders(today, MemberMail())
        assert delivery.deliver_due() == {"retry_later": 1}
        row = OutboxMessage.get()
        assert row.status == "pending" and "LocalSenderRefused" in row.last_error
        assert "convention's settings" in row.last_error
        # Fixed in the settings: the next attempt goes out.
        Convention.update(sender_address="rinnovi@ordine.example").execute()
        assert delivery.deliver_due(delivery.wall_clock() + dt.timedelta(days=1))["sent"] == 1
    assert len(smtp.handler.envelopes) == 1


def test_links_are_moved_to_the_current_base_url_at_delivery(tmp_path, close_db, smtp, today):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        make_mailbox(make_account(), expires_in=30)
        lifecycle.send_due_reminders(today, MemberMail())
        row = OutboxMessage.get()
        assert row.base_url == "https://portal.example.org"
        assert "https://portal.example.org/links/" in row.body_text  # readable as queued
        app.config["PEC_BASE_URL"] = "https://rinnovi.ordine.example/pec"
        assert delivery.deliver_due()["sent"] == 1
    (message,) = sent(smtp)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "portal.example.org" not in part
        assert "https://rinnovi.ordine.example/pec/links/" in part  # the personal link (R11)
        assert "https://rinnovi.ordine.example/pec/help" in part


@pytest.fixture
def close_db():
    from pec.database import db

    yield
    if not db.is_closed():
        db.close()


def test_the_transfer_confirmation_carries_a_qr_code_that_decodes(tmp_path, close_db, smtp, today):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        order = make_order([make_mailbox()], method="bank_transfer")
        MemberMail().order_confirmed(order)
        assert delivery.deliver_due()["sent"] == 1
    (message,) = sent(smtp)
    html = message.get_body(("html",)).get_content()
    assert '<img src="cid:epc-qr" width="180" height="180"' in html
    (image,) = [part for part in message.walk() if part["Content-ID"] == "<epc-qr>"]
    assert image.get_content_type() == "image/png"
    payload = decode_qr(image.get_content()).decode()
    lines = payload.split("\n")
    assert lines[0] == "BCD" and lines[3] == "SCT"
    assert lines[6] == "IT60X0542811101000000123456"
    assert lines[7] == "EUR4.88"
    assert order.number in lines[10] and "°" not in payload
