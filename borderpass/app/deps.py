"""Building the services' dependencies once per process, after the data key is checked."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from borderpass.adapters.keyring import open_cipher
from borderpass.adapters.storage import FileStore
from borderpass.core.config import Settings
from borderpass.services.ports import Deps


async def open_deps(settings: Settings, redis: Any) -> Deps:
    """Deps over an opened database: a checked cipher (R-U7), sealed files, Redis."""
    cipher = await open_cipher(settings)
    return Deps(
        cipher=cipher,
        files=FileStore(settings.data_dir / "uploads", cipher),
        kv=redis,
        tz=ZoneInfo(settings.timezone),
        holidays=frozenset(settings.holidays),
        session_ttl=settings.session_ttl,
        max_upload_bytes=settings.max_upload_bytes,
        login=settings.login_policy(),
        credit_sample_share=settings.credit_sample_share,
        ledger_keep_days=settings.ledger_keep_days,
    )
