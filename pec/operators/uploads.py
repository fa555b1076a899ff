"""Files an operator uploads to preview before applying (rosters, bank statements).

The file waits server-side, never in hidden fields, under a random token; its metadata
(file name, operator) sits beside it as JSON. Files older than the lifetime are swept
at the next upload.
"""

import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import abort

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class UploadStore:
    def __init__(self, folder: Callable[[], Path], suffix: str, lifetime_seconds: int):
        self._folder = folder
        self.suffix = suffix
        self.lifetime_seconds = lifetime_seconds

    def folder(self) -> Path:
        folder = self._folder()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _paths(self, token: str) -> tuple[Path, Path]:
        folder = self.folder()
        return folder / f"{token}{self.suffix}", folder / f"{token}.json"

    def save(self, data: bytes, meta: dict) -> str:
        """Keep `data` and `meta`; returns the token that names them."""
        self.sweep()
        token = secrets.token_hex(16)
        data_path, meta_path = self._paths(token)
        data_path.write_bytes(data)
        meta_path.write_text(json.dumps(meta))
        return token

    def load(self, token: str) -> tuple[bytes, dict]:
        """The waiting file and its metadata, or 404 (unknown, discarded or expired)."""
        if not _TOKEN.match(token):
            abort(404)
        data_path, meta_path = self._paths(token)
        if not data_path.exists() or not meta_path.exists():
            abort(404)
        return data_path.read_bytes(), json.loads(meta_path.read_text())

    def save_meta(self, token: str, meta: dict) -> None:
        self._paths(token)[1].write_text(json.dumps(meta))

    def discard(self, token: str) -> None:
        for path in self._paths(token):
            path.unlink(missing_ok=True)

    def sweep(self) -> None:
        cutoff = time.time() - self.lifetime_seconds
        for path in self.folder().iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
