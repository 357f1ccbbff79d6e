"""The checker every test's fake Slack runs at its end refuses what Slack would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackObjectFormationError

from mwgbot.fakeslack import FakeSlack
from tests.block_kit_checks import (
    assert_every_payload_valid,
    assert_valid_blocks,
    assert_valid_message,
    assert_valid_view,
    mrkdwn_problems,
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_valid_blocks_pass_and_are_counted() -> None:
    assert assert_valid_blocks([section("hello")] * 50) == 50
    assert_valid_view(
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Hi"},
            "blocks": [section("x")] * 100,
        }
    )


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x")] * 51,  # 50 blocks a message
        [section("x" * 3001)],  # 3,000 characters a section
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
        [{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
    ],
)
def test_what_slack_refuses_fails(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        assert_valid_blocks(blocks)


def test_a_message_without_text_or_blocks_and_an_oversized_view_fail() -> None:
    with pytest.raises(AssertionError):
        assert_valid_message({"text": "", "blocks": []})
    with pytest.raises(AssertionError):
        assert_valid_view({"type": "home", "blocks": [section("x")] * 101})


def test_the_fake_slacks_record_is_checked_call_by_call() -> None:
    with FakeSlack(users={"U1": "Alice"}) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="fine", blocks=[section("fine")])
        assert assert_every_payload_valid(fake) == 1
        client.chat_postMessage(channel="C1", text="too many", blocks=[section("x")] * 51)
        with pytest.raises(AssertionError, match="51 blocks"):
            assert_every_payload_valid(fake)


@pytest.mark.parametrize(
    "text",
    [
        "plain words, `code` and *bold*",
        "<@U0ALICE> and <@W0BOB|bob> in <#C0MARKETING>",
        "<https://example.org/a?b=1&amp;c=2|the &lt;result&gt;> and <https://example.org>",
        "<!date^1796212800^{date_short_pretty} at {time}|Mon 2026-12-07 09:00 UTC>",
        "`/mwg object 2 &lt;reason&gt;` &amp; more",
    ],
)
def test_mrkdwn_the_bot_means_passes(text: str) -> None:
    assert mrkdwn_problems(text) == []
    assert_valid_message({"text": text, "blocks": [section(text)]})


@pytest.mark.parametrize(
    "text",
    [
        "(spaces, <, >, |, quotes)",
        "a_b*c*_d|e>f",
        "Tips & tricks",
        "<!channel> look",
        "<!here>",
        "<javascript:alert(1)|x>",
        "<https://example.org|a <b> label>",
        "`/mwg object 2 <reason>`",
    ],
)
def test_a_bare_angle_bracket_ampersand_or_channel_ping_fails(text: str) -> None:
    assert mrkdwn_problems(text)
    with pytest.raises(AssertionError):
        assert_valid_message({"text": "fine", "blocks": [section(text)]})
    with pytest.raises(AssertionError):
        assert_valid_message({"text": text})
