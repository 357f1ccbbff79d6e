"""The HTTP front door, over raw sockets where a well-behaved client library would not do
what an attacker does: oversized and endless bodies are refused before they are read (so never
hashed), slow bodies are dropped, and only the three routes answer."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse

import pytest

from mwgbot.slack.server import BODY_DEADLINE, MAX_BODY
from tests import slack_requests as sr
from tests.conftest import RunningBot


def address(bot: RunningBot) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(bot.url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def connect(bot: RunningBot, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(address(bot), timeout=timeout)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test:
    the server kept the connection open)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def status_and_headers(raw: bytes) -> tuple[int, dict[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def slack_calls(bot: RunningBot) -> list[str]:
    return [c.method for c in bot.sent()]


def test_a_body_declared_over_1_mib_is_refused_before_it_is_sent(bot: RunningBot) -> None:
    with connect(bot) as sock:
        started = time.perf_counter()
        sock.sendall(
            request_head(
                "POST",
                "/slack/events",
                {
                    "Content-Type": "application/json",
                    "Content-Length": str(200 * 1024 * 1024),
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=" + "0" * 64,
                },
            )
        )
        # Not a byte of the body is sent: the answer comes from the headers alone.
        raw = read_until_closed(sock)
        elapsed = time.perf_counter() - started
        # The connection is closed: a client that goes on uploading is cut off (its data is
        # not read; the kernel resets the connection) instead of streaming 200 MB in.
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # noqa: PT012
            for _ in range(1000):
                sock.sendall(b" " * 65536)
    status, headers = status_and_headers(raw)
    assert status == 413
    assert headers["connection"] == "close"
    assert elapsed < 3  # Slack's deadline; in practice a few milliseconds
    assert slack_calls(bot) == []


def test_a_client_expecting_100_continue_is_refused_without_uploading(bot: RunningBot) -> None:
    with connect(bot) as sock:
        sock.sendall(
            request_head(
                "POST",
                "/slack/events",
                {"Content-Length": str(MAX_BODY + 1), "Expect": "100-continue"},
            )
        )
        raw = read_until_closed(sock)
    assert raw.startswith(b"HTTP/1.1 413 ")  # no "100 Continue" first: nothing was read


def test_a_chunked_body_is_counted_as_it_streams_and_stopped_at_the_limit(
    bot: RunningBot,
) -> None:
    chunk = b"x" * 65536
    with connect(bot) as sock:
        sock.sendall(
            request_head(
                "POST",
                "/slack/events",
                {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            )
        )
        # 1 MiB, then one byte more, and no end: the server must stop at the limit. (The
        # byte comes alone so that the server has read all that was sent when it refuses:
        # closing on unread data would reset the connection before the client reads the 413.)
        for _ in range(MAX_BODY // len(chunk)):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"1\r\nx\r\n")
        raw = read_until_closed(sock)
    status, headers = status_and_headers(raw)
    assert status == 413
    assert headers["connection"] == "close"
    assert slack_calls(bot) == []


def test_a_body_of_exactly_1_mib_still_reaches_the_bot(bot: RunningBot) -> None:
    base = sr.slash_command("propose x")
    padding = MAX_BODY - len(base.body)
    request = sr.slash_command("propose x" + "y" * padding)
    assert len(request.body) == MAX_BODY
    answer = bot.send(request)
    assert answer.status == 200
    assert "a command takes at most 4,000" in answer.json()["text"]


def test_a_body_that_arrives_slowly_is_dropped(bot: RunningBot) -> None:
    stop = threading.Event()
    with connect(bot, timeout=BODY_DEADLINE + 20) as sock:
        sock.sendall(
            request_head(
                "POST",
                "/slack/events",
                {"Content-Type": "application/json", "Content-Length": "2000"},
            )
        )

        def trickle() -> None:
            # A byte at a time, never fast enough to finish; it stops a second before the
            # deadline, so no byte is in flight when the server closes (that would reset the
            # connection before the 408 is read).
            until = time.monotonic() + BODY_DEADLINE - 1
            try:
                while not stop.wait(0.25) and time.monotonic() < until:
                    sock.sendall(b" ")
            except OSError:
                return  # the server dropped us

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        try:
            raw = read_until_closed(sock)
        finally:
            stop.set()
            sender.join(timeout=5)
    status, headers = status_and_headers(raw)
    assert status == 408
    assert headers["connection"] == "close"
    assert slack_calls(bot) == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("POST", "/", 404),
        ("POST", "/slack/events/", 404),
        ("POST", "/slack/interactive", 404),
        ("GET", "/admin", 404),
        ("GET", "/slack/events", 405),
        ("PUT", "/slack/events", 405),
        ("DELETE", "/slack/events", 405),
        ("POST", "/healthz", 405),
        ("PATCH", "/healthz", 405),
        ("POST", "/calendar.ics", 405),
        ("OPTIONS", "/calendar.ics", 405),
        ("GET", "/healthz", 200),
        ("HEAD", "/healthz", 200),
        ("GET", "/calendar.ics", 200),
        ("HEAD", "/calendar.ics", 200),
    ],
)
def test_only_the_three_routes_answer(bot: RunningBot, method: str, path: str, status: int) -> None:
    host, port = address(bot)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        connection.request(method, path, body=body)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == status
    if status == 405:
        allowed = {m.strip() for m in (response.getheader("allow") or "").split(",")}
        assert allowed & {"GET", "POST"}
        assert method not in allowed
    if status >= 400:
        assert response.getheader("connection") == "close"
    assert slack_calls(bot) == []


@pytest.mark.parametrize(
    "text",
    [
        "propose Payload for the newsletter --close 4d",
        "propose a payload=1 test --close 4d",
        "propose payload --close 4d",
    ],
)
def test_the_word_payload_in_a_command_is_read_as_the_command(bot: RunningBot, text: str) -> None:
    """slack-bolt reads any form body containing "payload" as an interactive payload and
    answered such a command 404 "unhandled request" (a helper's property test found it)."""
    answer = bot.command(text)
    assert answer.status == 200, answer.text
    assert "Proposed #1" in answer.json()["text"]
