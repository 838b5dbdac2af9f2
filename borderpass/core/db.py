"""Tortoise ORM set-up: one config for the app, the CLI and the migrations."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

APP_LABEL = "borderpass"


def tortoise_config(db_url: str) -> dict[str, Any]:
    """The Tortoise config dict for one database URL."""
    return {
        "connections": {"default": db_url},
        "apps": {
            APP_LABEL: {
                "models": ["borderpass.models"],
                "migrations": "borderpass.models.migrations",
                "default_connection": "default",
            }
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


# For `python -m tortoise -c borderpass.core.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config("sqlite://var/makemigrations.sqlite3")
