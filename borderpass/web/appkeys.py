"""Typed aiohttp application keys shared by every door."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from borderpass.adapters.wechat import WeChatClient
from borderpass.core.config import Settings
from borderpass.ocr.pool import OcrPool
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.notify.channels import NotifyConfig
from borderpass.services.ports import Deps

SETTINGS = web.AppKey("settings", Settings)
DEPS = web.AppKey("deps", Deps)
REDIS = web.AppKey("redis", Redis)
MINIAPP_WECHAT = web.AppKey("miniapp_wechat", WeChatClient)
NOTIFY = web.AppKey("notify", NotifyConfig)
OCR_POOL = web.AppKey("ocr_pool", OcrPool)
GATE = web.AppKey("gate", GateDeps)
