"""A newcomer to MWG_CHANNEL gets one direct message, in the app's Messages tab: once, across
leaving and joining again, retried events, restarts and two instances; never a bot; nothing
with MWG_WELCOME=off. Driven by signed `member_joined_channel` events, as Slack sends them."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from mwgbot.db.models import MemberRow
from tests.conftest import START, RunningBot
from tests.integration.meeting_support import Launcher, launcher_fixture  # noqa: F401
from tests.integration.member_support import (
    all_valid,
    count,
    dm_messages,
    dm_texts,
    group_member,
    join_channel,
    member,
    outbox_rows,
)

# The default series meets every other Wednesday at 15:00 UTC; after START (Tuesday
# 2026-12-01 noon) the next meeting is Wednesday 9 December.
NEXT_MEETING = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
FEED = "https://mwg.example.org/calendar.ics"


def test_a_newcomer_gets_one_welcome_that_says_how_the_group_works(bot: RunningBot) -> None:
    answer = join_channel(bot, "UDANA")
    assert answer.status == 200
    assert answer.seconds < 3  # Slack's deadline; the DM itself goes out from the outbox
    bot.settle()
    [welcome] = dm_texts(bot, "UDANA")
    for expected in (
        "Welcome to <#CMARKETING>, <@UDANA>",
        "Marketing Working Group",
        "lazy consensus",
        "at least 3 days",  # the minimum window, MWG_CONSENSUS_MIN
        "silence is assent",
        "moderators (<@UMODERATOR> and <@UMODTWO>)",
        "`/mwg list`",
        "react :raised_hand: on a proposal's card",
        "`/mwg propose &lt;title&gt;`",
        "10–20 h a month",
        "a suggestion, not a requirement",
        f"<!date^{int(NEXT_MEETING.timestamp())}^",  # in each reader's own zone
        "The organizers are <@UORGANIZER>",
    ):
        assert expected in welcome, expected
    assert "meeting feed" not in welcome  # MWG_CALENDAR_URL is not set
    # A person is asked about, then the app's own DM is opened and posted in.
    methods = [c.method for c in bot.fake.calls if c.method not in ("auth.test", "reactions.get")]
    assert methods == ["users.info", "conversations.open", "chat.postMessage"]
    assert bot.fake.calls_to("chat.postMessage")[0].args["channel"].startswith("D")
    row = member(bot, "UDANA")
    assert row is not None
    joined = group_member(bot, "UDANA")
    assert joined is not None
    assert (joined.joined_channel_at, joined.welcomed_at, row.first_seen_at) == (START,) * 3
    assert not row.is_bot
    assert outbox_rows(bot, "dm") == [("welcome:UDANA", "sent", 1)]
    all_valid(bot)


def test_the_welcome_quotes_the_calendar_feed_when_it_is_set(launcher: Launcher) -> None:
    bot = launcher.start(mwg_calendar_url=FEED)
    join_channel(bot, "UDANA")
    bot.settle()
    [welcome] = dm_texts(bot, "UDANA")
    assert f"<{FEED}|the meeting feed>" in welcome
    all_valid(bot)


def test_leaving_and_joining_again_is_not_welcomed_twice(bot: RunningBot) -> None:
    join_channel(bot, "UDANA")
    bot.settle()
    bot.clock.advance(timedelta(days=3))
    join_channel(bot, "UDANA")  # Slack sends a new event, with a new event_id
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1
    row = group_member(bot, "UDANA")
    assert row is not None
    assert row.joined_channel_at == START + timedelta(days=3)  # the latest join counts
    assert row.welcomed_at == START


def test_a_retried_event_is_welcomed_once(bot: RunningBot) -> None:
    join_channel(bot, "UDANA", event_id="Ev0JOINRETRY")
    join_channel(bot, "UDANA", event_id="Ev0JOINRETRY", retry_num=1)
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1


def test_joining_again_after_a_restart_is_not_welcomed_twice(launcher: Launcher) -> None:
    first = launcher.start()
    join_channel(first, "UDANA")
    first.settle()
    launcher.stop(first)
    second = launcher.start()
    join_channel(second, "UDANA")
    second.settle()
    assert len(dm_messages(second, "UDANA")) == 1
    assert outbox_rows(second, "dm") == [("welcome:UDANA", "sent", 1)]


def test_two_instances_given_the_same_join_welcome_once(launcher: Launcher) -> None:
    one, two = launcher.start(), launcher.start()
    for instance in (one, two):
        assert join_channel(instance, "UDANA", event_id="Ev0JOINBOTH").status == 200
    one.settle()
    two.settle()
    assert len(dm_messages(one, "UDANA")) == 1


def test_another_channel_and_the_bot_itself_are_not_welcomed(bot: RunningBot) -> None:
    assert join_channel(bot, "UDANA", channel="CRANDOM").status == 200
    assert join_channel(bot, "UBOTMWG").status == 200  # mwgbot invited to #marketing
    bot.settle()
    assert bot.fake.calls_to("chat.postMessage") == []
    assert count(bot, MemberRow) == 0
    assert outbox_rows(bot, "dm") == []


def test_a_bot_user_is_never_welcomed_and_is_remembered(bot: RunningBot) -> None:
    bot.fake.add_bot("UZAPIER", "Zapier")
    join_channel(bot, "UZAPIER")
    bot.settle()
    assert bot.fake.calls_to("chat.postMessage") == []
    assert bot.fake.calls_to("conversations.open") == []
    assert outbox_rows(bot, "dm") == [("welcome:UZAPIER", "skipped", 1)]
    row = member(bot, "UZAPIER")
    assert row is not None
    assert row.is_bot
    # Known now: joining again asks Slack nothing and records nothing.
    asked = len(bot.fake.calls_to("users.info"))
    join_channel(bot, "UZAPIER")
    bot.clock.advance(timedelta(hours=1))
    bot.settle()
    assert len(bot.fake.calls_to("users.info")) == asked
    assert outbox_rows(bot, "dm") == [("welcome:UZAPIER", "skipped", 1)]


def test_welcome_off_records_the_join_and_sends_nothing(launcher: Launcher) -> None:
    bot = launcher.start(mwg_welcome=False)
    join_channel(bot, "UDANA")
    bot.settle()
    assert bot.fake.calls_to("chat.postMessage") == []
    assert outbox_rows(bot, "dm") == []
    row = group_member(bot, "UDANA")
    assert row is not None
    assert row.joined_channel_at == START  # the digest still names them
    assert row.welcomed_at is None


# --- the DM in the outbox: retried until Slack has it, never doubled -------------------------


def test_a_failing_dm_stays_queued_and_is_sent_once_later(bot: RunningBot) -> None:
    # Three 500s: the first try and the client's two retries all fail.
    bot.fake.fail_next("chat.postMessage", status=500, times=3)
    join_channel(bot, "UDANA")
    bot.fake.wait_until(lambda: outbox_rows(bot, "dm") == [("welcome:UDANA", "pending", 1)], 10)
    assert dm_messages(bot, "UDANA") == []
    bot.clock.advance(timedelta(minutes=1))  # past the backoff
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1
    bot.clock.advance(timedelta(hours=1))
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1


def test_a_dm_whose_sending_timed_out_is_looked_up_not_sent_again(bot: RunningBot) -> None:
    bot.runtime.client.timeout = 1
    # Slack takes the message but answers too late: the bot cannot know it landed.
    bot.fake.fail_next("chat.postMessage", delay=2.0)
    join_channel(bot, "UDANA")
    bot.fake.wait_until(lambda: len(dm_messages(bot, "UDANA")) == 1, timeout=10)
    time.sleep(1.5)  # the client has given up by now
    bot.clock.advance(timedelta(minutes=1))
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1
    assert outbox_rows(bot, "dm") == [("welcome:UDANA", "sent", 2)]
    looked = bot.fake.calls_to("conversations.history")
    assert [c.args["channel"] for c in looked] == [bot.fake.dm_channel("UDANA")]


def test_a_slack_outage_while_asking_who_joined_is_retried(bot: RunningBot) -> None:
    bot.fake.fail_next("users.info", status=503, times=3)
    join_channel(bot, "UDANA")
    bot.fake.wait_until(lambda: outbox_rows(bot, "dm") == [("welcome:UDANA", "pending", 1)], 10)
    bot.clock.advance(timedelta(minutes=1))
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1


def test_a_disabled_messages_tab_keeps_the_welcome_until_an_operator_fixes_it(
    bot: RunningBot,
) -> None:
    bot.fake.fail_next("chat.postMessage", error="messages_tab_disabled", times=2)
    join_channel(bot, "UDANA")
    bot.fake.wait_until(lambda: outbox_rows(bot, "dm") == [("welcome:UDANA", "pending", 1)], 10)
    bot.clock.advance(timedelta(minutes=1))
    bot.settle()
    assert outbox_rows(bot, "dm") == [("welcome:UDANA", "pending", 2)]
    bot.clock.advance(timedelta(minutes=5))  # the tab is switched on meanwhile
    bot.settle()
    assert len(dm_messages(bot, "UDANA")) == 1


def test_an_unknown_user_is_given_up_on_not_retried_forever(bot: RunningBot) -> None:
    bot.fake.fail_next("users.info", error="user_not_found")
    join_channel(bot, "UDANA")
    bot.fake.wait_until(lambda: outbox_rows(bot, "dm") == [("welcome:UDANA", "dead", 1)], 10)
    bot.clock.advance(timedelta(hours=1))
    bot.settle()
    assert bot.fake.calls_to("chat.postMessage") == []
    assert len(bot.fake.calls_to("users.info")) == 1


def test_the_welcome_names_no_one_by_user_text(bot: RunningBot) -> None:
    """The welcome is built from IDs and settings only; a user ID in the event that is not
    one renders as text, never as a mention."""
    join_channel(bot, "UDANA")
    bot.settle()
    [welcome] = dm_texts(bot, "UDANA")
    assert not re.search(r"<!(channel|here|everyone)>", welcome)
