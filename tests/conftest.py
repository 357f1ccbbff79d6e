"""Shared fixtures: a real database (SQLite, or PostgreSQL when MWGBOT_TEST_DATABASE_URL is
set), the fake Slack Web API on loopback, and the bot served over HTTP as `mwgbot serve`
serves it."""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from mwgbot.config import Settings, normalize_database_url
from mwgbot.console.session import Console
from mwgbot.db.models import OutboxRow
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack, RecordedCall
from mwgbot.runtime import Runtime, build_runtime
from mwgbot.services.pacing import RateBudget
from mwgbot.slack.server import server_config
from tests import slack_requests as sr
from tests.block_kit_checks import assert_every_payload_valid, assert_valid_message
from tests.canvas_checks import assert_every_canvas_valid

CHANNEL = "CMARKETING"
MODERATORS = ("UMODERATOR", "UMODTWO")
ORGANIZERS = ("UORGANIZER",)
# Web API methods that only read.
READS = frozenset(
    {"auth.test", "reactions.get", "conversations.history", "conversations.replies", "users.info"}
)
# A Tuesday noon, UTC: far from any meeting of the default series (Wednesdays 15:00).
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of this test run's own on the MWGBOT_TEST_DATABASE_URL server, dropped at
    the end, so concurrent runs against one server never see each other's tables."""
    given = os.environ.get("MWGBOT_TEST_DATABASE_URL")
    if not given:
        yield None
        return
    server = make_url(normalize_database_url(given))
    name = f"mwgbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str | None) -> str:
    """An empty database for one test."""
    if postgres_url:
        reset_postgres(postgres_url)
        return postgres_url
    return f"sqlite:///{tmp_path / 'mwgbot.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's empty database."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The fake Slack of one test. At its end, everything the bot sent it is checked as Slack
    would check it: a payload Slack would refuse, or a canvas document Slack would refuse or
    show wrongly, fails the test that produced it."""
    with FakeSlack(users={"UALICE": "alice", "UBOB": "bob", "UCAROL": "carol"}) as fake:
        yield fake
        assert_every_payload_valid(fake)
        assert_every_canvas_valid(fake)


def make_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": sr.SIGNING_SECRET,
        "slack_api_url": api_url,
        "database_url": database_url,
        "mwg_channel": CHANNEL,
        "mwg_moderators": ",".join(MODERATORS),
        "mwg_organizers": ",".join(ORGANIZERS),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class HttpServer:
    """uvicorn in a thread on an ephemeral loopback port."""

    def __init__(self, app: Any) -> None:
        # The very uvicorn settings `mwgbot serve` runs with.
        self.server = uvicorn.Server(server_config(app, host="127.0.0.1", port=0))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class RunningBot:
    """The bot as `mwgbot serve` runs it, plus what tests need to drive it."""

    runtime: Runtime
    url: str
    fake: FakeSlack
    clock: ManualClock
    reaction_times: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def command(self, text: str, *, user: str = "UALICE", channel: str = CHANNEL) -> sr.HttpAnswer:
        return sr.send(self.url, sr.slash_command(text, user_id=user, channel_id=channel))

    def answer(self, text: str, *, user: str = "UALICE", channel: str = CHANNEL) -> str:
        """The ephemeral text a member reads after typing `/mwg <text>`."""
        response = self.command(text, user=user, channel=channel)
        assert response.status == 200, response
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert_valid_message(body)  # as Slack would check it, and it reads as the bot wrote it
        return str(body["text"])

    def send(self, request: sr.SlackRequest) -> sr.HttpAnswer:
        return sr.send(self.url, request)

    def react(
        self,
        number: int,
        user: str,
        *,
        emoji: str = "raised_hand",
        added: bool = True,
        event_id: str | None = None,
        event_ts: str | None = None,
        retry_num: int | None = None,
    ) -> sr.HttpAnswer:
        ts = self.card_ts(number)
        event_ts = event_ts or f"{time.time():.6f}"
        self._show_in_slack(ts, user, emoji, added, event_ts)
        event = sr.reaction_event(
            added=added,
            user_id=user,
            reaction=emoji,
            channel_id=CHANNEL,
            message_ts=ts,
            event_ts=event_ts,
        )
        event_id = event_id or f"Ev{uuid.uuid4().hex[:12].upper()}"  # opaque, as Slack's are
        return self.send(sr.event_callback(event, event_id=event_id, retry_num=retry_num))

    def _show_in_slack(self, ts: str, user: str, emoji: str, added: bool, event_ts: str) -> None:
        """The reaction as Slack's message shows it (what reconciliation reads back): the
        latest event of a member's emoji wins, whatever order the events are sent in."""
        key = (ts, user, emoji)
        if key in self.reaction_times and float(self.reaction_times[key]) > float(event_ts):
            return
        self.reaction_times[key] = event_ts
        if added:
            self.fake.add_reaction(CHANNEL, ts, emoji, user)
        else:
            self.fake.remove_reaction(CHANNEL, ts, emoji, user)

    def sent(self) -> list[RecordedCall]:
        """What the bot asked Slack to show or change: every call but the reads (the
        reconciler reads the cards' reactions back in the background, at its own pace)."""
        return [c for c in self.fake.calls if c.method not in READS]

    def card_ts(self, number: int) -> str:
        """The ts of proposal n's card in the channel (waits for it to be posted)."""
        marker = f"#{number} "

        def card() -> dict[str, Any] | None:
            for message in self.fake.messages(CHANNEL):
                if not message.get("thread_ts") and str(message.get("text", "")).startswith(marker):
                    return message
            return None

        self.fake.wait_until(lambda: card() is not None, timeout=10)
        found = card()
        assert found is not None
        return str(found["ts"])

    def card_text(self, number: int) -> str:
        message = self.fake.message(CHANNEL, self.card_ts(number))
        assert message is not None
        return card_as_text(message)

    def sweep(self) -> None:
        self.runtime.scheduler.sweep.run()

    def settle(self) -> None:
        """Deliver everything due, cards included, as the background delivery would."""
        delivery = self.runtime.bot.delivery
        interval, budget = delivery.card_update_interval, delivery.card_updates
        # Every stale card now: neither the coalescing interval nor the chat.update budget
        # (tests/integration/test_delivery_pacing.py covers both) holds a test's cards back.
        delivery.card_update_interval = timedelta(0)
        delivery.card_updates = RateBudget(rate=1000, capacity=1000)
        # Nor do the canvas budgets (the edit gap, on the test's clock, still holds).
        pages = delivery.pages
        page_budgets = (pages.edits, pages.creates) if pages is not None else None
        if pages is not None:
            pages.edits = RateBudget(rate=1000, capacity=1000)
            pages.creates = RateBudget(rate=1000, capacity=1000)
        deadline = time.monotonic() + 15
        try:
            while True:
                # The background delivery may hold a claim mid-post: let it finish first.
                assert self.runtime.scheduler.wait_delivery_idle(timeout=15)
                busy = delivery.run_once().busy
                assert self.runtime.scheduler.wait_delivery_idle(timeout=15)
                if not busy and not self._due_in_outbox():
                    return
                if time.monotonic() > deadline:
                    raise AssertionError("outbox messages still undelivered after 15 s")
                time.sleep(0.02)
        finally:
            delivery.card_update_interval, delivery.card_updates = interval, budget
            if pages is not None and page_budgets is not None:
                pages.edits, pages.creates = page_budgets

    def _due_in_outbox(self) -> int:
        with self.runtime.db.unit_of_work() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(
                        OutboxRow.state.in_(("pending", "sending")),
                        OutboxRow.available_at <= self.clock.now(),
                    )
                )
                or 0
            )

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.sweep()
        self.settle()

    def thread_replies(self, number: int) -> list[dict[str, Any]]:
        ts = self.card_ts(number)
        return [m for m in self.fake.messages(CHANNEL) if m.get("thread_ts") == ts]


