"""What the fake WeChat remembers, and the knobs tests turn: users, codes, grants, faults."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CODE_TTL = 300.0  # a wx.login code lives five minutes
TOKEN_TTL = 7200  # an access token lives two hours
TOKEN_ROTATE_BEFORE = 300.0  # stable_token hands out a new token in its last five minutes
FORCE_REFRESH_INTERVAL = 30.0  # force_refresh is allowed once per 30 s
CUSTOMER_SERVICE_WINDOW = 48 * 3600.0  # custom messages only within 48 h of the user's last act
MEDIA_TTL = 3 * 86400.0  # temporary media live three days
CLIENT_MSG_ID_TTL = 600.0  # a template message's client_msg_id dedupes for ten minutes

DEMO_MINIAPP_APPID, DEMO_MINIAPP_SECRET = "wxdemominiapp", "demo-miniapp-secret"
DEMO_OA_APPID, DEMO_OA_SECRET = "wxdemoofficial", "demo-oa-secret"
DEMO_CODE_PREFIX, DEMO_OPENID_PREFIX = "demo-", "o-demo-"


class WeChatFailure(Exception):
    """An endpoint refuses the request with WeChat's ``errcode``/``errmsg``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class FakeUser:
    """A WeChat user as the fake knows them."""

    openid: str
    unionid: str | None = None
    last_interaction: float | None = None  # opens the 48-hour customer-service window
    grants: dict[str, int] = field(default_factory=dict)  # subscribe template id -> sends left
    subscribed: bool = True  # follows the Official Account (cgi-bin/user/info)
    tags: list[int] = field(default_factory=list)  # Official Account tag ids, in tagging order


@dataclass
class LoginCode:
    """A ``wx.login`` code: usable once, for five minutes."""

    code: str
    openid: str
    issued_at: float
    used: bool = False


@dataclass
class AccessToken:
    """An access token issued by ``stable_token``."""

    value: str
    appid: str
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class SentMessage:
    """A message an app pushed: ``kind`` is ``subscribe``, ``custom`` or ``template``."""

    kind: str
    appid: str
    openid: str
    body: dict[str, Any]
    msgid: int | None
    at: float

    @property
    def template_id(self) -> str | None:
        """The template of a subscribe or template message."""
        return self.body.get("template_id")

    @property
    def msgtype(self) -> str | None:
        """The ``msgtype`` of a customer-service message."""
        return self.body.get("msgtype")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received (query and body kept for assertions)."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes


@dataclass
class Fault:
    """A failure injected into the next ``times`` requests to one path."""

    status: int | None = None
    errcode: int | None = None
    errmsg: str = "injected failure"
    delay: float | None = None
    times: int = 1


@dataclass(frozen=True)
class Media:
    """An uploaded temporary media file."""

    data: bytes
    content_type: str
    created_at: float


