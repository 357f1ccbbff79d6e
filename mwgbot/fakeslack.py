"""An in-process fake of the Slack Web API, served over real HTTP on loopback.

``FakeSlack`` binds ``127.0.0.1`` on an ephemeral port and answers ``POST /api/<method>``
the way slack.com does, closely enough that an unmodified ``slack_sdk.WebClient`` (and so
slack-bolt) can talk to it::

    with FakeSlack(users={"U1": "Alice"}) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.messages("C1")[0]["text"] == "hi"

It keeps channel state (messages, thread replies, edits), ephemerals and views, records every
call (including failed ones), and can inject failures (HTTP 5xx, 429 with ``Retry-After``,
``ok: false`` errors, slow answers) and token-bucket rate limits.  Standard library only: it
is used by the test-suite and by the offline demo console.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeSlack", "RecordedCall"]

log = logging.getLogger(__name__)

#: Argument keys that carry JSON and arrive as JSON strings when form-encoded.
JSON_STRING_KEYS: dict[str, str] = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}

_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
_DEFAULT_TS_BASE = 1_767_800_000
_TS_STEP_US = 100
_HISTORY_DEFAULT_LIMIT = 100
_HISTORY_MAX_LIMIT = 999


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


class _ApiError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None
    error: str | None
    delay: float


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    last: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """Consume one token; return 0.0 on success, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.body.get("ok"))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ts_key(ts: Any) -> float:
    try:
        return float(ts)
    except (TypeError, ValueError):
        return 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up are expected (delay injection); stay quiet.
        log.debug("fakeslack: error while handling a request", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSlack/1.0"
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fakeslack: " + format, *args)

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/"):
            self._send(_Reply(404, {"ok": False, "error": "not_found"}))
            return
        method = parts.path[len("/api/") :]
        length = _as_int(self.headers.get("Content-Length"), 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = server.fake._handle_http(
            method=method,
            query=parts.query,
            content_type=self.headers.get("Content-Type", ""),
            body=body,
            authorization=self.headers.get("Authorization"),
        )
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        payload = json.dumps(reply.body).encode("utf-8")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout)
            log.debug("fakeslack: client hung up before the answer was sent")


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        out[name] = data.decode("utf-8", errors="replace")
    return out


class FakeSlack:
    """A fake Slack Web API over HTTP on ``127.0.0.1`` (see the module docstring)."""

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
        ts_base: int = _DEFAULT_TS_BASE,
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
        self.socket_mode_url = "ws://127.0.0.1:1/"
        self.on_call: Callable[[RecordedCall], None] | None = None
        self._users: dict[str, str] = dict(users or {})
        self._bots: set[str] = set()
        self._clock = clock
        self._last_ts_us = 0 if clock is not None else ts_base * 1_000_000
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._reset_state()

    def _reset_state(self) -> None:
        self._calls: list[RecordedCall] = []
        self._channels: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._views: list[dict[str, Any]] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._rate_limited_count = 0
        self._dm_channels: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind ``127.0.0.1:0`` and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fakeslack-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); in-flight delayed answers are cut short."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``, e.g. ``http://127.0.0.1:PORT/api/``."""
        return f"http://127.0.0.1:{self.port}/api/"

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, *, include_failed: bool = True) -> list[RecordedCall]:
        with self._lock:
            return [
                c for c in self._calls if c.method == method and (include_failed or not c.failed)
            ]

    def clear(self) -> None:
        """Forget recorded calls (channel state, views and injections are kept)."""
        with self._lock:
            self._calls.clear()

    def reset(self) -> None:
        """Forget everything: calls, messages, ephemerals, views, failures, rate limits."""
        with self._lock:
            self._reset_state()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        include_failed: bool = True,
    ) -> list[RecordedCall]:
        """Block until ``count`` calls to ``method`` were recorded; return all of them."""

        def matching() -> list[RecordedCall]:
            return [
                c for c in self._calls if c.method == method and (include_failed or not c.failed)
            ]

        with self._changed:
            if self._changed.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            got = len(matching())
            seen = [f"{c.method}{' (failed)' if c.failed else ''}" for c in self._calls[-20:]]
        raise AssertionError(
            f"timed out after {timeout:g}s waiting for {count} call(s) to {method!r}; "
            f"got {got}. Last recorded calls: {seen or 'none'}"
        )

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate()`` is true (re-checked on every call and every 50 ms)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {_describe(predicate)}"
                )
            with self._changed:
                self._changed.wait(timeout=min(remaining, 0.05))

    # ------------------------------------------------------------------ state views

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in ``channel``, oldest first, thread replies included.

        Each has ``channel, ts, user, text, blocks, attachments, thread_ts, reply_broadcast,
        metadata, updates`` (``None``/``[]`` when absent) and ``reactions``.
        """
        with self._lock:
            return [self._public_message(m) for m in self._channels.get(channel, [])]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._find(channel, ts)
            return None if stored is None else self._public_message(stored)

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """``chat.postEphemeral`` calls: ``channel, user, text, blocks, thread_ts, message_ts``."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    @property
    def views(self) -> list[dict[str, Any]]:
        """Opened/pushed/published views (current state), plus ``trigger_id``, ``user_id``,
        ``opened_by`` (the method) and ``updates``."""
        with self._lock:
            return copy.deepcopy(self._views)

    @property
    def rate_limited_count(self) -> int:
        with self._lock:
            return self._rate_limited_count

    def add_user(self, user_id: str, display_name: str) -> None:
        with self._lock:
            self._users[user_id] = display_name

    def add_bot(self, user_id: str, display_name: str) -> None:
        """A bot user of another app: `users.info` answers `is_bot: true` for it."""
        with self._lock:
            self._users[user_id] = display_name
            self._bots.add(user_id)

    def dm_channel(self, user_id: str) -> str | None:
        """The 1:1 DM channel `conversations.open` gave for a member, if it was opened."""
        with self._lock:
            return self._dm_channels.get(user_id)

    def dm_user(self, channel: str) -> str | None:
        """The member a 1:1 DM channel (from `conversations.open`) is with, if any."""
        with self._lock:
            for users, dm in self._dm_channels.items():
                if dm == channel and "," not in users:
                    return users
        return None

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Put a message from ``user`` (e.g. a human) into ``channel``; return its ts."""
        with self._lock:
            stored = self._store_message(
                channel,
                {"text": text, "blocks": blocks, "thread_ts": thread_ts, "metadata": metadata},
                user=user,
                bot=False,
            )
            self._changed.notify_all()
            return str(stored["ts"])

    # ------------------------------------------------------------------ injection

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail (queued after earlier injections).

        ``status`` defaults to 200 when ``error`` or ``delay`` is given, else 500.
        429 answers ``ratelimited`` with ``Retry-After`` (``retry_after``, default 1);
        5xx answers that status with a small JSON body; 200 with ``error`` answers
        ``{"ok": false, "error": error}``. ``delay`` sleeps before answering; a delayed 200
        without ``error`` is then served normally (as when Slack did the work but the client
        timed out).
        """
        if status is None:
            status = 200 if (error is not None or delay > 0) else 500
        if times < 1:
            raise ValueError("times must be >= 1")
        spec = _Failure(status, times, retry_after, error, delay)
        with self._lock:
            self._failures.setdefault(method, deque()).append(spec)

    def rate_limit(
        self, method: str, per_second: float | None, *, burst: float | None = None
    ) -> None:
        """Token-bucket limit ``method`` (``None`` removes it); excess calls get 429.

        The bucket holds ``burst`` tokens (default ``max(1, per_second)``) and starts full.
        """
        with self._lock:
            if per_second is None:
                self._buckets.pop(method, None)
                return
            if per_second <= 0:
                raise ValueError("per_second must be > 0")
            capacity = burst if burst is not None else max(1.0, per_second)
            self._buckets[method] = _Bucket(per_second, capacity, capacity)

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle_http(
        self,
        *,
        method: str,
        query: str,
        content_type: str,
        body: bytes,
        authorization: str | None,
    ) -> _Reply:
        at = time.time()
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        parse_error: str | None = None
        mime = content_type.split(";", 1)[0].strip().lower()
        try:
            if mime == "application/json" and body:
                decoded = json.loads(body.decode("utf-8"))
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body is not an object")
                args.update(decoded)
            elif mime == "multipart/form-data" and body:
                args.update(_parse_multipart(content_type, body))
            elif body:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (ValueError, UnicodeDecodeError):
            parse_error = "invalid_json" if mime == "application/json" else "invalid_form_data"

        token: str | None = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip() or None
        body_token = args.pop("token", None)
        if token is None and isinstance(body_token, str) and body_token:
            token = body_token

        for key, bad_format in JSON_STRING_KEYS.items():
            value = args.get(key)
            if isinstance(value, str) and value != "":
                try:
                    args[key] = json.loads(value)
                except ValueError:
                    parse_error = parse_error or bad_format

        reply = self._answer(method, args, token, parse_error)
        call = RecordedCall(
            method=method,
            args=args,
            token=token,
            at=at,
            failed=not reply.ok,
            status=reply.status,
            error=None if reply.ok else str(reply.body.get("error", f"http_{reply.status}")),
        )
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        hook = self.on_call
        if hook is not None and not call.failed:
            try:
                hook(call)
            except Exception:
                log.exception("fakeslack: on_call hook raised")
        return reply

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, parse_error: str | None
    ) -> _Reply:
        with self._lock:
            failure = self._take_failure(method)
            wait_s = 0.0
            if failure is None and method in self._buckets:
                wait_s = self._buckets[method].take()
                if wait_s > 0:
                    self._rate_limited_count += 1
        if failure is not None:
            if failure.delay > 0:
                self._stopping.wait(failure.delay)
            if failure.status == 429:
                retry = failure.retry_after if failure.retry_after is not None else 1
                return _ratelimited(retry)
            if failure.status != 200:
                default = "service_unavailable" if failure.status == 503 else "internal_error"
                return _Reply(failure.status, {"ok": False, "error": failure.error or default})
            if failure.error is not None:
                return _Reply(200, {"ok": False, "error": failure.error})
        if wait_s > 0:
            return _ratelimited(max(1, math.ceil(wait_s)))

        handler = _METHODS.get(method)
        if handler is None:
            return _Reply(200, {"ok": False, "error": "unknown_method"})
        prefix = "xapp-" if method in _APP_TOKEN_METHODS else "xoxb-"
        if token is None or not token.startswith(prefix):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        if parse_error is not None:
            return _Reply(200, {"ok": False, "error": parse_error})
        with self._changed:
            try:
                body = handler(self, args)
            except _ApiError as err:
                return _Reply(200, {"ok": False, "error": err.error})
            self._changed.notify_all()
        return _Reply(200, {"ok": True, **body})

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        return failure

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

    def _find(self, channel: str, ts: Any) -> dict[str, Any] | None:
        for stored in self._channels.get(channel, []):
            if stored["ts"] == ts:
                return stored
        return None

    def _store_message(
        self, channel: str, args: dict[str, Any], *, user: str, bot: bool
    ) -> dict[str, Any]:
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            parent = self._find(channel, thread_ts)
            if parent is not None and parent["thread_ts"] is not None:
                thread_ts = parent["thread_ts"]  # replying to a reply threads under the parent
        stored: dict[str, Any] = {
            "channel": channel,
            "ts": self._next_ts(),
            "user": user,
            "bot": bot,
            "text": str(args.get("text") or ""),
            "blocks": _as_list(args.get("blocks")),
            "attachments": _as_list(args.get("attachments")),
            "thread_ts": thread_ts,
            "reply_broadcast": thread_ts is not None and _truthy(args.get("reply_broadcast")),
            "metadata": args.get("metadata") or None,
            "updates": 0,
            "edited_ts": None,
            "reactions": {},
        }
        self._channels.setdefault(channel, []).append(stored)
        return stored

    def _public_message(self, stored: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in stored.items() if k not in {"bot", "edited_ts"}}
        out["reactions"] = {name: list(users) for name, users in stored["reactions"].items()}
        return out

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

    def _user_object(self, user_id: str) -> dict[str, Any]:
        is_bot = user_id == self.bot_user_id or user_id in self._bots
        if user_id == self.bot_user_id:
            display = self.bot_name
        elif user_id in self._users:
            display = self._users[user_id]
        elif user_id[:1] in {"U", "W"} and user_id[1:].isalnum() and user_id.isupper():
            display = f"user-{user_id.lower()}"
        else:
            raise _ApiError("user_not_found")
        name = display.lower().replace(" ", ".") or user_id.lower()
        profile: dict[str, Any] = {
            "real_name": display,
            "real_name_normalized": display,
            "display_name": display,
            "display_name_normalized": display,
            "team": self.team_id,
        }
        if is_bot:
            own = user_id == self.bot_user_id
            profile.update(
                bot_id=self.bot_id if own else "B" + user_id[1:],
                api_app_id=self.app_id if own else "A" + user_id[1:],
            )
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": display,
            "tz": "America/New_York",
            "tz_label": "Eastern Standard Time",
            "tz_offset": -18000,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": _DEFAULT_TS_BASE,
        }

    def _new_view(self, method: str, args: dict[str, Any], *, root: str | None) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise _ApiError("invalid_arguments")
        view_id = self._next_id("V")
        external_id = str(view.get("external_id") or "")
        if external_id and any(v["external_id"] == external_id for v in self._views):
            raise _ApiError("duplicate_external_id")
        out = self._render_view(view, view_id=view_id, root=root or view_id, external=external_id)
        out.update(
            trigger_id=args.get("trigger_id") or args.get("interactivity_pointer"),
            user_id=args.get("user_id"),
            opened_by=method,
            updates=0,
        )
        self._views.append(out)
        return _strip_view(out)

    def _render_view(
        self, view: dict[str, Any], *, view_id: str, root: str, external: str
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks") or []),
            "private_metadata": str(view.get("private_metadata") or ""),
            "callback_id": str(view.get("callback_id") or ""),
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.{self._next_id('h')}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": None,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": external,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if "title" in view:
            rendered["title"] = copy.deepcopy(view["title"])
        return rendered

    # ------------------------------------------------------------------ API methods

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_mode_url}

    def _api_chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise _ApiError("no_text")
        _check_metadata(args.get("metadata"))
        stored = self._store_message(channel, args, user=self.bot_user_id, bot=True)
        message = self._api_message(stored, include_metadata=True)
        return {"channel": channel, "ts": stored["ts"], "message": message}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("ts"))
        if stored is None:
            raise _ApiError("message_not_found" if channel else "channel_not_found")
        if not stored["bot"]:
            raise _ApiError("cant_update_message")
        _check_metadata(args.get("metadata"))
        if "text" in args:
            stored["text"] = str(args["text"] or "")
        if "blocks" in args:
            stored["blocks"] = _as_list(args["blocks"])
        if "attachments" in args:
            stored["attachments"] = _as_list(args["attachments"])
        if args.get("metadata"):
            stored["metadata"] = args["metadata"]
        stored["updates"] += 1
        stored["edited_ts"] = self._next_ts()
        message = self._api_message(stored, include_metadata=True)
        return {"channel": channel, "ts": stored["ts"], "text": stored["text"], "message": message}

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("ts"))
        if stored is None:
            raise _ApiError("message_not_found")
        if not stored["bot"]:
            raise _ApiError("cant_delete_message")
        self._channels[channel].remove(stored)
        return {"channel": channel, "ts": stored["ts"]}

    def _api_chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        user = str(args.get("user") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if not user:
            raise _ApiError("user_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise _ApiError("no_text")
        message_ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "text": str(args.get("text") or ""),
                "blocks": _as_list(args.get("blocks")),
                "thread_ts": args.get("thread_ts") or None,
                "message_ts": message_ts,
            }
        )
        return {"message_ts": message_ts}

    def _api_chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("message_ts"))
        if stored is None:
            raise _ApiError("message_not_found")
        link = (
            f"https://{self.team_domain}.slack.com/archives/{channel}/"
            f"p{str(stored['ts']).replace('.', '')}"
        )
        if stored["thread_ts"] is not None:
            link += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        inclusive = _truthy(args.get("inclusive"))
        oldest = _ts_key(args.get("oldest") or 0)
        latest = _ts_key(args["latest"]) if args.get("latest") else math.inf
        cursor = str(args.get("cursor") or "")
        if cursor.startswith("before:"):
            latest, inclusive_latest = _ts_key(cursor[len("before:") :]), False
        else:
            inclusive_latest = inclusive
        limit = _as_int(args.get("limit"), _HISTORY_DEFAULT_LIMIT)
        limit = min(max(limit, 1), _HISTORY_MAX_LIMIT) if limit > 0 else _HISTORY_DEFAULT_LIMIT

        def in_range(ts: float) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = ts <= latest if inclusive_latest else ts < latest
            return above and below

        visible = [
            m
            for m in self._channels.get(channel, [])
            if (m["thread_ts"] is None or m["reply_broadcast"]) and in_range(_ts_key(m["ts"]))
        ]
        visible.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        page, has_more = visible[:limit], len(visible) > limit
        include_metadata = _truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._api_message(m, include_metadata=include_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": f"before:{page[-1]['ts']}" if has_more else ""},
        }

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        parent = self._find(channel, args.get("ts"))
        if parent is None:
            raise _ApiError("thread_not_found")
        root = parent["thread_ts"] or parent["ts"]
        thread = [
            m for m in self._channels.get(channel, []) if m["ts"] == root or m["thread_ts"] == root
        ]
        include_metadata = _truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._api_message(m, include_metadata=include_metadata) for m in thread],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        if not users:
            raise _ApiError("users_list_not_supplied")
        key = ",".join(sorted(str(users).split(",")))
        created = key not in self._dm_channels
        if created:
            self._dm_channels[key] = self._next_id("D")
        return {
            "no_op": not created,
            "already_open": not created,
            "channel": {"id": self._dm_channels[key]},
        }

    def _api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._find(str(args.get("channel") or ""), args.get("timestamp"))
        if stored is None:
            raise _ApiError("message_not_found")
        name = str(args.get("name") or "")
        if not name:
            raise _ApiError("invalid_name")
        users: list[str] = stored["reactions"].setdefault(name, [])
        if self.bot_user_id in users:
            raise _ApiError("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user_object(str(args.get("user") or ""))}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise _ApiError("invalid_arguments")
        return {"view": self._new_view("views.open", args, root=None)}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise _ApiError("invalid_arguments")
        modals = [v for v in self._views if v["type"] == "modal"]
        root = modals[-1]["root_view_id"] if modals else None
        view = self._new_view("views.push", args, root=root)
        if modals:
            view["previous_view_id"] = modals[-1]["id"]
            self._views[-1]["previous_view_id"] = modals[-1]["id"]
        return {"view": view}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise _ApiError("invalid_arguments")
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise _ApiError("invalid_arguments")
        index = next(
            (
                i
                for i, v in enumerate(self._views)
                if (view_id and v["id"] == view_id)
                or (external_id and v["external_id"] == external_id)
            ),
            None,
        )
        if index is None:
            raise _ApiError("not_found")
        current = self._views[index]
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        updated = self._render_view(
            view,
            view_id=current["id"],
            root=current["root_view_id"],
            external=str(view.get("external_id") or current["external_id"]),
        )
        updated["previous_view_id"] = current["previous_view_id"]
        updated["state"] = current["state"]
        updated.update(
            trigger_id=current["trigger_id"],
            user_id=current["user_id"],
            opened_by=current["opened_by"],
            updates=current["updates"] + 1,
        )
        self._views[index] = updated
        return {"view": _strip_view(updated)}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        if not user_id:
            raise _ApiError("invalid_arguments")
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        for index, current in enumerate(self._views):
            if current["type"] == "home" and current["user_id"] == user_id:
                if args.get("hash") and args["hash"] != current["hash"]:
                    raise _ApiError("hash_conflict")
                updated = self._render_view(
                    view, view_id=current["id"], root=current["id"], external=""
                )
                updated.update(
                    trigger_id=None,
                    user_id=user_id,
                    opened_by="views.publish",
                    updates=current["updates"] + 1,
                )
                self._views[index] = updated
                return {"view": _strip_view(updated)}
        return {"view": self._new_view("views.publish", args, root=None)}


_VIEW_META = ("trigger_id", "user_id", "opened_by", "updates")


def _ratelimited(retry_after: int) -> _Reply:
    return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _strip_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in view.items() if k not in _VIEW_META}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return copy.deepcopy(value)
    return []


