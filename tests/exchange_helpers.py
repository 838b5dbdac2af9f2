"""Exchange test helpers: an in-process subscriber that checks signatures and dedups by id,
agencies registered through the service, signed requests from an agency."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from borderpass.core.crypto import FieldCipher
from borderpass.models import Agency, User
from borderpass.services.exchange import delivery, signing, subscribers


@dataclass
class Subscriber:
    """A fake agency endpoint: down or up, verifying every signature it gets."""

    secrets: dict[str, str] = field(default_factory=dict)  # url → secret
    down: bool = False
    status: int = 200
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # url → events
    seen: dict[str, set[str]] = field(default_factory=dict)
    posts: int = 0
    duplicates: int = 0

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        if self.down:
            raise delivery.DeliveryFailed("ConnectionRefusedError")
        self.posts += 1
        assert signing.verify(self.secrets[url], headers["webhook-id"],
                              int(headers["webhook-timestamp"]), body,
                              headers["webhook-signature"]), "bad signature"
        if self.status >= 300:
            return self.status
        parsed = json.loads(body)
        events = parsed if isinstance(parsed, list) else [parsed]
        for event in events:
            assert event["specversion"] == "1.0"
            if event["id"] in self.seen.setdefault(url, set()):
                self.duplicates += 1
                continue
            self.seen[url].add(event["id"])
            self.received.setdefault(url, []).append(event)
        return self.status

    def ids(self, url: str) -> list[int]:
        return [int(e["id"]) for e in self.received.get(url, [])]

    def types(self, url: str) -> set[str]:
        return {e["type"] for e in self.received.get(url, [])}


async def agency(admin: User, cipher: FieldCipher, subscriber: Subscriber, code: str,
                 types: list[str], batch: int = 1) -> Agency:
    """Register an agency at a loopback URL the subscriber answers for."""
    url = f"http://127.0.0.1:1/{code}"
    found, secret = await subscribers.register(
        admin, {"code": code, "name": code.title(), "kind": "customs", "url": url,
                "event_types": types, "batch_size": batch},
        cipher, subscribers.Policy(allow_loopback_http=True))
    subscriber.secrets[url] = secret
    return found


def signed_headers(code: str, secret: str, msg_id: str, body: bytes,
                   stamp: int | None = None) -> dict[str, str]:
    """The headers an agency sends with a request."""
    headers = signing.headers(secret, msg_id, int(time.time()) if stamp is None else stamp,
                              body)
    return headers | {"agency-id": code, "content-type": "application/cloudevents+json"}


def inbound_body(event_id: str, type_: str, data: dict[str, Any]) -> bytes:
    """A CloudEvent an agency posts."""
    return json.dumps({"specversion": "1.0", "id": event_id, "source": "urn:agency",
                       "type": type_, "datacontenttype": "application/json",
                       "data": data}).encode()
