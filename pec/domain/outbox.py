"""The outbox (SPEC §5): e-mails are rows written in the caller's transaction."""

import uuid
from dataclasses import dataclass

from peewee import IntegrityError

from pec.database import db
from pec.models import OutboxMessage


@dataclass(frozen=True)
class Email:
    """A rendered e-mail, ready to be queued."""

    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str = ""
    language: str = "it"


def enqueue(email: Email, *, sender_domain: str, dedupe_key: str | None = None, **links):
    """Queue `email` (links: account=, mailbox=, order=). With a `dedupe_key` already
    queued, nothing is added and None is returned: each event mails at most once."""
    try:
        with db.atomic():
            return OutboxMessage.create(
                kind=email.kind,
                dedupe_key=dedupe_key,
                message_id=f"<{uuid.uuid4().hex}@{sender_domain}>",
                to_address=email.to_address,
                subject=email.subject,
                body_text=email.body_text,
                body_html=email.body_html,
                language=email.language,
                **links,
            )
    except IntegrityError:
        if dedupe_key and OutboxMessage.get_or_none(OutboxMessage.dedupe_key == dedupe_key):
            return None
        raise