def _check_metadata(metadata: Any) -> None:
    if metadata in (None, "", {}):
        return
    if not isinstance(metadata, dict) or not metadata.get("event_type"):
        raise _ApiError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload", {}), dict):
        raise _ApiError("invalid_metadata_format")


def _describe(predicate: Callable[[], bool]) -> str:
    name = getattr(predicate, "__qualname__", None) or repr(predicate)
    return f"predicate {name}"


_METHODS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlack._api_auth_test,
    "apps.connections.open": FakeSlack._api_apps_connections_open,
    "chat.postMessage": FakeSlack._api_chat_post_message,
    "chat.update": FakeSlack._api_chat_update,
    "chat.delete": FakeSlack._api_chat_delete,
    "chat.postEphemeral": FakeSlack._api_chat_post_ephemeral,
    "chat.getPermalink": FakeSlack._api_chat_get_permalink,
    "conversations.history": FakeSlack._api_conversations_history,
    "conversations.replies": FakeSlack._api_conversations_replies,
    "conversations.open": FakeSlack._api_conversations_open,
    "reactions.add": FakeSlack._api_reactions_add,
    "users.info": FakeSlack._api_users_info,
    "views.open": FakeSlack._api_views_open,
    "views.push": FakeSlack._api_views_push,
    "views.update": FakeSlack._api_views_update,
    "views.publish": FakeSlack._api_views_publish,
}
