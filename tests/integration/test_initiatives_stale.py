"""Quiet initiatives are nudged in their thread, once per quiet period of MWG_STALE_AFTER: never
twice for one period across sweeps, restarts and two instances; never a backlog after a long
downtime; a new update or join starts a fresh series; a finished initiative is left alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mwgbot.db.models import OutboxRow
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack
from tests.block_kit_checks import assert_every_payload_valid, assert_valid_blocks
from tests.conftest import CHANNEL, START, RunningBot
from tests.integration.meeting_support import (
    Launcher,
    drain,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)

WINDOW = timedelta(days=4, minutes=1)
QUIET = timedelta(days=21)  # MWG_STALE_AFTER's default
MINUTE = timedelta(minutes=1)


def nudges(fake: FakeSlack) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages(CHANNEL)
        if m.get("thread_ts") and "has been quiet for" in str(m.get("text"))
    ]


def adopt(bot: RunningBot, *joiners: str) -> None:
    bot.answer("propose Case-study series --close 4d")
    for joiner in joiners:
        bot.answer("join 1", user=joiner)
    bot.advance(WINDOW)


def test_a_quiet_initiative_is_nudged_once_per_period(bot: RunningBot) -> None:
    adopt(bot, "UBOB")
    adopted_at = bot.clock.now()
    bot.advance(QUIET - 2 * MINUTE)
    assert nudges(bot.fake) == []
    bot.advance(2 * MINUTE)
    [first] = nudges(bot.fake)
    assert first["thread_ts"] == bot.card_ts(1)
    assert not first.get("reply_broadcast")
    text = first["text"]
    assert "#1 *Case-study series* has been quiet for 3 weeks" in text
    assert "<@UALICE> <@UBOB>: how is it going?" in text
    assert f"<!date^{int(adopted_at.timestamp())}^" in text
    assert "`/mwg update 1 &lt;text&gt;`" in text
    for _ in range(3):  # more sweeps in the same period: nothing more
        bot.advance(timedelta(days=5))
    assert len(nudges(bot.fake)) == 1
    bot.advance(adopted_at + 2 * QUIET - bot.clock.now())
    assert len(nudges(bot.fake)) == 2
    assert "has been quiet for 6 weeks" in nudges(bot.fake)[1]["text"]
    assert_every_payload_valid(bot.fake)


def test_an_update_or_a_join_starts_a_fresh_series(bot: RunningBot) -> None:
    adopt(bot)
    adopted_at = bot.clock.now()
    bot.advance(QUIET + MINUTE)
    assert len(nudges(bot.fake)) == 1
    bot.advance(timedelta(days=10))
    bot.answer("update 1 The first post is out")
    updated_at = bot.clock.now()
    # The old series' second period (adoption + 6 weeks) passes in silence...
    bot.advance(adopted_at + 2 * QUIET + MINUTE - bot.clock.now())
    assert len(nudges(bot.fake)) == 1
    # ...and the new one's first period is nudged.
    bot.advance(updated_at + QUIET + MINUTE - bot.clock.now())
    assert len(nudges(bot.fake)) == 2
    bot.advance(timedelta(days=3))
    bot.answer("join 1", user="UCAROL")
    joined_at = bot.clock.now()
    bot.advance(joined_at + QUIET - MINUTE - bot.clock.now())
    assert len(nudges(bot.fake)) == 2
    bot.advance(2 * MINUTE)
    assert len(nudges(bot.fake)) == 3
    assert "<@UALICE> <@UCAROL>" in nudges(bot.fake)[2]["text"]


def test_a_delivered_or_dropped_initiative_is_not_nudged(bot: RunningBot) -> None:
    adopt(bot)
    bot.answer("propose Second --close 4d")
    bot.advance(WINDOW)
    bot.answer("done 1 https://example.org/done")
    bot.answer("drop 2 No longer needed")
    bot.advance(3 * QUIET)
    assert nudges(bot.fake) == []


def test_a_nudge_not_yet_sent_is_withdrawn_by_an_update(launcher: Launcher) -> None:
    # No digest falls due meanwhile (only on 1 January), so the failures meet the nudge.
    bot = launcher.start(mwg_digest_cron="0 14 1 1 *")
    adopt(bot)
    bot.settle()
    bot.clock.advance(QUIET + MINUTE)
    bot.fake.fail_next("chat.postMessage", status=500, times=3)
    bot.sweep()  # the nudge is queued, and its first post fails
    with bot.runtime.db.unit_of_work() as session:
        pending = session.scalars(
            select(OutboxRow.dedupe_key).where(OutboxRow.state == "pending")
        ).all()
    assert [k for k in pending if k and k.startswith("stale:1:")]
    bot.answer("update 1 Back on track")
    bot.clock.advance(timedelta(minutes=5))  # past the backoff
    bot.settle()
    assert nudges(bot.fake) == []
    assert any("Back on track" in str(m["text"]) for m in bot.thread_replies(1))


def test_a_nudge_mentions_at_most_25_owners(bot: RunningBot) -> None:
    adopt(bot)
    with bot.runtime.db.unit_of_work() as session:
        proposals = bot.runtime.bot.proposals(session, via=Via.COMMAND)
        for i in range(40):
            proposals.join(1, f"UMEMBER{i:03d}")
    joined_at = bot.clock.now()
    bot.advance(joined_at + QUIET + MINUTE - bot.clock.now())
    [nudge] = nudges(bot.fake)
    assert nudge["text"].count("<@U") == 25
    assert "and 16 more: how is it going?" in nudge["text"]
    assert_valid_blocks(nudge["blocks"])


def test_nudged_once_per_period_across_a_restart(launcher: Launcher) -> None:
    first = launcher.start()
    adopt(first, "UBOB")
    clock = first.clock
    adopted_at = clock.now()
    launcher.stop(first)
    clock.set(adopted_at + QUIET + MINUTE)  # the period began while no bot ran
    second = launcher.start(clock=clock)
    # The sweep every start runs catches up with what fell due meanwhile.
    second.fake.wait_until(lambda: len(nudges(second.fake)) == 1, timeout=10)
    second.sweep()
    drain(second)
    launcher.stop(second)
    third = launcher.start(clock=clock)
    third.advance(timedelta(days=1))
    third.sweep()
    drain(third)
    assert len(nudges(third.fake)) == 1
    # The next period, after one more restart, is nudged once more.
    launcher.stop(third)
    clock.set(adopted_at + 2 * QUIET + MINUTE)
    fourth = launcher.start(clock=clock)
    fourth.fake.wait_until(lambda: len(nudges(fourth.fake)) == 2, timeout=10)
    fourth.advance(MINUTE)
    assert len(nudges(fourth.fake)) == 2


def test_after_a_long_downtime_one_nudge_not_a_backlog(launcher: Launcher) -> None:
    first = launcher.start()
    adopt(first)
    clock = first.clock
    launcher.stop(first)
    clock.advance(timedelta(days=200))  # nine quiet periods
    again = launcher.start(clock=clock)
    again.fake.wait_until(lambda: len(nudges(again.fake)) == 1, timeout=10)
    again.advance(MINUTE)
    [nudge] = nudges(again.fake)
    assert "has been quiet for 27 weeks" in nudge["text"]


def test_two_instances_nudge_once(launcher: Launcher) -> None:
    clock = ManualClock(START)
    one = launcher.start(clock=clock)
    two = launcher.start(clock=clock)
    adopt(one, "UBOB")
    clock.advance(QUIET + MINUTE)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda b: b.sweep(), [one, two] * 3))
    drain(one)
    drain(two)
    assert len(nudges(one.fake)) == 1
    with one.runtime.db.unit_of_work() as session:
        keys = session.scalars(
            select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.like("stale:%"))
        ).all()
    assert len(keys) == 1


def test_a_shorter_stale_after_is_honoured(launcher: Launcher) -> None:
    bot = launcher.start(mwg_stale_after="10d")
    adopt(bot)
    bot.advance(timedelta(days=10, minutes=1))
    [nudge] = nudges(bot.fake)
    assert "has been quiet for 10 days" in nudge["text"]
