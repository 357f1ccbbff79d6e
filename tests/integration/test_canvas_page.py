"""The group's page, a live canvas in its channel (MWG_CANVAS=on), through signed requests:
created once (across a restart too), or the channel's own canvas reused; kept current after a
proposal, a join, an adoption and a delivery; edits coalesced and paced; a plan or permission
refusal switches it off with one log line while everything else goes on; off by default.
The `fake_slack` fixture checks every document the bot sent with tests/canvas_checks.py."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from mwgbot.fakeslack import FakeSlack
from tests.conftest import CHANNEL, RunningBot
from tests.integration.meeting_support import (
    Launcher,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)

WINDOW = timedelta(days=4, minutes=1)
GAP = timedelta(seconds=6)  # past the 5 s between two edits of one canvas
CANVAS_METHODS = ("conversations.canvases.create", "canvases.edit", "conversations.info")


def calls(fake: FakeSlack, method: str) -> int:
    return sum(1 for call in fake.calls if call.method == method)


def canvas_calls(fake: FakeSlack) -> list[str]:
    return [call.method for call in fake.calls if call.method in CANVAS_METHODS]


def page(fake: FakeSlack) -> str:
    found = fake.channel_page(CHANNEL)
    assert found is not None, "the channel has no canvas"
    return found


def later(bot: RunningBot, delta: timedelta = GAP) -> str:
    """Let the clock pass the edit gap, deliver everything, and read the page."""
    bot.advance(delta)
    return page(bot.fake)


def start(launcher: Launcher) -> RunningBot:
    bot = launcher.start(mwg_canvas=True)
    bot.settle()
    return bot


def test_the_page_is_made_once_and_shows_each_change(launcher: Launcher) -> None:
    bot = start(launcher)
    fake = bot.fake
    assert calls(fake, "conversations.canvases.create") == 1
    first = page(fake)
    assert first.startswith("# Marketing Working Group\n")
    assert "None open." in first
    assert "## Next meeting" in first

    bot.answer("propose Case-study series --close 4d")
    shown = later(bot)
    assert "## Open proposals (1)" in shown
    assert "**#1** Case-study series · closes " in shown
    assert "0 joined, 0 objecting" in shown

    bot.answer("join 1", user="UBOB")
    assert "1 joined, 0 objecting" in later(bot)

    bot.advance(WINDOW)  # the sweep closes the window: adopted
    shown = later(bot)
    assert "None open." in shown
    assert "## Active initiatives (1)" in shown
    assert "owners ![](@UALICE), ![](@UBOB)" in shown
    assert "## Decided in the last 30 days (1)" in shown
    assert "**#1** Case-study series · adopted " in shown

    bot.answer("update 1 The first post is out")
    assert "The first post is out" in later(bot)

    bot.answer("done 1 https://example.org/case-studies Three posts")
    shown = later(bot)
    assert "## Delivered (1)" in shown
    assert "[example.org](https://example.org/case-studies)" in shown
    assert "None active." in shown
    assert calls(fake, "conversations.canvases.create") == 1
    assert calls(fake, "canvases.edit") >= 5

    # A restart on the same database: the recorded canvas is edited, never made again.
    launcher.stop(bot)
    again = start(launcher)
    again.clock.advance(bot.clock.now() - again.clock.now())
    again.answer("propose Webinar series --close 4d", user="UCAROL")
    shown = later(again)
    assert "**#2** Webinar series" in shown
    assert calls(fake, "conversations.canvases.create") == 1
    assert len(fake.canvases()) == 1


def test_the_channels_own_canvas_is_used(launcher: Launcher, fake_slack: FakeSlack) -> None:
    existing = fake_slack.add_channel_canvas(CHANNEL, "# Our notes\n\nWritten by hand.\n")
    bot = start(launcher)
    assert calls(fake_slack, "conversations.canvases.create") == 0
    assert fake_slack.canvas_of(CHANNEL) == existing
    assert page(fake_slack).startswith("# Marketing Working Group\n")
    bot.answer("propose Case-study series --close 4d")
    assert "**#1** Case-study series" in later(bot)
    assert [c["id"] for c in fake_slack.canvases()] == [existing]


def test_a_burst_of_joins_is_a_few_edits_and_the_page_ends_current(launcher: Launcher) -> None:
    bot = start(launcher)
    bot.answer("propose Case-study series --close 4d")
    later(bot)
    before = calls(bot.fake, "canvases.edit")
    tick = timedelta(seconds=0.2)
    for n in range(50):  # 50 joins within 10 s of the clock, by reactions and commands
        user = f"U{n:08d}"
        if n % 2:
            assert bot.react(1, user).status == 200
        else:
            bot.answer("join 1", user=user)
        bot.clock.advance(tick)
    bot.runtime.scheduler.wait_delivery_idle(timeout=10)
    burst = calls(bot.fake, "canvases.edit") - before
    assert burst <= 3, f"{burst} edits for one burst"
    shown = later(bot)
    assert "50 joined, 0 objecting" in shown
    assert calls(bot.fake, "canvases.edit") - before <= 4


@pytest.mark.parametrize(
    ("refusal", "code"),
    [
        ("plan", "team_tier_cannot_create_channel_canvases"),
        ("restricted", "restricted_action"),
    ],
)
def test_a_plan_refusal_turns_the_page_off_with_one_line(
    launcher: Launcher,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    refusal: str,
    code: str,
) -> None:
    if refusal == "plan":
        fake_slack.set_team_plan("no_channel_canvases")
    else:
        fake_slack.restrict_canvases(CHANNEL)
    with caplog.at_level(logging.INFO):
        bot = start(launcher)
        answer = bot.answer("propose Case-study series --close 4d")
        assert "#1" in answer
        bot.answer("join 1", user="UBOB")
        bot.advance(GAP)
        bot.advance(GAP)
    assert "Case-study series" in bot.card_text(1)
    assert "1 joined" in bot.card_text(1) or "UBOB" in bot.card_text(1)
    lines = [
        r for r in caplog.records if "group's page" in r.getMessage() and code in r.getMessage()
    ]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line = lines[0].getMessage()
    assert line.startswith("group mwg: ")
    assert "off until the bot restarts" in line
    assert "MWG_CANVAS=off" in line
    assert calls(fake_slack, "conversations.canvases.create") == 1
    assert calls(fake_slack, "canvases.edit") == 0
    assert fake_slack.channel_page(CHANNEL) is None


def test_a_refusal_of_an_edit_turns_the_page_off_too(
    launcher: Launcher, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    bot = start(launcher)
    fake_slack.restrict_canvases(CHANNEL)
    with caplog.at_level(logging.INFO):
        bot.answer("propose Case-study series --close 4d")
        bot.advance(GAP)
        bot.advance(GAP)
        bot.answer("join 1", user="UBOB")
        bot.advance(GAP)
    lines = [r for r in caplog.records if "restricted_action" in r.getMessage()]
    assert len(lines) == 1
    assert "canvases.edit" in lines[0].getMessage()
    assert calls(fake_slack, "canvases.edit") == 1
    assert "1 joined" in bot.card_text(1) or "UBOB" in bot.card_text(1)


def test_off_by_default_no_canvas_call(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    bot.answer("join 1", user="UBOB")
    bot.advance(WINDOW)
    bot.answer("done 1 https://example.org/x")
    bot.advance(GAP)
    assert canvas_calls(bot.fake) == []
    assert bot.fake.canvases() == []


def test_member_text_is_escaped_on_the_page(launcher: Launcher) -> None:
    bot = start(launcher)
    bot.answer("propose *Bold* _it_ <!channel> [x](https://evil.example) `code` ~s~ --close 4d")
    shown = later(bot)
    line = next(line for line in shown.splitlines() if "**#1**" in line)
    assert r"\*Bold\* \_it\_" in line
    assert r"\<!channel>" in line  # no `<…>` token, no link a member did not mean
    assert r"\[x\](https://evil.example)" in line
    assert r"\`code\` \~s\~" in line
