"""Outbox delivery against a real SMTP server (aiosmtpd on loopback), docs/rules.md, Scheduled work and e-mail."""

import datetime as dt
import email
import email.policy
import re
import socket
import ssl
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller

from pec import delivery
from pec.database import db
from pec.domain import lifecycle, outbox
from pec.member_mail import MemberMail
from pec.models import OutboxMessage
from tests.conftest import make_app
from tests.factories import make_account, make_mailbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps what it accepted (and may refuse recipients)."""

    def __init__(self, refuse=()):
        self.envelopes = []
        self.sessions = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.sessions.append(id(session))
        return "250 Message accepted for delivery"

    def messages(self):
        return [
            email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
            for e in self.envelopes
        ]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that tests can stop and start on the same port."""

    def __init__(self, port=None, **options):
        self.port = port or free_port()
        self.options = options
        self.handler = Recorder(options.pop("refuse", ()))
        self.controller = None

    def start(self):
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_app(tmp_path, port, **overrides):
    config = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
    }
    config.update(overrides)
    return make_app(tmp_path, **config)


@pytest.fixture
def close_db():
    yield
    if not db.is_closed():
        db.close()


def queue_reminders(count, today):
    for _ in range(count):
        make_mailbox(make_account(), expires_in=30, today=today)
    lifecycle.send_due_reminders(today, MemberMail())
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


def rows():
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


LATER = dt.timedelta(days=1)  # past any backoff


def test_demo_reminder_arrives_with_its_text_link_warning_and_message_id(
    tmp_path, close_db, smtp, today
):
    app = mail_app(tmp_path, smtp.port)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["pec", "demo"]).exit_code == 0
    result = runner.invoke(args=["pec", "jobs", "run", "--today", "2026-03-10"])
    assert result.exit_code == 0, result.output
    sent = runner.invoke(args=["pec", "send-outbox"])
    assert sent.exit_code == 0 and "sent=2" in sent.output, sent.output

    (envelope,) = [e for e in smtp.handler.envelopes if e.rcpt_tos == ["mario.rossi@example.org"]]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "La casella PEC mario.rossi@pec.demo.it scade il 30/03/2026"
    assert message["To"] == "mario.rossi@example.org"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert (
        "Gentile Cliente, la casella di Posta Elettronica Certificata mario.rossi@pec.demo.it "
        "scadrà in data: 30/03/2026." in text
    )
    assert "Registro delle Imprese" in text and "INI-PEC" in text
    # R11: the personal link, no login to type.
    link = re.search(r"https://portal\.example\.org/links/\S+", text).group(0)
    assert link in html
    with app.app_context():
        row = OutboxMessage.get(OutboxMessage.to_address == "mario.rossi@example.org")
        assert message["Message-ID"] == row.message_id
        assert row.status == "sent" and row.sent_at is not None and row.attempts == 1


def test_a_batch_uses_one_smtp_connection(tmp_path, close_db, smtp, today):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        queue_reminders(3, today)
        assert delivery.deliver_due()["sent"] == 3
    assert len(smtp.handler.envelopes) == 3
    assert len(set(smtp.handler.sessions)) == 1


def test_smtp_outage_keeps_mail_pending_then_delivers_each_exactly_once(tmp_path, close_db, today):
    server = SmtpServer()  # not started: connections are refused
    app = mail_app(tmp_path, server.port)
    with app.app_context():
        queued = queue_reminders(3, today)
        now = delivery.wall_clock()
        counts = delivery.deliver_due(now)
        assert counts["retry_later"] == 3 and not counts["sent"]
        for row in rows():
            assert row.status == "pending" and row.attempts == 1
            assert "ConnectionRefusedError" in row.last_error
            assert row.next_attempt_at == now + delivery.backoff(1)
        # backoff: not retried before its time
        assert not delivery.deliver_due(now + dt.timedelta(seconds=30))
        server.start()
        try:
            assert delivery.deliver_due(now + LATER)["sent"] == 3
            assert not delivery.deliver_due(now + 2 * LATER)
            assert not delivery.deliver_all(now + 3 * LATER)["sent"]
        finally:
            server.stop()
        assert all(r.status == "sent" and r.attempts == 2 for r in rows())
    ids = [m["Message-ID"] for m in server.handler.messages()]
    assert sorted(ids) == sorted(r.message_id for r in queued)


