"""Helpers of the meeting, digest and calendar tests: bots started with chosen settings, served
exactly as `mwgbot serve` serves them (Runtime.http_app), stopped and restarted on one database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack
from tests.conftest import CHANNEL, START, HttpServer, RunningBot, card_as_text, start_bot

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^\{date_long_pretty\} at \{time\}\|([^>]+)>")


class Launcher:
    """Starts bots on one database and one fake Slack; stops whatever is left at the end."""

    def __init__(self, database_url: str, fake: FakeSlack) -> None:
        self.database_url = database_url
        self.fake = fake
        self._servers: dict[int, HttpServer] = {}
        self._bots: list[RunningBot] = []

    def start(self, clock: ManualClock | None = None, **overrides: Any) -> RunningBot:
        clock = clock or ManualClock(START)
        runtime, server, url = start_bot(self.database_url, self.fake, clock, **overrides)
        bot = RunningBot(runtime, url, self.fake, clock)
        self._servers[id(bot)] = server
        self._bots.append(bot)
        return bot

    def stop(self, bot: RunningBot) -> None:
        server = self._servers.pop(id(bot), None)
        if server is not None:
            server.stop()
            bot.runtime.close()

    def stop_all(self) -> None:
        for bot in list(self._bots):
            self.stop(bot)


def drain(bot: RunningBot) -> None:
    """Deliver everything due; `settle` waits until nothing due is pending or being sent."""
    bot.settle()


def advance(bot: RunningBot, delta: timedelta) -> None:
    """Move the clock, sweep, and deliver everything that fell due."""
    bot.advance(delta)
    drain(bot)


@pytest.fixture(name="launcher")
def launcher_fixture(database_url: str, fake_slack: FakeSlack) -> Iterator[Launcher]:
    """`launcher`: import `launcher_fixture` into a test module to use it."""
    launcher = Launcher(database_url, fake_slack)
    try:
        yield launcher
    finally:
        launcher.stop_all()


def top_level(fake: FakeSlack) -> list[str]:
    """The text (blocks included) of every top-level channel message that is not a card."""
    texts = []
    for message in fake.messages(CHANNEL):
        if message.get("thread_ts"):
            continue
        if re.match(r"#\d+ ", str(message.get("text", ""))):
            continue  # a proposal's card
        texts.append(card_as_text(message))
    return texts


def reminders(fake: FakeSlack) -> list[str]:
    return [t for t in top_level(fake) if "meeting* <!date" in t and "starts in" in t]


def digests(fake: FakeSlack) -> list[str]:
    return [t for t in top_level(fake) if "Marketing Working Group digest" in t]


def tokens(text: str) -> list[tuple[datetime, str]]:
    """Every `<!date^ts^{date_long_pretty} at {time}|fallback>` token: instant and fallback."""
    return [
        (datetime.fromtimestamp(int(ts), UTC), fallback)
        for ts, fallback in DATE_TOKEN.findall(text)
    ]


def mwgbot_command(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`mwgbot …` in its own process, with only the given variables (and PATH, HOME)."""
    beside = Path(sys.executable).with_name("mwgbot")
    command = [str(beside)] if beside.exists() else [sys.executable, "-m", "mwgbot.cli"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
