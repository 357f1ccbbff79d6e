"""New members are seen: the digest names the members who joined the channel since the last
digest (never a bot), whether or not the welcome is on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import RunningBot
from tests.integration.meeting_support import (
    Launcher,
    advance,
    digests,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)
from tests.integration.member_support import all_valid, join_channel

# The default crontab, `0 14 * * 1`: Mondays at 14:00 UTC. START is Tuesday 2026-12-01 12:00.
MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_the_digest_names_who_joined_since_the_last_one(bot: RunningBot) -> None:
    bot.sweep()  # the bot's first run: "since the last digest" counts from here
    bot.fake.add_bot("UZAPIER", "Zapier")
    bot.clock.advance(timedelta(hours=1))
    for user in ("UDANA", "UZAPIER", "UERIN"):
        join_channel(bot, user)
    bot.settle()  # the welcomes go out (and find the bot) within seconds, days before Monday
    advance(bot, MONDAY - bot.clock.now())
    [first] = digests(bot.fake)
    assert ":wave: *Joined the channel (2):* welcome, <@UDANA>, <@UERIN>!" in first
    assert "UZAPIER" not in first

    bot.clock.advance(timedelta(minutes=1))
    join_channel(bot, "UFRANK")
    join_channel(bot, "UDANA")  # left and came back: joined since the last digest
    advance(bot, timedelta(days=7))
    second = digests(bot.fake)[1]
    assert ":wave: *Joined the channel (2):* welcome, <@UDANA>, <@UFRANK>!" in second
    advance(bot, timedelta(days=7))
    assert "Joined the channel" not in digests(bot.fake)[2]
    all_valid(bot)


def test_with_the_welcome_off_newcomers_are_still_named(launcher: Launcher) -> None:
    bot = launcher.start(mwg_welcome=False)
    bot.sweep()
    bot.clock.advance(timedelta(hours=1))
    join_channel(bot, "UDANA")
    advance(bot, MONDAY - bot.clock.now())
    [digest] = digests(bot.fake)
    assert "welcome, <@UDANA>!" in digest
    assert bot.fake.calls_to("conversations.open") == []


def test_hundreds_of_newcomers_are_named_within_bounds(bot: RunningBot) -> None:
    bot.sweep()
    bot.clock.advance(timedelta(hours=1))
    for n in range(120):
        join_channel(bot, f"UNEW{n:03d}")
    advance(bot, MONDAY - bot.clock.now())
    [digest] = digests(bot.fake)
    assert ":wave: *Joined the channel (120):* welcome, <@UNEW000>" in digest
    assert "and 95 more!" in digest
    all_valid(bot)
