"""Every response a test receives from ``/api/v1`` through aiohttp's test client is checked
against the OpenAPI document the app serves: its status is documented for that operation,
and a JSON body validates against the documented schema (errors against ``Error``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.client_reqrep import ClientResponse
from aiohttp.test_utils import TestClient

from borderpass.miniapp_api.openapi import build_spec

_SPECS: dict[int, tuple[dict[str, Any], list[tuple[re.Pattern[str], str]]]] = {}
CHECKED: list[tuple[str, str, int]] = []  # (method, path template, status) seen this session
# Statuses a test provokes on purpose by breaking the database under a request (a table
# taken away): the server's 500 is then the expected answer, not a contract breach.
PROVOKED: set[int] = set()


def _spec(app: web.Application) -> tuple[dict[str, Any], list[tuple[re.Pattern[str], str]]]:
    if id(app) not in _SPECS:
        spec = build_spec(app)
        # Literal segments first, so /units/join is not taken for /units/{id}.
        templates = sorted(spec["paths"], key=lambda p: (p.count("{"), p))
        patterns = [(re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(t)) + "$"), t)
                    for t in templates]
        _SPECS[id(app)] = spec, patterns
    return _SPECS[id(app)]


def operation(spec: dict[str, Any], patterns: list[tuple[re.Pattern[str], str]], method: str,
              path: str) -> tuple[str, dict[str, Any]] | None:
    """The path template and operation serving ``method path``, if documented."""
    for pattern, template in patterns:
        if pattern.match(path) and method.lower() in spec["paths"][template]:
            return template, spec["paths"][template][method.lower()]
    return None


async def check_response(app: web.Application, method: str, path: str,
                         resp: ClientResponse) -> None:
    """Fails the test when ``resp`` is not what the document says ``method path`` answers."""
    if resp.status in PROVOKED:
        return
    if resp.status in (400, 413, 431) and resp.content_type == "text/plain":
        return  # aiohttp's HTTP parser refused the request line or headers before any route
        # (the API's own errors are JSON)
    spec, patterns = _spec(app)
    found = operation(spec, patterns, method, path)
    if found is None:  # a path or method the API does not have: the Error shape still holds
        assert resp.status in (404, 405), f"{method} {path} answered {resp.status} but is " \
            "not in the OpenAPI document"
        template, op = path, {"responses": {str(resp.status): {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
    else:
        template, op = found
    documented = op["responses"].get(str(resp.status))
    if documented and "$ref" in documented:
        documented = spec["components"]["responses"][documented["$ref"].rpartition("/")[2]]
    assert documented, (f"{method} {template} answered {resp.status}, not documented "
                        f"(documented: {sorted(op['responses'])})")
    media = resp.content_type
    content = documented.get("content", {})
    if resp.status == 204 or method.upper() == "HEAD":
        return
    assert media in content or any(m.endswith("/*") and media.startswith(m[:-1])
                                   for m in content), \
        f"{method} {template} {resp.status}: {media} not documented ({list(content)})"
    if media != "application/json":
        return
    schema = {**content[media]["schema"], "components": spec["components"]}
    body = await resp.json()
    try:
        jsonschema.Draft202012Validator(schema).validate(body)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise AssertionError(f"{method} {template} {resp.status} does not match the OpenAPI "
                             f"document at /{where}: {exc.message}") from None
    CHECKED.append((method.upper(), template, resp.status))


@pytest.fixture(autouse=True, scope="session")
def openapi_contract() -> Iterator[None]:
    """Wraps the test client's requests with :func:`check_response` for the whole session."""
    original = TestClient._request

    async def checked(self: TestClient, method: str, path: Any, **kwargs: Any
                      ) -> ClientResponse:
        resp = await original(self, method, path, **kwargs)
        target = str(path).split("?")[0]
        if target.startswith("/api/v1/") and isinstance(self.server.app, web.Application):
            await resp.read()  # kept: the test reads the same body afterwards
            await check_response(self.server.app, method, target, resp)
        return resp

    TestClient._request = checked  # type: ignore[method-assign]
    yield
    TestClient._request = original  # type: ignore[method-assign]
