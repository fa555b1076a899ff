"""Operators verify or reject identity documents; files are purged a convention's
`document_retention_days` after that decision (data minimisation).

Verify and reject are compare-and-set on status "uploaded" (two operators, one
decision); a rejection's e-mail goes into the outbox in the decision's transaction.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pec.database import write_transaction
from pec.domain import audit, clock
from pec.domain.notices import Notices
from pec.models import (
    Account,
    Convention,
    IdentityDocument,
)
from pec.vocabulary import DocumentStatus


def review_queue():
    """Documents waiting for an operator, oldest first."""
    return (
        IdentityDocument.select(IdentityDocument, Account)
        .join(Account)
        .where(
            (IdentityDocument.status == DocumentStatus.UPLOADED)
            & IdentityDocument.purged_at.is_null()
        )
        .order_by(IdentityDocument.uploaded_at, IdentityDocument.id)
    )


def _decide(document: IdentityDocument, status: str, reason: str, actor: str, ip: str) -> bool:
    now = clock.now()
    changed = (
        IdentityDocument.update(status=status, rejection_reason=reason, verified_at=now)
        .where(
            (IdentityDocument.id == document.id)
            & (IdentityDocument.status == DocumentStatus.UPLOADED)
        )
        .execute()
    )
    if changed != 1:
        return False
    document.status, document.rejection_reason, document.verified_at = status, reason, now
    details = {"reason": reason} if reason else None
    audit.record(actor, f"document.{status}", document, details, ip=ip)
    return True


def verify_document(document: IdentityDocument, *, actor: str, ip: str = "") -> bool:
    """Mark the document verified; False if someone already decided on it."""
    with write_transaction():
        return _decide(document, DocumentStatus.VERIFIED, "", actor, ip)


def reject_document(
    document: IdentityDocument, reason: str, *, actor: str, notices: Notices, ip: str = ""
) -> bool:
    """Mark it rejected and tell the member why; False if someone already decided."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a rejection needs a reason")
    with write_transaction():
        decided = _decide(document, DocumentStatus.REJECTED, reason, actor, ip)
        if decided:
            notices.document_rejected(document)
        return decided


@dataclass(frozen=True)
class PurgeResult:
    purged: int


def purge_documents(today: dt.date, directory: str, *, actor: str = "system:purge") -> PurgeResult:
    """Delete the files of documents decided on more than the convention's retention
    days before `today` and stamp purged_at. Idempotent: purged ones are skipped, and
    a file already gone is not an error."""
    purged = 0
    now = clock.now()
    for convention in Convention.select():
        # Decided on day D, purged from day D + retention (0 = the same day).
        retention = dt.timedelta(days=convention.document_retention_days - 1)
        cutoff = clock.start_of_day(today - retention)
        due = (
            IdentityDocument.select()
            .join(Account)
            .where(
                (Account.convention == convention.id)
                & IdentityDocument.status.in_((DocumentStatus.VERIFIED, DocumentStatus.REJECTED))
                & IdentityDocument.purged_at.is_null()
                & (IdentityDocument.verified_at < cutoff)
            )
        )
        for document in due:
            (Path(directory) / document.stored_name).unlink(missing_ok=True)
            with write_transaction():
                stamped = (
                    IdentityDocument.update(purged_at=now)
                    .where(
                        (IdentityDocument.id == document.id) & IdentityDocument.purged_at.is_null()
                    )
                    .execute()
                )
                if stamped:
                    audit.record(actor, "document.purged", document)
            purged += stamped
    return PurgeResult(purged)
