"""Several machines: nginx (Debian's package, with ``deploy/nginx.conf`` itself) in front of
two independent ``borderpass serve`` instances on their own ports and data directories,
sharing only PostgreSQL and Redis (issue 22).

One test, one cluster (it stays under a minute): a session made on one instance works on
the other; lanes connect through nginx over TLS; a pass scanned on lanes held by both
instances opens once (R-G2); a manual lift approved through one instance opens the lane
held by the other (R-G4); an instance killed mid-load loses no request and its lanes are
back, through nginx, on the other within 5 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gate_helpers import declared, issued, lane, qr
from outages import wait_port
from suite_settings import TEST_KEY

from borderpass.models.gate import Crossing
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.identity import users

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEST_REDIS = os.environ.get("BORDERPASS_TEST_REDIS_URL", "")
FRONT, FRONT_HTTP, PORT_A, PORT_B = 18850, 18853, 18851, 18852  # this work's own range
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
MOVED_WITHIN = 5.0  # seconds a lane of a stopped instance may take to be served again

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.usefixtures("db"),
    pytest.mark.skipif(not TEST_REDIS or not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                       reason="needs PostgreSQL and a Redis server (the instances share them)"),
    pytest.mark.skipif(not Path(NGINX).exists(),
                       reason="needs Debian's nginx (apt-get install nginx-light)"),
]


def _nginx_conf(tmp: Path) -> Path:
    """deploy/nginx.conf, pointed at the two instances, this test's ports and certificate."""
    site = DEPLOY.read_text()
    site = site.replace("server app:8080 max_fails=1 fail_timeout=5s;",
                        f"server 127.0.0.1:{PORT_A} max_fails=1 fail_timeout=5s;\n"
                        f"    server 127.0.0.1:{PORT_B} max_fails=1 fail_timeout=5s;")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{FRONT_HTTP};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{FRONT} ssl http2;")
    site = site.replace("/etc/nginx/tls/", f"{tmp}/")
    assert f"127.0.0.1:{PORT_B}" in site and f"127.0.0.1:{FRONT} ssl" in site
    (tmp / "site.conf").write_text(site)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", str(tmp / "privkey.pem"), "-out",
                    str(tmp / "fullchain.pem")], check=True, capture_output=True)
    return conf


