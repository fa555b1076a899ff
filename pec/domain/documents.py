"""Identity documents (docs/rules.md, member journey 3): checked by content, stored outside the web root."""

import hashlib
import secrets
from pathlib import Path

from pec.database import write_transaction
from pec.domain import audit
from pec.models import Account, IdentityDocument

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
    actor: str | None = None,
    ip: str = "",
) -> IdentityDocument:
    """Check and keep an uploaded document; raises DocumentError("empty"|"too_large"|"type").

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
    content_type, extension = kind
    stored_name = secrets.token_hex(16) + extension
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name
    path.write_bytes(data)
    try:
        with write_transaction():
            document = IdentityDocument.create(
                account=account,
                stored_name=stored_name,
                original_name=(original_name or "documento")[:200],
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
