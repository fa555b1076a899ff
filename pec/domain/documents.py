"""Identity documents (SPEC §2.3): checked by content, stored outside the web root."""

import hashlib
import secrets
from pathlib import Path

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
    account: Account, original_name: str, data: bytes, directory: str, max_bytes: int
) -> IdentityDocument:
    """Check and keep an uploaded document; raises DocumentError("empty"|"too_large"|"type")."""
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
        return IdentityDocument.create(
            account=account,
            stored_name=stored_name,
            original_name=(original_name or "documento")[:200],
            content_type=content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise


def document_path(document: IdentityDocument, directory: str) -> Path:
    return Path(directory) / document.stored_name
