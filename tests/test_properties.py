"""Whatever a member types after `/mwg`, the bot answers with a short text and never fails.

Property-based (hypothesis): arbitrary text, and text shaped like commands (every subcommand,
with numbers far too large, durations, dates, mentions, Slack's escapes, control and
direction characters, very long words), through the parser and then through the real Bolt
app the way Slack sends a slash command.
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest

from mwgbot import fakeslack_payloads as payloads
from mwgbot.fakeslack import FakeSlack
from mwgbot.runtime import Runtime, build_runtime
from mwgbot.slack import commands
from mwgbot.slack.router import INTERNAL_ERROR
from tests.conftest import CHANNEL, make_settings

# Slack shows at most 3,000 characters in a section; an answer is one short text.
SHORT = 3000

# What members type after a subcommand: numbers, durations, dates, months, links, mentions,
# options, and the odd characters of chat clients (Slack's escapes, controls, direction marks,
# full-width letters).
VALUES = st.sampled_from(
    [
        "#1",
        "1",
        "2",
        "0",
        "-1",
        "#999999999",
        "99999999999999999999",
        "2h30m",
        "45m",
        "1m",
        "24h1m",
        "0m",
        "99999999999999d",
        "9999999999999999999999999w",
        "7d",
        "91d",
        "--close",
        "--close=7d",
        "--close=99999999999999d",
        "--close=1h",
        "--stage",
        "awareness,interest",
        "fame",
        "--date",
        "--date=9999-12-31",
        "--date=1900-01-01",
        "2026-12-01",
        "2026-02-30",
        "9999-12-31",
        "0001-01-01",
        "2026-12",
        "2026-13",
        "team",
        "skip",
        "unskip",
        "adopt",
        "decline",
        "https://openedx.org/blog",
        "javascript:alert(1)",
        "<!channel>",
        "&lt;!here&gt;",
        "<@U0ADMIN>",
        "<https://evil.example|docs>",
        "`",
        "*",
        "\u202e",
        "\x00",
        "\n",
        "\t",
        "—close",
        "ｐｒｏｐｏｓｅ",
    ]
)
VERBS = st.sampled_from(commands.subcommands())
TYPED = st.one_of(
    st.text(max_size=200),
    # A subcommand, then values (the likeliest shape of a mistake).
    st.builds(
        lambda verb, words: " ".join([verb, *words]),
        VERBS,
        st.lists(st.one_of(VALUES, VALUES, st.text(max_size=20)), max_size=6),
    ),
    # A subcommand and one very long rest.
    st.builds(lambda verb, rest: f"{verb} {rest}", VERBS, st.text(max_size=5000)),
)


@given(TYPED)
@settings(max_examples=1500, deadline=None)
def test_the_parser_answers_everything_with_a_command_or_a_short_usage(text: str) -> None:
    answer: object
    try:
        answer = commands.parse(text)
    except commands.UsageError as refusal:
        answer = str(refusal)
    if isinstance(answer, str):
        assert 0 < len(answer) <= SHORT
    else:
        assert type(answer) in commands.Command.__args__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def runtime() -> Iterator[tuple[Runtime, FakeSlack]]:
    """One bot for every example (hypothesis runs hundreds): SQLite in a temporary folder,
    no request signing (the app is dispatched directly), the rate limit out of the way."""
    with tempfile.TemporaryDirectory(prefix="mwgbot-properties-") as scratch, FakeSlack() as fake:
        settings_ = make_settings(
            f"sqlite:///{Path(scratch) / 'properties.db'}",
            fake.url,
            mwg_commands_per_minute=1_000_000,
            mwg_max_open_per_member=1_000_000,
        )
        bot = build_runtime(settings_, http=False)
        bot.bot.wake = lambda: None
        try:
            yield bot, fake
        finally:
            bot.close()


def dispatch(runtime: Runtime, text: str, user: str) -> Any:
    form = payloads.slash_command(
        text, user_id=user, channel_id=CHANNEL, trigger_id="13345224609.738474920.prop"
    )
    request = BoltRequest(
        body=urllib.parse.urlencode(form), headers={"content-type": payloads.FORM}
    )
    return runtime.app.dispatch(request)


@given(TYPED, st.sampled_from(["UALICE", "UBOB", "UMODERATOR", "UORGANIZER"]))
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_command_gets_a_short_answer_and_none_fails(
    runtime: tuple[Runtime, FakeSlack], text: str, user: str
) -> None:
    bot, _fake = runtime
    response = dispatch(bot, text, user)
    assert response.status == 200, (text, response.status, response.body)
    if not response.body:  # a form opened (propose with no title, edit, forget-me)
        return
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    answer = body["text"]
    assert isinstance(answer, str)
    assert 0 < len(answer) <= SHORT, (text, len(answer))
    assert answer != INTERNAL_ERROR, text  # every refusal is a clear answer, never a crash