def test_a_refused_recipient_is_recorded_and_the_rest_are_sent(tmp_path, close_db, today):
    server = SmtpServer(refuse={"nobody@example.org"}).start()
    try:
        app = mail_app(tmp_path, server.port)
        with app.app_context():
            make_mailbox(make_account(reference_email="nobody@example.org"), expires_in=30)
            queue_reminders(2, today)
            counts = delivery.deliver_due()
            assert counts == {"sent": 2, "retry_later": 1}
            refused = OutboxMessage.get(OutboxMessage.to_address == "nobody@example.org")
            assert refused.status == "pending" and "No such user" in refused.last_error
    finally:
        server.stop()
    assert len(server.handler.envelopes) == 2


def test_gives_up_after_max_attempts_and_an_operator_can_retry(tmp_path, close_db, today):
    server = SmtpServer()
    app = mail_app(tmp_path, server.port, PEC_OUTBOX_MAX_ATTEMPTS=2)
    with app.app_context():
        (row,) = queue_reminders(1, today)
        now = delivery.wall_clock()
        assert delivery.deliver_due(now) == {"retry_later": 1}
        assert delivery.deliver_due(now + LATER) == {"failed": 1}
        row = OutboxMessage.get_by_id(row.id)
        assert row.status == "failed" and row.attempts == 2 and row.last_error
        assert not delivery.deliver_due(now + 5 * LATER)  # failed is not retried by itself
        assert outbox.retry(row)
        server.start()
        try:
            assert delivery.deliver_due()["sent"] == 1
        finally:
            server.stop()
        row = OutboxMessage.get_by_id(row.id)
        assert row.status == "sent" and row.last_error == ""
        assert not outbox.retry(row)  # a sent message is never sent again
    assert len(server.handler.envelopes) == 1


def test_two_senders_at_once_send_each_message_once(tmp_path, close_db, smtp, today):
    import threading

    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        queue_reminders(40, today)
    barrier = threading.Barrier(2)
    errors = []

    def sender():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                delivery.deliver_all()
        except Exception as exc:  # reported by the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [m["Message-ID"] for m in smtp.handler.messages()]
    assert len(ids) == 40 and len(set(ids)) == 40
    with app.app_context():
        assert all(r.status == "sent" for r in rows())


def test_without_a_mail_server_messages_stay_pending(ctx, today):
    queue_reminders(2, today)
    assert delivery.deliver_due() == {"waiting": 2}
    assert all(r.status == "pending" and r.attempts == 0 and not r.last_error for r in rows())


# --- TLS and timeouts: what Flask-Mail 0.10 gets wrong (docs/stack-notes.md) ----------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    return cert, server_context


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused_unless_configured(
    tmp_path, close_db, today, self_signed, mode
):
    cert, server_context = self_signed
    if mode == "starttls":
        server = SmtpServer(tls_context=server_context, require_starttls=True)
        app = mail_app(tmp_path, server.port, MAIL_USE_TLS=True)
    else:
        server = SmtpServer(ssl_context=server_context)
        app = mail_app(tmp_path, server.port, MAIL_USE_SSL=True)
    server.start()
    try:
        with app.app_context():
            (row,) = queue_reminders(1, today)
            assert delivery.deliver_due() == {"retry_later": 1}
            row = OutboxMessage.get_by_id(row.id)
            assert "CERTIFICATE_VERIFY_FAILED" in row.last_error and row.status == "pending"
            assert server.handler.envelopes == []

            app.config["MAIL_CA_FILE"] = str(cert)
            assert delivery.deliver_due(delivery.wall_clock() + LATER) == {"sent": 1}
    finally:
        server.stop()
    assert len(server.handler.envelopes) == 1


def test_a_server_that_never_answers_times_out_within_mail_timeout(tmp_path, close_db, today):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts connections (in the backlog) and never says a word
        app = mail_app(tmp_path, silent.getsockname()[1], MAIL_TIMEOUT=1)
        with app.app_context():
            (row,) = queue_reminders(1, today)
            started = time.monotonic()
            assert delivery.deliver_due() == {"retry_later": 1}
            elapsed = time.monotonic() - started
            row = OutboxMessage.get_by_id(row.id)
    assert 0.9 <= elapsed < 5
    assert "timed out" in row.last_error.lower() and row.status == "pending"


