"""Chat bot benchmark: text turns of 200 concurrent Official Account users, and the time to
acknowledge a photo turn, through ``POST /wechat/callback`` with safe-mode (AES) XML.

The app runs in this process on a real socket (embedded SQLite + fakeredis by default;
``BORDERPASS_DATABASE_URL`` / ``BORDERPASS_REDIS_URL`` select PostgreSQL + Redis), with a
local fake WeChat. Each user first picks English, then sends ``rounds`` times the turns
"help", "status", "file" (opens the category question) and "cancel", pausing a random
think time (0.5–1.5 × ``--think``) before each, as people do. A photo turn is
measured until its passive answer: the download, storage and OCR continue in the
background (OCR is stubbed: this measures the bot, not the OCR engine).
The load generator shares the process and the machine with the server.

Targets (issue #4): text-turn p99 <= 50 ms at 200 users; photo acknowledgement <= 1 s.

    .venv/bin/python bench/bot.py [--users 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "bot"))
from bot_helpers import OA_AES_KEY, OA_APPID, OA_SECRET, OA_TOKEN, WeChatUser

from borderpass.core import loop
from borderpass.core.app import create_app
from borderpass.core.config import Settings
from borderpass.core.fake_wechat import FakeWeChat

TEXT_P99_TARGET = 50.0  # ms
PHOTO_ACK_TARGET = 1000.0  # ms


class _Client:
    """The slice of aiohttp's TestClient that WeChatUser needs, over a plain session."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.session.post(self.base + path, **kwargs)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "navy").save(buf, "JPEG")
    return buf.getvalue()


async def run(users: int, rounds: int, think: float) -> bool:
    fake = FakeWeChat(apps={OA_APPID: OA_SECRET})
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    settings = Settings.from_env().with_overrides(
        data_dir=tmp, wechat_api_base=fake.base_url, oa_appid=OA_APPID, oa_secret=OA_SECRET,
        oa_token=OA_TOKEN, oa_aes_key=OA_AES_KEY, sweep_interval=0, notify_worker=False,
        data_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    from borderpass.core.db import init_db

    await init_db(settings.db_url)
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    from borderpass.bot.views import BOT

    async def stub_read(kind: str, data: bytes) -> dict[str, Any]:
        return {"kind": kind, "fields": {}}

    app[BOT].ocr_read = stub_read
    text_ms: list[float] = []
    photo_ms: list[float] = []
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = _Client(session, base)

        async def one(i: int) -> None:
            openid = f"oa-bench-{i}"
            fake.touch_user(openid)
            user = WeChatUser(client, openid)
            await user.say("English")
            rng = random.Random(i)
            await asyncio.sleep(rng.uniform(0, think))
            for _ in range(rounds):
                for text in ("help", "status", "file", "cancel"):
                    await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                    start = time.perf_counter()
                    reply = await user.say(text)
                    text_ms.append((time.perf_counter() - start) * 1000)
                    assert reply.status == 200 and reply.text, reply.raw

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(users)))
        elapsed = time.perf_counter() - started
        photo = _jpeg()
        for i in range(min(20, users)):
            user = WeChatUser(client, f"oa-bench-{i}")
            await user.say("file")
            await user.say("1")
            start = time.perf_counter()
            reply = await user.photo(fake.add_media(photo))
            photo_ms.append((time.perf_counter() - start) * 1000)
            assert "Photo received" in reply.text, reply.text
            await app[BOT].drain()
    await runner.cleanup()
    await fake.close()
    p50, p99 = _pct(text_ms, 0.5), _pct(text_ms, 0.99)
    ack50, ack_max = _pct(photo_ms, 0.5), max(photo_ms)
    backend = "PostgreSQL + Redis" if settings.database_url.startswith("postgres") \
        else "SQLite + fakeredis"
    print(f"bot benchmark — {users} concurrent users (think time ~{think:g} s), "
          f"{len(text_ms)} text turns "
          f"in {elapsed:.1f} s ({len(text_ms) / elapsed:.0f} turns/s), {backend}")
    print(f"{'measure':<28}{'p50 ms':>10}{'p99/max ms':>12}{'target':>10}{'':>6}")
    ok_text, ok_photo = p99 <= TEXT_P99_TARGET, ack_max <= PHOTO_ACK_TARGET
    print(f"{'text turn':<28}{p50:>10.1f}{p99:>12.1f}{'<= 50':>10}"
          f"{'ok' if ok_text else 'MISS':>6}")
    print(f"{'photo acknowledgement':<28}{ack50:>10.1f}{ack_max:>12.1f}{'<= 1000':>10}"
          f"{'ok' if ok_photo else 'MISS':>6}")
    return ok_text and ok_photo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a user takes before the next message")
    args = parser.parse_args()
    return 0 if loop.run(run(args.users, args.rounds, args.think)) else 1


if __name__ == "__main__":
    sys.exit(main())
