"""Tortoise ORM set-up: one config for the app, the CLI and the migrations."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

APP_LABEL = "borderpass"
# One Tortoise app per bounded context, each with its own migrations package, so each
# context's schema evolves on its own: label → (models module, migrations package).
APPS: dict[str, tuple[str, str]] = {
    APP_LABEL: ("borderpass.models", "borderpass.models.migrations"),
    "notify": ("borderpass.models.notify", "borderpass.models.migrations_notify"),
    "gate": ("borderpass.models.gate", "borderpass.models.migrations_gate"),
    "units": ("borderpass.models.units", "borderpass.models.migrations_units"),
    "export": ("borderpass.models.export", "borderpass.models.migrations_export"),
}


# The working set lives in memory (on SSD at worst), where an index probe costs little
# more than a sequential read. With PostgreSQL's default random_page_cost of 4 the planner
# scanned small tables whole on every lane scan (the blacklist: 28 µs a probe with 200
# entries, against a few µs through its index); 1.1 is the usual setting for SSDs.
PLANNER_SETTINGS = {"random_page_cost": "1.1"}


async def _keep_session(connection: object) -> None:
    """Release a pooled PostgreSQL connection without asyncpg's reset query.

    asyncpg's default reset costs one more round trip per ORM query (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL). We take no session advisory locks (the audit trail's is
    transaction-scoped, released at commit), cursors, LISTENs or SETs,
    and asyncpg still rolls back an open transaction before calling this.
    """


def _connection(db_url: str) -> str | dict[str, Any]:
    """The connection as Tortoise takes it: the URL, expanded for PostgreSQL pools."""
    from tortoise.backends.base.config_generator import expand_db_url

    if db_url.startswith("sqlite://"):
        config = expand_db_url(db_url)
        # R-D7: a deleted row's bytes are overwritten in the file, not left in free pages
        config["credentials"]["secure_delete"] = "ON"
        return config
    if not db_url.startswith(("postgres://", "asyncpg://")):
        return db_url

    config = expand_db_url(db_url)
    config["credentials"]["reset"] = _keep_session
    config["credentials"]["server_settings"] = PLANNER_SETTINGS
    return config


def tortoise_config(db_url: str) -> dict[str, Any]:
    """The Tortoise config dict for one database URL."""
    return {
        "connections": {"default": _connection(db_url)},
        "apps": {
            label: {"models": [models], "migrations": migrations, "default_connection": "default"}
            for label, (models, migrations) in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(db_url: str, *, apply_migrations: bool = True) -> None:
    """Apply pending migrations (Tortoise's own) and open the connections."""
    if db_url.startswith("sqlite://"):
        from pathlib import Path

        path = db_url.removeprefix("sqlite://")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(db_url)
    if apply_migrations:
        await migrate(config=config, reporter=None)
        await Tortoise.close_connections()
    await Tortoise.init(config=config)


async def close_db() -> None:
    """Close every database connection."""
    await Tortoise.close_connections()


# For `python -m tortoise -c borderpass.adapters.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config("sqlite://var/makemigrations.sqlite3")
