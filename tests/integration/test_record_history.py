"""`/mwg history <n>`: a proposal's whole story, read back from the activity ledger, in words,
as Slack would accept it. Driven through signed requests, as Slack sends them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mwgbot.db.models import ActivityRow
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_blocks
from tests.conftest import CHANNEL, RunningBot
from tests.integration.refine_support import open_edit_form, submit_edit
from tests.record_support import blocks_text, record_activity

DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|>]+\|[^>]+>")


def history(bot: RunningBot, number: int, user: str = "UCAROL") -> dict[str, Any]:
    response = bot.command(f"history {number}", user=user)
    assert response.status == 200, response
    assert response.seconds < 3  # Slack's deadline, not a benchmark
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"]
    return dict(body)


def assert_in_order(text: str, expected: list[str]) -> None:
    position = 0
    for fragment in expected:
        found = text.find(fragment, position)
        assert found >= 0, f"{fragment!r} missing (or out of order) in:\n{text}"
        position = found + len(fragment)


def test_history_tells_a_proposals_whole_story(bot: RunningBot) -> None:
    db = bot.runtime.db
    bot.answer("propose Case-study series --close 4d --stage awareness")
    bot.answer("join 1", user="UBOB")
    bot.react(1, "UCAROL", event_id="EvHistoryJoin", event_ts="1800000000.000100")
    press = sr.block_action(
        ids.ACTION_JOIN, "1", user_id="UDAVE", channel_id=CHANNEL, message_ts=bot.card_ts(1)
    )
    assert bot.send(press).status == 200
    bot.answer("object 1 It overlaps the webinar", user="UERIN")
    bot.answer("object 1 The budget is <!channel> not agreed", user="UERIN")
    reason = {ids.BLOCK_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "Too soon"}}}
    submitted = bot.send(
        sr.view_submission(ids.VIEW_OBJECT, reason, user_id="UFRANK", private_metadata="1")
    )
    assert submitted.status == 200
    bot.answer("unobject 1", user="UERIN")
    bot.answer("leave 1", user="UBOB")
    form = open_edit_form(bot, 1)
    saved = submit_edit(bot, form, title="Case-study webinar series", description="Three talks")
    assert saved.status == 200
    assert "#1 now closes" in bot.answer("extend 1 1d")
    bot.advance(timedelta(days=5, minutes=1))
    bot.answer("resolve 1 adopt Budget found", user="UMODERATOR")
    bot.clock.advance(timedelta(days=10))
    bot.answer("join 1", user="UBOB")
    bot.answer("update 1 Draft is out", user="UBOB")
    logged = bot.answer("log 2h30m #1 Draft", user="UCAROL")
    entry = int(logged.split("#", 1)[1].split(" ", 1)[0].rstrip(":.,)"))
    bot.answer(f"unlog {entry}", user="UCAROL")
    bot.answer("done 1 https://openedx.org/case-studies Three studies published")

    body = history(bot, 1)
    blocks = body["blocks"]
    assert assert_valid_blocks(blocks) > 0
    shown = blocks_text(blocks)
    assert_in_order(
        shown,
        [
            "*History of #1 Case-study webinar series* · delivered · 18 entries",
            "<@UALICE> proposed it, its window set to close <!date^",
            "_(with /mwg)_",
            "<@UBOB> joined _(with /mwg)_",
            "<@UCAROL> joined _(by reaction)_",
            "<@UDAVE> joined _(with the card's button)_",
            "<@UERIN> objected: “It overlaps the webinar” _(with /mwg)_",
            "<@UERIN> changed the reason of their objection: "
            "“The budget is &lt;!channel&gt; not agreed”",
            "<@UFRANK> objected: “Too soon” _(in a form)_",
            "<@UERIN> withdrew their objection",
            "<@UBOB> left",
            "<@UALICE> edited it (title, description)",
            "<@UALICE> extended its window to <!date^",
            "The consensus window closed with objections standing: *escalated* _(automatically)_",
            "Moderator <@UMODERATOR> *adopted* it: “Budget found”",
            "<@UBOB> joined",
            "<@UBOB> posted an update: “Draft is out”",
            "<@UCAROL> logged 2h 30m on it",
            "<@UCAROL> removed time they had logged on it",
            "<@UALICE> marked it *delivered* (https://openedx.org/case-studies): "
            "“Three studies published”",
        ],
    )
    assert "<!channel>" not in shown
    # Every entry says when, in the reader's own zone.
    with db.unit_of_work() as session:
        rows = session.scalars(select(ActivityRow).where(ActivityRow.proposal_number == 1)).all()
    assert len(DATE_TOKEN.findall(shown)) >= len(rows) == 18


def test_a_long_history_is_cut_with_a_count_of_what_is_left_out(bot: RunningBot) -> None:
    db = bot.runtime.db
    bot.answer("propose Translate the brochure --close 4d")
    at = bot.clock.now()
    hostile = "<!here> & <@U0ADMIN> " * 40  # long, and every character needs escaping
    for index in range(300):
        user = f"UMEMBER{index:03d}"
        record_activity(db, ActivityKind.JOINED, at, actor=user, number=1, via=Via.REACTION)
        if index % 3 == 0:
            record_activity(db, ActivityKind.OBJECTED, at, actor=user, number=1, reason=hostile)

    body = history(bot, 1)
    blocks = body["blocks"]
    assert assert_valid_blocks(blocks) > 0
    shown = blocks_text(blocks)
    total = 1 + 300 + 100
    assert f"{total} entries" in shown
    assert f"… {total - 40} more entries left out here; the last 30 follow." in shown
    assert "<@UALICE> proposed it" in shown  # how it began
    assert "<@UMEMBER299> joined" in shown  # how it stands now
    assert "<@UMEMBER100>" not in shown  # the middle is counted, not shown
    for hostile_text in ("<!here>", "<@U0ADMIN>"):
        assert hostile_text not in shown


def test_history_of_an_unknown_proposal_or_without_a_number(bot: RunningBot) -> None:
    assert "There is no proposal #7" in bot.answer("history 7")
    assert "Which proposal?" in bot.answer("history")
    bot.answer("propose Newsletter --close 4d")
    body = history(bot, 1)
    assert "1 entry" in blocks_text(body["blocks"])


def test_help_lists_the_record_commands(bot: RunningBot) -> None:
    text = bot.answer("help")
    for usage in ("/mwg history &lt;n&gt;", "/mwg mydata", "/mwg forget-me"):
        assert usage in text
