"""Builders for the export tests: enterprises, filings, licences and VINs, via the services."""

from __future__ import annotations

from typing import Any

from factories import jpeg, staff

from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import Enterprise, Licence
from borderpass.services.export import enterprises, licences
from borderpass.services.filings import documents
from borderpass.services.identity import users
from borderpass.services.ports import Deps
from borderpass.services.validators import make_uscc, make_vin

EXPORT_USCC = make_uscc("MA6N7B2K")
OTHER_USCC = make_uscc("MA7P8C3L", region="530100")


def vins(count: int, start: int = 0) -> list[str]:
    """``count`` valid, distinct VINs."""
    return [make_vin(f"LFV2A21K{start + i:08d}") for i in range(count)]


async def exporter(name: str = "exporter") -> User:
    return await users.wechat_user(f"o-{name}", None)


async def officer(role: Role, name: str | None = None) -> User:
    found = await User.filter(username=name or role.value).first()
    return found or await staff(role, name)


async def upload(deps: Deps, user: User, kind: str) -> int:
    from factories import consented

    await consented(user)  # R-D1: identity kinds need it
    return (await documents.upload(deps, user, kind, jpeg())).id


async def filing_body(deps: Deps, user: User, uscc: str = EXPORT_USCC,
                      kind: str = "new", name: str = "瑞丽二手车出口有限公司") -> dict[str, Any]:
    """A complete enterprise filing application (R-E1)."""
    return {
        "filing_kind": kind, "uscc": uscc, "enterprise_name": name,
        "address": "云南省瑞丽市姐告边境经济合作区 1 号", "legal_representative": "李明",
        "contact_name": "王芳", "contact_phone": "13812345678",
        "documents": {k: await upload(deps, user, k) for k in enterprises.FILING_DOCUMENTS},
    }


async def approved_enterprise(deps: Deps, user: User, uscc: str = EXPORT_USCC) -> Enterprise:
    """An enterprise whose new filing was approved now."""
    filing = await enterprises.submit(deps, user, await filing_body(deps, user, uscc))
    await enterprises.approve(await officer(Role.REVIEWER), filing.id)
    return await Enterprise.get(id=filing.enterprise_id)  # type: ignore[attr-defined]


async def vehicle(deps: Deps, user: User, vin: str, **extra: Any) -> dict[str, Any]:
    cert = await upload(deps, user, "vehicle_registration_certificate")
    return {"vin": vin, "brand": "丰田牌", "model": "TV7250GLD", "certificate_number":
            "530012345678", "certificate_document_id": cert, **extra}


async def licence_body(deps: Deps, user: User, enterprise: Enterprise, vin_list: list[str],
                       **header: Any) -> dict[str, Any]:
    """A complete licence application for ``vin_list`` (R-E3, R-E8)."""
    return {
        "enterprise_id": enterprise.id, "commodity_code": "8703231410", "destination": "MM",
        "documents": {k: await upload(deps, user, k) for k in licences.LICENCE_DOCUMENTS},
        "vehicles": [await vehicle(deps, user, v) for v in vin_list], **header,
    }


async def issued_licence(deps: Deps, user: User, enterprise: Enterprise,
                         vin_list: list[str]) -> Licence:
    licence = await licences.apply(deps, user, await licence_body(deps, user, enterprise,
                                                                  vin_list))
    return await licences.issue(deps, await officer(Role.CUSTOMS), licence.id)
