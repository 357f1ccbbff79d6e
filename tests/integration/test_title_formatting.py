"""A title's Slack formatting characters cannot break a layout: the card Slack keeps, `/mwg
list`, `/mwg show`, the Home tab and the digest show the title as typed, and the card's bold
header stays one bold span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mwgbot.console.render import mrkdwn_to_text
from mwgbot.slack.text import as_typed
from tests.conftest import CHANNEL, RunningBot
from tests.integration.meeting_support import advance, digests
from tests.integration.member_support import all_valid, home_text, open_home

MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
TITLES = [
    "*bold*",
    "_it_",
    "~strike~",
    "`code`",
    "Webinar *bold* _it_ ~strike~ `code` and a_b*c",
]


@pytest.mark.parametrize("title", TITLES)
def test_the_card_slack_keeps_shows_the_title_as_typed_in_a_bold_header(
    bot: RunningBot, title: str
) -> None:
    bot.sweep()
    bot.clock.advance(timedelta(minutes=1))
    answer = bot.answer(f"propose {title} --close 10d")
    assert f"#1 *{as_typed(title)}*" in answer
    message = bot.fake.message(CHANNEL, bot.card_ts(1))
    assert message is not None
    assert str(message["text"]).startswith("#1 ")
    header = message["blocks"][0]["text"]["text"]
    assert header == f"*#1 {as_typed(title)}*"
    assert header.count("*") == 2
    assert not any(c in header for c in "_~`")
    assert mrkdwn_to_text(header) == f"#1 {title}"

    for text in (bot.answer("list"), bot.answer("show 1")):
        line = next(line for line in text.split("\n") if "#1" in line)
        assert as_typed(title) in line
        assert title in mrkdwn_to_text(line)

    open_home(bot, "UALICE")
    home = home_text(bot, "UALICE")
    assert f"#1 *{as_typed(title)}*" in home

    advance(bot, MONDAY - bot.clock.now())
    [digest] = digests(bot.fake)
    assert f"• #1 *{as_typed(title)}* by <@UALICE>" in digest
    all_valid(bot)
