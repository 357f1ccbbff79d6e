"""What the benchmarks share: signed Slack requests over raw keep-alive HTTP, a bounded load
generator, percentiles, and servers started in their own processes.

Nothing here asserts on a time; every loop is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIGNING_SECRET = "bench-signing-secret"
CHANNEL = "CMARKETING"
HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_http(port: int, body: bytes, content_type: str) -> bytes:
    """One HTTP/1.1 request to /slack/events, signed as Slack signs it."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    head = (
        f"POST /slack/events HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\n"
        f"X-Slack-Signature: {signature}\r\n"
        "User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
        "\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in seconds (NaN when nothing was measured)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def ms(self, p: float) -> float:
        return self.percentile(p) * 1000


async def load(
    port: int, request: Callable[[int], bytes], total: int, clients: int, deadline: float
) -> Result:
    """`total` requests from `clients` keep-alive connections; request(i) builds the i-th."""
    latencies: list[float] = []
    errors = 0
    issued = 0

    async def client() -> None:
        nonlocal issued, errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while issued < total and time.monotonic() < deadline:
                index = issued
                issued += 1
                payload = request(index)
                started = time.perf_counter()
                writer.write(payload)
                await writer.drain()
                status = await read_response(reader)
                elapsed = time.perf_counter() - started
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Result(latencies, time.perf_counter() - started, errors)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} in {timeout:g}s")


@contextlib.contextmanager
def server_process(script: str, arguments: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Run `script --serve … --port N` in a child process; yields (port, pid)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, script, *arguments, "--port", str(port)],
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_listening(port, process)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bare_bolt_app(process_before_response: bool, api_url: str) -> Any:
    """A Bolt app that only acknowledges: the floor every measurement is compared with."""
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
        token_verification_enabled=False,
    )

    @app.command("/mwg")
    def only_ack(ack: Ack) -> None:
        ack(response_type="ephemeral", text="ok")

    @app.event("reaction_added")
    def reaction_added() -> None:
        return None

    @app.event("reaction_removed")
    def reaction_removed() -> None:
        return None

    return app


def mwgbot_settings(database_url: str, api_url: str, **overrides: Any) -> Any:
    from mwgbot.config import Settings

    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-bench",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api_url,
        "database_url": database_url,
        "mwg_channel": CHANNEL,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def ratio(value: float, baseline: float) -> str:
    if math.isnan(baseline) or math.isnan(value) or baseline == 0:
        return "-"
    return f"{value / baseline:.2f}x"


# The server the benchmarks make their own databases on (CI's PostgreSQL here).
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def fresh_postgres(server_url: str) -> tuple[str, Any]:
    """A database of this run's own on the server; returns its URL and a dropper."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from mwgbot.config import normalize_database_url

    server = make_url(normalize_database_url(server_url))
    name = f"mwgbot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop
