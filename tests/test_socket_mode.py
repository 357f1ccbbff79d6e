"""`mwgbot run`, the Socket Mode transport, end to end: the real console script in its own
process asks the fake Web API for a WebSocket URL (`apps.connections.open`), connects to a
local WebSocket server that plays Slack, receives envelopes and acks them; SIGTERM then stops it
cleanly. The server also does what Slack's side does to a connection: asks for a refresh
(`disconnect`, `refresh_requested`), delivers an envelope again, or just goes away (the TCP
connection ends with no message, as after a network blip or a proxy reset)."""

from __future__ import annotations

import json
import os
import queue
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from mwgbot import fakeslack_payloads as payloads
from mwgbot.fakeslack import FakeSlack
from tests.conftest import CHANNEL
from tests.processes import mwgbot_executable

ENVELOPE_ID = "1d8a4c5e-9f7b-4e0a-a2c3-mwg000000001"
ACK_TIMEOUT = 20.0
# The deadline for a new connection after a drop: a functional bound, not a latency.
RECONNECT_DEADLINE = 10.0
# A silent connection is given up after PING_INTERVAL + 2 * PONG_TIMEOUT (mwgbot.slack.socket_mode);
# the rest is room for a loaded machine.
SILENCE_DEADLINE = 20.0
# How long the child's CPU time is watched after a drop (its wall time, at least).
CPU_WATCH_SECONDS = 4.0


def slash_command_envelope(text: str, envelope_id: str = ENVELOPE_ID) -> dict[str, Any]:
    """A slash command as Slack delivers it over Socket Mode."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payloads.slash_command(
            text,
            user_id="UALICE",
            channel_id=CHANNEL,
            trigger_id="13345224609.738474920.8088930838d88f008e0",
        ),
    }


def event_envelope(
    event: dict[str, Any], envelope_id: str, *, event_id: str, retry_attempt: int = 0
) -> dict[str, Any]:
    """An Events API event as Slack delivers it over Socket Mode; a retry says so."""
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
        "payload": payloads.event_callback(event, event_id=event_id, event_time=1_767_800_000),
    }


HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-test", "build_number": 1, "approximate_connection_time": 60},
    "connection_info": {"app_id": "A0MWGBOT"},
}
# What Slack sends before it rotates a connection (docs: "Using Socket Mode", disconnect).
REFRESH_REQUESTED = {
    "type": "disconnect",
    "reason": "refresh_requested",
    "debug_info": {"host": "applink-test"},
}


@dataclass
class FakeSocketModeServer:
    """Slack's Socket Mode side. Each new connection gets `hello`, then the envelopes queued
    for the next connection (`on_next_connection`); every text frame the bot sends back is
    collected with the number of the connection it came on."""

    envelopes: list[list[dict[str, Any]]] = field(default_factory=list)
    received: queue.Queue[tuple[int, dict[str, Any]]] = field(default_factory=queue.Queue)
    connected_at: list[float] = field(default_factory=list)
    server: Server | None = None
    _connections: list[ServerConnection] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    def on_next_connection(self, *envelopes: dict[str, Any]) -> None:
        with self._lock:
            self.envelopes.append(list(envelopes))

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            self.connected_at.append(time.monotonic())
            number = len(self._connections)
            envelopes = self.envelopes.pop(0) if self.envelopes else []
            self._arrived.notify_all()
        connection.send(json.dumps(HELLO))
        for envelope in envelopes:
            connection.send(json.dumps(envelope))
        try:
            for message in connection:  # pings are answered by websockets itself
                if isinstance(message, str):
                    self.received.put((number, json.loads(message)))
        except ConnectionClosed:
            pass

    def send(self, message: dict[str, Any]) -> None:
        """A message on the newest connection."""
        with self._lock:
            connection = self._connections[-1]
        connection.send(json.dumps(message))

    def drop(self) -> float:
        """End the newest connection's TCP stream with no WebSocket message at all (no close
        frame): what the bot sees when a network path or a proxy goes away. Its time."""
        with self._lock:
            connection = self._connections[-1]
        connection.socket.shutdown(socket.SHUT_RDWR)
        return time.monotonic()

    def wait_connections(self, count: int, timeout: float) -> float:
        """Block until `count` connections were made; the time the last of them came."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._connections) >= count, timeout):
                raise AssertionError(
                    f"{len(self._connections)} connection(s) after {timeout:g}s; expected {count}"
                )
            return self.connected_at[count - 1]

    def start(self) -> str:
        self.server = serve(self.handle, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = self.server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test-ticket&app_id=A0MWGBOT"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()

    def ack(self, envelope_id: str, timeout: float) -> tuple[int, dict[str, Any]]:
        """The bot's ack of an envelope, and the connection it came on."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no ack for envelope {envelope_id} in {timeout:g}s")
            try:
                number, frame = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            if frame.get("envelope_id") == envelope_id:
                return number, frame


class SilencingProxy:
    """A TCP relay in front of the Socket Mode server that can make its connections go
    silent: after `silence()`, nothing passes either way on them and nothing is closed, as when
    a route dies (no FIN, no RST). Connections made afterwards pass again."""

    def __init__(self, target_url: str) -> None:
        address, path = target_url.removeprefix("ws://").split("/", 1)
        host, port = address.split(":")
        self.target = (host, int(port))
        self.path = "/" + path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self._silences: list[threading.Event] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.listener.getsockname()[1]}{self.path}"

    def silence(self) -> float:
        with self._lock:
            for silent in self._silences:
                silent.set()
        return time.monotonic()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            silent = threading.Event()
            with self._lock:
                self._silences.append(silent)
            threading.Thread(
                target=self._relay, args=(client, upstream, silent), daemon=True
            ).start()

    def _relay(
        self, client: socket.socket, upstream: socket.socket, silent: threading.Event
    ) -> None:
        with selectors.DefaultSelector() as selector, client, upstream:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while not self.stopped.is_set():
                for key, _events in selector.select(timeout=0.2):
                    source, destination = key.fileobj, key.data
                    assert isinstance(source, socket.socket)
                    data = source.recv(65536)
                    if not data:
                        return
                    if not silent.is_set():  # a silenced connection swallows everything
                        destination.sendall(data)


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer()
    try:
        yield server
    finally:
        server.stop()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@dataclass
class RunProcess:
    """`mwgbot run` in its own process, its output in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return read(self.log)

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used (Linux /proc; fields 14 and 15)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def ack(self, server: FakeSocketModeServer, envelope_id: str) -> tuple[int, dict[str, Any]]:
        try:
            return server.ack(envelope_id, ACK_TIMEOUT)
        except AssertionError:
            raise AssertionError(
                f"no ack for {envelope_id}; exit code {self.process.poll()}; "
                f"output:\n{self.output()}"
            ) from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> tuple[int, float, str]:
        """SIGTERM; the exit code, how long it took, and the whole output."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        return code, time.monotonic() - started, self.output()


def launch(tmp_path: Path, api_url: str) -> RunProcess:
    """Start `mwgbot run` against the fake Web API at `api_url`."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-socket-mode-test",
        "SLACK_APP_TOKEN": "xapp-1-A0MWGBOT-socket-mode-test",
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "MWG_CHANNEL": CHANNEL,
    }
    log = tmp_path / "run.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [*mwgbot_executable(), "run"],
            cwd=tmp_path,  # no .env here
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=subprocess.STDOUT,
        )
    return RunProcess(process, log)


