"""The shared state of Slack's refusals: probes while the token is refused, one line per
outage, members told once per outage; and the words members read about them."""

from __future__ import annotations

import itertools
import logging

import pytest
from slack_sdk.models.blocks import Block

from mwgbot.services.slack_status import SlackStatus
from mwgbot.slack import slack_refusals


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_while_the_token_is_refused_calls_wait_for_probes_that_space_out() -> None:
    clock = Clock()
    status = SlackStatus(monotonic=clock, first_probe=10, max_probe=40)
    assert status.may_call()
    status.token_refused("token_revoked")
    allowed = []
    for second in range(200):
        clock.now = 100.0 + second
        if status.may_call():
            allowed.append(second)
            status.token_refused("token_revoked")  # each probe is refused again
    # 10 s, then 20, then 40 (the most) between probes: never a call a second.
    assert allowed[:4] == [10, 30, 70, 110]
    assert all(b - a <= 40 for a, b in itertools.pairwise(allowed))
    status.answered()
    assert status.token_refusal is None
    assert status.may_call()


def test_one_line_when_an_outage_starts_and_one_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="mwgbot.services.slack_status")
    status = SlackStatus(bot_name="mwgbot")
    for _ in range(3):
        status.token_refused("account_inactive")
        status.channel_refused("C1", "not_in_channel", "post the card of #1")
    status.channel_refused("C1", "is_archived", "post the card of #1")  # another refusal
    assert status.channel_back("C1", "a post landed")
    assert not status.channel_back("C1", "a post landed")  # nothing was refused any more
    status.answered()
    status.answered()
    levels = [(r.levelname, r.getMessage().split(" (")[0]) for r in caplog.records]
    assert [level for level, _ in levels].count("ERROR") == 3  # token, not_in_channel, archived
    assert [level for level, _ in levels].count("INFO") == 2  # the channel, the token
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "/invite @mwgbot" in errors[1]
    assert "unarchive it" in errors[2]


def test_each_member_is_told_once_per_outage() -> None:
    status = SlackStatus()
    status.channel_refused("C1", "not_in_channel", "post a message")
    assert status.first_to_tell("C1", "UALICE")
    assert not status.first_to_tell("C1", "UALICE")
    assert status.first_to_tell("C1", "UBOB")
    status.channel_back("C1", "the bot was added")
    assert status.first_to_tell("C1", "UALICE")  # a new outage


def test_health_names_what_is_refused() -> None:
    status = SlackStatus(bot_name="mwgbot")
    assert status.health() == (True, {"slack": "ok", "channel": "ok"})
    status.channel_refused("CMARKETING", "not_in_channel", "post a message")
    working, fields = status.health()
    assert working
    assert fields["channel"].startswith("CMARKETING: not_in_channel: ")
    status.token_refused("token_revoked")
    working, fields = status.health()
    assert not working
    assert "token_revoked" in fields["slack"]


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("not_in_channel", "I am not in <#CMARKETING>: type `/invite @mwgbot` there"),
        ("is_archived", "<#CMARKETING> is archived"),
        ("channel_not_found", "ask whoever runs the bot to check MWG_CHANNEL"),
    ],
)
def test_the_direct_message_says_what_to_do(code: str, says: str) -> None:
    message = slack_refusals.post_refused("CMARKETING", code, "mwgbot", 4)
    assert message.text.startswith(":warning: What you did on #4 is saved")
    assert says in message.text
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_a_bot_name_is_escaped() -> None:
    text = slack_refusals.why_and_fix("not_in_channel", "CMARKETING", "<!channel>")
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
