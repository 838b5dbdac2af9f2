"""The image of a unit's registration code (R-U2): WeChat's mini-program code, or a URL QR."""

from __future__ import annotations

import io
from typing import Protocol

from tortoise.transactions import in_transaction

from borderpass.core.errors import NotFound
from borderpass.models import User
from borderpass.models.units import RegistrationCode, Unit
from borderpass.services import audit
from borderpass.services.ports import Deps
from borderpass.services.units.units import issue_code, managed_unit


class WxaCodeSource(Protocol):
    """What the service needs of WeChat: a mini-program code image for a scene."""

    async def get_unlimited_wxacode(self, scene: str, page: str, *, check_path: bool = ...,
                                    width: int = ..., env_version: str | None = ...) -> bytes:
        """A PNG of the mini-program code for ``page`` carrying ``scene``."""
        ...


async def regenerate_code(user: User, unit_id: int) -> RegistrationCode:
    """A new code for the unit; the old one stops working at once (R-U2)."""
    unit = await managed_unit(user, unit_id, active=True)
    async with in_transaction():
        code = await issue_code(unit)
    await audit.record(user, "update", "unit", unit.id, ["registration_code"])
    return code


async def live_code(unit: Unit) -> RegistrationCode:
    """The unit's one live code."""
    code = await RegistrationCode.filter(unit_id=unit.id, revoked_at=None).first()
    if code is None:
        raise NotFound("unit_code_missing", "id")
    return code


def render_url_qr(url: str) -> bytes:
    """A PNG QR code of ``url``, when no WeChat mini-program is configured."""
    import qrcode

    out = io.BytesIO()
    qrcode.make(url, box_size=8, border=4).save(out)
    return out.getvalue()


async def code_png(deps: Deps, user: User, unit_id: int, source: WxaCodeSource | None,
                   page: str, fallback_base: str) -> bytes:
    """The PNG of the unit's live code: WeChat's mini-program code, else a URL QR code."""
    unit = await managed_unit(user, unit_id, active=True)
    code = await live_code(unit)
    if code.png_sha256:
        try:
            return deps.files.get(code.png_sha256)
        except FileNotFoundError:
            pass
    if source is not None:
        png = await source.get_unlimited_wxacode(code.scene, page, check_path=False)
    else:
        png = render_url_qr(f"{fallback_base.rstrip('/')}/{page}?scene={code.scene}")
    digest = deps.files.put(png)
    await RegistrationCode.filter(id=code.id).update(png_sha256=digest)
    return png


