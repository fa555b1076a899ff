"""Identity documents (docs/rules.md, member journey 3): checked by content, stored outside the web root."""

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from pec.database import write_transaction
from pec.domain import audit
from pec.models import Account, IdentityDocument
from pec.vocabulary import DocumentStatus

# Magic bytes, not extensions (ASVS 5.2.2): a renamed .exe is refused.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


class DocumentError(Exception):
    """An upload refused; `code` is mapped to a message by the view."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def display_name(original_name: str) -> str:
    """The uploaded file's name as we keep and offer it back: no control or line
    separator characters (they break the download's headers), at most 200 characters."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in original_name or ""
    )
    return re.sub(r"\s+", " ", kept).strip()[:200] or "documento"


def pending_count(account: Account) -> int:
    """Documents of the account waiting for an operator (not yet verified or rejected)."""
    return (
        IdentityDocument.select()
        .where(
            (IdentityDocument.account == account)
            & (IdentityDocument.status == DocumentStatus.UPLOADED)
            & IdentityDocument.purged_at.is_null()
        )
        .count()
    )


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) for a PDF, JPEG or PNG; None for anything else."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def store_document(
    account: Account,
    original_name: str,
    data: bytes,
    directory: str,
    max_bytes: int,
    *,
    max_pending: int | None = None,
    actor: str | None = None,
    ip: str = "",
) -> IdentityDocument:
    """Check and keep an uploaded document; raises DocumentError("empty"|"too_large"|
    "type"|"too_many"). With `max_pending`, an account that already has that many
    documents waiting for verification cannot add another (a member could otherwise
    fill the disk: 5 MB a file, any number of files).

    The file is written before the write transaction (no slow work under the write
    lock) and removed again if its row cannot be saved. With `actor` (the member who
    uploads it) the upload is audited in the row's transaction."""
    if not data:
        raise DocumentError("empty")
    if len(data) > max_bytes:
        raise DocumentError("too_large")
    kind = sniff(data)
    if kind is None:
        raise DocumentError("type")
    if max_pending is not None and pending_count(account) >= max_pending:
        raise DocumentError("too_many")
    content_type, extension = kind
    stored_name = secrets.token_hex(16) + extension
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name
    path.write_bytes(data)
    try:
        with write_transaction():
            # Counted again under the write lock: two uploads at once stay within the cap.
            if max_pending is not None and pending_count(account) >= max_pending:
                raise DocumentError("too_many")
            document = IdentityDocument.create(
                account=account,
                stored_name=stored_name,
                original_name=display_name(original_name),
                content_type=content_type,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            if actor is not None:
                audit.record(actor, "document.uploaded", document, ip=ip)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return document


def document_path(document: IdentityDocument, directory: str) -> Path:
    return Path(directory) / document.stored_name