def _instance(db_url: str, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": TEST_REDIS,
        "BORDERPASS_DATA_DIR": str(data_dir), "BORDERPASS_DATA_KEY": TEST_KEY,
        "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
        "BORDERPASS_TRUSTED_PROXIES": "127.0.0.1/32", "BORDERPASS_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))


async def _ready(http: aiohttp.ClientSession, port: int, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"instance on {port} never ready")


async def _recv(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await ws.receive(timeout=10)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frame = json.loads(message.data)
        if frame["type"] == kind:
            return frame  # type: ignore[no-any-return]


async def _lane_ws(http: aiohttp.ClientSession, url: str, code: str, token: str) -> Any:
    ws = await http.ws_connect(url, ssl=False)
    await ws.send_json({"type": "hello", "event_id": f"h-{time.monotonic_ns()}", "lane": code,
                        "credential": token})
    assert (await _recv(ws, "welcome"))["lane"]["code"] == code
    return ws


async def _scan(ws: Any, event_id: str, text: str) -> dict[str, Any]:
    await ws.send_json({"type": "scan", "event_id": event_id, "qr": text})
    return await _recv(ws, "command")


async def test_two_instances_behind_nginx(db_url: str, deps: Any, tmp_path: Path) -> None:
    gate = GateDeps.build(deps)
    conf = _nginx_conf(tmp_path)
    a = _instance(db_url, tmp_path / "a", PORT_A, tmp_path / "a.log")
    b = _instance(db_url, tmp_path / "b", PORT_B, tmp_path / "b.log")
    front = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"],
                             stderr=(tmp_path / "nginx.out").open("w"))
    wss = f"wss://127.0.0.1:{FRONT}/gate/ws"
    https = f"https://127.0.0.1:{FRONT}"
    try:
        wait_port(FRONT)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
            await asyncio.gather(_ready(http, PORT_A), _ready(http, PORT_B))

            # A session made on A is good on B, and through nginx (sessions in PostgreSQL).
            await users.add_staff("customs-1", "correct-horse-1", ["customs"])
            async with http.post(f"http://127.0.0.1:{PORT_A}/api/v1/auth/staff-login",
                                 json={"username": "customs-1",
                                       "password": "correct-horse-1"}) as resp:
                assert resp.status == 200, await resp.text()
                login = await resp.json()
            auth = {"Authorization": f"Bearer {login['token']}"}
            for base in (f"http://127.0.0.1:{PORT_B}", https):
                async with http.get(f"{base}/api/v1/me", headers=auth) as resp:
                    assert resp.status == 200, await resp.text()
                    assert (await resp.json())["id"] == login["user"]["id"]
            async with http.get(f"{https}/readyz") as resp:  # nginx passes the probe
                assert resp.status == 200

            # One pass scanned at once on a lane held by A and a lane held by B: one open.
            lane_a, token_a = await lane(gate, "ruili-out-a")
            lane_b, token_b = await lane(gate, "ruili-out-b")
            ws_a = await _lane_ws(http, f"ws://127.0.0.1:{PORT_A}/gate/ws", lane_a.code,
                                  token_a)
            ws_b = await _lane_ws(http, f"ws://127.0.0.1:{PORT_B}/gate/ws", lane_b.code,
                                  token_b)
            twice = qr(await issued(gate, await declared(gate, plate="云N10001", name="d1")))
            answers = await asyncio.gather(_scan(ws_a, "s-a", twice), _scan(ws_b, "s-b", twice))
            assert sorted(c["action"] for c in answers) == ["deny", "open"]  # R-G2
            assert [c["reason"] for c in answers if c["action"] == "deny"] == ["pass_used"]
            # used through A, then refused through B
            later = await issued(gate, await declared(gate, plate="云N10002", name="d2"))
            assert (await _scan(ws_a, "s-a2", qr(later)))["action"] == "open"
            assert (await _scan(ws_b, "s-b2", qr(later)))["reason"] == "pass_used"

            # A manual lift requested by B's lane, approved through A: B's lane opens (R-G4).
            await ws_b.send_json({"type": "lift_request", "event_id": "lift-1",
                                  "reason": "scanner broken", "guard": "guard-7"})
            lift_id = (await _recv(ws_b, "receipt"))["lift_id"]
            async with http.post(f"http://127.0.0.1:{PORT_A}/api/v1/gate/manual-lifts/"
                                 f"{lift_id}/approve", headers=auth, json={}) as resp:
                assert resp.status == 200, await resp.text()
            command = await _recv(ws_b, "command")
            assert command["action"] == "open"
            await ws_a.close()
            await ws_b.close()

            # Two lanes through nginx: round robin puts one on each instance.
            lane_1, token_1 = await lane(gate, "ruili-out-1")
            lane_2, token_2 = await lane(gate, "ruili-out-2")
            front_lanes = {lane_1.code: await _lane_ws(http, wss, lane_1.code, token_1),
                           lane_2.code: await _lane_ws(http, wss, lane_2.code, token_2)}
            tokens = {lane_1.code: token_1, lane_2.code: token_2}

            # A dies (SIGKILL) while a client keeps asking through nginx: every answer 200.
            answered, stop = [], asyncio.Event()

            async def keep_asking() -> None:
                while not stop.is_set():
                    async with http.get(f"{https}/api/v1/me", headers=auth) as resp:
                        answered.append(resp.status)
                        await resp.read()

            asker = asyncio.create_task(keep_asking())
            await asyncio.sleep(0.3)
            a.send_signal(signal.SIGKILL)
            a.wait(10)
            killed = time.monotonic()
            moved = []
            for code, ws in front_lanes.items():
                try:
                    await ws.send_json({"type": "ping", "event_id": f"p-{code}"})
                    await _recv(ws, "pong")
                except (AssertionError, ConnectionError, aiohttp.ClientError):
                    moved.append(code)  # its instance died: the lane reconnects
                    front_lanes[code] = await _lane_ws(http, wss, code, tokens[code])
            assert len(moved) == 1  # the lane A held, now on B
            assert time.monotonic() - killed < MOVED_WITHIN
            await asyncio.sleep(0.5)
            stop.set()
            await asker
            assert answered and set(answered) == {200}, answered
            for n, (code, ws) in enumerate(front_lanes.items()):
                fresh = await issued(gate, await declared(gate, plate=f"云N2000{n}",
                                                          name=f"e{n}"))
                assert (await _scan(ws, f"after-{code}", qr(fresh)))["action"] == "open"
                await ws.close()
        assert await Crossing.filter(kind="pass").count() == 4  # each pass once, none lost
    finally:
        for proc in (front, a, b):
            if proc.poll() is None:
                proc.terminate()
        for proc in (front, a, b):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
