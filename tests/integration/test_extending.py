"""Extending a proposal's window, end to end: who may, how far (90 days in all), and that the
card, the close and the closing-soon notice all move with it, each notice once per time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mwgbot.db.models import OutboxRow
from mwgbot.slack.router import INTERNAL_ERROR
from tests.block_kit_checks import assert_every_payload_valid
from tests.conftest import CHANNEL, RunningBot
from tests.integration.refine_support import (
    closing_soon,
    outbox_keys,
)
from tests.ledger_support import Ledger

DAY = timedelta(days=1)


def propose(bot: RunningBot, text: str = "Case-study series --close 4d") -> None:
    assert bot.answer(f"propose {text}").startswith("Proposed #1")
    bot.card_ts(1)


def stamp(bot: RunningBot, delta: timedelta) -> str:
    return str(int((bot.clock.now() + delta).timestamp()))


def test_the_proposer_extends_and_the_close_moves(bot: RunningBot) -> None:
    propose(bot)
    old, new = stamp(bot, 4 * DAY), stamp(bot, 7 * DAY)
    ledger = Ledger(bot)
    reply = bot.answer("extend 1 3d")
    assert reply.startswith(f"#1 now closes <!date^{new}^")
    assert f"(it was <!date^{old}^" in reply
    bot.settle()
    assert f"<!date^{new}^" in bot.card_text(1)
    assert f"<!date^{old}^" not in bot.card_text(1)
    [note] = [m for m in bot.thread_replies(1) if "extended" in str(m["text"])]
    assert str(note["text"]).startswith(
        ":hourglass_flowing_sand: <@UALICE> extended #1's consensus window by 3d: "
        f"it now closes <!date^{new}^"
    )
    [row] = ledger.new()
    assert (row.kind, row.via, row.actor, row.proposal) == ("extended", "command", "UALICE", 1)
    assert row.details["by_seconds"] == 3 * 86400
    assert row.details["closes_at"]["to"].startswith("2026-12-08T12:00:00")

    bot.advance(4 * DAY)  # the old close passes: still open
    assert "*Open*" in bot.answer("show 1")
    bot.advance(3 * DAY)
    assert "*Adopted*" in bot.answer("show 1")
    assert assert_every_payload_valid(bot.fake) > 0


def test_a_moderator_may_extend_others_may_not(bot: RunningBot) -> None:
    propose(bot)
    ledger = Ledger(bot)
    assert bot.answer("extend 1 1d", user="UBOB") == (
        "Only the proposer of #1 or a moderator can extend it; nothing changed."
    )
    assert ledger.new() == []
    assert bot.answer("extend 1 1d", user="UMODERATOR").startswith("#1 now closes")
    bot.settle()
    assert any("<@UMODERATOR> extended #1" in str(m["text"]) for m in bot.thread_replies(1))
    [row] = ledger.new()
    assert (row.kind, row.actor) == ("extended", "UMODERATOR")


def test_no_extension_after_the_close(bot: RunningBot) -> None:
    propose(bot)
    bot.advance(4 * DAY)
    ledger = Ledger(bot)
    assert bot.answer("extend 1 2d") == "#1 is adopted; only an open proposal can be extended."
    assert ledger.new() == []
    assert "no proposal #7" in bot.answer("extend 7 2d")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("extend 1 87d", "it can be extended by at most 86d."),
        ("extend 1 52w", "it can be extended by at most 86d."),
        ("extend 1 99999999999999d", "far longer than a consensus window may last (90d in all)"),
        ("extend 1 999999999999999999999999w", "far longer than a consensus window may last"),
        ("extend 1 soon", "`soon` is not a duration"),
        ("extend 1", "By how long?"),
        ("extend 1 3 days", "By how long?"),
        ("extend", "Which proposal?"),
    ],
)
def test_too_long_or_malformed_extensions_are_refused(
    bot: RunningBot, text: str, words: str
) -> None:
    propose(bot)
    ledger = Ledger(bot)
    reply = bot.answer(text)
    assert words in reply
    assert reply != INTERNAL_ERROR
    assert ledger.new() == []


def test_a_window_may_be_extended_up_to_90_days_in_all(bot: RunningBot) -> None:
    propose(bot)
    end = stamp(bot, 90 * DAY)
    assert bot.answer("extend 1 80d").startswith("#1 now closes")
    assert bot.answer("extend 1 +6d").startswith(f"#1 now closes <!date^{end}^")
    assert "already 90d long" in bot.answer("extend 1 1m")


def test_the_closing_soon_notice_is_sent_again_for_the_new_time(bot: RunningBot) -> None:
    propose(bot)
    bot.advance(3 * DAY)  # a day before the close
    [first] = closing_soon(bot, 1)
    assert f"<!date^{stamp(bot, DAY)}^" in first
    new = stamp(bot, 3 * DAY)
    bot.answer("extend 1 2d")
    bot.advance(DAY)  # the old close: nothing new yet
    assert len(closing_soon(bot, 1)) == 1
    bot.advance(DAY)  # a day before the new close
    notices = closing_soon(bot, 1)
    assert len(notices) == 2
    assert f"<!date^{new}^" in notices[1]
    for _ in range(4):
        bot.advance(timedelta(hours=6))
    assert len(closing_soon(bot, 1)) == 2
    assert "*Adopted*" in bot.answer("show 1")


def previous_version_sent_notice(bot: RunningBot) -> None:
    """The closing-soon notice of #1 as the previous version queued and sent it, under the
    key `closing-soon:<n>`, now."""
    with bot.runtime.db.unit_of_work() as session:
        session.add(
            OutboxRow(
                kind="thread",
                group_key="mwg",
                dedupe_key="closing-soon:1",
                proposal_number=1,
                channel_id=CHANNEL,
                payload={"text": "sent by the previous version", "blocks": []},
                state="sent",
                attempts=1,
                uncertain=False,
                available_at=bot.clock.now(),
                created_at=bot.clock.now(),
                sent_at=bot.clock.now(),
            )
        )


def test_a_notice_queued_under_the_old_key_counts_once_per_time(bot: RunningBot) -> None:
    """Before windows could move, the notice was keyed `closing-soon:<n>`; such a row stands
    for the closing time it announced, before and after an extension."""
    propose(bot)
    old = int((bot.clock.now() + 4 * DAY).timestamp())
    bot.clock.advance(3 * DAY)
    previous_version_sent_notice(bot)
    bot.sweep()
    bot.settle()
    assert closing_soon(bot, 1) == []  # already announced for this time
    new = int((bot.clock.now() + 3 * DAY).timestamp())
    bot.answer("extend 1 2d")
    assert outbox_keys(bot, "closing-soon:1") == {f"closing-soon:1:{old}": "sent"}
    bot.advance(2 * DAY)
    [notice] = closing_soon(bot, 1)
    assert f"<!date^{new}^" in notice
    bot.advance(timedelta(hours=6))
    assert len(closing_soon(bot, 1)) == 1
    assert outbox_keys(bot, "closing-soon:1") == {
        f"closing-soon:1:{old}": "sent",
        f"closing-soon:1:{new}": "sent",
    }


def test_a_notice_of_the_old_time_not_yet_sent_is_dropped(bot: RunningBot) -> None:
    propose(bot)
    bot.settle()
    old = int((bot.clock.now() + 4 * DAY).timestamp())
    bot.fake.fail_next("chat.postMessage", status=500, times=3)
    bot.advance(3 * DAY)  # the notice is queued; Slack fails it, it waits to be retried
    assert closing_soon(bot, 1) == []
    assert outbox_keys(bot, "closing-soon:1") == {f"closing-soon:1:{old}": "pending"}
    bot.answer("extend 1 2d")
    assert outbox_keys(bot, "closing-soon:1") == {f"closing-soon:1:{old}": "cancelled"}
    bot.advance(timedelta(hours=1))
    assert closing_soon(bot, 1) == []  # the wrong time is never announced
    bot.advance(timedelta(days=1, hours=23))  # a day before the new close
    [notice] = closing_soon(bot, 1)
    assert f"<!date^{old + 2 * 86400}^" in notice


def test_both_key_forms_for_one_time_do_not_block_an_extension(bot: RunningBot) -> None:
    """An instance of the previous version, running beside this one, may queue the old form
    for a time this one announced already; extending still works, and the new time gets its
    notice."""
    propose(bot)
    old = int((bot.clock.now() + 4 * DAY).timestamp())
    bot.advance(3 * DAY)  # this version's notice, under the new key
    assert len(closing_soon(bot, 1)) == 1
    previous_version_sent_notice(bot)
    assert bot.answer("extend 1 2d").startswith("#1 now closes")
    keys = outbox_keys(bot, "closing-soon:1")
    assert keys[f"closing-soon:1:{old}"] == "sent"
    assert "closing-soon:1" not in keys
    assert len(keys) == 2
    bot.advance(2 * DAY)
    assert len(closing_soon(bot, 1)) == 2
