"""Constants shared by the notification tests and their fixtures."""

from __future__ import annotations

from borderpass.services.notify.kinds import SLOTS

MINIAPP_APPID, MINIAPP_SECRET = "wxtestminiapp", "test-miniapp-secret"
OA_APPID, OA_SECRET = "wxtestofficial", "test-oa-secret"
SUBSCRIBE = {slot: f"sub-{slot}" for slot in set(SLOTS.values())}
OA_TEMPLATES = {slot: f"oa-{slot}" for slot in set(SLOTS.values())}
TIMEOUT = 1.5  # seconds a push may take; long enough for a loaded test machine
