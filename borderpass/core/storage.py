"""Uploaded files in a content-addressed local directory (sha256 → path)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class FileStore:
    """Stores each distinct content once under ``root/ab/cdef…``; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its sha256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        """The content stored under ``digest``; FileNotFoundError when absent."""
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise FileNotFoundError(digest)
        return self._path(digest).read_bytes()