@pytest.fixture
def run_bot(
    tmp_path: Path, fake_slack: FakeSlack, socket_server: FakeSocketModeServer
) -> Iterator[RunProcess]:
    """`mwgbot run` against the fake Web API and the local Socket Mode server."""
    fake_slack.socket_mode_url = socket_server.start()
    bot = launch(tmp_path, fake_slack.url)
    try:
        yield bot
    finally:
        bot.kill()


def assert_help(frame: dict[str, Any]) -> None:
    """The ack carries the answer itself (accepts_response_payload): ephemeral help."""
    payload = frame["payload"]
    assert payload["response_type"] == "ephemeral"
    for subcommand in ("propose", "list", "show", "join", "object", "help"):
        assert f"/mwg {subcommand}" in payload["text"]


def assert_stopped_cleanly(bot: RunProcess) -> str:
    code, elapsed, output = bot.stop()
    assert code == 0, output
    assert elapsed < 10, f"took {elapsed:.1f}s to stop:\n{output}"
    assert "Traceback" not in output, output
    assert "stopped" in output
    return output


@pytest.mark.slow
def test_run_acks_a_slash_command_over_socket_mode_and_stops_on_sigterm(
    fake_slack: FakeSlack, socket_server: FakeSocketModeServer, run_bot: RunProcess
) -> None:
    socket_server.on_next_connection(slash_command_envelope("help"))
    _connection, frame = run_bot.ack(socket_server, ENVELOPE_ID)
    assert_help(frame)

    # The WebSocket URL came from the fake Web API, asked with the app-level token.
    opens = fake_slack.calls_to("apps.connections.open")
    assert opens, "the bot never asked for a Socket Mode URL"
    assert all(call.token and call.token.startswith("xapp-") for call in opens)
    assert fake_slack.calls_to("auth.test")[0].token == "xoxb-socket-mode-test"
    assert socket_server.connections >= 1
    assert_stopped_cleanly(run_bot)


