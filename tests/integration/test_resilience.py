"""Nothing lost, nothing doubled: Slack failures, timeouts, kill -9, two instances."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from mwgbot.fakeslack import FakeSlack
from mwgbot.services import outbox
from mwgbot.services.ports import Rendered
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot
from tests.processes import started


def outcome_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if m.get("reply_broadcast")]


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if not m.get("thread_ts")]


def pending_outbox(bot: RunningBot) -> list[tuple[str, str, int]]:
    """Unsent proposal messages (cards, thread replies, ephemerals)."""
    with bot.runtime.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT kind, state, attempts FROM outbox WHERE state != 'sent'"
                " AND kind IN ('card', 'thread', 'ephemeral') ORDER BY id"
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


def test_a_failing_post_stays_pending_and_is_posted_once_later(bot: RunningBot) -> None:
    # Three 500s: the first try and the client's two retries all fail.
    bot.fake.fail_next("chat.postMessage", status=500, times=3)
    reply = bot.answer("propose Press kit --close 4d")
    assert "#1" in reply
    assert "will appear there shortly" in reply
    bot.fake.wait_until(lambda: pending_outbox(bot) == [("card", "pending", 1)], timeout=10)
    assert cards(bot.fake) == []
    bot.clock.advance(timedelta(minutes=1))  # past the backoff
    bot.settle()
    assert len(cards(bot.fake)) == 1
    assert pending_outbox(bot) == []
    bot.clock.advance(timedelta(hours=1))
    bot.settle()
    assert len(cards(bot.fake)) == 1


def test_a_rate_limited_post_waits_for_retry_after(bot: RunningBot) -> None:
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=30)
    bot.answer("propose Press kit --close 4d")
    bot.fake.wait_until(lambda: pending_outbox(bot) == [("card", "pending", 1)], timeout=10)
    bot.clock.advance(timedelta(seconds=29))
    bot.settle()
    assert cards(bot.fake) == []  # Slack said 30 seconds
    bot.clock.advance(timedelta(seconds=2))
    bot.settle()
    assert len(cards(bot.fake)) == 1
    calls = bot.fake.calls_to("chat.postMessage")
    assert [c.failed for c in calls] == [True, False]


def test_a_timed_out_post_is_not_posted_twice(bot: RunningBot) -> None:
    bot.runtime.client.timeout = 1
    # Slack takes the message but answers too late: the bot cannot know it landed.
    bot.fake.fail_next("chat.postMessage", delay=2.0)
    reply = bot.answer("propose Press kit --close 4d")
    assert "will appear there shortly" in reply
    bot.fake.wait_until(lambda: len(cards(bot.fake)) == 1, timeout=10)
    time.sleep(1.5)  # the client has given up by now
    bot.clock.advance(timedelta(minutes=1))
    bot.settle()
    assert pending_outbox(bot) == []
    assert len(cards(bot.fake)) == 1
    assert bot.fake.calls_to("conversations.history")  # it looked before posting again
    # The card's ts was recovered, so later notices thread under it.
    bot.advance(timedelta(days=4, minutes=1))
    assert len(outcome_posts(bot.fake)) == 1
    assert outcome_posts(bot.fake)[0]["thread_ts"] == cards(bot.fake)[0]["ts"]


def test_a_failed_card_update_is_retried(bot: RunningBot) -> None:
    bot.answer("propose Press kit --close 4d")
    bot.settle()
    bot.fake.fail_next("chat.update", status=500, times=3)
    bot.answer("join 1", user="UBOB")
    # The background delivery retries once the coalescing interval has passed.
    bot.fake.wait_until(lambda: "<@UBOB>" in str(bot.fake.messages(CHANNEL)[0]["blocks"]), 15)
    failed = [c for c in bot.fake.calls_to("chat.update") if c.failed]
    assert len(failed) == 3


def test_an_ephemeral_to_someone_not_in_the_channel_is_dropped_not_retried(
    bot: RunningBot,
) -> None:
    bot.answer("propose Press kit --close 4d")
    bot.fake.fail_next("chat.postEphemeral", status=200, error="user_not_in_channel", times=1)
    bot.react(1, "UBOB", emoji="no_entry_sign")
    bot.settle()
    bot.clock.advance(timedelta(hours=1))
    bot.settle()
    assert len(bot.fake.calls_to("chat.postEphemeral")) == 1
    assert pending_outbox(bot) == [("ephemeral", "dead", 1)]


def test_a_database_failure_during_an_event_makes_slack_retry(bot: RunningBot) -> None:
    bot.answer("propose Press kit --close 4d")
    original = bot.runtime.bot.reactions

    def broken(session: Any, *, via: Any) -> Any:
        raise RuntimeError("database went away")

    bot.runtime.bot.reactions = broken  # type: ignore[method-assign]
    failed = bot.react(1, "UBOB", event_id="Ev0DBFAIL", event_ts="1800000000.000001")
    assert failed.status == 500  # Slack will deliver it again
    bot.runtime.bot.reactions = original  # type: ignore[method-assign]
    retried = bot.react(1, "UBOB", event_id="Ev0DBFAIL", event_ts="1800000000.000001", retry_num=1)
    assert retried.status == 200
    assert "<@UBOB>" in bot.answer("show 1")


# --- separate processes ------------------------------------------------------------------


def count_closed(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        closed = connection.execute(text("SELECT count(*) FROM proposals WHERE state != 'open'"))
        value = int(closed.scalar_one())
    engine.dispose()
    return value


@pytest.mark.slow
def test_a_close_that_fell_due_while_killed_is_announced_once_after_restart(
    serve_env: dict[str, str], fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    first = started(tmp_path, serve_env)
    answer = sr.send(first.url, sr.slash_command("propose Launch video"))
    assert "Proposed #1" in answer.json()["text"]
    first.kill()
    time.sleep(4)  # the window closes while no bot runs
    assert outcome_posts(fake_slack) == []
    second = started(tmp_path, serve_env)
    fake_slack.wait_until(lambda: len(outcome_posts(fake_slack)) == 1, timeout=15)
    assert second.terminate()[0] == 0
    third = started(tmp_path, serve_env)
    time.sleep(3)  # several sweeps
    assert third.terminate()[0] == 0
    posts = outcome_posts(fake_slack)
    assert len(posts) == 1
    assert "#1" in posts[0]["text"]
    assert "adopted" in posts[0]["text"]
    assert count_closed(database_url) == 1


@pytest.mark.slow
def test_two_instances_on_one_database_announce_a_close_once(
    serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path
) -> None:
    one = started(tmp_path, serve_env)
    two = started(tmp_path, serve_env)
    try:
        for i, server in enumerate((one, two, one, two)):
            title = f"Initiative {i}"
            assert sr.send(server.url, sr.slash_command(f"propose {title}")).status == 200
        sr.send(two.url, sr.slash_command("object 2 Not yet", user_id="UBOB"))
        fake_slack.wait_until(lambda: len(outcome_posts(fake_slack)) == 4, timeout=20)
        time.sleep(3)  # both keep sweeping; nothing more may appear
    finally:
        assert one.terminate()[0] == 0
        assert two.terminate()[0] == 0
    posts = outcome_posts(fake_slack)
    assert len(posts) == 4
    assert len(cards(fake_slack)) == 4
    assert sorted(p["text"].split("#")[1][:1] for p in posts) == ["1", "2", "3", "4"]
    assert sum("escalated" in p["text"] for p in posts) == 1


def test_passes_run_at_once_still_post_in_order(bot: RunningBot) -> None:
    """The sweep, the delivery thread and a settle all run delivery passes: while one is
    slow to post, another must not post the rows after it first."""
    delivery = bot.runtime.bot.delivery
    with bot.runtime.db.unit_of_work() as session:
        for part in range(1, 7):
            outbox.enqueue(
                session,
                kind=outbox.KIND_POST,
                now=bot.clock.now(),
                group_key="mwg",
                message=Rendered(text=f"part {part}"),
                channel_id=CHANNEL,
            )
    bot.fake.fail_next("chat.postMessage", delay=0.5)  # the first post is slow, then lands
    start = threading.Barrier(2)

    def one_pass() -> None:
        start.wait()
        delivery.run_once()

    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join(timeout=30)
    bot.settle()
    posted = [m["text"] for m in bot.fake.messages(CHANNEL) if m["text"].startswith("part ")]
    assert posted == [f"part {part}" for part in range(1, 7)]
