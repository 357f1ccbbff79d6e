"""`mwgbot run`, the Socket Mode transport, end to end: the real console script in its own
process asks the fake Web API for a WebSocket URL (`apps.connections.open`), connects to a
local WebSocket server that plays Slack, receives a `/mwg help` envelope and acks it with the
help text; SIGTERM then stops it cleanly."""

from __future__ import annotations

import json
import os
import queue
import signal
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


def slash_command_envelope(text: str) -> dict[str, Any]:
    """A slash command as Slack delivers it over Socket Mode."""
    return {
        "envelope_id": ENVELOPE_ID,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payloads.slash_command(
            text,
            user_id="UALICE",
            channel_id=CHANNEL,
            trigger_id="13345224609.738474920.8088930838d88f008e0",
        ),
    }


HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-test", "build_number": 1, "approximate_connection_time": 60},
    "connection_info": {"app_id": "A0MWGBOT"},
}


@dataclass
class FakeSocketModeServer:
    """Slack's Socket Mode side: on each connection, `hello` and then one envelope; every
    text frame the bot sends back is collected."""

    envelope: dict[str, Any]
    received: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    connections: int = 0
    server: Server | None = None

    def handle(self, connection: ServerConnection) -> None:
        self.connections += 1
        connection.send(json.dumps(HELLO))
        connection.send(json.dumps(self.envelope))
        try:
            for message in connection:  # pings are answered by websockets itself
                if isinstance(message, str):
                    self.received.put(json.loads(message))
        except ConnectionClosed:
            pass

    def start(self) -> str:
        self.server = serve(self.handle, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = self.server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test-ticket&app_id=A0MWGBOT"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()

    def ack(self, envelope_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no ack for envelope {envelope_id} in {timeout:g}s")
            try:
                frame = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            if frame.get("envelope_id") == envelope_id:
                return frame


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer(slash_command_envelope("help"))
    try:
        yield server
    finally:
        server.stop()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@pytest.mark.slow
def test_run_acks_a_slash_command_over_socket_mode_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack, socket_server: FakeSocketModeServer
) -> None:
    fake_slack.socket_mode_url = socket_server.start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-socket-mode-test",
        "SLACK_APP_TOKEN": "xapp-1-A0MWGBOT-socket-mode-test",
        "SLACK_API_URL": fake_slack.url,
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
    try:
        try:
            frame = socket_server.ack(ENVELOPE_ID, ACK_TIMEOUT)
        except AssertionError:
            raise AssertionError(
                f"no ack; exit code {process.poll()}; output:\n{read(log)}"
            ) from None

        # The ack carries the answer itself (accepts_response_payload): ephemeral help.
        payload = frame["payload"]
        assert payload["response_type"] == "ephemeral"
        for subcommand in ("propose", "list", "show", "join", "object", "help"):
            assert f"/mwg {subcommand}" in payload["text"]

        # The WebSocket URL came from the fake Web API, asked with the app-level token.
        opens = fake_slack.calls_to("apps.connections.open")
        assert opens, "the bot never asked for a Socket Mode URL"
        assert all(call.token and call.token.startswith("xapp-") for call in opens)
        assert fake_slack.calls_to("auth.test")[0].token == "xoxb-socket-mode-test"
        assert socket_server.connections >= 1

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = read(log)
    assert code == 0, output
    assert elapsed < 10, f"took {elapsed:.1f}s to stop:\n{output}"
    assert "Traceback" not in output, output
    assert "stopped" in output
