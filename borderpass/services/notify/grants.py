"""Subscribe grants — 订阅授权: one accepted grant is one message, and the count never goes
below zero (issue #18: one accept released three messages and the count went to −2).

A send first *takes* a grant with one conditional UPDATE (``remaining >= 1``), so two
workers, or two rows of one user in one batch, can never spend the same grant; a send that
surely did not reach WeChat gives it back.
"""

from __future__ import annotations

from tortoise.expressions import F

from borderpass.models.notify import SubscribeGrant


async def take(grant: SubscribeGrant) -> bool:
    """Use one send of ``grant`` (always true for a long-term one); false when none is left."""
    if grant.long_term:
        return True
    taken = await SubscribeGrant.filter(id=grant.id, remaining__gte=1) \
        .update(remaining=F("remaining") - 1)
    return bool(taken)


async def give_back(grant: SubscribeGrant) -> None:
    """Return a send taken for a message WeChat certainly did not deliver."""
    if not grant.long_term:
        await SubscribeGrant.filter(id=grant.id).update(remaining=F("remaining") + 1)


async def add(user_id: int, template_id: str, accepted: bool) -> int:
    """One answer of ``wx.requestSubscribeMessage``: an accept adds one send, atomically (two
    concurrent accepts count two); a ban or filter ends the grant. The sends left."""
    grant, _ = await SubscribeGrant.get_or_create(user_id=user_id, template_id=template_id)
    if accepted:
        await SubscribeGrant.filter(id=grant.id).update(remaining=F("remaining") + 1)
    await grant.refresh_from_db(fields=["remaining"])
    return grant.remaining


async def end(user_id: int, template_id: str) -> int:
    """The user switched the template off (ban / filter): no send is left."""
    await SubscribeGrant.filter(user_id=user_id, template_id=template_id).update(remaining=0)
    return 0
