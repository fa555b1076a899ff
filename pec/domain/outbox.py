"""The outbox (docs/rules.md, Scheduled work and e-mail): e-mails are rows written in the caller's transaction, sent
later by pec.delivery; operators may queue a message again."""

import datetime as dt
import uuid
from dataclasses import dataclass

from peewee import IntegrityError, chunked

from pec.database import write_transaction
from pec.domain import audit
from pec.models import OutboxMessage
from pec.vocabulary import OutboxStatus


@dataclass(frozen=True)
class Email:
    """A rendered e-mail, ready to be queued."""

    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str = ""
    language: str = "it"
    # Inline images by Content-ID, as the facts delivery draws them from.
    images: dict | None = None


def _row(email: Email, sender_domain: str, base_url: str, dedupe_key: str | None, links) -> dict:
    return dict(
        kind=email.kind,
        dedupe_key=dedupe_key,
        message_id=f"<{uuid.uuid4().hex}@{sender_domain}>",
        to_address=email.to_address,
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        language=email.language,
        base_url=base_url,
        images=email.images,
        **links,
    )


def enqueue(
    email: Email,
    *,
    sender_domain: str,
    base_url: str = "",
    dedupe_key: str | None = None,
    **links,
):
    """Queue `email` (links: account=, mailbox=, order=), whose links were written with
    `base_url` (delivery moves them to the current one). With a `dedupe_key` already
    queued, nothing is added and None is returned: each event mails at most once."""
    try:
        with write_transaction():  # a savepoint inside the caller's transaction
            return OutboxMessage.create(**_row(email, sender_domain, base_url, dedupe_key, links))
    except IntegrityError:
        if dedupe_key and OutboxMessage.get_or_none(OutboxMessage.dedupe_key == dedupe_key):
            return None
        raise


@dataclass(frozen=True)
class Queued:
    """An e-mail waiting in `enqueue_many`'s list: what `enqueue` takes."""

    email: Email
    dedupe_key: str | None
    links: dict


def enqueue_many(queued: list[Queued], *, sender_domain: str, base_url: str = "") -> None:
    """Queue many e-mails in a few INSERTs, in the caller's transaction; one whose
    `dedupe_key` is queued already is left out, as `enqueue` leaves it."""
    rows = [_row(q.email, sender_domain, base_url, q.dedupe_key, q.links) for q in queued]
    # The fields each row sets differ (links): one INSERT needs the same columns in all.
    names = {name for row in rows for name in row}
    rows = [{name: row.get(name) for name in names} for row in rows]
    for chunk in chunked(rows, 200):
        # Only a dedupe key already queued is skipped (not SQLite's INSERT OR IGNORE,
        # which would also drop a row that breaks any other constraint, without a word).
        OutboxMessage.insert_many(chunk).on_conflict(
            action="NOTHING", conflict_target=[OutboxMessage.dedupe_key]
        ).execute()


def retry(message: OutboxMessage, now: dt.datetime | None = None) -> bool:
    """Send a pending or failed message again at the next delivery. A failed one gets
    one more attempt; if that fails too it is failed again. False once it was sent."""
    # Real time, like delivery's own retry stamps (the business clock may be frozen).
    now = now or dt.datetime.now(dt.UTC)
    with write_transaction():
        changed = (
            OutboxMessage.update(status=OutboxStatus.PENDING, next_attempt_at=now)
            .where(
                (OutboxMessage.id == message.id)
                & OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED))
            )
            .execute()
        )
    return changed == 1


def retry_by_operator(message: OutboxMessage, *, actor: str, ip: str = "") -> bool:
    """An operator queues one message again (audited); False if it was already sent."""
    with write_transaction():
        retried = retry(message)
        if retried:
            audit.record(actor, "outbox.retried", message, ip=ip)
    return retried


def retry_failed(*, actor: str, ip: str = "") -> int:
    """An operator queues every failed message again (after an SMTP outage was fixed);
    returns how many, audited as one action."""
    with write_transaction():
        failed = OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.FAILED)
        retried = sum(retry(message) for message in failed)
        if retried:
            audit.record(actor, "outbox.retried_failed", None, {"messages": retried}, ip=ip)
    return retried