class FakeWeChatState:
    """Inspectable state of the fake WeChat, with a clock tests control."""

    def __init__(
        self,
        apps: dict[str, str] | None = None,
        *,
        now: Callable[[], float] = time.time,
        demo: bool = False,
    ) -> None:
        self.now = now
        self.demo = demo
        self.apps: dict[str, str] = (
            dict(apps)
            if apps is not None
            else {DEMO_MINIAPP_APPID: DEMO_MINIAPP_SECRET, DEMO_OA_APPID: DEMO_OA_SECRET}
        )
        self.users: dict[str, FakeUser] = {}
        self.codes: dict[str, LoginCode] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.current_token: dict[str, str] = {}  # appid -> value stable_token hands out
        self.last_force_refresh: dict[str, float] = {}
        self.media: dict[str, Media] = {}
        self.menus: dict[str, dict[str, Any]] = {}
        self.wxacodes: list[dict[str, Any]] = []
        self.sent: dict[str, list[SentMessage]] = defaultdict(list)
        self.requests: list[RecordedRequest] = []
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.template_keys: dict[tuple[str, str, str], SentMessage] = {}
        self._msgids = itertools.count(2_000_000_001)
        # Apps not bound to an open-platform account: WeChat gives them no unionid.
        self.unbound_apps: set[str] = set()
        self.tags: dict[str, dict[int, str]] = defaultdict(dict)  # appid -> tag id -> name
        self.conditional_menus: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._tag_ids = itertools.count(100)  # 0-2 are WeChat's reserved tags
        self._menu_ids = itertools.count(400_000_001)

    # -- set-up helpers for tests -------------------------------------------------------

    def add_app(self, appid: str, secret: str) -> None:
        """Register an app (mini-program or Official Account) and its secret."""
        self.apps[appid] = secret

    def add_user(self, openid: str, unionid: str | None = None) -> FakeUser:
        """Return the user, creating them if new (unionid is set if given)."""
        user = self.users.setdefault(openid, FakeUser(openid))
        if unionid is not None:
            user.unionid = unionid
        return user

    def issue_login_code(self, openid: str, unionid: str | None = None) -> str:
        """Mint a ``wx.login`` code for ``openid``, as the mini-program would receive it."""
        self.add_user(openid, unionid)
        code = secrets.token_urlsafe(24)
        self.codes[code] = LoginCode(code, openid, self.now())
        return code

    def grant_subscription(self, openid: str, template_id: str, count: int = 1) -> None:
        """Record that the user accepted ``count`` more sends of a subscribe template."""
        user = self.add_user(openid)
        user.grants[template_id] = user.grants.get(template_id, 0) + count

    def touch_user(self, openid: str, when: float | None = None) -> None:
        """Record that the user messaged the Official Account at ``when`` (default: now)."""
        self.add_user(openid).last_interaction = self.now() if when is None else when

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Store a temporary media file, as if the user had sent it; returns its media_id."""
        media_id = secrets.token_urlsafe(32)
        self.media[media_id] = Media(data, content_type, self.now())
        return media_id

    def revoke_tokens(self, appid: str | None = None) -> None:
        """Invalidate issued access tokens, as a force refresh elsewhere would (→ 40001)."""
        for token in self.tokens.values():
            if appid is None or token.appid == appid:
                token.revoked = True

    def fail_next(
        self,
        path: str,
        *,
        status: int | None = None,
        errcode: int | None = None,
        errmsg: str = "injected failure",
        delay: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` requests to ``path`` fail: HTTP status, errcode or delay."""
        self.faults[path.strip("/")].append(Fault(status, errcode, errmsg, delay, times))

    # -- inspection -----------------------------------------------------------------------

    def messages(self, kind: str) -> list[SentMessage]:
        """Messages sent so far of one kind: ``subscribe``, ``custom`` or ``template``."""
        return list(self.sent[kind])

    def calls(self, path: str) -> int:
        """How many requests reached ``path`` (failed ones included)."""
        path = path.strip("/")
        return sum(1 for r in self.requests if r.path == path)

    # -- used by the endpoints ------------------------------------------------------------

    def take_fault(self, path: str) -> Fault | None:
        """Pop one use of the oldest fault injected for ``path``."""
        queue = self.faults.get(path)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def is_demo_user(self, openid: str) -> bool:
        """Demo users accept every push, so a human can try the flow by hand."""
        return self.demo and openid.startswith(DEMO_OPENID_PREFIX)

    def next_tag_id(self) -> int:
        """A fresh Official Account tag id."""
        return next(self._tag_ids)

    def next_menu_id(self) -> int:
        """A fresh personalised-menu id."""
        return next(self._menu_ids)

    def next_msgid(self) -> int:
        """A fresh msgid, as WeChat returns for pushes."""
        return next(self._msgids)

    def record(self, kind: str, appid: str, openid: str, body: dict[str, Any]) -> SentMessage:
        """Keep a sent message for tests to inspect."""
        msgid = None if kind == "custom" else self.next_msgid()
        message = SentMessage(kind, appid, openid, body, msgid, self.now())
        self.sent[kind].append(message)
        return message
