"""Socket Mode for `mwgbot run`: Bolt's websocket-client transport, reconnecting within
seconds of a dropped connection and never spinning.

Why not slack_sdk's built-in client (Bolt's default): when Slack's side of the WebSocket goes
away without a close frame (a network blip, a proxy reset: the TCP stream just ends), it reads
the ended stream in a loop without waiting, and notices only after five failed pings. Measured:
59 s without events, and one CPU core spun meanwhile (bolt-python#675 reports the same). The
`websocket-client` library sees the end of the stream at once and closes; Bolt's
websocket-client transport (`slack_sdk.socket_mode.websocket_client`) then asks for a new URL
and connects again, within about a second. A `disconnect` message (`refresh_requested`, a
`warning` before Slack rotates the connection) still makes it connect to a new URL first.

Two additions to that transport:
- a pong deadline, so that a connection that goes silent (no FIN, no RST: a dead route) is
  given up within PING_INTERVAL + 2 * PONG_TIMEOUT seconds, instead of when TCP gives up;
- a backoff between reconnections that fail one after another (Slack unreachable): the next
  one waits 1, 2, 4 … up to 30 s, instead of asking `apps.connections.open` twice a second.
  The first reconnection after a working connection is immediate.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.websocket_client import SocketModeClient

log = logging.getLogger(__name__)

# Slack answers pings; a connection with no pong within PONG_TIMEOUT is given up.
PING_INTERVAL = 4.0
PONG_TIMEOUT = 3.0
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# A connection closed this soon after Slack's `disconnect` message was closed on purpose.
REFRESH_GRACE_SECONDS = 10.0
# The logger slack_sdk's websocket-client transport uses; "slack_sdk" is quiet below WARNING.
SDK_LOGGER = "slack_sdk.socket_mode.websocket_client"


class _DropsAreNotErrors(logging.Filter):
    """slack_sdk logs every dropped connection as an ERROR ("on_error invoked"), even though
    it reconnects at once; this module says so in one warning instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and record.getMessage().startswith("on_error invoked"):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def _sdk_logger() -> logging.Logger:
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, _DropsAreNotErrors) for f in logger.filters):
        logger.addFilter(_DropsAreNotErrors())
    return logger


class ReconnectingClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client, with a pong deadline and a backoff
    between failed reconnections."""

    def __init__(self, app_token: str, **kwargs: Any) -> None:
        super().__init__(app_token, ping_interval=PING_INTERVAL, **kwargs)
        self._stopping = threading.Event()
        self._failures = 0  # reconnections since a connection last said anything
        self._dropped_at: float | None = None
        self._refreshed_at: float | None = None
        self.on_message_listeners.append(self._heard)
        self.on_error_listeners.append(self._lost)

    def _heard(self, _ws: object, message: str) -> None:
        # Any message (the first is `hello`) means this connection works.
        self._failures = 0
        if _message_type(message) == "disconnect":
            self._refreshed_at = time.monotonic()  # Slack asked for it: not a drop
            return
        if self._dropped_at is not None:
            log.info(
                "reconnected to Slack over Socket Mode %.1fs after the drop",
                time.monotonic() - self._dropped_at,
            )
            self._dropped_at = None

    def _lost(self, _ws: object, error: Exception) -> None:
        if self.closed or self._stopping.is_set():
            return
        refreshed = self._refreshed_at
        if refreshed is not None and time.monotonic() - refreshed < REFRESH_GRACE_SECONDS:
            return
        if self._dropped_at is None:
            self._dropped_at = time.monotonic()
            log.warning("the Socket Mode connection to Slack dropped (%s); reconnecting", error)

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        delay = 0.0
        if self._failures:
            delay = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (self._failures - 1))
        self._failures += 1
        if delay > FIRST_RETRY_SECONDS and not self.is_connected():
            log.warning(
                "connecting to Slack over Socket Mode failed %s times in a row; next try in %gs",
                self._failures - 1,
                delay,
            )
        if delay and self._stopping.wait(delay):
            return
        super().connect_to_new_endpoint(force)

    def _run_current_session(self) -> None:
        # slack_sdk's own loop, with `ping_timeout` added (it passes only `ping_interval`).
        session = self.current_session
        if session is None:
            return
        try:
            session.run_forever(
                ping_interval=self.ping_interval,
                ping_timeout=PONG_TIMEOUT,
                http_proxy_host=self.http_proxy_host,
                http_proxy_port=self.http_proxy_port,
                http_proxy_auth=self.http_proxy_auth,
                proxy_type=self.proxy_type,
            )
        except Exception as error:
            self.logger.exception("the Socket Mode session failed: %s", error)
            session.close()  # the monitor sees it closed and reconnects

    def close(self) -> None:
        self._stopping.set()
        super().close()


def _message_type(message: str) -> object:
    try:
        decoded = json.loads(message)
    except ValueError:
        return None
    return decoded.get("type") if isinstance(decoded, dict) else None


class SocketModeHandler(BaseSocketModeHandler):
    """Bolt's websocket-client handler (`slack_bolt.adapter.socket_mode.websocket_client`)
    over `ReconnectingClient`."""

    def __init__(self, app: App, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self.client = ReconnectingClient(app_token, logger=_sdk_logger(), web_client=app.client)
        self.client.socket_mode_request_listeners.append(self.handle)

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time.time()
        send_response(client, req, run_bolt_app(self.app, req), start)
