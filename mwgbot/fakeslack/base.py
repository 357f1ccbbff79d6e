"""What every Web API family of the fake shares: who the bot is, the lock, timestamps and ids,
the channels' messages, and the message object Slack answers with.

The families (``chat``, ``conversations``, ``reactions``, ``views``, ``team``,
``socket_mode``, ``canvases``) are mixins of ``FakeSlackBase``; ``core.FakeSlack`` combines them.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, TypeAlias, TypeVar

#: Message timestamps count up from here (epoch seconds) unless a clock is given.
DEFAULT_TS_BASE = 1_767_800_000
_TS_STEP_US = 100


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the fake received it.

    ``args`` merges query string, form and JSON body (JSON-string values of ``blocks``,
    ``attachments``, ``view`` and ``metadata`` decoded); the token is kept apart.
    ``status``/``error`` describe what the fake answered.
    """

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    failed: bool = False
    status: int = 200
    error: str | None = None


#: What a conversation ID looks like: public (C) and private (G) channels, DMs (D).
CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]+")


class ApiError(Exception):
    """Answer ``{"ok": false, "error": error}`` (raised by a Web API method, lock held), with
    Slack's optional ``detail`` (e.g. which line of a canvas document was refused)."""

    def __init__(self, error: str, detail: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def ts_key(ts: Any) -> float:
    try:
        return float(ts)
    except (TypeError, ValueError):
        return 0.0


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return copy.deepcopy(value)
    return []


class FakeSlackBase:
    """The state and helpers the Web API families share (see ``core.FakeSlack``).

    A family keeps its own state by extending ``_reset_state`` (calling ``super()``).
    """

    team_name = "Open edX"
    team_domain = "openedx"
    app_id = "AMWGBOT0001"
    bot_name = "mwgbot"

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOTMWG",
        bot_id: str = "BBOTMWG",
        team_id: str = "T0MWG",
        users: dict[str, str] | None = None,
        ts_base: int = DEFAULT_TS_BASE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``users`` maps user id -> display name for ``users.info``.

        Message timestamps count up from ``ts_base`` in 100 µs steps, unless ``clock``
        (epoch seconds, e.g. ``lambda: manual_clock.now().timestamp()``) is given, in which
        case they follow that clock, still strictly increasing.
        """
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.on_call: Callable[[RecordedCall], None] | None = None
        self._users: dict[str, str] = dict(users or {})
        self._bots: set[str] = set()  # other apps' bot users (see TeamMethods.add_bot)
        self._clock = clock
        self._last_ts_us = 0 if clock is not None else ts_base * 1_000_000
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # Lifecycle (core.FakeSlack): kept across ``reset()``.
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._reset_state()

    def _reset_state(self) -> None:
        self._channels: dict[str, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ helpers (lock held)

    def _next_ts(self) -> str:
        floor = self._last_ts_us + _TS_STEP_US
        now_us = int(self._clock() * 1_000_000) if self._clock is not None else 0
        self._last_ts_us = max(floor, now_us)
        sec, usec = divmod(self._last_ts_us, 1_000_000)
        return f"{sec}.{usec:06d}"

    def _next_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:08d}"

    def _conversation_properties(self, channel: str) -> dict[str, Any]:
        """The ``properties`` of a conversation in `conversations.info` (none by default; the
        canvases family adds ``canvas``)."""
        return {}

    def _find(self, channel: str, ts: Any) -> dict[str, Any] | None:
        for stored in self._channels.get(channel, []):
            if stored["ts"] == ts:
                return stored
        return None

    def _api_message(self, stored: dict[str, Any], *, include_metadata: bool) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "message"}
        if stored["reply_broadcast"]:
            msg["subtype"] = "thread_broadcast"
        msg.update(text=stored["text"], user=stored["user"], ts=stored["ts"])
        if stored["bot"]:
            msg.update(
                bot_id=self.bot_id,
                app_id=self.app_id,
                bot_profile={
                    "id": self.bot_id,
                    "app_id": self.app_id,
                    "name": self.bot_name,
                    "deleted": False,
                    "team_id": self.team_id,
                },
            )
        msg["team"] = self.team_id
        if stored["blocks"]:
            msg["blocks"] = copy.deepcopy(stored["blocks"])
        if stored["attachments"]:
            msg["attachments"] = copy.deepcopy(stored["attachments"])
        if stored["thread_ts"] is not None:
            msg["thread_ts"] = stored["thread_ts"]
            parent = self._find(stored["channel"], stored["thread_ts"])
            if parent is not None:
                msg["parent_user_id"] = parent["user"]
        else:
            replies = [
                m
                for m in self._channels.get(stored["channel"], [])
                if m["thread_ts"] == stored["ts"]
            ]
            if replies:
                reply_users = list(dict.fromkeys(m["user"] for m in replies))
                msg.update(
                    thread_ts=stored["ts"],
                    reply_count=len(replies),
                    reply_users_count=len(reply_users),
                    reply_users=reply_users,
                    latest_reply=replies[-1]["ts"],
                )
        if stored["edited_ts"] is not None:
            msg["edited"] = {"user": stored["user"], "ts": stored["edited_ts"]}
        if stored["reactions"]:
            msg["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in stored["reactions"].items()
            ]
        if include_metadata and stored["metadata"] is not None:
            msg["metadata"] = copy.deepcopy(stored["metadata"])
        return msg


Family = TypeVar("Family", bound=FakeSlackBase)

#: A Web API method: the family's ``_api_*`` function, called with the lock held; it returns
#: the answer's fields besides ``ok`` or raises ``ApiError``.
ApiMethod: TypeAlias = Callable[[Family, dict[str, Any]], dict[str, Any]]
