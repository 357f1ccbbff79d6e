"""The digest reports progress and counts its window right: the updates posted since the last
digest (the initiative, who posted), "nothing new" only when nothing happened, a window that
includes its start, and nothing told twice or lost at a digest's own instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.conftest import CHANNEL, START, RunningBot
from tests.integration.meeting_support import advance, digests
from tests.integration.member_support import all_valid, join_channel

# The default crontab, `0 14 * * 1`: Mondays at 14:00 UTC. START is Tuesday 2026-12-01 12:00.
MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def advance_to(bot: RunningBot, when: datetime) -> None:
    advance(bot, when - bot.clock.now())


def adopt(bot: RunningBot, *titles: str) -> None:
    """Each title proposed with the shortest window, then closed with no objection."""
    for title in titles:
        bot.answer(f"propose {title} --close 3d")
    advance(bot, timedelta(days=3, minutes=1))


def updates_section(bot: RunningBot, index: int) -> str:
    """The updates section of the index-th digest posted, as its block says it."""
    posted = [
        m
        for m in bot.fake.messages(CHANNEL)
        if not m.get("thread_ts") and "Marketing Working Group digest" in str(m.get("text"))
    ]
    [section] = [
        b["text"]["text"]
        for b in posted[index]["blocks"]
        if b["text"]["text"].startswith(":memo: *Updates since the last digest")
    ]
    return str(section)


def test_a_week_with_only_an_update_lists_it_and_a_week_with_nothing_is_quiet(
    bot: RunningBot,
) -> None:
    bot.sweep()  # the bot's first run
    adopt(bot, "Case-study series")
    bot.answer("join 1", user="UBOB")
    advance_to(bot, MONDAY)
    assert "#1 *Case-study series* · *adopted* by lazy consensus" in digests(bot.fake)[0]

    bot.clock.advance(timedelta(days=1))
    answer = bot.answer(
        "update 1 Two case studies drafted, the first webinar is next week", user="UBOB"
    )
    assert answer.startswith("Your update on #1 is posted")
    advance_to(bot, MONDAY + WEEK)
    second = digests(bot.fake)[1]
    assert "nothing new" not in second
    assert updates_section(bot, 1) == (
        ":memo: *Updates since the last digest (1)*\n"
        "• #1 *Case-study series* · <@UBOB>: Two case studies drafted, the first webinar is "
        "next week"
    )
    # Nothing else happened that week: no proposals, outcomes, deliveries or newcomers.
    for absent in ("New proposals", "Outcomes", "Delivered", "Dropped", "Joined the channel"):
        assert absent not in second

    advance_to(bot, MONDAY + 2 * WEEK)
    third = digests(bot.fake)[2]
    assert third.startswith(":zzz: *Marketing Working Group digest:* nothing new since <!date^")
    assert "Updates since" not in third
    all_valid(bot)


def test_the_first_digest_includes_what_happened_at_its_since_instant(bot: RunningBot) -> None:
    bot.sweep()  # the first run, at START: "since the last digest" counts from this instant
    assert bot.clock.now() == START
    bot.answer("propose Made at the first instant --close 10d")
    join_channel(bot, "UDANA")
    advance_to(bot, MONDAY)
    [first] = digests(bot.fake)
    assert ":new: *New proposals (1)*\n• #1 *Made at the first instant* by <@UALICE>" in first
    assert "welcome, <@UDANA>!" in first


def test_at_a_digests_own_instant_nothing_is_told_twice_or_lost(bot: RunningBot) -> None:
    bot.sweep()
    adopt(bot, "Case-study series")
    bot.clock.set(MONDAY)  # no sweep yet: the update comes at the digest's instant, before it
    assert "is posted" in bot.answer("update 1 posted at the digest's instant")
    bot.sweep()
    bot.settle()
    bot.answer("update 1 posted right after the digest, at the same instant")
    advance_to(bot, MONDAY + WEEK)
    first, _ = digests(bot.fake)
    assert "Updates since" not in first
    # The window is [since, now): what came at the instant of a digest, before it or after it,
    # is in the next one, once.
    assert updates_section(bot, 1).split("\n")[1:] == [
        "• #1 *Case-study series* · <@UALICE>: posted at the digest's instant",
        "• #1 *Case-study series* · <@UALICE>: posted right after the digest, at the same instant",
    ]
    advance_to(bot, MONDAY + 2 * WEEK)
    assert "Updates since" not in digests(bot.fake)[2]


def test_dozens_of_updates_stay_within_slacks_limits(bot: RunningBot) -> None:
    bot.sweep()
    for n in range(1, 13):  # one member may have 5 open proposals at once: 12 proposers
        title = f"Initiative *{n}* _with_ a long name {'x' * 60}"
        bot.answer(f"propose {title} --close 3d", user=f"UMEMBER{n:02d}")
    advance_to(bot, MONDAY)
    for n in range(60):
        number = n % 12 + 1
        text = f"update {number} Progress note {n}: " + "words " * 60
        assert "is posted" in bot.answer(text, user=f"UMEMBER{number:02d}")
    advance_to(bot, MONDAY + WEEK)
    section = updates_section(bot, 1)
    assert section.startswith(":memo: *Updates since the last digest (60)*")
    shown = section.count("\n• #")
    more = int(re.findall(r"\n• and (\d+) more$", section)[0])
    assert shown + more == 60
    assert shown >= 5
    assert len(section) <= 2900
    # Oldest first, each with its initiative and its author.
    assert "\n• #1 *Initiative \u22171\u2217 \u02cdwith\u02cd a long name" in section
    assert "<@UMEMBER01>: Progress note 0: words" in section
    assert section.index("Progress note 0:") < section.index("Progress note 1:")
    all_valid(bot)
