"""``serve --demo``: a local fake WeChat server and one staff account of each role.

The fake lives in the repository's ``borderpass_dev`` (not shipped): demo mode is a
developer's mode, run from a checkout (``make demo``)."""

from __future__ import annotations

import logging

from aiohttp import web

from borderpass.core.config import Settings
from borderpass.models import User
from borderpass.models.enums import Role

log = logging.getLogger("borderpass.demo")
DEMO_APPID = "wxdemo0000000001"
DEMO_SECRET = "demo-secret"
DEMO_PASSWORD = "demo-pass-123"


async def start_demo(settings: Settings) -> Settings:
    """Start the fake WeChat server on 127.0.0.1 and point the settings at it."""
    try:
        from borderpass_dev.fake_wechat import FakeWeChat
    except ModuleNotFoundError as exc:  # an installed package: the fake stays in the repo
        if not (exc.name or "").startswith("borderpass_dev"):
            raise
        raise SystemExit("serve --demo runs from a checkout: the fake WeChat "
                         "(borderpass_dev/) is not installed with the package; "
                         "use `make demo`") from exc

    fake = FakeWeChat(apps={DEMO_APPID: DEMO_SECRET}, demo=True)
    base = await fake.start()
    print(f"demo: fake WeChat at {base}; log in with code 'demo-<name>'", flush=True)
    return settings.with_overrides(wechat_api_base=base, miniapp_appid=DEMO_APPID,
                                   miniapp_secret=DEMO_SECRET, demo=True)


async def demo_staff(app: web.Application) -> None:
    """Create one staff user per role (password ``demo-pass-123``) if missing."""
    from borderpass.services.identity import users

    for role in Role:
        if role is Role.DRIVER:
            continue
        if not await User.filter(username=role.value).exists():
            await users.add_staff(role.value, DEMO_PASSWORD, [role.value])
    print(f"demo: staff users {', '.join(r.value for r in Role if r is not Role.DRIVER)} "
          f"with password {DEMO_PASSWORD}", flush=True)
