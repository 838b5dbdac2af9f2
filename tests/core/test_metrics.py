"""``/metrics`` in Prometheus format on its own port: every named series, routes by pattern,
gate decisions by outcome and lane; under ``serve --processes`` the sum of all processes
(issue 22)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from gate_helpers import declared, issued, lane, qr
from outages import free_port, serving_children
from prometheus_client.parser import text_string_to_metric_families

from borderpass.core.config import Settings
from borderpass.web.appkeys import GATE

pytestmark = pytest.mark.usefixtures("db")
SERIES = ("borderpass_http_request_duration_seconds", "borderpass_gate_decisions",
          "borderpass_gate_decision_seconds", "borderpass_ledger_lag_seconds",
          "borderpass_ledger_commit_seconds", "borderpass_outbox_depth",
          "borderpass_outbox_oldest_due_seconds", "borderpass_gate_commands_unacked",
          "borderpass_notify_sends", "borderpass_ocr_jobs_pending",
          "borderpass_ocr_job_seconds", "borderpass_sweep_seconds", "borderpass_sweep_rows",
          "borderpass_bot_turn_seconds")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _scrape(port: int) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


@pytest.fixture
def metrics_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, metrics_port: int) -> Settings:
    return settings.with_overrides(metrics_port=metrics_port)


async def test_metrics_port_serves_every_named_series(client, metrics_port, login) -> None:
    from borderpass.app.metrics_http import sample_database
    from borderpass.services.sweeps import run_sweeps

    before = _samples(await _scrape(metrics_port))
    driver = await login("alice")
    for filing in (424242, 77):
        status, _ = await driver.call("GET", f"/api/v1/filings/{filing}")
        assert status == 404
    gate = client.app[GATE]
    gate_pass = await issued(gate, await declared(gate))
    out, token = await lane(gate)
    ws = await client.ws_connect("/gate/ws")
    await ws.send_json({"type": "hello", "event_id": "h1", "lane": out.code,
                        "credential": token})
    for event in ("s1", "s2"):
        await ws.send_json({"type": "scan", "event_id": event, "qr": qr(gate_pass)})
        while json.loads((await ws.receive(timeout=5)).data)["type"] != "command":
            pass
    await ws.close()
    await run_sweeps(gate.deps)
    await sample_database()
    text = await _scrape(metrics_port)
    for name in SERIES:
        assert f"# TYPE {name}" in text, name
    after = _samples(text)
    route = "/api/v1/filings/{id}"
    assert _value(after, "borderpass_http_request_duration_seconds_count", route=route,
                  method="GET", status="404") - _value(
        before, "borderpass_http_request_duration_seconds_count", route=route, method="GET",
        status="404") == 2
    assert "/api/v1/filings/424242" not in text  # the pattern, never the raw path
    opened = dict(outcome="open", reason="pass_valid", lane=out.code)
    denied = dict(outcome="deny", reason="pass_used", lane=out.code)
    assert _value(after, "borderpass_gate_decisions_total", **opened) - _value(
        before, "borderpass_gate_decisions_total", **opened) == 1
    assert _value(after, "borderpass_gate_decisions_total", **denied) - _value(
        before, "borderpass_gate_decisions_total", **denied) == 1
    assert _value(after, "borderpass_gate_decision_seconds_count") - _value(
        before, "borderpass_gate_decision_seconds_count") == 2
    assert _value(after, "borderpass_ledger_lag_seconds_count") > _value(
        before, "borderpass_ledger_lag_seconds_count")
    assert _value(after, "borderpass_sweep_seconds_count", sweep="expired_filings") == \
        _value(before, "borderpass_sweep_seconds_count", sweep="expired_filings") + 1
    assert _value(after, "borderpass_outbox_depth", status="pending") >= 0
    assert ("borderpass_gate_commands_unacked", ()) in after


async def test_metrics_are_off_the_public_port(client) -> None:
    resp = await client.get("/metrics")
    assert resp.status == 404


TEST_REDIS = os.environ.get("BORDERPASS_TEST_REDIS_URL", "")
TEST_KEY = "bWV0cmljcy1tZXRyaWNzLW1ldHJpY3MtbWV0cmljcy0="  # 32 bytes, this test only


@pytest.mark.fault
@pytest.mark.skipif(not TEST_REDIS or not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                    reason="needs PostgreSQL and a Redis server (several processes share them)")
async def test_several_processes_are_counted_as_one_service(db_url: str, tmp_path: Path
                                                            ) -> None:
    port, metrics_port = free_port(), free_port()
    env = os.environ | {
        "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": TEST_REDIS,
        "BORDERPASS_DATA_DIR": str(tmp_path), "BORDERPASS_DATA_KEY": TEST_KEY,
        "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
        "BORDERPASS_LOG_LEVEL": "WARNING", "BORDERPASS_METRICS_PORT": str(metrics_port)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    parent = subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve",
                               "--port", str(port), "--processes", "2"], env=env,
                              stderr=(tmp_path / "server.log").open("w"))
    try:
        for _ in range(1200):
            if len(serving_children(parent.pid, port)) == 2:
                break
            await asyncio.sleep(0.1)
        children = serving_children(parent.pid, port)
        assert len(children) == 2
        for _ in range(40):  # a new connection each: the kernel spreads them
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert r.status == 200
        count = "borderpass_http_request_duration_seconds_count"
        labels = dict(route="/healthz", method="GET", status="200")
        samples = _samples(await _scrape(metrics_port))
        assert _value(samples, count, **labels) == 40  # both processes' requests, summed
        run_dir = _run_dir(children[0])
        os.kill(children[0], signal.SIGKILL)  # a dead process's requests still count
        for _ in range(100):
            if children[0] not in serving_children(parent.pid, port):
                break
            await asyncio.sleep(0.05)
        for attempt in range(50):  # a connection queued on the dead socket is reset
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                            timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:  # reset (or refused, as urllib's URLError)
                assert attempt < 49
                await asyncio.sleep(0.1)
        samples = _samples(await _scrape(metrics_port))
        assert _value(samples, count, **labels) == 41  # a reset request was never answered
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(20) == 0
        assert not Path(run_dir).exists()  # the run's directory is removed
    finally:
        if parent.poll() is None:
            parent.kill()


def _run_dir(pid: int) -> str:
    """The per-run metrics directory a child of the supervisor was given."""
    for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if item.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
            return item.split(b"=", 1)[1].decode()
    raise AssertionError("no PROMETHEUS_MULTIPROC_DIR")


def test_grafana_dashboard_names_only_series_that_exist() -> None:
    import re

    from prometheus_client import REGISTRY

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy" /
                            "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    exported = {s.name for family in REGISTRY.collect() for s in family.samples} | {
        f.name for f in REGISTRY.collect()}
    named = {n for e in exprs for n in re.findall(r"borderpass_[a-z_]+", e)}
    assert named and not {n for n in named if n not in exported and
                          re.sub(r"_(bucket|count|sum|total)$", "", n) not in exported}
    assert {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in named} >= {
        s.removesuffix("_total") for s in SERIES}  # every series has its panel


def test_a_killed_supervisors_metrics_directory_is_removed_by_the_next(tmp_path: Path) -> None:
    from borderpass.app.processes import METRICS_PREFIX, _remove_stale_metrics_dirs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"{METRICS_PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{METRICS_PREFIX}{os.getpid()}-def"
    for path in (stale, alive):
        path.mkdir()
        (path / "counter_1.db").write_bytes(b"x")
    _remove_stale_metrics_dirs(tmp_path)
    assert not stale.exists() and alive.exists()
