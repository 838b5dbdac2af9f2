"""Organisation profiles in the console (R-P1): the profile a business filing or a unit was
filled from, its change history, the other claims of its USCC, and staff verification."""

from __future__ import annotations

from aiohttp import web

from borderpass.console.base import PREFIX, _, path_int, redirect, staff_page
from borderpass.console.html import Safe, h, join
from borderpass.console.layout import hidden_csrf, page, table, when
from borderpass.core.errors import BorderPassError
from borderpass.core.i18n import N_
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.profiles import OrganisationProfile, ProfileStatus
from borderpass.presenters import filings as present
from borderpass.services.filings import profiles
from borderpass.services.ports import Deps
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
ROLES = (Role.REVIEWER, Role.ADMIN)
_STATUS = {"claimed": N_("未核实"), "verified": N_("已核实"), "superseded": N_("已被取代")}
_FIELDS = (("organisation_name", N_("名称")), ("uscc", N_("统一社会信用代码")),
           ("legal_representative", N_("法定代表人")), ("address", N_("住所")),
           ("contact_name", N_("联系人")), ("contact_phone", N_("联系人电话")))


async def profile_box(request: web.Request, user: User, profile_id: int | None,
                      uscc: str | None) -> Safe | None:
    """The profile a form names (else the verified one of its USCC): fields, status, the
    other claims of the USCC and the history — what the reviewer compares the form with."""
    profile = await OrganisationProfile.get_or_none(id=profile_id) if profile_id else None
    if profile is None and uscc:
        profile = await profiles.verified_for(uscc)
    if profile is None:
        return None
    return await _box(request.config_dict[DEPS], request, user, profile)


async def _box(deps: Deps, request: web.Request, user: User,
               profile: OrganisationProfile) -> Safe:
    await profiles.readable(user, profile.id)  # staff only; audited (R-U7)
    info = present.profile(profile, profiles.masked_phone(deps, profile))
    claims = await OrganisationProfile.filter(uscc=profile.uscc).exclude(id=profile.id).count()
    rows = [[_(label), info[key] or "—"] for key, label in _FIELDS]
    status = _(_STATUS[info["status"]]) + (f" ({info['verified_how']})"
                                           if info["verified_how"] else "")
    rows.append([_("状态"), status])
    warn = h("p", {"class": "late"}, _("同一代码另有 {count} 份信息", count=claims)) \
        if claims else None
    verify = None
    if profile.status is ProfileStatus.CLAIMED:
        verify = h("form", {"method": "post",
                            "action": f"{PREFIX}/profiles/{profile.id}/verify"},
                   hidden_csrf(request),
                   h("button", {"type": "submit", "class": "primary"},
                     _("核实（已查验营业执照）")))
    history = [[when(c["at"], deps.tz), c["actor"] or "—", c["field"], c["old"] or "—",
                c["new"] or "—"] for c in await profiles.history(profile)]
    return h("section", {"class": "profile"},
             h("h2", {}, h("a", {"href": f"{PREFIX}/profiles/{profile.id}"},
                           _("单位/企业信息 {id}", id=profile.id))),
             table([_("项目"), _("内容")], rows, ""), warn, verify,
             h("h3", {}, _("变更记录")),
             table([_("时间"), _("操作人"), _("项目"), _("原值"), _("新值")], history,
                   _("没有变更记录")))


@routes.get("/profiles/{id}")
@staff_page(*ROLES)
async def profile_page(request: web.Request, user: User) -> web.StreamResponse:
    """One organisation profile with its history (R-P1c)."""
    profile = await OrganisationProfile.get_or_none(id=path_int(request))
    if profile is None:
        raise web.HTTPNotFound()
    box = await _box(request.config_dict[DEPS], request, user, profile)
    others = await OrganisationProfile.filter(uscc=profile.uscc).exclude(id=profile.id) \
        .order_by("id")
    links = [h("li", {}, h("a", {"href": f"{PREFIX}/profiles/{o.id}"},
                           f"{o.id} · {o.name} · {_(_STATUS[o.status.value])}")) for o in others]
    return page(request, _("单位/企业信息 {id}", id=profile.id),
                join(box, h("ul", {}, links) if links else None))


@routes.post("/profiles/{id}/verify")
@staff_page(*ROLES)
async def verify(request: web.Request, user: User) -> web.StreamResponse:
    """Staff vouch for a claim after checking its licence (R-P1b)."""
    profile_id = path_int(request)
    try:
        await profiles.verify_by_staff(user, profile_id)
    except BorderPassError:
        raise redirect(f"/profiles/{profile_id}", "profile_not_verified") from None
    raise redirect(f"/profiles/{profile_id}", "profile_verified")
