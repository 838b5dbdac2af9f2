"""Schema-driven fuzz of the OpenAPI document (issue 16): every operation of
``/api/v1/openapi.json`` gets requests drawn from its own schemas by schemathesis (valid and
invalid path ids, bodies, headers), sent over a real socket as a driver and as each staff role,
on whichever back end the suite runs. No answer may be a server error (5xx).

Bounded: ``BORDERPASS_FUZZ_EXAMPLES`` cases per operation and mode (default 5), derandomised
so a failure replays. Run alone with ``-m fuzz``; it is part of ``make test``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import pytest
import schemathesis
from aiohttp import ClientError, FormData
from api_helpers import Caller, approved_filing_id
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from yarl import URL

pytestmark = [pytest.mark.fuzz, pytest.mark.usefixtures("db")]
EXAMPLES = int(os.environ.get("BORDERPASS_FUZZ_EXAMPLES", "5"))
STAFF = ("reviewer", "customs", "gate_supervisor", "admin")
SKIP = {("POST", "/api/v1/auth/logout")}  # would end the fuzzing caller's own session
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _draw(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` deterministic examples of ``strategy`` (a plain loop sends them, async)."""
    found: list[Any] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: Any) -> None:
        found.append(case)

    with contextlib.suppress(Unsatisfiable):  # nothing here can be made invalid (negative)
        collect()
    return found[:n]


def _aiohttp_kwargs(case: Any, base: str, token: str) -> tuple[str, URL, dict[str, Any]]:
    """schemathesis' request for ``case`` in aiohttp's terms, as the caller of ``token``."""
    sent = case.as_transport_kwargs(base_url=base)
    headers = {k: str(v) for k, v in sent.get("headers", {}).items()
               if k.lower() not in {"content-length", "transfer-encoding", "host"}}
    headers["Authorization"] = f"Bearer {token}"
    params = {k: v if isinstance(v, str) else json.dumps(v)
              for k, v in (sent.get("params") or {}).items()}
    kwargs: dict[str, Any] = {"params": params or None}
    if "json" in sent:
        kwargs["data"] = json.dumps(sent["json"])
        headers["Content-Type"] = "application/json"
    elif sent.get("files"):
        form = FormData()
        for name, (filename, content, *_) in sent["files"]:
            # a negative case may put a number where a file goes: send it as text
            form.add_field(name, content if isinstance(content, bytes | str) else str(content),
                           filename=filename)
        for name, value in (sent.get("data") or {}).items():
            form.add_field(name, str(value))
        kwargs["data"] = form
        headers.pop("Content-Type", None)
    elif sent.get("data") is not None:
        kwargs["data"] = sent["data"]
    kwargs["headers"] = headers
    return str(sent["method"]), URL(sent["url"], encoded=True), kwargs


async def _callers(login: Any, staff_login: Any) -> list[Caller]:
    alice = await login("alice")
    reviewer = await staff_login("reviewer")
    await approved_filing_id(alice, reviewer)  # small ids name real rows
    return [alice, reviewer] + [await staff_login(r) for r in STAFF if r != "reviewer"]


async def test_openapi_fuzz_finds_no_server_error(client, login, staff_login) -> None:
    spec = await (await client.get("/api/v1/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(spec)
    callers = await _callers(login, staff_login)
    base = str(client.make_url("/")).rstrip("/")
    failures: list[str] = []
    sent = unsendable = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) in SKIP:
            continue
        for mode in MODES:
            for case in _draw(op.as_strategy(generation_mode=mode), EXAMPLES):
                for caller in callers:
                    try:
                        method, url, kwargs = _aiohttp_kwargs(case, base, caller.token)
                        resp = await client.session.request(method, url, **kwargs)
                    except (ClientError, ValueError, TypeError, UnicodeError):
                        unsendable += 1  # a header or form field aiohttp will not send
                        continue
                    text = await resp.text(errors="replace")
                    sent += 1
                    if resp.status >= 500:
                        failures.append(f"{resp.status} {method} {url} {str(kwargs)[:300]}"
                                        f" → {text[:200]}")
    assert sent > 1000 and unsendable < sent // 10, (sent, unsendable)
    assert not failures, f"{len(failures)} server errors of {sent} requests:\n" + \
        "\n".join(failures[:40])
