"""What every HTTP answer and door shares: ``nosniff``, ``Allow`` on a 405, and who is asking.

Behind a reverse proxy the peer is the proxy: ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are
believed only when the peer is in ``BORDERPASS_TRUSTED_PROXIES`` (CIDRs), otherwise anyone could
claim any address or TLS. ``client_address`` and ``came_over_tls`` are the one place that reads
them (throttles, audit rows and the console's ``Secure`` cookies use these).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from aiohttp import web

from borderpass.web.appkeys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def trusted_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """Parse the trusted proxies' CIDRs (a bad one is a start-up error, ValueError)."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _networks(request: web.Request) -> tuple[Network, ...]:
    return trusted_networks(request.config_dict[SETTINGS].trusted_proxies)


def client_address(request: web.Request) -> str:
    """The client's IP: the peer, or through trusted proxies the nearest untrusted hop of
    ``X-Forwarded-For`` (read right to left, each trusted proxy appends its own peer)."""
    peer = request.remote or ""
    networks = _networks(request)
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header names nobody: keep the proxy's address
        if not _is_trusted(hop, networks):
            return hop
    return peer


def came_over_tls(request: web.Request) -> bool:
    """Whether the client spoke TLS: to us, or to a trusted proxy that says so."""
    if request.secure:
        return True
    proto = request.headers.get("X-Forwarded-Proto", "")
    if not proto or not _is_trusted(request.remote or "", _networks(request)):
        return False
    return proto.split(",")[-1].strip().lower() == "https"  # the nearest proxy's word


async def _harden(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.status == 405 and "Allow" not in response.headers:
        exc = getattr(request.match_info, "http_exception", None)
        allowed = getattr(exc, "allowed_methods", None)
        if allowed:
            response.headers["Allow"] = ",".join(sorted(allowed))


def setup_web_hardening(app: web.Application) -> None:
    """Check the trusted proxies' CIDRs now; harden every answer's headers."""
    trusted_networks(app[SETTINGS].trusted_proxies)
    app.on_response_prepare.append(_harden)
