"""Where a unit's fallback registration QR leads (R-U2) when no WeChat mini-program is set up.

Without ``BORDERPASS_MINIAPP_APPID`` the unit code is a URL QR of
``{public_url or http://host:port}/{unit_join_page}?scene=…``. That path answers here: it
forwards to ``/console/join``, a public page that names the unit and tells the person how to
join it in the mini-program with the code shown. A revoked or unknown code says so.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from borderpass.console.base import PREFIX, _, error_text
from borderpass.console.html import h, join
from borderpass.console.layout import page
from borderpass.core.errors import BorderPassError
from borderpass.services.units import units

routes = web.RouteTableDef()


@routes.get("/join")
async def join_page(request: web.Request) -> web.StreamResponse:
    """The unit behind a registration code, and how to join it (no login needed)."""
    scene = request.query.get("scene", "")
    try:
        unit = await units.unit_by_scene(scene)
    except BorderPassError as err:
        return page(request, _("加入单位"), join(), status=err.status, error=error_text(err))
    body = join(
        h("p", {"class": "unit-name"}, unit.name),
        h("p", {}, _("请在微信中打开“边境通”小程序，选择“加入单位”，输入下面的单位码，"
                     "填写本人和车辆信息并签署个人信用承诺后提交给该单位。")),
        h("p", {"class": "scene"}, h("strong", {}, _("单位码")), " ", h("code", {}, scene)))
    return page(request, _("加入单位"), body)


def forward(join_path: str) -> web.RouteDef:
    """The route at the fallback QR's own path, forwarding to the public join page."""

    async def handler(request: web.Request) -> web.StreamResponse:
        scene = request.query.get("scene", "")
        raise web.HTTPFound(f"{PREFIX}/join?scene={quote(scene[:64], safe='')}")

    return web.get("/" + join_path.strip("/"), handler)
