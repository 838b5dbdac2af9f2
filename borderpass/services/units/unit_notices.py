"""Notices of the credit pass list (verified, rejected, listed, removed …) owed to people.

Each notice is stored (``UnitNotice``) so nothing is lost; list changes (added, removed)
are also handed to the notification outbox, ``services.notify.unit_list_changed``, when that
service is installed (R-U6: the unit and the person are told). ``delivered_at`` is the time
a notice was handed to the outbox.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from borderpass.core.i18n import N_, translate
from borderpass.core.masking import mask_name
from borderpass.models import User
from borderpass.models.units import Membership, RemovalReason, Unit, UnitAdmin, UnitNotice
from borderpass.services import clock

log = logging.getLogger(__name__)

NOTICE_TEXTS: dict[str, str] = {
    "member_pending": N_("{unit} 收到新的名单申报，请及时验核"),
    "member_verified": N_("{unit} 已验核您的名单申报"),
    "member_rejected": N_("{unit} 未通过您的名单申报：{reason}"),
    "member_listed": N_("您已列入 {unit} 的信用通行名单"),
    "member_removed": N_("您已被移出 {unit} 的信用通行名单：{reason}"),
    "unit_member_removed": N_("{unit} 的名单中 {subject} 已被平台移出：{reason}"),  # R-U6
    "unit_authenticated": N_("单位 {unit} 已通过认证，可以生成申报二维码"),
    "unit_refused": N_("单位 {unit} 未通过认证：{reason}"),
    "unit_deregistered": N_("单位 {unit} 已注销，其名单已全部移出"),
}
REMOVAL_REASONS: dict[str, str] = {
    RemovalReason.LEFT.value: N_("已从单位离职"),
    RemovalReason.ASKED.value: N_("本人申请移出"),
    RemovalReason.DISHONEST.value: N_("列入严重失信主体名单"),
    RemovalReason.UNIT_DEREGISTERED.value: N_("单位已注销"),
}


async def notify(recipient: User, unit: Unit, kind: str, membership: Membership | None = None,
                 **params: Any) -> UnitNotice:
    """Record a notice for ``recipient`` and pass it to the outbox if there is one; call it
    in the transaction of the change it tells of."""
    if membership is not None:  # who and what, masked: it may be pushed outside the platform
        params.setdefault("subject", f"{mask_name(membership.person_name)} "
                                     f"{membership.plate_number}".strip())
    notice = await UnitNotice.create(recipient=recipient, unit=unit, membership=membership,
                                     kind=kind, params={"unit": unit.name, **params})
    await _enqueue(notice, recipient)
    return notice


async def notify_admins(unit: Unit, kind: str, membership: Membership | None = None,
                        **params: Any) -> int:
    """Record a notice for every admin of ``unit``; how many."""
    admins = await UnitAdmin.filter(unit_id=unit.id).prefetch_related("user")
    for admin in admins:
        await notify(admin.user, unit, kind, membership, **params)
    return len(admins)


# The outbox's unit hook speaks of list changes only (R-U6): which of our notices are ones.
OUTBOX_CHANGES = {"member_listed": "added", "member_removed": "removed",
                  "unit_member_removed": "removed"}
OUTBOX_REASONS = {RemovalReason.LEFT.value: "left_unit", RemovalReason.ASKED.value: "request",
                  RemovalReason.DISHONEST.value: "dishonesty",
                  RemovalReason.UNIT_DEREGISTERED.value: "unit_deregistered"}


async def _enqueue(notice: UnitNotice, recipient: User) -> None:
    """Hand a list change to the notification outbox (``notify.unit_list_changed``) if present."""
    change = OUTBOX_CHANGES.get(notice.kind)
    if change is None:
        return
    try:
        outbox = importlib.import_module("borderpass.services.notify")
    except ImportError:
        return  # the stored notice waits for the outbox
    hook = getattr(outbox, "unit_list_changed", None)
    if hook is None:
        return
    reason = str(notice.params.get("reason", ""))
    # The notice id is the event id, so a retry never pushes the same notice twice. A
    # failure here fails the caller's transaction: the change and its message, or neither
    # (issue #18).
    await hook(str(notice.id), recipient.id, str(notice.params["unit"]),
               str(notice.params.get("subject", "")), change,
               OUTBOX_REASONS.get(reason, reason))
    await UnitNotice.filter(id=notice.id).update(delivered_at=clock.now())


def render(notice: UnitNotice, locale: str) -> str:
    """The notice's text in ``locale``; removal reasons are translated too."""
    params = dict(notice.params)
    if notice.kind in {"member_removed", "unit_member_removed"}:
        params["reason"] = translate(REMOVAL_REASONS.get(str(params.get("reason")), "{reason}"),
                                     locale, reason=params.get("reason", ""))
    return translate(NOTICE_TEXTS.get(notice.kind, notice.kind), locale,
                     **{k: str(v) for k, v in params.items()})


async def notices_of(user: User, locale: str, limit: int = 100) -> list[dict[str, Any]]:
    """The user's latest unit notices, rendered in ``locale``."""
    rows = await UnitNotice.filter(recipient_id=user.id).order_by("-id").limit(limit)
    return [{"id": n.id, "kind": n.kind, "unit_id": n.unit_id,  # type: ignore[attr-defined]
             "membership_id": n.membership_id,  # type: ignore[attr-defined]
             "text": render(n, locale), "created_at": n.created_at.isoformat()}
            for n in rows]
