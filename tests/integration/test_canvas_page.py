"""The group's page, a live canvas in its channel (MWG_CANVAS=on), through signed requests:
created once (across a restart too), or the channel's own canvas reused; kept current after a
proposal, a join, an adoption and a delivery; edits coalesced and paced; a plan or permission
refusal switches it off with one log line while everything else goes on; off by default.
The `fake_slack` fixture checks every document the bot sent with tests/canvas_checks.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import event

from mwgbot.db.models import ProposalRow
from mwgbot.fakeslack import FakeSlack
from mwgbot.fakeslack.canvases import MAX_MARKDOWN
from mwgbot.services.ledger import page_is_stale
from mwgbot.slack.canvas_page import PAGE_BUDGET
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


def test_slacks_retry_after_is_honoured_and_cards_go_on(
    launcher: Launcher, fake_slack: FakeSlack
) -> None:
    bot = start(launcher)
    edits = calls(fake_slack, "canvases.edit")
    fake_slack.fail_next("canvases.edit", status=429, retry_after=30)
    bot.answer("propose Case-study series --close 4d")
    later(bot)  # the edit is asked for once, and Slack says to wait 30 s
    assert calls(fake_slack, "canvases.edit") == edits + 1
    assert "Case-study series" in bot.card_text(1)  # the card did not wait
    assert "**#1**" not in page(fake_slack)
    later(bot, timedelta(seconds=20))  # 26 s after the refusal: still waiting
    assert calls(fake_slack, "canvases.edit") == edits + 1
    assert "**#1** Case-study series" in later(bot, timedelta(seconds=10))
    assert calls(fake_slack, "canvases.edit") == edits + 2


def test_time_alone_redraws_the_page_when_the_meeting_begins(launcher: Launcher) -> None:
    bot = start(launcher)
    assert "**Wed 2026-12-09 15:00 UTC**" in page(bot.fake)
    edits = calls(bot.fake, "canvases.edit")
    bot.advance(timedelta(days=7))  # Dec 8, 12:00: nothing changed, nothing edited
    assert calls(bot.fake, "canvases.edit") == edits
    bot.advance(timedelta(days=1, hours=3, minutes=1))  # the meeting has begun
    shown = page(bot.fake)
    assert "**Wed 2026-12-23 15:00 UTC**" in shown
    assert "**Wed 2026-12-09 15:00 UTC**" not in shown
    assert calls(bot.fake, "canvases.edit") == edits + 1


def test_two_instances_make_one_canvas(launcher: Launcher, fake_slack: FakeSlack) -> None:
    first = start(launcher)
    second = start(launcher)
    first.answer("propose Case-study series --close 4d")
    second.answer("join 1", user="UBOB")
    for bot in (first, second):
        bot.advance(GAP)
    second.clock.advance(first.clock.now() - second.clock.now())
    assert "1 joined, 0 objecting" in later(second)
    assert calls(fake_slack, "conversations.canvases.create") == 1
    assert len(fake_slack.canvases()) == 1


def test_a_change_costs_one_update_of_the_page_row(
    launcher: Launcher, fake_slack: FakeSlack
) -> None:
    bot = start(launcher)
    bot.answer("propose Case-study series --close 4d")
    marks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CANVAS_PAGES SET REVISION"):
            marks.append(statement)

    engine = bot.runtime.db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        bot.answer("join 1", user="UBOB")
        assert len(marks) == 1
        bot.answer("update 1 First post out")
        assert len(marks) == 2
        bot.answer("list")  # reads nothing stale
        assert len(marks) == 2
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_off_no_page_row_is_touched(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    marks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "canvas_pages" in statement:
            marks.append(statement)

    engine = bot.runtime.db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        bot.answer("join 1", user="UBOB")
        bot.react(1, "UCAROL")
        bot.advance(GAP)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert marks == []


def test_hundreds_of_proposals_and_long_titles_stay_far_below_the_limit(
    launcher: Launcher, fake_slack: FakeSlack
) -> None:
    bot = start(launcher)
    now = bot.clock.now()
    title = ("*_[x](https://e.example)<!here>~`\\ " * 8)[:200]
    states = ["open"] * 150 + ["escalated"] * 50 + ["adopted"] * 100 + ["delivered"] * 100
    states += ["declined"] * 60
    with bot.runtime.db.unit_of_work() as session:
        for n, state in enumerate(states):
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=n + 1,
                    title=f"{n} {title}"[:200],
                    proposer_id=f"U{n:08d}",
                    state=state,
                    created_at=now - timedelta(days=10),
                    closes_at=now + timedelta(days=3),
                    closed_at=None if state == "open" else now - timedelta(days=2),
                    decided_at=now - timedelta(days=1) if state == "declined" else None,
                    last_activity_at=now - timedelta(days=1),
                    finished_at=now - timedelta(hours=n % 48) if state == "delivered" else None,
                    delivery_link=f"https://example.org/{'x' * 900}/{n}"
                    if state == "delivered"
                    else None,
                )
            )
        # A change any member makes would mark the page; here the rows came in by hand.
        page_is_stale(session, "mwg")
    shown = later(bot)
    assert len(shown) < PAGE_BUDGET < MAX_MARKDOWN
    assert "## Open proposals (200)" in shown
    assert "- and 175 more: `/mwg list`" in shown
    assert "## Active initiatives (100)" in shown
    assert "## Delivered (100)" in shown
    assert "## Decided in the last 30 days (" in shown


def test_a_deleted_canvas_is_made_again(launcher: Launcher, fake_slack: FakeSlack) -> None:
    bot = start(launcher)
    gone = fake_slack.canvas_of(CHANNEL)
    assert gone is not None
    WebClient(token="xoxb-test", base_url=fake_slack.url).canvases_delete(canvas_id=gone)
    bot.answer("propose Case-study series --close 4d")
    bot.advance(GAP)  # the edit finds no canvas...
    shown = later(bot)  # ...and the next try makes one
    assert "**#1** Case-study series" in shown
    assert fake_slack.canvas_of(CHANNEL) not in (None, gone)
    assert calls(fake_slack, "conversations.canvases.create") == 2


def test_an_agenda_topic_shows_on_the_page_and_its_removal_too(launcher: Launcher) -> None:
    bot = start(launcher)
    added = bot.answer("agenda add Budget for the *spring* campaign", user="UBOB")
    assert added.startswith("Topic *1* is on the agenda")
    shown = later(bot)
    meeting = shown.split("## Next meeting", 1)[1].split("\n## ", 1)[0]
    assert r"Budget for the \*spring\* campaign" in meeting
    assert "<@UBOB>" in meeting or "@UBOB" in meeting
    assert "is off the agenda" in bot.answer("agenda remove 1", user="UBOB")
    assert "Budget for the" not in later(bot)
