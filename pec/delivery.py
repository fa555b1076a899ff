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
"""

import datetime as dt
import smtplib
import ssl
from collections import Counter

import flask_mail
from flask import current_app

from pec.database import write_transaction
from pec.member_mail import LocalSenderRefused, outgoing
from pec.models import OutboxMessage
from pec.vocabulary import OutboxStatus

BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)
CLAIM = dt.timedelta(minutes=10)  # how long a sender owns a message it claimed
BATCH_SIZE = 100

# A message-level refusal: record it on that message, keep the connection for the rest.
_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    LocalSenderRefused,  # a configuration to fix; the message waits for its retry
)


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


def is_configured() -> bool:
    """False with no MAIL_SERVER (demo) or with sending suppressed: mail stays pending."""
    state = current_app.extensions["mail"]
    return bool(current_app.config.get("MAIL_SERVER")) and not state.suppress


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def build_message(row: OutboxMessage) -> flask_mail.Message:
    """The MIME message of an outbox row: text and HTML parts, the row's Message-ID, and
    what pec.member_mail.outgoing settles at delivery (sender, links, inline images)."""
    parts = outgoing(row)
    message = flask_mail.Message(
        subject=row.subject,
        recipients=[row.to_address],
        body=parts.body_text,
        html=parts.body_html or None,
        sender=parts.sender,
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": row.language},
    )
    for cid, content_type, data in parts.images:
        message.attach(
            f"{cid}.png", content_type, data, "inline", headers={"Content-ID": f"<{cid}>"}
        )
    message.msgId = row.message_id
    return message


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
                connection.send(build_message(row))
            except _MESSAGE_ERRORS as exc:
                counts[_mark_failed(row, exc, now)] += 1
            except (smtplib.SMTPException, OSError) as exc:  # the connection is gone
                counts[_mark_failed(row, exc, now)] += 1
                _release(claimed[index + 1 :], now)
                break
            else:
                _mark_sent(row)
                counts["sent"] += 1
    finally:
        connection.__exit__(None, None, None)
    return counts


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
