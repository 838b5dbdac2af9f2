"""``borderpass agency-sim``: a stand-in agency for trying the exchange by hand
(docs/exchange.md). ``serve`` is a subscriber that checks each signature and timestamp,
drops an id it already has and prints (and records) events in order; ``pull`` catches up
by the replay cursor; ``post`` sends a signed event of the agency's own."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web

from borderpass.services.exchange import kinds, signing

SHORT_TYPES = {"inspection": kinds.IN_INSPECTION, "blacklist": kinds.IN_BLACKLIST,
               "credit": kinds.IN_CREDIT}


def add_commands(sub: Any) -> None:
    """Add ``agency-sim serve|pull|post`` to the ``borderpass`` parser."""
    sim = sub.add_parser("agency-sim", help="a stand-in agency: receive, pull and post "
                         "signed events (docs/exchange.md)").add_subparsers(
        dest="sim_command", required=True, metavar="ACTION")
    serve = sim.add_parser("serve", help="receive our events: verify, dedup, print in order")
    serve.add_argument("--secret", required=True, help="the agency's whsec_ secret")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=18201)
    serve.add_argument("--record", help="append each new event to this JSON-lines file")
    serve.add_argument("--fail", type=int, default=0,
                       help="answer 503 to the first N posts (to watch retries)")
    for name, text in (("pull", "catch up through GET /api/v1/agency/events"),
                       ("post", "send one signed event (inspection, blacklist, credit)")):
        one = sim.add_parser(name, help=text)
        one.add_argument("--server", default="http://127.0.0.1:8080",
                         help="BorderPass's base URL")
        one.add_argument("--agency", required=True, help="the agency's code")
        one.add_argument("--secret", required=True, help="the agency's whsec_ secret")
        if name == "pull":
            one.add_argument("--after", type=int, default=0)
            one.add_argument("--limit", type=int, default=100)
        else:
            one.add_argument("--type", required=True, choices=sorted(SHORT_TYPES))
            one.add_argument("--data", required=True, help="the event's data, as JSON")
            one.add_argument("--id", help="the event id (default: a new one)")


@dataclass
class Received:
    """What the stand-in agency has taken, by id, in order."""

    secret: str
    out: TextIO = sys.stdout
    record: Path | None = None
    fail: int = 0
    ids: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)
    duplicates: int = 0
    refused: int = 0

    def take(self, event: dict[str, Any]) -> None:
        """Keep a new event (print and record it); count a repeated id."""
        if event["id"] in self.ids:
            self.duplicates += 1
            return
        self.ids.add(event["id"])
        self.order.append(event["id"])
        print(f"{event['id']:>8} {event['type']:<32} {event.get('subject', '')}",
              file=self.out, flush=True)
        if self.record is not None:
            with self.record.open("a", encoding="utf-8") as f:
                f.write(json.dumps(event, ensure_ascii=False) + "\n")


def subscriber_app(state: Received) -> web.Application:
    """The subscriber: any POST path takes CloudEvents, single or batch."""

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        msg_id = request.headers.get("webhook-id", "")
        stamp = request.headers.get("webhook-timestamp", "")
        if not stamp.isdigit() or not signing.fresh(int(stamp), time.time()) or \
                not signing.verify(state.secret, msg_id, int(stamp), body,
                                   request.headers.get("webhook-signature", "")):
            state.refused += 1
            return web.json_response({"error": "signature"}, status=401)
        if state.fail > 0:
            state.fail -= 1
            return web.json_response({"error": "busy"}, status=503)
        parsed = json.loads(body)
        for event in parsed if isinstance(parsed, list) else [parsed]:
            state.take(event)
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        ordered = all(int(a) < int(b) for a, b in zip(state.order, state.order[1:],
                                                       strict=False))
        return web.json_response({"received": len(state.order), "duplicates": state.duplicates,
                                  "refused": state.refused, "in_order": ordered})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/_stats", stats)  # what it has taken: count, repeats, order
    app.router.add_post("/{tail:.*}", receive)
    return app


async def _serve(args: argparse.Namespace) -> int:
    state = Received(args.secret, record=Path(args.record) if args.record else None,
                     fail=args.fail)
    runner = web.AppRunner(subscriber_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    print(f"agency-sim listening on http://{args.host}:{args.port}/ (Ctrl-C to stop)",
          flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0


def signed(agency: str, secret: str, msg_id: str, body: bytes) -> dict[str, str]:
    """The headers of a request from the agency."""
    return signing.headers(secret, msg_id, int(time.time()), body) | {"agency-id": agency}


async def _pull(args: argparse.Namespace) -> int:
    after = args.after
    async with aiohttp.ClientSession() as session:
        while True:
            path = f"/api/v1/agency/events?after={after}&limit={args.limit}"
            headers = signed(args.agency, args.secret, uuid.uuid4().hex,
                             f"GET {path}".encode())
            async with session.get(args.server.rstrip("/") + path, headers=headers) as resp:
                page = await resp.json()
                if resp.status != 200:
                    print(json.dumps(page, ensure_ascii=False), file=sys.stderr)
                    return 1
            for event in page["events"]:
                print(f"{event['id']:>8} {event['type']:<32} {event.get('subject', '')}")
            after = page["next_after"]
            if not page["more"]:
                print(f"caught up: next --after {after}")
                return 0


async def _post(args: argparse.Namespace) -> int:
    event_id = args.id or uuid.uuid4().hex
    body = json.dumps({"specversion": "1.0", "id": event_id, "source": f"urn:{args.agency}",
                       "type": SHORT_TYPES[args.type], "datacontenttype": "application/json",
                       "data": json.loads(args.data)}, ensure_ascii=False).encode()
    headers = signed(args.agency, args.secret, event_id, body) | {
        "content-type": "application/cloudevents+json"}
    async with aiohttp.ClientSession() as session, \
            session.post(args.server.rstrip("/") + "/api/v1/agency/events", data=body,
                         headers=headers) as resp:
        print(resp.status, json.dumps(await resp.json(), ensure_ascii=False))
        return 0 if resp.status < 300 else 1


def run(args: argparse.Namespace) -> int:
    """Run one ``agency-sim`` subcommand."""
    action = {"serve": _serve, "pull": _pull, "post": _post}[args.sim_command]
    try:
        return asyncio.run(action(args))
    except KeyboardInterrupt:
        return 0