def card_as_text(message: dict[str, Any]) -> str:
    """All mrkdwn of a message's blocks, for assertions."""
    parts = [str(message.get("text", ""))]
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(str(block["text"].get("text", "")))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), (str, dict)):
                value = element["text"]
                parts.append(str(value.get("text", "") if isinstance(value, dict) else value))
    return "\n".join(parts)


def start_bot(
    database_url: str, fake: FakeSlack, clock: ManualClock, **overrides: Any
) -> tuple[Runtime, HttpServer, str]:
    settings = make_settings(database_url, fake.url, **overrides)
    runtime = build_runtime(settings, clock=clock)
    server = HttpServer(runtime.http_app())
    url = server.start()
    runtime.start_background()
    return runtime, server, url


@pytest.fixture
def bot(database_url: str, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    clock = ManualClock(START)
    runtime, server, url = start_bot(database_url, fake_slack, clock)
    try:
        yield RunningBot(runtime, url, fake_slack, clock)
    finally:
        server.stop()
        runtime.close()


@pytest.fixture
def serve_env(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    """The environment of a real `mwgbot serve` process against the fake Slack."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": database_url,
        "MWG_CHANNEL": CHANNEL,
        "MWG_MODERATORS": ",".join(MODERATORS),
        # Seconds instead of days, so a window can close during the test.
        "MWG_CONSENSUS_MIN": "2s",
        "MWG_CONSENSUS_WINDOW": "3s",
        "MWG_SWEEP_INTERVAL": "1s",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def console_session(tmp_path: Path) -> Iterator[tuple[Console, io.StringIO]]:
    """The offline console, started on its own SQLite file; its output collects in the
    StringIO."""
    out = io.StringIO()
    running = Console(f"sqlite:///{tmp_path / 'console.db'}", out)
    running.start()
    try:
        yield running, out
    finally:
        running.close()
