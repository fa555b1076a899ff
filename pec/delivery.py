"""Outbox delivery over SMTP through Flask-Mail (docs/rules.md, Scheduled work and e-mail): never lost, never twice.

A sender first *claims* each due message with a compare-and-set update (attempts + 1,
next attempt pushed past the claim time), so two senders never send the same row; then
it sends the batch over one SMTP connection and marks a message sent only after the
server accepted it. A failure records the error and backs off exponentially; after
PEC_OUTBOX_MAX_ATTEMPTS the message is `failed`, which an operator can `retry`. A sender
that dies between the server's "250 OK" and the "sent" update sends that one message
again after the claim expires: delivery is at least once, and the stable Message-ID of
the row lets mail clients recognise the copy.

Flask-Mail 0.10 opens SMTP with no timeout and calls starttls() without an SSL context
(the certificate is not verified, docs/stack-notes.md): `SecureConnection` fixes both.
Flask-Mail also encodes domains with IDNA 2003 (`straße.example` becomes another domain,
`strasse.example`) and cannot send a non-ASCII local part: we build the message with the
standard library and put addresses on the wire ourselves (`wire_address`): IDNA 2008 for
domains, SMTPUTF8 when the server offers it, never a rewritten address.

Each message is isolated: whatever goes wrong while sending one (a refused recipient, an
address the server cannot take, a header that cannot be written) is recorded on that
message, and the batch goes on; only a broken connection gives the rest back unattempted.
"""

import datetime as dt
import email.policy
import email.utils
import logging
import smtplib
import ssl
from collections import Counter
from email.message import EmailMessage
from urllib.parse import urlsplit

import flask_mail
from flask import current_app

from pec.database import write_transaction
from pec.domain.billing import ascii_email, normal_email
from pec.member_mail import LocalSenderRefused, Outgoing, outgoing
from pec.models import OutboxMessage
from pec.vocabulary import OutboxStatus

BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)
CLAIM = dt.timedelta(minutes=10)  # how long a sender owns a message it claimed
BATCH_SIZE = 100

log = logging.getLogger(__name__)


class UndeliverableAddress(ValueError):
    """An address this server cannot take (recorded on the message, never rewritten)."""


def wall_clock() -> dt.datetime:
    """Real time, even when pec.domain.clock is frozen (tests, `jobs run --today`): retries
    and backoff are about an SMTP server's real outage, like the rows' own time stamps."""
    return dt.datetime.now(dt.UTC)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificate and host name verified against the system store, plus `ca_file`."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class SecureConnection(flask_mail.Connection):
    """Flask-Mail's connection with a timeout and verified TLS (STARTTLS and SSL)."""

    def configure_host(self):
        config = current_app.config
        timeout = float(config.get("MAIL_TIMEOUT") or 30)
        context = tls_context(config.get("MAIL_CA_FILE"))
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(
                self.mail.server, self.mail.port, timeout=timeout, context=context
            )
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls(context=context)
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb):
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.host.close()


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}


def check_config(config) -> None:
    """Warn at start when a production base URL would send mail from a localhost
    sender (the default `noreply@localhost`): receiving servers refuse or junk it, and
    members could not answer."""
    base_host = (urlsplit(str(config.get("PEC_BASE_URL", ""))).hostname or "").lower()
    sender = config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender, list | tuple):
        sender = sender[-1]
    sender_domain = email.utils.parseaddr(sender)[1].rpartition("@")[2].lower()
    is_local_sender = sender_domain in LOCAL_HOSTS or sender_domain.endswith(".localhost")
    if base_host and base_host not in LOCAL_HOSTS and is_local_sender:
        log.warning(
            "PEC_BASE_URL is %s but e-mails are sent from %r: set MAIL_DEFAULT_SENDER to an "
            "address of your domain (README, Configuration), or members' mail servers "
            "will refuse the reminders",
            config.get("PEC_BASE_URL"),
            sender,
        )


