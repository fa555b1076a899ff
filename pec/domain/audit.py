"""The audit log (R10): one row per action, written in the action's transaction."""

from pec.models import AuditEvent


def record(actor: str, action: str, target=None, details: dict | None = None, ip: str = ""):
    """Append an audit event; `target` is a model instance or None."""
    return AuditEvent.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=target.id if target is not None else None,
        details=details,
        ip=ip or "",
    )
