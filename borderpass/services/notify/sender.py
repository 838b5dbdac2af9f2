"""The sender: claim due rows, pick each user's channel, push, record every attempt.

Exactly once, as far as it can be known: a key is queued once (unique dedupe key); a row
is held by one worker at a time (a lease); the channel is marked in flight before the call
and the outcome written with the batch, so a row found in flight after its lease ran out
belongs to a worker that died between the call and the write.
When WeChat's answer is lost (a timeout after sending, a worker killed mid-call) the
message may or may not have arrived: on the template channel the retry carries the same
client_msg_id, which WeChat dedupes for 10 minutes; on the subscribe and customer-service
channels there is no such key, so the row is failed visibly with maybe_delivered=True
rather than risk a second copy, and an admin decides (GET/POST /api/v1/admin/notifications).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from borderpass.core import metrics
from borderpass.core.backoff import Backoff
from borderpass.models import User
from borderpass.models.notify import DeliveryAttempt, Notification, Recipient, SubscribeGrant
from borderpass.services import clock
from borderpass.services.crossings import land_ports
from borderpass.services.notify import grants, kinds, outbox, relevance, texts
from borderpass.services.notify.channels import (
    IDEMPOTENCY_WINDOW_SECONDS,
    IDEMPOTENT,
    Channel,
    NotifyConfig,
    PushRefused,
    PushTransport,
    PushUnavailable,
    Refusal,
)

log = logging.getLogger("borderpass.notify")
CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
GATHER = 0.25  # seconds to let messages gather after a batch that was not full
KEEP_FOR_NEXT_CONTACT = frozenset({Refusal.NO_GRANT, Refusal.WINDOW_CLOSED,
                                   Refusal.NOT_FOLLOWER})


@dataclass(frozen=True)
class Route:
    """One channel to try: to whom, with which template."""

    channel: Channel
    openid: str
    template_id: str | None = None
    grant: SubscribeGrant | None = None


@dataclass
class Batch:
    """One claim: what its rows need to know, and what their sends change, written at once."""

    token: str
    started: datetime
    users: dict[int, User] = field(default_factory=dict)
    recipients: dict[int, Recipient] = field(default_factory=dict)
    grants: dict[tuple[int, str], SubscribeGrant] = field(default_factory=dict)
    facts: relevance.Facts = field(default_factory=relevance.Facts)
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    window_closed: set[str] = field(default_factory=set)  # OA openids, 45015

    def record(self, row: Notification, channel: str, started: datetime, outcome: str,
               errcode: int | None = None, detail: str = "", msgid: str | None = None) -> None:
        """Keep one attempt, to be written with the batch."""
        metrics.notify_send(channel, outcome, errcode)
        self.attempts.append(DeliveryAttempt(
            notification_id=row.id, channel=channel, started_at=started,
            finished_at=clock.now(), outcome=outcome, errcode=errcode, msgid=msgid,
            detail=detail[:300]))

    def has_grant(self, grant: SubscribeGrant) -> bool:
        """A send seemed left on this grant when the batch was loaded (``grants.take``
        decides, atomically, when the message is sent)."""
        return grant.long_term or grant.remaining > 0


async def _load(token: str, rows: list[Notification]) -> Batch:
    ids = {r.user_id for r in rows}  # type: ignore[attr-defined]
    users = await User.filter(id__in=ids).only("id", "openid", "timezone", "locale")
    return Batch(
        token, clock.now(),
        {u.id: u for u in users},
        {r.user_id: r for r in await Recipient.filter(user_id__in=ids)},  # type: ignore[attr-defined]
        {(g.user_id, g.template_id): g  # type: ignore[attr-defined]
         for g in await SubscribeGrant.filter(user_id__in=ids)},
        await relevance.gather(rows))


def client_msg_id(row: Notification) -> str:
    """WeChat's idempotency key for a template message: stable per dedupe key."""
    return hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]


def routes(row: Notification, batch: Batch, config: NotifyConfig, now: datetime) -> list[Route]:
    """The user's channels in order: subscribe, customer service (48 h), OA template."""
    user = batch.users.get(row.user_id)  # type: ignore[attr-defined]
    if user is None:
        return []
    slot = kinds.SLOTS[row.kind]
    found: list[Route] = []
    sub_template = config.subscribe_templates.get(slot)
    grant = batch.grants.get((user.id, sub_template or ""))
    if user.openid and sub_template and grant and batch.has_grant(grant):
        found.append(Route(Channel.SUBSCRIBE, user.openid, sub_template, grant))
    recipient = batch.recipients.get(user.id)
    if config.official_account and recipient and recipient.oa_openid:
        seen = recipient.last_contact_at
        if seen is not None and now - seen < CUSTOMER_SERVICE_WINDOW:
            found.append(Route(Channel.CUSTOM, recipient.oa_openid))
        if oa_template := config.oa_templates.get(slot):
            found.append(Route(Channel.TEMPLATE, recipient.oa_openid, oa_template))
    if row.pinned_channel:
        found = [r for r in found if r.channel == row.pinned_channel]
    return found