def is_configured() -> bool:
    """False with no MAIL_SERVER (demo) or with sending suppressed: mail stays pending."""
    state = current_app.extensions["mail"]
    return bool(current_app.config.get("MAIL_SERVER")) and not state.suppress


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def wire_address(address: str, smtputf8: bool) -> tuple[str, bool]:
    """How `address` goes to the SMTP server, and whether it needs SMTPUTF8.

    A non-ASCII domain is sent in its IDNA 2008 ASCII form (`straße.example` is
    `xn--strae-oqa.example`, the same domain; IDNA 2003 would give `strasse.example`,
    another one). A non-ASCII local part (`josé.verdi@…`) has no ASCII form: it needs a
    server that offers SMTPUTF8, else UndeliverableAddress."""
    try:
        ascii_form = ascii_email(address)
    except ValueError as error:
        raise UndeliverableAddress(f"not a valid address {address!r}: {error}") from None
    if ascii_form:
        return ascii_form, False
    if not smtputf8:
        raise UndeliverableAddress(
            f"{address} has non-ASCII characters before the @: it needs SMTPUTF8, "
            "which the SMTP server does not offer"
        )
    return normal_email(address), True


def build_message(
    row: OutboxMessage,
    parts: Outgoing,
    sender: str,
    recipient: str,
    smtputf8: bool = False,
) -> EmailMessage:
    """The MIME message of an outbox row: text and HTML parts, the row's Message-ID, and
    what pec.member_mail.outgoing settled at delivery (links on the current base URL,
    inline images such as the transfer's QR code)."""
    message = EmailMessage(policy=email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP)
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = row.language
    message.set_content(parts.body_text, cte="quoted-printable")
    if parts.body_html:
        message.add_alternative(parts.body_html, subtype="html", cte="quoted-printable")
        html = message.get_payload()[-1]
        for cid, content_type, data in parts.images:
            maintype, subtype = content_type.split("/", 1)
            html.add_related(
                data, maintype=maintype, subtype=subtype, cid=f"<{cid}>", filename=f"{cid}.png"
            )
    return message


def _sender(configured, smtputf8: bool) -> tuple[str, str, bool]:
    """(envelope address, From header, needs SMTPUTF8) for the sender pec.member_mail
    chose (the convention's, else MAIL_DEFAULT_SENDER): "Name <address>" or a (name,
    address) pair."""
    if isinstance(configured, list | tuple):
        name, address = configured
    else:
        name, address = email.utils.parseaddr(configured)
    envelope, needs_utf8 = wire_address(address, smtputf8)
    return envelope, email.utils.formataddr((name, envelope)) if name else envelope, needs_utf8


def send_row(host: smtplib.SMTP, row: OutboxMessage) -> None:
    """Send one outbox row over an open SMTP session; raises what went wrong."""
    host.ehlo_or_helo_if_needed()
    offered = host.has_extn("smtputf8")
    parts = outgoing(row)  # raises LocalSenderRefused: a setting to fix, not this message
    recipient, recipient_utf8 = wire_address(row.to_address, offered)
    envelope_from, from_header, sender_utf8 = _sender(parts.sender, offered)
    smtputf8 = recipient_utf8 or sender_utf8
    message = build_message(row, parts, from_header, recipient, smtputf8)
    host.sendmail(
        envelope_from,
        [recipient],
        message.as_bytes(),
        mail_options=["SMTPUTF8"] if smtputf8 else [],
    )


def due_messages(now: dt.datetime, limit: int = BATCH_SIZE):
    return (
        OutboxMessage.select()
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now)
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )


def _update(query) -> int:
    """One compare-and-set update of outbox rows, in its own short write transaction
    (never around an SMTP exchange)."""
    with write_transaction():
        return query.execute()


def _claim(row: OutboxMessage, now: dt.datetime) -> bool:
    claimed = _update(
        OutboxMessage.update(
            attempts=OutboxMessage.attempts + 1, next_attempt_at=now + CLAIM
        ).where(
            (OutboxMessage.id == row.id)
            & (OutboxMessage.status == OutboxStatus.PENDING)
            & (OutboxMessage.next_attempt_at <= now)
        )
    )
    row.attempts += 1
    return claimed == 1


