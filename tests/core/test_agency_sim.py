"""The stand-in agency over real HTTP (docs/exchange.md): our worker posts signed events to
it, through its refusals, in order and once each; it pulls by cursor and posts its own."""

from __future__ import annotations

import argparse
import io

import pytest
from aiohttp import web
from exchange_helpers import Subscriber
from exchange_helpers import agency as make_agency
from factories import staff
from gate_helpers import crossed, declared

from borderpass.app.agency_sim import Received, _post, _pull, subscriber_app
from borderpass.app.exchange_runtime import HttpTransport
from borderpass.models import Agency, ExchangeEvent, InboundEvent
from borderpass.models.enums import Role
from borderpass.models.gate import Crossing
from borderpass.services.exchange import delivery, kinds, subscribers, worker
from borderpass.web.appkeys import DEPS, GATE

pytestmark = pytest.mark.usefixtures("db")
PORT = 18231  # this branch's range (18200-18299)


@pytest.fixture
def settings(settings):
    return settings.with_overrides(exchange_worker=False, exchange_loopback_http=True)


async def test_the_worker_delivers_to_the_sim_through_its_refusals(client, capsys) -> None:
    gate, cipher = client.app[GATE], client.app[DEPS].cipher
    admin = await staff(Role.ADMIN)
    found, secret = await subscribers.register(
        admin, {"code": "customs-ruili", "name": "Customs", "kind": "customs",
                "url": f"http://127.0.0.1:{PORT}/events", "event_types": list(kinds.CATEGORIES),
                "batch_size": 2}, cipher, subscribers.Policy(True))
    out = io.StringIO()
    state = Received(secret, out=out, fail=2)  # busy for the first two posts
    runner = web.AppRunner(subscriber_app(state))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    transport = HttpTransport()
    try:
        for i in range(3):
            await crossed(gate, await declared(gate, name=f"u{i}", plate=f"云N1000{i}"))
        for _ in range(30):
            await worker.turn(cipher, transport, delivery.Config())
            await Agency.filter(id=found.id).update(next_attempt_at=None)  # skip the wait
        logged = [str(i) for i in await ExchangeEvent.all().order_by("id")
                  .values_list("id", flat=True)]
        assert state.order == logged and state.duplicates == 0 and state.refused == 0
        assert len(logged) == 6 and "crossing.recorded" in out.getvalue()
        # a forged post is refused by the sim
        forged = HttpTransport()
        status = await forged.post(f"http://127.0.0.1:{PORT}/events", b"{}", {
            "webhook-id": "1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"})
        await forged.close()
        assert status == 401 and state.refused == 1
    finally:
        await transport.close()
        await runner.cleanup()


async def test_the_sim_pulls_by_cursor_and_posts_signed_events(client, capsys) -> None:
    gate, cipher = client.app[GATE], client.app[DEPS].cipher
    sub = Subscriber()
    border = await make_agency(await staff(Role.ADMIN), cipher, sub, "border-ruili",
                               [kinds.DECLARATIONS])
    secret = sub.secrets[border.url]
    made = await declared(gate, name="alice", plate="云N10001")
    server = str(client.make_url("")).rstrip("/")
    args = argparse.Namespace(server=server, agency="border-ruili", secret=secret, after=0,
                              limit=1)
    assert await _pull(args) == 0
    printed = capsys.readouterr().out
    assert kinds.DECLARATION_CREATED in printed and "caught up" in printed
    await crossed(gate, made)
    crossing = await Crossing.get(declaration_id=made.id)
    post = argparse.Namespace(server=server, agency="border-ruili", secret=secret,
                              type="inspection", id="sim-1",
                              data=f'{{"crossing_id": {crossing.id}, "result": "cleared"}}')
    assert await _post(post) == 0
    assert await _post(post) == 1  # the same id again: refused
    assert await InboundEvent.filter(event_id="sim-1").count() == 1