@dataclass(frozen=True)
class Plan:
    """A row ready to send: its channels in order and its words."""

    row: Notification
    routes: list[Route]
    message: texts.Message
    reader: texts.Reader


async def _push(transport: PushTransport, plan: Plan, route: Route) -> str | None:
    row, message, reader = plan.row, plan.message, plan.reader
    if route.channel is Channel.SUBSCRIBE:
        assert route.template_id is not None
        return await transport.subscribe(route.openid, route.template_id,
                                         texts.subscribe_data(message, reader), message.page,
                                         row.locale)
    if route.channel is Channel.CUSTOM:
        await transport.custom_text(route.openid, texts.plain_text(message), message.link)
        return None
    assert route.template_id is not None
    return await transport.template(route.openid, route.template_id,
                                    texts.template_data(message, reader), message.link,
                                    client_msg_id(row))


def _unavailable(row: Notification, route: Route, exc: PushUnavailable) -> None:
    """No answer: retry later; if WeChat may have sent it, only where a retry is safe."""
    if not exc.ambiguous:
        outbox.set_retry(row, exc.detail)
    elif route.channel in IDEMPOTENT:
        outbox.set_retry(row, f"no answer, retrying with the same key: {exc.detail}",
                         pinned_channel=route.channel.value,
                         pinned_since=row.pinned_since or clock.now())
    else:
        outbox.set_failed(row, f"no answer, WeChat may have delivered it: {exc.detail}",
                          maybe_delivered=True)


async def send(plan: Plan, batch: Batch, transport: PushTransport) -> None:
    """Try each channel in turn until one delivers; settle the row either way."""
    row, refusals = plan.row, []
    for i, route in enumerate(plan.routes):
        # One grant, one message: taken before the call, never below zero (issue #18).
        if route.grant is not None and not await grants.take(route.grant):
            refusals.append(Refusal.NO_GRANT)
            continue
        if i > 0:  # the first channel was marked in flight with the whole batch
            await outbox.mark_in_flight(route.channel.value, [row.id])
        row.attempts += 1
        started = clock.now()
        try:
            msgid = await _push(transport, plan, route)
        except PushRefused as exc:
            batch.record(row, route.channel, started, f"refused:{exc.reason.value}",
                         exc.errcode, exc.detail)
            # 43101: WeChat holds no grant, so the one taken is spent; any other refusal
            # sent nothing and gives it back.
            if route.grant is not None and exc.reason is not Refusal.NO_GRANT:
                await grants.give_back(route.grant)
            if exc.reason is Refusal.WINDOW_CLOSED:
                batch.window_closed.add(route.openid)
            refusals.append(exc.reason)
            continue
        except PushUnavailable as exc:
            batch.record(row, route.channel, started,
                         "ambiguous" if exc.ambiguous else "unavailable", exc.errcode,
                         exc.detail)
            if route.grant is not None and not exc.ambiguous:
                await grants.give_back(route.grant)
            _unavailable(row, route, exc)
            return
        batch.record(row, route.channel, started, "sent",
                     msgid=None if msgid is None else str(msgid))
        outbox.set_sent(row, route.channel.value, batch.started)
        return
    why = "refused by every channel: " + ", ".join(r.value for r in refusals)
    if any(r in KEEP_FOR_NEXT_CONTACT for r in refusals):
        outbox.set_waiting(row, why)
    else:
        outbox.set_failed(row, why)


def _after_crash(row: Notification, batch: Batch) -> bool:
    """A worker died during a call for this row: continue only where a resend is safe."""
    channel, since = row.in_flight or "", row.pinned_since or row.in_flight_at or clock.now()
    batch.record(row, channel, row.in_flight_at or clock.now(), "unknown",
                 detail="the worker stopped during the call")
    row.in_flight = row.in_flight_at = None
    within = (clock.now() - since).total_seconds() < IDEMPOTENCY_WINDOW_SECONDS
    if channel in IDEMPOTENT and within:
        row.pinned_channel, row.pinned_since = channel, since
        return True
    outbox.set_failed(row, "the worker stopped during the call; WeChat may have delivered it",
                      maybe_delivered=True)
    return False


