"""What the domain needs from infrastructure, as protocols (no redis import here)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from borderpass.adapters.storage import FileStore
from borderpass.core.config import LoginPolicy
from borderpass.core.crypto import FieldCipher


class KeyValue(Protocol):
    """The slice of the Redis API the services use (satisfied by ``redis.asyncio.Redis``)."""

    def get(self, name: str) -> Awaitable[Any]: ...

    def set(
        self, name: str, value: str, ex: int | None = None, px: int | None = None,
        nx: bool = False,
    ) -> Awaitable[Any]: ...

    def delete(self, *names: str) -> Awaitable[Any]: ...

    def mget(self, keys: list[str]) -> Awaitable[Any]: ...

    # Gate bridge: lane command outbox (hashes) and the ledger queue (a list).
    def hset(self, name: str, key: str, value: str) -> Awaitable[Any]: ...

    def hdel(self, name: str, *keys: str) -> Awaitable[Any]: ...

    def hgetall(self, name: str) -> Awaitable[Any]: ...

    def rpush(self, name: str, *values: str) -> Awaitable[Any]: ...

    def lpop(self, name: str, count: int | None = None) -> Awaitable[Any]: ...

    def llen(self, name: str) -> Awaitable[Any]: ...

    def publish(self, channel: str, message: str) -> Awaitable[Any]: ...

    def pipeline(self, transaction: bool = True) -> Any: ...

    def register_script(self, script: str) -> Any: ...

    def __hash__(self) -> int: ...


@dataclass(frozen=True)
class Deps:
    """Infrastructure handed to service functions that need it, built once by the app."""

    cipher: FieldCipher
    files: FileStore
    kv: KeyValue
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    holidays: frozenset[str] = frozenset()
    session_ttl: int = 7 * 24 * 3600
    max_upload_bytes: int = 10 * 1024 * 1024
    login: LoginPolicy = field(default_factory=LoginPolicy)
    credit_sample_share: float = 0.05  # R-P2.6: fast-lane renewals sampled to review
    ledger_keep_days: int = 0  # the ledger's months kept (0: all; R-U7 floor 183 days)
