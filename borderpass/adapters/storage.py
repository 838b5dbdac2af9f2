"""Uploaded files in a content-addressed local directory (sha256 → path), sealed at rest.

Each file is AES-GCM-sealed with the data key (a fresh nonce per write, the digest as
associated data, so a file cannot be swapped for another) and readable by the owner only
(files 0600, folders 0700). Plain files stored before sealing are still read as they are,
until ``borderpass keys reseal`` seals them (R-U7).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from borderpass.core.crypto import (
    FILE_MAGIC,
    KID_BYTES,
    SUBJECT_MAGIC,
    CryptoError,
    FieldCipher,
    SubjectCipher,
)

_HEX = frozenset("0123456789abcdef")


class FileStore:
    """Stores each distinct content once under ``root/ab/cdef…``; writes are atomic."""

    def __init__(self, root: Path, cipher: FieldCipher | None = None) -> None:
        self.root = root
        self.cipher = cipher

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` (sealed) and return its sha256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            self._write(path, self._seal(data, digest))
        return digest

    def put_subject(self, data: bytes, subject: SubjectCipher) -> str:
        """Store ``data`` sealed under one person's subject key (R-D7); its stored name."""
        name = subject.name(hashlib.sha256(data).hexdigest())
        path = self._path(name)
        if not path.exists():
            self._write(path, subject.seal_file(data, name))
        return name

    def get(self, digest: str, subject: SubjectCipher | None = None) -> bytes:
        """The content stored under ``digest`` (a subject-sealed file needs its
        ``subject``); FileNotFoundError when absent, CryptoError when it does not open."""
        if len(digest) != 64 or not _HEX.issuperset(digest):
            raise FileNotFoundError(digest)
        blob = self._path(digest).read_bytes()
        if blob.startswith(SUBJECT_MAGIC):
            if subject is None:
                raise CryptoError("a subject-sealed file needs its subject key")
            return subject.open_file(blob, digest)
        return self.cipher.open_file(blob, digest) if self.cipher else blob

    def is_subject(self, digest: str) -> bool:
        """True when the stored file is sealed under a subject key (not re-sealed by a
        data-key rotation: only its wrapped key is)."""
        with self._path(digest).open("rb") as fh:
            return fh.read(len(SUBJECT_MAGIC)) == SUBJECT_MAGIC

    def digests(self) -> Iterator[str]:
        """Every stored digest (for re-sealing), in no particular order."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for file in folder.iterdir():
                digest = folder.name + file.name
                if len(digest) == 64 and _HEX.issuperset(digest):
                    yield digest

    def delete(self, digest: str) -> bool:
        """Remove a stored file (retention, R-D4); True if it was there."""
        if len(digest) != 64 or not _HEX.issuperset(digest):
            return False
        try:
            self._path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def modified_at(self, digest: str) -> float | None:
        """When a stored file was written (epoch seconds), None when absent."""
        try:
            return self._path(digest).stat().st_mtime
        except FileNotFoundError:
            return None

    def kid_of(self, digest: str) -> str | None:
        """The key id a stored file is sealed under, None when it is plain."""
        with self._path(digest).open("rb") as fh:
            head = fh.read(len(FILE_MAGIC) + KID_BYTES)
        return head[len(FILE_MAGIC):].hex() if head.startswith(FILE_MAGIC) else None

    def reseal(self, digest: str) -> bool:
        """Seal one stored file under the current key (plain or an old key); True if done."""
        assert self.cipher is not None, "re-sealing needs the data key"
        path = self._path(digest)
        blob = path.read_bytes()
        if blob.startswith(SUBJECT_MAGIC):  # its subject key is re-wrapped instead (R-D7)
            return False
        if self.cipher.file_kid(blob) == self.cipher.kid:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return False
        data = self.cipher.open_file(blob, digest)
        if hashlib.sha256(data).hexdigest() != digest:  # never replace a file by another
            raise ValueError(f"stored file {digest[:12]}… does not match its digest")
        self._write(path, self.cipher.seal_file(data, digest))
        return True

    def _seal(self, data: bytes, digest: str) -> bytes:
        return self.cipher.seal_file(data, digest) if self.cipher else data

    def _write(self, path: Path, blob: bytes) -> None:
        for folder in (self.root, path.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if folder.stat().st_mode & 0o077:
                folder.chmod(0o700)
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
