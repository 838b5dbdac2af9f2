"""Builders of valid test data: images, filings through the real services, users."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from PIL import Image

from borderpass.models import Filing, User
from borderpass.models.enums import Role
from borderpass.services.filings import documents, filings, review
from borderpass.services.filings.requirements import (
    PER_DRIVER_DOCUMENTS,
    base_documents,
    driver_slot,
)
from borderpass.services.identity import users
from borderpass.services.ports import Deps
from borderpass.services.validators import make_id_number, make_uscc, make_vin

OWNER_ID = make_id_number("533102", date(1985, 3, 14), 21)  # 瑞丽, fictitious
SECOND_ID = make_id_number("530102", date(1990, 7, 2), 34)
VIN = make_vin("LSVAM4187C221836")
USCC = make_uscc("MA6K3Q2X")


async def consented(user: User) -> User:
    """``user`` after separate consent to the current privacy notice (R-D1): identity
    documents may be uploaded."""
    from borderpass.services.privacy import privacy

    await privacy.give(user, privacy.notice(user.locale), "miniapp")
    return user


def jpeg(width: int = 64, height: int = 48, color: str = "navy") -> bytes:
    """A small valid JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


async def driver_user(name: str = "alice") -> User:
    return await users.wechat_user(f"o-{name}", None)


async def staff(role: Role, name: str | None = None) -> User:
    return await users.add_staff(name or role.value, "correct-horse-1", [role.value])


def vin_for(plate: str) -> str:
    """A valid VIN of its own for each plate (one live filing per VIN, R-F3); the default
    plate keeps ``VIN``."""
    if plate == "云N12345":
        return VIN
    import hashlib

    digits = str(int(hashlib.sha256(plate.encode()).hexdigest(), 16))[-7:]
    return make_vin("LSVAM418" + "7C" + digits[:6])


def personal_body(**vehicle: Any) -> dict[str, Any]:
    """A complete personal filing body, without documents; a plate given without a VIN
    comes with a VIN of its own."""
    plate = vehicle.get("plate_number", "云N12345")
    return {
        "category": "personal",
        "vehicle": {"plate_number": "云N12345", "vin": vin_for(plate), "vehicle_type": "小型轿车",
                    "model": "大众牌SVW7", "owner_name": "岩温", "register_date": "2019-05-01",
                    "licence_kind": "paper", "mortgaged": False, **vehicle},
        "owner": {"id_number": OWNER_ID, "is_applicant": True},
        "drivers": [{"name": "岩温", "id_number": OWNER_ID, "licence_number": OWNER_ID,
                     "permit_number": "C12345678", "phone": "13812345678", "is_owner": True}],
    }


def business_body() -> dict[str, Any]:
    body = personal_body()
    del body["owner"]
    body["category"] = "business"
    body["organisation"] = {"name": "瑞丽边贸有限公司", "uscc": USCC, "activity": "边贸"}
    return body


async def attach_all(deps: Deps, user: User, category: str, drivers: int = 1,
                     extra: tuple[str, ...] = ()) -> dict[str, int]:
    """Upload and map every document slot the category needs."""
    from borderpass.models.enums import FilingCategory

    slots = list(base_documents(FilingCategory(category))) + list(extra)
    slots += [driver_slot(k, i) for i in range(drivers) for k in PER_DRIVER_DOCUMENTS]
    mapping = {}
    await consented(user)
    for slot in slots:
        doc = await documents.upload(deps, user, slot.split("#")[0], jpeg())
        mapping[slot] = doc.id
    return mapping


async def submitted_filing(deps: Deps, user: User, body: dict[str, Any] | None = None) -> Filing:
    body = dict(body or personal_body())
    body["documents"] = await attach_all(deps, user, body["category"],
                                         drivers=len(body["drivers"]))
    filing = await filings.create(deps, user, body)
    return await filings.submit(deps, user, filing.id)


async def approved_filing(deps: Deps, user: User, body: dict[str, Any] | None = None) -> Filing:
    reviewer = await User.filter(username="reviewer").first() or await staff(Role.REVIEWER)
    filing = await submitted_filing(deps, user, body)
    return await review.approve(reviewer, filing.id)
