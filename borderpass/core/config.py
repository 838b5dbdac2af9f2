"""Settings: one typed object built once from ``BORDERPASS_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``slot=id,slot=id`` (template ids per notification slot)."""
    pairs = (item.split("=", 1) for item in text.replace(" ", "").split(",") if "=" in item)
    return tuple((k, v) for k, v in pairs if k and v)


def _share(text: str) -> float:
    """A share between 0 and 1 (``BORDERPASS_CREDIT_SAMPLE_SHARE``), refused otherwise."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a share between 0 and 1, not {text}")
    return value


@dataclass(frozen=True)
class LoginPolicy:
    """Throttling of failed staff logins (R-U7, MLPS level 3), from Settings.

    After ``free_failures`` failures of one name (``address_free_failures`` of one client
    address) each further attempt waits ``delay_base`` × 2ⁿ seconds, at most ``delay_max``;
    the ``lock_after``-th failure of one name locks it until an admin unlocks it. Counters
    are forgotten ``window`` seconds after the last failure."""

    lock_after: int = 10
    free_failures: int = 3
    address_free_failures: int = 20
    delay_base: float = 1.0
    delay_max: float = 900.0
    window: int = 24 * 3600


@dataclass(frozen=True)
class Settings:
    """Every setting of the service; unset means the embedded default (DESIGN.md)."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("var")
    database_url: str = ""  # "" → SQLite file in data_dir
    redis_url: str = ""  # "" → in-process fakeredis
    data_key: str = ""  # "" → development key generated in data_dir (SQLite only)
    data_key_old: str = ""  # old keys (comma-separated) still opened during a rotation
    data_key_new: str = ""  # the key `borderpass keys rotate` re-seals everything under
    wechat_api_base: str = "https://api.weixin.qq.com/"
    miniapp_appid: str = ""
    miniapp_secret: str = ""
    oa_appid: str = ""
    oa_secret: str = ""
    oa_token: str = ""
    oa_aes_key: str = ""
    oa_compatible_mode: bool = False  # with an AES key: also take compatible-mode bodies
    ocr_engine: str = "rapidocr"
    ocr_workers: int = 1
    # Threads per OCR worker, each recognising one line crop at a time; 0: every core the
    # worker may use (a photo's latency halves on 2 cores, its CPU stays; docs/ocr.md).
    ocr_threads: int = 0
    ocr_queue: int = 8
    ocr_timeout: float = 20.0
    session_ttl: int = 7 * 24 * 3600
    sweep_interval: float = 60.0
    max_upload_bytes: int = 10 * 1024 * 1024
    timezone: str = "Asia/Shanghai"
    holidays: tuple[str, ...] = field(default_factory=tuple)
    # notifications: run the sender in this process, poll seconds, template ids per slot
    notify_worker: bool = True
    notify_poll: float = 1.0
    notify_subscribe_templates: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    notify_oa_templates: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # exchange with other agencies (docs/exchange.md): the sender in this process, poll
    # seconds, plain http to loopback subscribers (tests, agency-sim), the events' source
    exchange_worker: bool = True
    exchange_poll: float = 0.5
    exchange_loopback_http: bool = False
    exchange_source: str = "urn:borderpass"
    demo: bool = False
    public_url: str = ""  # "" → http://host:port, for QR codes without WeChat
    unit_join_page: str = "pages/units/join"  # mini-program page a unit code opens
    log_level: str = "INFO"
    # Prometheus /metrics on its own port (0: off), on this address (docs/operations.md)
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # CIDRs, X-Forwarded-*
    # gate bridge (R-G5: plates released at once)
    gate_emergency_plates: tuple[str, ...] = field(default_factory=tuple)
    # staff logins (R-U7, MLPS level 3): lockout, delays, the argon2 thread pool
    login_lock_after: int = 10
    login_free_failures: int = 3
    login_address_free_failures: int = 20
    login_delay_max: float = 900.0
    password_workers: int = 0  # 0 → half the CPUs, at least 1
    password_queue: int = 16
    # R-P2.6: the share of fast-lane renewals (good class, unchanged) sent to human review
    credit_sample_share: float = 0.05
    # the duty ledger's months kept on PostgreSQL (0: all; never under 183 days, R-U7)
    ledger_keep_days: int = 0

    @property
    def db_url(self) -> str:
        """The Tortoise connection URL, the SQLite file under data_dir by default."""
        return self.database_url or f"sqlite://{(self.data_dir / 'borderpass.sqlite3')}"

    @property
    def uses_postgres(self) -> bool:
        """True when the record is PostgreSQL (production: a data key is required)."""
        return self.db_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some settings changed (CLI flags, tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``BORDERPASS_*`` variables; anything unset keeps its default."""
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(f"BORDERPASS_{name}", default).strip()

        base = cls()
        holidays = tuple(d for d in get("HOLIDAYS").replace(" ", "").split(",") if d)
        return cls(
            host=get("HOST", base.host),
            port=int(get("PORT", str(base.port))),
            data_dir=Path(get("DATA_DIR", str(base.data_dir))),
            database_url=get("DATABASE_URL"),
            redis_url=get("REDIS_URL"),
            data_key=get("DATA_KEY"),
            data_key_old=get("DATA_KEY_OLD"),
            data_key_new=get("NEW_DATA_KEY"),
            wechat_api_base=get("WECHAT_API_BASE", base.wechat_api_base),
            miniapp_appid=get("MINIAPP_APPID"),
            miniapp_secret=get("MINIAPP_SECRET"),
            oa_appid=get("OA_APPID"),
            oa_secret=get("OA_SECRET"),
            oa_token=get("OA_TOKEN"),
            oa_aes_key=get("OA_AES_KEY"),
            oa_compatible_mode=get("OA_COMPATIBLE_MODE", "0") in ("1", "true", "yes"),
            ocr_engine=get("OCR_ENGINE", base.ocr_engine),
            ocr_workers=int(get("OCR_WORKERS", str(base.ocr_workers))),
            ocr_threads=int(get("OCR_THREADS", str(base.ocr_threads))),
            ocr_queue=int(get("OCR_QUEUE", str(base.ocr_queue))),
            ocr_timeout=float(get("OCR_TIMEOUT", str(base.ocr_timeout))),
            session_ttl=int(get("SESSION_TTL", str(base.session_ttl))),
            sweep_interval=float(get("SWEEP_INTERVAL", str(base.sweep_interval))),
            timezone=get("TIMEZONE", base.timezone),
            holidays=holidays,
            notify_worker=get("NOTIFY_WORKER", "1") not in ("0", "false", "no"),
            notify_poll=float(get("NOTIFY_POLL", str(base.notify_poll))),
            notify_subscribe_templates=_pairs(get("NOTIFY_SUBSCRIBE_TEMPLATES")),
            notify_oa_templates=_pairs(get("NOTIFY_OA_TEMPLATES")),
            exchange_worker=get("EXCHANGE_WORKER", "1") not in ("0", "false", "no"),
            exchange_poll=float(get("EXCHANGE_POLL", str(base.exchange_poll))),
            exchange_loopback_http=get("EXCHANGE_LOOPBACK_HTTP", "0") in ("1", "true", "yes"),
            exchange_source=get("EXCHANGE_SOURCE", base.exchange_source),
            public_url=get("PUBLIC_URL"),
            unit_join_page=get("UNIT_JOIN_PAGE", base.unit_join_page),
            log_level=get("LOG_LEVEL", base.log_level),
            metrics_port=int(get("METRICS_PORT", str(base.metrics_port)) or 0),
            metrics_host=get("METRICS_HOST", base.metrics_host),
            trusted_proxies=tuple(
                c for c in get("TRUSTED_PROXIES").replace(" ", "").split(",") if c),
            gate_emergency_plates=tuple(
                p for p in get("GATE_EMERGENCY_PLATES").replace(" ", "").split(",") if p),
            login_lock_after=int(get("LOGIN_LOCK_AFTER", str(base.login_lock_after))),
            login_free_failures=int(get("LOGIN_FREE_FAILURES", str(base.login_free_failures))),
            login_address_free_failures=int(get("LOGIN_ADDRESS_FREE_FAILURES",
                                                str(base.login_address_free_failures))),
            login_delay_max=float(get("LOGIN_DELAY_MAX", str(base.login_delay_max))),
            password_workers=int(get("PASSWORD_WORKERS", str(base.password_workers))),
            password_queue=int(get("PASSWORD_QUEUE", str(base.password_queue))),
            credit_sample_share=_share(get("CREDIT_SAMPLE_SHARE",
                                           str(base.credit_sample_share))),
            ledger_keep_days=int(get("LEDGER_KEEP_DAYS", str(base.ledger_keep_days)) or 0),
        )

    def login_policy(self) -> LoginPolicy:
        """The failed-login policy the services apply (R-U7, MLPS level 3)."""
        return LoginPolicy(lock_after=self.login_lock_after,
                           free_failures=self.login_free_failures,
                           address_free_failures=self.login_address_free_failures,
                           delay_max=self.login_delay_max)
