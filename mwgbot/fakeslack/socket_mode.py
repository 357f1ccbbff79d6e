"""Socket Mode: ``apps.connections.open``, the one method called with an app-level token."""

from __future__ import annotations

from typing import Any

from mwgbot.fakeslack.base import ApiMethod, FakeSlackBase

#: Methods that take an app-level (``xapp-``) token instead of the bot's (``xoxb-``).
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class SocketModeMethods(FakeSlackBase):
    """``apps.connections.*`` Web API methods, listed in ``METHODS`` below."""

    #: The WebSocket URL ``apps.connections.open`` hands out; a test points it at its own
    #: Socket Mode server (``fake.socket_mode_url = server.url``).
    socket_mode_url = "ws://127.0.0.1:1/"

    # ------------------------------------------------------------------ Web API methods

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_mode_url}


METHODS: dict[str, ApiMethod[SocketModeMethods]] = {
    "apps.connections.open": SocketModeMethods._api_apps_connections_open,
}
