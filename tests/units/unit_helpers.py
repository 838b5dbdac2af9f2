"""Builders for unit tests: active units, consents, personal filings with two drivers."""

from __future__ import annotations

from datetime import date
from typing import Any

from factories import OWNER_ID, attach_all, personal_body, staff

from borderpass.models import Filing, FilingDriver, User
from borderpass.models.enums import Role
from borderpass.models.units import Unit
from borderpass.services.filings import commitments, documents, filings
from borderpass.services.ports import Deps
from borderpass.services.units import units
from borderpass.services.validators import make_id_number, make_uscc

THIRD_ID = make_id_number("533103", date(1992, 1, 9), 55)
FOURTH_ID = make_id_number("533103", date(1994, 6, 1), 77)


def consent(kind: str = "personal", locale: str = "zh_CN") -> dict[str, Any]:
    """A commitment payload agreeing to the current text."""
    text = commitments.current(kind, locale)
    return {"version": text.version, "locale": locale, "text_sha256": text.sha256,
            "accepted": True}


async def platform_admin() -> User:
    return await User.filter(username="admin").first() or await staff(Role.ADMIN, "admin")


async def unit_body(deps: Deps, user: User, org: str = "MA6K3Q2X",
                    name: str = "瑞丽边贸有限公司") -> dict[str, Any]:
    from factories import jpeg

    doc = await documents.upload(deps, user, "business_licence", jpeg())
    return {"unit_name": name, "unit_kind": "enterprise", "uscc": make_uscc(org),
            "contact_name": "岩温", "contact_phone": "13812345678",
            "documents": {"business_licence": doc.id}}


async def active_unit(deps: Deps, admin: User, org: str = "MA6K3Q2X",
                      name: str = "瑞丽边贸有限公司") -> Unit:
    """A registered and authenticated unit administered by ``admin``."""
    unit = await units.register(deps, admin, await unit_body(deps, admin, org, name))
    return await units.authenticate(await platform_admin(), unit.id, True, None)


async def scene_of(unit: Unit) -> str:
    from borderpass.models.units import RegistrationCode

    code = await RegistrationCode.get(unit_id=unit.id, revoked_at=None)
    return code.scene


def shared_body(other_name: str, other_id: str, applicant_is_owner: bool) -> dict[str, Any]:
    """A self-use vehicle owned by OWNER_ID, driven by the owner and one other driver."""
    body = personal_body()
    body["owner"]["is_applicant"] = applicant_is_owner
    body["drivers"].append({"name": other_name, "id_number": other_id,
                            "licence_number": other_id, "permit_number": "C7654321",
                            "phone": "13912345678", "is_owner": False})
    return body


async def filed(deps: Deps, user: User, body: dict[str, Any]) -> Filing:
    """Create and submit a filing with every document it needs."""
    extra: tuple[str, ...] = ()
    if len(body["drivers"]) > 1:
        extra += ("relationship_proof",)
    if body.get("owner", {}).get("is_applicant") is False:
        extra += ("power_of_attorney",)
    body = dict(body)
    body["documents"] = await attach_all(deps, user, body["category"],
                                         drivers=len(body["drivers"]), extra=extra)
    filing = await filings.create(deps, user, body)
    return await filings.submit(deps, user, filing.id)


async def driver_on(filing: Filing, position: int) -> FilingDriver:
    return await FilingDriver.get(filing_id=filing.id, position=position)


__all__ = ["FOURTH_ID", "OWNER_ID", "THIRD_ID"]
