"""Events an agency sends us (``POST /api/v1/agency/events``), and the signed requests of
its replay pulls: who it is, that the signature and timestamp hold, that the event id is
new for that agency, then the handler of its type — all or nothing.

Refusals change nothing: an unknown or stopped agency, a missing or wrong signature or a
stale timestamp is refused with 401 before anything is read from the body; a replayed id
with 409 (the unique ``(agency, event_id)`` decides when twins race).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.core.crypto import FieldCipher
from borderpass.core.errors import Conflict, FieldError, Unauthorized
from borderpass.models import Agency, InboundEvent
from borderpass.services import clock
from borderpass.services.exchange import handlers, kinds, signing, subscribers

AGENCY_HEADER = "agency-id"
EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_BODY = 64 * 1024


async def authenticate(headers: Mapping[str, str], signed: bytes,
                       cipher: FieldCipher) -> tuple[Agency, str]:
    """The agency whose key signed ``signed`` (the body, or ``GET <path?query>``) within
    the timestamp tolerance; the message id it gave. 401 with a code otherwise."""
    code = headers.get(AGENCY_HEADER, "")
    agency = await Agency.get_or_none(code=code.strip().lower()) if code else None
    if agency is None or not agency.active:
        raise Unauthorized("agency_unknown", AGENCY_HEADER)
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not msg_id or not stamp or not signature:
        raise Unauthorized("signature_missing", "webhook-signature")
    if not stamp.isdigit() or not signing.fresh(int(stamp), time.time()):
        raise Unauthorized("timestamp_stale", "webhook-timestamp")
    if not signing.verify(subscribers.secret_of(agency, cipher), msg_id, int(stamp), signed,
                          signature):
        raise Unauthorized("signature_invalid", "webhook-signature")
    return agency, msg_id


def parse(body: bytes, msg_id: str) -> dict[str, Any]:
    """The CloudEvent (structured mode) an agency sent; 422 naming the attribute at fault."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise FieldError("invalid_json", None) from exc
    if not isinstance(event, dict):
        raise FieldError("type_object", None)
    if event.get("specversion") != "1.0":
        raise FieldError("choice", "specversion", choices="1.0")
    if not isinstance(event.get("id"), str) or not EVENT_ID.match(event["id"]):
        raise FieldError("event_id_invalid", "id")
    if event["id"] != msg_id:
        raise FieldError("event_id_mismatch", "id")
    if event.get("type") not in kinds.INBOUND_TYPES:
        raise FieldError("choice", "type", choices=", ".join(kinds.INBOUND_TYPES))
    if not isinstance(event.get("data"), dict):
        raise FieldError("type_object", "data")
    subject = event.get("subject", "")
    if not isinstance(subject, str) or len(subject) > 80:
        raise FieldError("length", "subject", max=80)
    return event


async def receive(headers: Mapping[str, str], body: bytes,
                  cipher: FieldCipher) -> InboundEvent:
    """Check, record and handle one event from an agency, once."""
    agency, msg_id = await authenticate(headers, body, cipher)
    event = parse(body, msg_id)
    if await InboundEvent.exists(agency_id=agency.id, event_id=event["id"]):
        raise Conflict("event_replayed", "id")
    handle = handlers.HANDLERS[event["type"]]
    try:
        async with in_transaction():
            row = InboundEvent(agency_id=agency.id, event_id=event["id"], type=event["type"],
                               subject=event.get("subject", ""), data=event["data"],
                               status="stored", received_at=clock.now())
            await handle(agency, row, cipher)
            await row.save()
    except IntegrityError as exc:  # a twin of the same id won the race
        raise Conflict("event_replayed", "id") from exc
    return row