@pytest.mark.slow
def test_a_connection_dropped_without_a_message_is_replaced_within_seconds_without_spinning(
    fake_slack: FakeSlack, socket_server: FakeSocketModeServer, run_bot: RunProcess
) -> None:
    socket_server.on_next_connection(slash_command_envelope("help"))
    first, _frame = run_bot.ack(socket_server, ENVELOPE_ID)
    before = socket_server.connections
    assert first == before  # acked on the connection that is about to go
    socket_server.on_next_connection(slash_command_envelope("help", "after-the-drop"))
    opens = len(fake_slack.calls_to("apps.connections.open"))

    cpu_at_drop = run_bot.cpu_seconds()
    dropped_at = socket_server.drop()
    reconnected_at = socket_server.wait_connections(before + 1, RECONNECT_DEADLINE)
    assert reconnected_at - dropped_at < RECONNECT_DEADLINE
    connection, frame = run_bot.ack(socket_server, "after-the-drop")
    assert connection == before + 1  # the command came, and was answered, on the new one
    assert_help(frame)
    assert len(fake_slack.calls_to("apps.connections.open")) > opens  # a new URL was asked

    # Nothing spins meanwhile: over a few seconds after the drop, the process used a small
    # part of one core (the built-in client used all of it until it noticed, a minute later).
    time.sleep(max(0.0, dropped_at + CPU_WATCH_SECONDS - time.monotonic()))
    watched = time.monotonic() - dropped_at
    used = run_bot.cpu_seconds() - cpu_at_drop
    assert used < 0.5 * watched, f"{used:.2f}s of CPU in {watched:.1f}s after the drop"
    assert socket_server.connections == before + 1  # one new connection, not a series

    output = assert_stopped_cleanly(run_bot)
    assert "Socket Mode connection to Slack dropped" in output
    assert "ERROR" not in output, output  # a drop that is mended is not an error


@pytest.mark.slow
def test_a_refresh_request_moves_to_a_new_connection_and_a_retried_event_is_acked_once_more(
    fake_slack: FakeSlack, socket_server: FakeSocketModeServer, run_bot: RunProcess
) -> None:
    joined = payloads.member_joined_channel(
        user_id="UCAROL", channel_id=CHANNEL, event_ts="1767800000.000100"
    )
    socket_server.on_next_connection(event_envelope(joined, "join-1", event_id="Ev0JOIN0001"))
    first, _frame = run_bot.ack(socket_server, "join-1")
    before = socket_server.connections

    # Slack asks for a refresh, then delivers the same event again on the new connection,
    # as it does when it did not see an ack (the event_id is the same; the envelope is new).
    socket_server.on_next_connection(
        event_envelope(joined, "join-1-retry", event_id="Ev0JOIN0001", retry_attempt=1),
        slash_command_envelope("help", "after-the-refresh"),
    )
    socket_server.send(REFRESH_REQUESTED)
    socket_server.wait_connections(before + 1, RECONNECT_DEADLINE)
    retried, _frame = run_bot.ack(socket_server, "join-1-retry")
    answered, frame = run_bot.ack(socket_server, "after-the-refresh")
    assert first == before
    assert retried == answered == before + 1
    assert_help(frame)

    # One welcome, for the one join, however often the event came.
    fake_slack.wait_until(lambda: fake_slack.dm_channel("UCAROL") is not None, timeout=10)
    dm = fake_slack.dm_channel("UCAROL")
    assert dm is not None
    time.sleep(2)  # the delivery runs every second: a second welcome would show by now
    assert len(fake_slack.messages(dm)) == 1
    output = assert_stopped_cleanly(run_bot)
    assert "dropped" not in output  # a refresh Slack asked for is not a drop


@pytest.mark.slow
def test_a_connection_gone_silent_is_given_up_and_replaced(
    tmp_path: Path, fake_slack: FakeSlack, socket_server: FakeSocketModeServer
) -> None:
    """No FIN and no RST (a dead route): only the missing pongs tell. The connection is given
    up after PING_INTERVAL + 2 * PONG_TIMEOUT seconds at most, and a new one is made."""
    proxy = SilencingProxy(socket_server.start())
    fake_slack.socket_mode_url = proxy.url
    bot = launch(tmp_path, fake_slack.url)
    try:
        socket_server.on_next_connection(slash_command_envelope("help"))
        bot.ack(socket_server, ENVELOPE_ID)
        before = socket_server.connections
        socket_server.on_next_connection(slash_command_envelope("help", "after-the-silence"))
        proxy.silence()
        socket_server.wait_connections(before + 1, SILENCE_DEADLINE)
        connection, frame = bot.ack(socket_server, "after-the-silence")
        assert connection == before + 1
        assert_help(frame)
        output = assert_stopped_cleanly(bot)
    finally:
        bot.kill()
        proxy.stop()
    assert "Socket Mode connection to Slack dropped" in output