def _mark_sent(row: OutboxMessage) -> None:
    _update(
        OutboxMessage.update(status=OutboxStatus.SENT, sent_at=wall_clock(), last_error="").where(
            (OutboxMessage.id == row.id) & (OutboxMessage.status == OutboxStatus.PENDING)
        )
    )


def _mark_failed(row: OutboxMessage, error: BaseException, now: dt.datetime) -> str:
    max_attempts = int(current_app.config.get("PEC_OUTBOX_MAX_ATTEMPTS", 10))
    gave_up = row.attempts >= max_attempts
    _update(
        OutboxMessage.update(
            status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
            next_attempt_at=now + backoff(row.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        ).where((OutboxMessage.id == row.id) & (OutboxMessage.status == OutboxStatus.PENDING))
    )
    return "failed" if gave_up else "retry_later"


def _release(rows: list[OutboxMessage], now: dt.datetime) -> None:
    """Give back claimed messages that were not attempted (the connection broke)."""
    for row in rows:
        _update(
            OutboxMessage.update(attempts=OutboxMessage.attempts - 1, next_attempt_at=now).where(
                (OutboxMessage.id == row.id) & (OutboxMessage.status == OutboxStatus.PENDING)
            )
        )


def deliver_due(now: dt.datetime | None = None, limit: int = BATCH_SIZE) -> Counter:
    """Send up to `limit` due messages over one SMTP connection; returns counts
    (sent, retry_later, failed, waiting = pending because no server is configured)."""
    now = now or wall_clock()
    counts: Counter = Counter()
    if not is_configured():
        counts["waiting"] = due_messages(now, limit).count()
        return counts
    # Read the batch fully first: claiming while a SELECT cursor is still open would try
    # to upgrade its read snapshot to a write, which SQLite refuses at once under contention.
    due = list(due_messages(now, limit))
    claimed = [row for row in due if _claim(row, now)]
    if not claimed:
        return counts
    try:
        connection = SecureConnection(current_app.extensions["mail"]).__enter__()
    except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, bad certificate
        for row in claimed:
            counts[_mark_failed(row, exc, now)] += 1
        return counts
    try:
        for index, row in enumerate(claimed):
            try:
                send_row(connection.host, row)
            except Exception as exc:
                # Whatever it was, it is recorded on this message and the batch goes on,
                # unless the connection itself is gone (then the rest is given back).
                if not isinstance(exc, OSError | UndeliverableAddress | LocalSenderRefused):
                    log.exception("outbox message %s could not be sent", row.id)
                counts[_mark_failed(row, exc, now)] += 1
                if _connection_lost(exc) or not _reset(connection.host):
                    _release(claimed[index + 1 :], now)
                    break
            else:
                _mark_sent(row)
                counts["sent"] += 1
    finally:
        connection.__exit__(None, None, None)
    return counts


def _connection_lost(error: Exception) -> bool:
    """A dropped connection or a socket error (timeout, reset), as opposed to a refusal
    of this one message (smtplib's errors are OSErrors too, but not these)."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _reset(host: smtplib.SMTP) -> bool:
    """After a message failed half-way, put the SMTP session back to a clean state
    (RSET); False if the connection did not survive."""
    try:
        host.rset()
    except (smtplib.SMTPException, OSError):
        return False
    return True


def deliver_all(now: dt.datetime | None = None, batch: int = BATCH_SIZE) -> Counter:
    """Deliver every due message now, batch after batch (`pec send-outbox`)."""
    now = now or wall_clock()
    total: Counter = Counter()
    while True:
        counts = deliver_due(now, batch)
        total.update(counts)
        attempted = counts["sent"] + counts["retry_later"] + counts["failed"]
        if "waiting" in counts or attempted < batch:
            return total