def prepare(row: Notification, batch: Batch, config: NotifyConfig) -> Plan | None:
    """Decide what to do with one claimed row: a plan to send, or settle it now."""
    if row.in_flight is not None and not _after_crash(row, batch):
        return None
    if row.pinned_since is not None and \
            (clock.now() - row.pinned_since).total_seconds() >= IDEMPOTENCY_WINDOW_SECONDS:
        outbox.set_failed(row, "no answer within WeChat's idempotency window",
                          maybe_delivered=True)
        return None
    verdict = relevance.verdict(row, batch.facts)
    if not verdict.send:
        if verdict.wait_until is not None:
            outbox.set_deferred(row, verdict.wait_until, verdict.why)
        else:
            outbox.set_skipped(row, verdict.why)
        return None
    user = batch.users.get(row.user_id)  # type: ignore[attr-defined]
    zone = kinds.user_zone(user.timezone if user else None, row.locale, config.default_tz)
    now = clock.now()
    if row.kind in kinds.QUIET_KINDS and (day := kinds.daytime_from(now, zone)) > now:
        outbox.set_deferred(row, day, "quiet hours")
        return None
    found = routes(row, batch, config, now)
    if not found:
        outbox.set_waiting(row, "no channel reaches the user yet")
        return None
    reader = texts.Reader(row.locale, zone, now)
    return Plan(row, found, texts.render(row.kind, row.payload, reader), reader)


async def _write_effects(batch: Batch) -> None:
    """What the sends taught about grants and windows, and every attempt, in a few queries."""
    if batch.attempts:
        await DeliveryAttempt.bulk_create(batch.attempts, batch_size=500)
    if batch.window_closed:
        await Recipient.filter(oa_openid__in=list(batch.window_closed)) \
            .update(last_contact_at=None)


def _safe(row: Notification, exc: Exception) -> None:
    log.error("notification %s could not be delivered", row.id, exc_info=exc)
    outbox.set_failed(row, f"internal error: {type(exc).__name__}")


async def deliver_due(config: NotifyConfig, transport: PushTransport) -> int:
    """Claim one batch of due rows and settle each; how many were claimed."""
    token, rows = await outbox.claim(config.batch, timedelta(seconds=config.lease_seconds))
    if not rows:
        return 0
    batch = await _load(token, rows)
    await land_ports.CACHE.get()  # messages name ports from the table (issue 26)
    plans: list[Plan] = []
    for row in rows:
        try:
            if (plan := prepare(row, batch, config)) is not None:
                plans.append(plan)
        except Exception as exc:
            _safe(row, exc)

    async def one(chain: list[Plan]) -> None:
        for n, plan in enumerate(chain):
            try:
                if n:  # the chain's first row was marked with its wave
                    await outbox.mark_in_flight(plan.routes[0].channel.value, [plan.row.id])
                await send(plan, batch, transport)
            except Exception as exc:
                _safe(plan.row, exc)

    # One chain per user, oldest message first, so a user's grants go to their oldest
    # messages in order (issue #18); users in parallel, in waves: only the rows actually
    # being sent are marked in flight at any moment.
    chains = by_user(plans)
    for start in range(0, len(chains), config.concurrency):
        wave = chains[start:start + config.concurrency]
        for channel in Channel:
            await outbox.mark_in_flight(
                channel.value, [c[0].row.id for c in wave if c[0].routes[0].channel is channel])
        await asyncio.gather(*(one(chain) for chain in wave))
    await _write_effects(batch)
    await outbox.flush(token, rows)
    return len(rows)


async def run_worker(config: NotifyConfig, transport: PushTransport, poll: float = 1.0,
                     stop: asyncio.Event | None = None) -> None:
    """Deliver a batch at a time, resting ``poll`` seconds when nothing is due, until ``stop``.

    After a batch that was not full the worker rests ``GATHER`` seconds (at most ``poll``),
    so a steady stream of messages goes out in batches of many rather than a query round
    per few rows: a batch costs about ten queries whatever its size, and CPU spent here is
    taken from the requests and lanes on the same machine. A full batch means a backlog:
    the next is claimed at once. Stopping between batches, never inside one, leaves no
    transaction or call half done.
    """
    stop = stop or asyncio.Event()
    backoff = Backoff(log, "push sender")
    while not stop.is_set():
        try:
            claimed = await deliver_due(config, transport)
        except Exception as exc:  # Redis or the database away: wait, then try again
            rest = backoff.failed(exc)
        else:
            backoff.succeeded()
            rest = rest_after(claimed, config.batch, poll)
        if rest:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), rest)


def by_user(plans: list[Plan]) -> list[list[Plan]]:
    """The plans grouped per user, each group in the order the rows were queued."""
    chains: dict[int, list[Plan]] = {}
    for plan in sorted(plans, key=lambda p: p.row.id):
        chains.setdefault(plan.row.user_id, []).append(plan)  # type: ignore[attr-defined]
    return list(chains.values())


def rest_after(claimed: int, batch: int, poll: float) -> float:
    """Seconds the worker rests after claiming ``claimed`` rows: none after a full batch (a
    backlog), ``GATHER`` after a partial one, ``poll`` when nothing was due."""
    if claimed >= batch:
        return 0.0
    return poll if claimed == 0 else min(GATHER, poll)
