"""The closing-soon notice: once, 24 hours before a proposal's window closes, a reply in its
thread says so (object now, or it is adopted); only when the window is longer than 24 hours."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import RunningBot
from tests.integration.meeting_support import (
    Launcher,
    advance,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)


def closing_soon(bot: RunningBot, number: int) -> list[str]:
    return [str(m["text"]) for m in bot.thread_replies(number) if ":alarm_clock:" in m["text"]]


def test_closing_soon_is_posted_once_a_day_before_the_close(bot: RunningBot) -> None:
    bot.answer("propose Case-study series")  # 7 days
    bot.card_ts(1)
    advance(bot, timedelta(days=5, hours=23, minutes=59))
    assert closing_soon(bot, 1) == []
    advance(bot, timedelta(minutes=1))  # exactly 24 h before the close
    replies = closing_soon(bot, 1)
    assert len(replies) == 1
    assert "#1 closes <!date^" in replies[0]
    assert "Object now (:no_entry_sign: or `/mwg object 1 &lt;reason&gt;`)" in replies[0]
    assert "adopted by lazy consensus" in replies[0]
    for _ in range(5):  # through the close, 24 hours later
        advance(bot, timedelta(hours=6))
    assert len(closing_soon(bot, 1)) == 1
    assert "*adopted*" in bot.thread_replies(1)[-1]["text"]


def test_closing_soon_survives_a_restart_without_repeating(launcher: Launcher) -> None:
    bot = launcher.start()
    bot.answer("propose Case-study series --close 3d")
    bot.card_ts(1)
    advance(bot, timedelta(days=2, hours=1))
    assert len(closing_soon(bot, 1)) == 1
    launcher.stop(bot)
    again = launcher.start(clock=bot.clock)
    advance(again, timedelta(hours=1))
    assert len(closing_soon(again, 1)) == 1


def test_no_closing_soon_for_a_window_of_24_hours_or_less(launcher: Launcher) -> None:
    bot = launcher.start(mwg_consensus_min="1h", mwg_consensus_window="7d")
    bot.answer("propose Day-long poll --close 24h")
    bot.answer("propose Slightly longer poll --close 25h")
    bot.card_ts(1)
    bot.card_ts(2)
    advance(bot, timedelta(hours=1))
    assert closing_soon(bot, 1) == []
    assert len(closing_soon(bot, 2)) == 1
    advance(bot, timedelta(hours=25))
    assert closing_soon(bot, 1) == []
    assert len(closing_soon(bot, 2)) == 1


def test_with_an_objection_standing_it_says_the_moderators_decide(bot: RunningBot) -> None:
    bot.answer("propose Case-study series")  # 7 days
    bot.answer("object 1 not now", user="UCAROL")
    bot.card_ts(1)
    advance(bot, timedelta(days=6))
    [reply] = closing_soon(bot, 1)
    assert "#1 closes <!date^" in reply
    assert (
        "1 objection stands, so at the close it goes to <@UMODERATOR> or <@UMODTWO> to decide, "
        "unless it is withdrawn by then (`/mwg unobject 1`, or remove the :no_entry_sign:)"
    ) in reply
    assert "Object now" not in reply
    assert "or it will be adopted by lazy consensus" not in reply


def test_with_the_sole_moderator_proposing_it_names_the_organizers(launcher: Launcher) -> None:
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="UEDEN")
    bot.answer("propose Case-study series", user="UDANA")
    bot.answer("object 1 not now", user="UCAROL")
    bot.answer("object 1 me neither", user="UBOB")
    bot.card_ts(1)
    advance(bot, timedelta(days=6))
    [reply] = closing_soon(bot, 1)
    assert "2 objections stand, so at the close it goes to the organizers (<@UEDEN>)" in reply
    assert "unless they are withdrawn by then" in reply