# --- One message's trouble stays on that message (issue 15) ---------------------------------


def queue_to(addresses, today):
    """One reminder to each reference address, in this order."""
    for address in addresses:
        make_mailbox(make_account(reference_email=address), expires_in=30, today=today)
    lifecycle.send_due_reminders(today, MemberMail())
    return {r.to_address: r for r in rows()}


def test_an_internationalised_local_part_goes_out_with_smtputf8_amid_the_batch(
    tmp_path, close_db, today
):
    server = SmtpServer(enable_SMTPUTF8=True).start()
    try:
        app = mail_app(tmp_path, server.port)
        with app.app_context():
            queue_to(["anna@example.org", "josé.verdi@example.org", "bruno@example.org"], today)
            assert delivery.deliver_due() == {"sent": 3}
            assert all(r.status == "sent" for r in rows())
    finally:
        server.stop()
    recipients = sorted(r for e in server.handler.envelopes for r in e.rcpt_tos)
    assert recipients == ["anna@example.org", "bruno@example.org", "josé.verdi@example.org"]
    (utf8,) = [e for e in server.handler.envelopes if e.rcpt_tos == ["josé.verdi@example.org"]]
    assert "SMTPUTF8" in utf8.mail_options
    message = email.message_from_bytes(utf8.content, policy=email.policy.default)
    assert message["To"] == "josé.verdi@example.org"


def test_a_server_without_smtputf8_fails_that_message_alone_and_the_batch_goes_on(
    tmp_path, close_db, today
):
    server = SmtpServer(enable_SMTPUTF8=False).start()
    try:
        app = mail_app(tmp_path, server.port, PEC_OUTBOX_MAX_ATTEMPTS=2)
        with app.app_context():
            queued = queue_to(
                ["anna@example.org", "josé.verdi@example.org", "bruno@example.org"], today
            )
            now = delivery.wall_clock()
            assert delivery.deliver_due(now) == {"sent": 2, "retry_later": 1}
            jose = OutboxMessage.get_by_id(queued["josé.verdi@example.org"].id)
            assert jose.status == "pending" and "SMTPUTF8" in jose.last_error
            assert jose.to_address == "josé.verdi@example.org"  # never rewritten
            assert delivery.deliver_due(now + LATER) == {"failed": 1}
            assert OutboxMessage.get_by_id(jose.id).status == "failed"
    finally:
        server.stop()
    assert sorted(r for e in server.handler.envelopes for r in e.rcpt_tos) == [
        "anna@example.org",
        "bruno@example.org",
    ]


@pytest.mark.parametrize("smtputf8", [False, True])
def test_a_domain_with_sharp_s_is_delivered_to_that_domain_not_to_strasse(
    tmp_path, close_db, today, smtputf8
):
    server = SmtpServer(enable_SMTPUTF8=smtputf8).start()
    try:
        app = mail_app(tmp_path, server.port)
        with app.app_context():
            queue_to(["verdi@straße.example"], today)
            assert delivery.deliver_due() == {"sent": 1}
    finally:
        server.stop()
    (envelope,) = server.handler.envelopes
    # IDNA 2008: the same domain in ASCII; IDNA 2003 turned it into strasse.example.
    assert envelope.rcpt_tos == ["verdi@xn--strae-oqa.example"]


def test_any_error_on_one_message_is_recorded_on_it_and_the_rest_are_sent(
    tmp_path, close_db, smtp, today
):
    app = mail_app(tmp_path, smtp.port)
    with app.app_context():
        queued = queue_to(["anna@example.org", "carla@example.org", "bruno@example.org"], today)
        broken = queued["carla@example.org"]
        # A subject that cannot be a header (a line break) makes building it raise.
        OutboxMessage.update(subject="Rinnovo\nBcc: someone@example.org").where(
            OutboxMessage.id == broken.id
        ).execute()
        assert delivery.deliver_due() == {"sent": 2, "retry_later": 1}
        broken = OutboxMessage.get_by_id(broken.id)
        assert broken.status == "pending" and broken.attempts == 1 and broken.last_error
    assert sorted(r for e in smtp.handler.envelopes for r in e.rcpt_tos) == [
        "anna@example.org",
        "bruno@example.org",
    ]
