"""What a member typed on a step whose session had expired, kept for a short time so
the step comes back filled after they log in again (docs/rules.md: a member is never
left without a message, and after logging in again is back on the step with what was
typed).

Only the hash of the random key is stored; the key itself lives in the member's cookie.
A stash is read once, and only for the page it was typed on.
"""

import datetime as dt
import hashlib
import secrets

from pec.database import write_transaction
from pec.models import FormStash

LIFETIME = dt.timedelta(hours=1)
MAX_FIELDS = 100
MAX_CHARS = 20_000


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keep(path: str, fields: list[tuple[str, str]], now: dt.datetime) -> str | None:
    """Keep `fields` typed on `path`; returns the key to remember, or None when there
    is nothing worth keeping (empty, or too large to be a form of ours)."""
    fields = [(name, value) for name, value in fields if name][:MAX_FIELDS]
    if not fields or sum(len(name) + len(value) for name, value in fields) > MAX_CHARS:
        return None
    key = secrets.token_urlsafe(24)
    with write_transaction():
        FormStash.delete().where(FormStash.created_at < now - LIFETIME).execute()
        FormStash.create(
            key_hash=_hash(key), path=path[:255], fields=[list(f) for f in fields], created_at=now
        )
    return key


def take(key: str, path: str, now: dt.datetime) -> list[tuple[str, str]] | None:
    """The fields kept under `key` for `path`, once (the stash is deleted); None when
    there is none, it is for another page, or it is too old."""
    stash = FormStash.get_or_none(FormStash.key_hash == _hash(key or ""))
    if stash is None or stash.path != path:
        return None
    with write_transaction():
        deleted = FormStash.delete().where(FormStash.id == stash.id).execute()
    if not deleted or stash.created_at < now - LIFETIME:
        return None
    return [(name, value) for name, value in stash.fields]
