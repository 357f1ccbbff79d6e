"""Fair limits, end to end: open proposals per member (moderators exempt), and `/mwg` commands
per member per minute, counted in the database so the limit holds across two instances."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mwgbot.db.models import CommandCountRow
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_every_payload_valid
from tests.conftest import RunningBot
from tests.integration.meeting_support import (
    Launcher,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)
from tests.ledger_support import Ledger

SLOW_DOWN = "Slow down: that is more than 5 `/mwg` commands from you in a minute."


def proposed(reply: str) -> bool:
    return reply.startswith("Proposed #")


def test_a_member_at_the_open_limit_gets_their_open_ones_listed(launcher: Launcher) -> None:
    bot = launcher.start(mwg_max_open_per_member=2)
    assert proposed(bot.answer("propose Case studies <!channel> --close 4d"))
    assert proposed(bot.answer("propose Webinar series --close 5d"))
    four, five = (int((bot.clock.now() + timedelta(days=d)).timestamp()) for d in (4, 5))
    ledger = Ledger(bot)

    reply = bot.answer("propose A third idea --close 4d")
    assert reply.startswith(
        "You already have 2 open proposals, the most one member may have at once (2):"
    )
    assert f"• #1 *Case studies &lt;!channel&gt;* · closes <!date^{four}^" in reply
    assert f"• #2 *Webinar series* · closes <!date^{five}^" in reply
    assert "`/mwg withdraw &lt;n&gt;`" in reply
    assert "<!channel>" not in reply
    assert ledger.new() == []
    assert "no proposal #3" in bot.answer("show 3")

    # Others, and moderators, are not held back by Alice's proposals.
    assert proposed(bot.answer("propose Bob's idea --close 4d", user="UBOB"))
    for i in range(3):
        assert proposed(bot.answer(f"propose Moderator idea {i} --close 4d", user="UMODERATOR"))

    # One fewer open (withdrawn, or closed), and Alice may propose again.
    bot.answer("withdraw 1")
    assert proposed(bot.answer("propose A third idea --close 4d"))
    assert not proposed(bot.answer("propose A fourth idea --close 4d"))
    bot.advance(timedelta(days=5))
    assert proposed(bot.answer("propose A fourth idea --close 4d"))


def test_the_form_shows_the_limit_on_its_title(launcher: Launcher) -> None:
    bot = launcher.start(mwg_max_open_per_member=1)
    assert proposed(bot.answer("propose Case studies --close 4d"))
    answer = bot.command("propose")  # no title: the form opens
    assert answer.status == 200
    [opened] = bot.fake.calls_to("views.open")
    values: dict[str, dict[str, Any]] = {
        ids.BLOCK_TITLE: {ids.INPUT: {"type": "plain_text_input", "value": "Another"}},
    }
    refused = bot.send(sr.view_submission(ids.VIEW_PROPOSE, values, user_id="UALICE"))
    body = refused.json()
    assert body["response_action"] == "errors"
    assert body["errors"][ids.BLOCK_TITLE] == (
        "You already have 1 open proposal, the most one member may have at once (1): "
        "#1 Case studies (closes in 4d). Withdraw one or wait for one to close."
    )
    assert "no proposal #2" in bot.answer("show 2")
    assert opened.args["view"]["callback_id"] == ids.VIEW_PROPOSE


def test_commands_per_minute_hold_across_two_instances(launcher: Launcher) -> None:
    one = launcher.start(mwg_commands_per_minute=5)
    two = launcher.start(clock=one.clock, mwg_commands_per_minute=5)
    for bot in (one, one, one, two, two):
        assert bot.answer("help", user="UBOB").startswith("*/mwg*")
    ledger = Ledger(one)
    opened = len(one.fake.calls_to("views.open"))

    # The sixth in the minute, on either instance, is not run at all.
    assert two.answer("propose Too many --close 4d", user="UBOB") == (
        SLOW_DOWN + " Nothing was done; try again in a moment."
    )
    assert one.answer("propose", user="UBOB").startswith(SLOW_DOWN)
    assert one.fake.calls_to("views.open")[opened:] == []
    assert ledger.new() == []
    assert "no proposal #1" in one.answer("show 1")  # another member is not limited

    with one.runtime.db.unit_of_work() as session:
        counts = session.scalars(
            select(CommandCountRow.count).where(CommandCountRow.user_id == "UBOB")
        ).all()
    assert counts == [7]

    # The next minute, Bob may go on.
    one.clock.advance(timedelta(seconds=60))
    assert proposed(two.answer("propose Now it works --close 4d", user="UBOB"))
    assert assert_every_payload_valid(one.fake) > 0


def test_old_counts_are_pruned_by_the_sweep(bot: RunningBot) -> None:
    bot.answer("help")
    bot.clock.advance(timedelta(minutes=3))
    bot.answer("help")
    bot.sweep()

    def minutes() -> int:
        with bot.runtime.db.unit_of_work() as session:
            return len(session.scalars(select(CommandCountRow.minute)).all())

    assert minutes() == 2
    bot.clock.advance(timedelta(minutes=4))
    bot.sweep()
    assert minutes() == 1  # the first minute is over five minutes old
    bot.clock.advance(timedelta(minutes=10))
    bot.sweep()
    assert minutes() == 0
