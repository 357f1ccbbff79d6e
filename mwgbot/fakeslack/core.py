"""The fake's engine: the loopback HTTP server, request parsing, the token check, call
recording, injected failures and rate limits, waiting helpers, and the dispatch of each
``POST /api/<method>`` to the Web API family that answers it."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from mwgbot.fakeslack import canvases, chat, conversations, reactions, socket_mode, team, views
from mwgbot.fakeslack.base import ApiError, ApiMethod, RecordedCall, as_int

# One logger for the whole fake (its name from before the split into a package).
log = logging.getLogger("mwgbot.fakeslack")

#: Argument keys that carry JSON and arrive as JSON strings when form-encoded.
JSON_STRING_KEYS: dict[str, str] = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "metadata": "invalid_metadata_format",
    # Canvas arguments, as a form-encoded client (slack_sdk's sections lookup) sends them.
    "document_content": "invalid_arguments",
    "changes": "invalid_arguments",
    "criteria": "invalid_arguments",
}

#: Calls a minute Slack promises per rate-limit tier ("Tier 3: 50+ per minute"; docs.slack.dev
#: /apis/web-api/rate-limits).
TIER_PER_MINUTE: dict[int, int] = {1: 1, 2: 20, 3: 50, 4: 100}
#: The documented tier of the methods the fake answers (their docs.slack.dev pages); the
#: others (chat.postMessage, chat.getPermalink, auth.test) have special limits.
METHOD_TIERS: dict[str, int] = {
    "users.info": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "reactions.get": 3,
    "reactions.add": 3,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "apps.connections.open": 3,
    "conversations.canvases.create": 2,
    "canvases.edit": 3,
    "canvases.delete": 3,
    "canvases.sections.lookup": 3,
}


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
        length = as_int(self.headers.get("Content-Length"), 0)
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


class FakeSlack(
    team.TeamMethods,
    socket_mode.SocketModeMethods,
    chat.ChatMethods,
    conversations.ConversationsMethods,
    reactions.ReactionsMethods,
    views.ViewsMethods,
    canvases.CanvasesMethods,
):
    """A fake Slack Web API over HTTP on ``127.0.0.1`` (see ``mwgbot.fakeslack``)."""

    # A new Web API family is a module with a ``FakeSlackBase`` mixin and its ``METHODS``
    # table, added to the bases above and to ``_METHODS`` at the end of this module.

    def _reset_state(self) -> None:
        super()._reset_state()
        self._calls: list[RecordedCall] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._rate_limited_count = 0
        self._refused_tokens: dict[str, str] = {}

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

    @property
    def rate_limited_count(self) -> int:
        with self._lock:
            return self._rate_limited_count

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

    def revoke_token(self, token: str, *, error: str = "token_revoked") -> None:
        """Every call with ``token`` answers ``error`` from now on, ``auth.test`` included:
        ``token_revoked`` (the app was uninstalled or the token revoked), ``account_inactive``
        (the bot or workspace deactivated), ``invalid_auth``, ``token_expired``…"""
        with self._lock:
            self._refused_tokens[token] = error

    def restore_token(self, token: str) -> None:
        """``token`` works again (a test's shortcut for a new install with the same token)."""
        with self._lock:
            self._refused_tokens.pop(token, None)

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

    def rate_limit_tier(self, *methods: str, burst: float | None = None) -> None:
        """Limit each method to its documented tier (``METHOD_TIERS``), e.g. `canvases.edit`
        to 50 calls a minute.

        Slack tolerates bursts beyond a tier without promising them, so the bucket holds ten
        seconds' worth unless ``burst`` is given: a bot that stays within it is within what
        Slack promises.
        """
        for method in methods:
            if method not in METHOD_TIERS:
                raise ValueError(f"{method} has no documented tier (special rate limits)")
            per_minute = TIER_PER_MINUTE[METHOD_TIERS[method]]
            tokens = burst if burst is not None else max(1.0, math.ceil(per_minute / 6))
            self.rate_limit(method, per_minute / 60, burst=tokens)

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
        prefix = "xapp-" if method in socket_mode.APP_TOKEN_METHODS else "xoxb-"
        if token is None or not token.startswith(prefix):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        with self._lock:
            refused = self._refused_tokens.get(token)
        if refused is not None:
            return _Reply(200, {"ok": False, "error": refused})
        if parse_error is not None:
            return _Reply(200, {"ok": False, "error": parse_error})
        with self._changed:
            refusal = self._channel_refusal(method, args)
            if refusal is not None:
                return _Reply(200, {"ok": False, "error": refusal})
            try:
                body = handler(self, args)
            except ApiError as err:
                answer: dict[str, Any] = {"ok": False, "error": err.error}
                if err.detail is not None:
                    answer["detail"] = err.detail
                return _Reply(200, answer)
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


def _ratelimited(retry_after: int) -> _Reply:
    return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _describe(predicate: Callable[[], bool]) -> str:
    name = getattr(predicate, "__qualname__", None) or repr(predicate)
    return f"predicate {name}"


def _dispatch_table(
    *families: Mapping[str, ApiMethod[FakeSlack]],
) -> dict[str, ApiMethod[FakeSlack]]:
    """Merge the families' method tables; a method answered by two families is a mistake."""
    table: dict[str, ApiMethod[FakeSlack]] = {}
    for family in families:
        for name, method in family.items():
            if name in table:
                raise RuntimeError(f"fakeslack: two families answer {name!r}")
            table[name] = method
    return table


_METHODS = _dispatch_table(
    team.METHODS,
    socket_mode.METHODS,
    chat.METHODS,
    conversations.METHODS,
    reactions.METHODS,
    views.METHODS,
    canvases.METHODS,
)
