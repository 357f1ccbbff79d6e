"""Slack's refusals reach a person: the bot removed from the channel, the channel archived or
gone, the token revoked. Driven by signed requests; the fake Slack answers as Slack does."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mwgbot.db.models import OutboxRow
from mwgbot.fakeslack import FakeSlack
from mwgbot.slack.ids import VIEW_PROPOSE
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot, card_as_text
from tests.integration.member_support import dm_texts

BOT = "UBOTMWG"  # the fake Slack's bot user
TOKEN = "xoxb-test-token"  # tests/conftest.py's


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if not m.get("thread_ts")]


def channel_texts(fake: FakeSlack) -> list[str]:
    """Every message in the channel, oldest first, as text (cards and replies)."""
    return [str(m["text"]) for m in fake.messages(CHANNEL)]


def invite_back(bot: RunningBot, *, inviter: str = "UCAROL") -> sr.HttpAnswer:
    """`/invite @mwgbot` in the channel: Slack adds the bot and sends it its own join."""
    bot.fake.invite_bot(CHANNEL)
    event = sr.member_joined(BOT, channel_id=CHANNEL)
    event["inviter"] = inviter
    return bot.send(sr.event_callback(event, event_id=f"EvBotBack{len(bot.fake.calls)}"))


def waiting(bot: RunningBot) -> list[tuple[str, str]]:
    """(kind, state) of the channel posts not sent yet, oldest first."""
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxRow.kind, OutboxRow.state)
            .where(
                OutboxRow.state.in_(("pending", "sending")),
                OutboxRow.kind.in_(("card", "thread", "post")),
            )
            .order_by(OutboxRow.id)
        ).all()
    return [(kind, state) for kind, state in rows]


@pytest.fixture
def status_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="mwgbot.services")
    return caplog


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == level and r.name.startswith("mwgbot.services")
    ]


# --- the bot removed from the channel ------------------------------------------------------


@pytest.mark.parametrize(
    ("refuse", "says"),
    [
        pytest.param(
            FakeSlack.kick_bot, "I am not in <#CMARKETING>: type `/invite @mwgbot`", id="kicked"
        ),
        pytest.param(
            FakeSlack.archive,
            "<#CMARKETING> is archived: someone who can must unarchive it",
            id="archived",
        ),
        pytest.param(
            FakeSlack.delete_channel, "Slack does not let me see <#CMARKETING>", id="gone"
        ),
    ],
)
def test_propose_says_why_the_card_is_not_posted_and_what_to_do(
    bot: RunningBot, refuse: Any, says: str
) -> None:
    refuse(bot.fake, CHANNEL)
    reply = bot.answer("propose Press kit --close 4d")
    assert reply.startswith("Proposed #1 *Press kit* in <#CMARKETING>.")
    assert says in reply
    assert "the card will be posted as soon as I can post there again" in reply
    assert "will appear there shortly" not in reply
    bot.settle()
    assert cards(bot.fake) == []
    assert dm_texts(bot, "UALICE") == []  # she read it in the answer: no DM besides
    assert waiting(bot) == [("card", "pending")]


def test_invited_back_the_bot_posts_what_waits_at_once_in_order_exactly_once(
    bot: RunningBot, status_log: pytest.LogCaptureFixture
) -> None:
    bot.fake.kick_bot(CHANNEL)
    assert "I am not in <#CMARKETING>" in bot.answer("propose Press kit --close 4d")
    assert "withdrawn" in bot.answer("withdraw 1")  # its notice goes in the card's thread
    assert "I am not in <#CMARKETING>" in bot.answer("propose Webinar --close 4d", user="UBOB")
    bot.settle()
    # The backoff grows while the bot is out (minutes, soon), with tries along the way.
    for _ in range(6):
        bot.advance(timedelta(seconds=70))
    assert cards(bot.fake) == []
    posts_while_out = len(bot.fake.calls_to("chat.postMessage"))

    # Back in: the posts go out now, without waiting for the backoff (no clock moves), and
    # without a settle: the join wakes the delivery itself.
    assert invite_back(bot).status == 200
    bot.fake.wait_until(lambda: len(bot.fake.messages(CHANNEL)) == 3, timeout=10)
    first, reply, second = bot.fake.messages(CHANNEL)
    assert first["text"].startswith("#1 ")
    assert reply["thread_ts"] == first["ts"]  # the card before the reply in its thread
    assert "withdrawn" in reply["text"]
    assert second["text"].startswith("#2 ")
    assert not second.get("thread_ts")

    # Exactly once: later passes, a repeated event and an hour find nothing left.
    assert invite_back(bot).status == 200
    bot.advance(timedelta(hours=1))
    assert len(bot.fake.messages(CHANNEL)) == 3
    assert waiting(bot) == []
    # While out, each try was one call for the whole channel (its oldest post), not one per
    # post: at most one per backoff step.
    assert posts_while_out <= 8
    # The log said it once when it began, and once when it ended.
    errors = [line for line in lines(status_log, logging.ERROR) if "CMARKETING" in line]
    assert len(errors) == 1, errors
    assert "not_in_channel" in errors[0]
    assert "/invite @mwgbot" in errors[0]
    assert "the card of #1" in errors[0]
    back = [line for line in lines(status_log, logging.INFO) if "takes posts again" in line]
    assert len(back) == 1, back
    assert "the bot was added to it" in back[0]
    assert [line for line in lines(status_log, logging.WARNING) if "CMARKETING" in line] == []


def test_a_refused_post_of_another_action_is_told_to_its_member_once(bot: RunningBot) -> None:
    bot.answer("propose Press kit --close 4d")
    bot.answer("propose Webinar --close 4d")
    bot.settle()
    bot.fake.kick_bot(CHANNEL)

    assert "withdrawn" in bot.answer("withdraw 1")  # an outcome, in the card's thread
    bot.settle()
    told = dm_texts(bot, "UALICE")
    assert len(told) == 1
    assert "What you did on #1 is saved, but I could not post it in <#CMARKETING>" in told[0]
    assert "type `/invite @mwgbot` there" in told[0]

    # Her next refused post, the retries, and time: no more direct messages this outage.
    bot.answer("withdraw 2")
    for _ in range(5):
        bot.advance(timedelta(minutes=3))
    assert len(dm_texts(bot, "UALICE")) == 1

    # A form's post is told to the member who sent the form.
    values = {"title": {"value": {"type": "plain_text_input", "value": "Video series"}}}
    assert bot.send(sr.view_submission(VIEW_PROPOSE, values, user_id="UBOB")).status == 200
    bot.settle()
    bob = dm_texts(bot, "UBOB")
    assert len(bob) == 1
    assert "What you did on #3 is saved" in bob[0]

    # Back in, everything is posted; a new outage tells her again, once.
    assert invite_back(bot).status == 200
    bot.answer("propose Case study --close 4d")
    bot.settle()
    assert len(cards(bot.fake)) == 4
    assert waiting(bot) == []
    bot.fake.archive(CHANNEL)
    bot.answer("withdraw 4")
    bot.answer("propose Newsletter --close 4d")  # told in the answer: no more DMs
    bot.settle()
    again = dm_texts(bot, "UALICE")
    assert len(again) == 2
    assert "<#CMARKETING> is archived" in again[1]


def test_the_sweeps_refused_posts_are_logged_once_and_told_to_no_one(
    bot: RunningBot, status_log: pytest.LogCaptureFixture
) -> None:
    bot.answer("propose Press kit --close 72h")
    bot.settle()
    bot.fake.kick_bot(CHANNEL)
    status_log.clear()
    bot.advance(timedelta(hours=72, minutes=1))  # the close: an outcome, queued by the sweep
    for _ in range(5):
        bot.advance(timedelta(minutes=5))
    assert "adopted" not in " ".join(channel_texts(bot.fake))
    assert bot.fake.dm_channel("UALICE") is None  # nobody caused it: nobody is told
    errors = lines(status_log, logging.ERROR)
    assert len(errors) == 1, errors
    assert "CMARKETING" in errors[0]
    assert "/invite @mwgbot" in errors[0]
    retries = [line for line in lines(status_log, logging.DEBUG) if "still" in line]
    assert retries  # the later tries are there at DEBUG

    # Invited back without the event reaching the bot (it was down, say): the next try posts
    # it, and that ends the outage in the log.
    bot.fake.invite_bot(CHANNEL)
    bot.advance(timedelta(minutes=20))
    assert any("adopted" in text for text in channel_texts(bot.fake))
    back = [line for line in lines(status_log, logging.INFO) if "takes posts again" in line]
    assert len(back) == 1, back
    assert "posted" in back[0]
    assert "adopted" in card_as_text(bot.fake.messages(CHANNEL)[0])  # the card caught up too


def test_a_member_joining_still_gets_the_welcome(bot: RunningBot) -> None:
    bot.fake.kick_bot(CHANNEL)
    invite_back(bot)  # the bot's own join: no welcome for the bot
    event = sr.member_joined("UCAROL", channel_id=CHANNEL)
    assert bot.send(sr.event_callback(event, event_id="EvCarolJoins")).status == 200
    bot.settle()
    assert len(dm_texts(bot, "UCAROL")) == 1
    assert bot.fake.dm_channel(BOT) is None


# --- the token ------------------------------------------------------------------------------


class Monotonic:
    """The status's clock for probes: moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_revoked_token_is_one_error_line_a_503_and_no_hot_loop(
    bot: RunningBot, status_log: pytest.LogCaptureFixture
) -> None:
    status = bot.runtime.slack_status
    monotonic = Monotonic()
    status.monotonic = monotonic
    bot.answer("propose Press kit --close 4d")
    bot.settle()
    bot.fake.revoke_token(TOKEN)

    reply = bot.answer("propose Webinar --close 4d", user="UBOB")
    assert "Slack refuses the bot's token" in reply
    assert "will appear there shortly" not in reply
    assert status.token_refusal == "token_revoked"
    health = sr.get(bot.url, "/healthz")
    assert health.status == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] is True
    assert "token_revoked" in health.json()["slack"]

    # No hot loop: passes every second and reconciler ticks do not call Slack until the next
    # probe is due; each probe is one call.
    calls = len(bot.fake.calls)
    for _ in range(20):
        bot.runtime.bot.delivery.run_once()
        bot.runtime.reconciler.run_once()
    assert bot.runtime.scheduler.wait_delivery_idle(timeout=10)
    assert len(bot.fake.calls) == calls
    monotonic.now += 11  # the first probe, 10 s on
    for _ in range(5):
        bot.runtime.bot.delivery.run_once()
        bot.runtime.reconciler.run_once()
    assert len(bot.fake.calls) == calls + 1
    assert status.token_refusal == "token_revoked"
    assert not [c for c in bot.fake.calls[calls:] if not c.failed]

    errors = lines(status_log, logging.ERROR)
    assert len(errors) == 1, errors
    for words in ("SLACK_BOT_TOKEN", "token_revoked", "no longer works", "restart"):
        assert words in errors[0]
    assert sr.get(bot.url, "/healthz").status == 503

    # A working token again: the next probe succeeds, the card goes out, /healthz is 200.
    bot.fake.restore_token(TOKEN)
    monotonic.now += 25  # the second probe waits twice as long
    bot.settle()
    assert [m["text"][:3] for m in cards(bot.fake)] == ["#1 ", "#2 "]
    assert status.token_refusal is None
    health = sr.get(bot.url, "/healthz")
    assert health.status == 200
    assert health.json() == {"status": "ok", "database": True, "slack": "ok", "channel": "ok"}
    back = [line for line in lines(status_log, logging.INFO) if "accepts SLACK_BOT_TOKEN" in line]
    assert len(back) == 1, back


