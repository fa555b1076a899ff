"""The audit log (R10): one row per action, written in the action's transaction."""

from peewee import chunked

from pec.models import AuditEvent


def event(actor: str, action: str, target=None, details: dict | None = None, ip: str = ""):
    """An audit row's values; `target` is a model instance or None."""
    return dict(
        actor=actor,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=target.id if target is not None else None,
        details=details,
        ip=ip or "",
    )


def record(actor: str, action: str, target=None, details: dict | None = None, ip: str = ""):
    """Append an audit event; `target` is a model instance or None."""
    return AuditEvent.create(**event(actor, action, target, details, ip))


def record_many(events: list[dict]) -> None:
    """Append many events (`event`'s values), in order, in a few INSERTs."""
    for chunk in chunked(events, 500):
        AuditEvent.insert_many(chunk).execute()
