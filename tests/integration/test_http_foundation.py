"""The HTTP transport as Slack uses it: signing, url_verification, health, the /mwg frame."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import slack_requests as sr
from tests.conftest import RunningBot


def slack_calls_after_start(bot: RunningBot) -> list[str]:
    return [c.method for c in bot.sent()]


def test_healthz_reports_the_database(bot: RunningBot) -> None:
    answer = sr.get(bot.url, "/healthz")
    assert answer.status == 200
    assert answer.json() == {"status": "ok", "database": True, "slack": "ok", "channel": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(bot: RunningBot) -> None:
    bot.runtime.db.ping = lambda: False  # type: ignore[method-assign]
    answer = sr.get(bot.url, "/healthz")
    assert answer.status == 503
    assert answer.json()["database"] is False


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param({"signature": "v0=" + "0" * 64}, id="wrong-signature"),
        pytest.param({"signature": ""}, id="unsigned"),
        pytest.param({"secret": "not-the-secret"}, id="other-secret"),
        # Offsets from the moment the request is sent: a timestamp taken when the test is
        # collected is minutes old by the time a long suite reaches it.
        pytest.param({"timestamp_offset": -6 * 60}, id="stale-6-minutes"),
        pytest.param({"timestamp_offset": 6 * 60}, id="from-the-future"),
    ],
)
def test_forged_and_stale_requests_get_401_and_do_nothing(
    bot: RunningBot, forge: dict[str, object]
) -> None:
    request = sr.slash_command("propose Forged proposal --close 4d")
    forge = dict(forge)
    offset = forge.pop("timestamp_offset", None)
    if isinstance(offset, int):
        forge["timestamp"] = int(time.time()) + offset
    answer = sr.send(bot.url, request, **forge)  # type: ignore[arg-type]
    assert answer.status == 401
    time.sleep(0.3)
    bot.settle()
    assert slack_calls_after_start(bot) == []
    assert "no proposal #1" in bot.answer("show 1")


def test_a_body_tampered_after_signing_is_refused(bot: RunningBot) -> None:
    timestamp = int(time.time())
    signed = sr.slash_command("help")
    signature = sr.sign(signed.body, timestamp)
    tampered = sr.slash_command("propose Sneaky --close 4d")
    answer = sr.send(bot.url, tampered, timestamp=timestamp, signature=signature)
    assert answer.status == 401


def test_url_verification_is_answered(bot: RunningBot) -> None:
    answer = bot.send(sr.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    assert answer.status == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_help_lists_every_subcommand_quickly(bot: RunningBot) -> None:
    answer = bot.command("help")
    assert answer.status == 200
    assert answer.seconds < 3  # Slack's deadline, not a benchmark
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    for subcommand in (
        "propose",
        "list",
        "show",
        "join",
        "leave",
        "object",
        "withdraw",
        "resolve",
        "org",
        "next",
        "help",
    ):
        assert f"`/mwg {subcommand}" in body["text"], subcommand


@pytest.mark.parametrize("text", ["", "   ", "frobnicate", "HELP me please", "propose --close"])
def test_empty_or_unknown_subcommands_get_a_usage_hint(bot: RunningBot, text: str) -> None:
    reply = bot.answer(text)
    assert "/mwg" in reply
    assert len(reply) < 300


def test_unhandled_event_types_are_not_404(bot: RunningBot) -> None:
    # Every subscribed event has a listener; check both, with an item that is not ours.
    for added in (True, False):
        event = sr.reaction_event(
            added=added,
            user_id="UALICE",
            reaction="tada",
            channel_id="CRANDOM",
            message_ts="1.000001",
            event_ts=f"{time.time():.6f}",
        )
        answer = bot.send(sr.event_callback(event, event_id=f"Ev-other-{added}"))
        assert answer.status == 200


def test_concurrent_commands_are_not_serialized(bot: RunningBot) -> None:
    """Sixteen members at once all get their answer well inside Slack's 3 seconds."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: bot.command("help", user=f"UUSER{i:03d}"), range(64)))
    assert {a.status for a in answers} == {200}
    assert max(a.seconds for a in answers) < 3
    assert all(json.loads(a.body)["response_type"] == "ephemeral" for a in answers)