@pytest.mark.parametrize("code", ["invalid_auth", "account_inactive", "token_expired"])
def test_each_refusal_of_the_token_is_named_in_its_one_line(
    bot: RunningBot, status_log: pytest.LogCaptureFixture, code: str
) -> None:
    bot.answer("help")  # the app authorizes itself once (Bolt's auth.test), then remembers
    bot.fake.revoke_token(TOKEN, error=code)
    assert "Slack refuses the bot's token" in bot.answer("propose Press kit --close 4d")
    bot.runtime.bot.delivery.run_once()  # the card stays due: no settle, which would wait on it
    errors = lines(status_log, logging.ERROR)
    assert len(errors) == 1, errors
    assert code in errors[0]
    assert code in sr.get(bot.url, "/healthz").json()["slack"]


def test_healthz_names_a_refusing_channel_and_stays_200(bot: RunningBot) -> None:
    bot.fake.kick_bot(CHANNEL)
    bot.answer("propose Press kit --close 4d")
    health = sr.get(bot.url, "/healthz")
    assert health.status == 200  # members are still answered; the bot catches up when invited
    body = health.json()
    assert body["status"] == "degraded"
    assert body["slack"] == "ok"
    assert "CMARKETING: not_in_channel" in body["channel"]
    assert "/invite @mwgbot" in body["channel"]
    invite_back(bot)
    bot.settle()
    assert sr.get(bot.url, "/healthz").json()["channel"] == "ok"
