"""Meetings end to end, through signed requests to the served app: `/mwg next`, organizers
skipping and restoring meetings, and reminders that are posted exactly once per meeting and lead
time, across sweeps, restarts and instances."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from mwgbot.db.models import MeetingSkipRow, OutboxRow
from mwgbot.domain.clock import ManualClock
from mwgbot.domain.meetings import DEFAULT_EVERY, DEFAULT_FIRST
from tests.conftest import CHANNEL, START, RunningBot
from tests.integration.meeting_support import (
    Launcher,
    advance,
    drain,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
    reminders,
    tokens,
    top_level,
)

ORGANIZER = "UORGANIZER"
NEW_YORK = ZoneInfo("America/New_York")
# With the defaults, the meetings around START (Tue 2026-12-01) are Wednesdays at 15:00 UTC:
NOV_25 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DEC_9 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
DEC_23 = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
# A meeting ten seconds after START, reminded five seconds before.
SOON = {"mwg_meeting_first": "2026-12-01T12:00:10Z", "mwg_meeting_reminders": "5s"}


def skips(bot: RunningBot) -> int:
    with bot.runtime.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(MeetingSkipRow)) or 0)


def next_meeting(bot: RunningBot) -> datetime:
    answer = bot.answer("next")
    return tokens(answer)[0][0]


# --- /mwg next ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(START, id="december"),
        pytest.param(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), id="before-us-dst-start"),
        pytest.param(datetime(2026, 3, 9, 12, 0, tzinfo=UTC), id="after-us-dst-start"),
        pytest.param(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), id="before-eu-dst-start"),
        pytest.param(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), id="before-eu-dst-end"),
        pytest.param(datetime(2026, 10, 31, 12, 0, tzinfo=UTC), id="before-us-dst-end"),
        pytest.param(datetime(2026, 11, 2, 12, 0, tzinfo=UTC), id="after-us-dst-end"),
        pytest.param(datetime(2027, 1, 6, 15, 0, tzinfo=UTC), id="exactly-at-a-meeting"),
    ],
)
def test_next_is_a_wednesday_at_1500_utc_on_the_cadence_within_14_days(
    bot: RunningBot, now: datetime
) -> None:
    bot.clock.set(now)
    answer = bot.answer("next")
    found = tokens(answer)
    assert len(found) >= 2, answer
    (first, fallback), (second, _) = found[0], found[1]
    assert first.weekday() == 2
    assert (first.hour, first.minute, first.second) == (15, 0, 0)
    assert (first - DEFAULT_FIRST) % DEFAULT_EVERY == timedelta(0)
    assert now < first <= now + timedelta(days=14)
    assert fallback == first.strftime("%a %Y-%m-%d 15:00 UTC")
    assert second - first == timedelta(days=14)
    # 10 AM in New York in winter, 11 AM during daylight saving, as the group's page says.
    local = first.astimezone(NEW_YORK)
    assert local.hour == (11 if local.dst() else 10)


def test_next_shows_the_agenda_as_it_stands(bot: RunningBot) -> None:
    bot.answer("propose Escalate me --close 3d")
    bot.answer("propose Adopt me --close 3d")
    bot.answer("propose Long <!channel> runner --close 30d")
    bot.answer("object 1 Not before the conference", user="UBOB")
    advance(bot, timedelta(days=3, minutes=1))  # now Fri 2026-12-04: #1 escalated, #2 adopted
    answer = bot.answer("next")
    assert tokens(answer)[0][0] == DEC_9
    assert tokens(answer)[1][0] == DEC_23
    escalated, rest = answer.split("*Escalated, waiting for a decision*", 1)[1].split(
        "*Adopted or declined since the last meeting*", 1
    )
    assert "#1 *Escalate me*: 1 objection" in escalated
    assert "<@UBOB>: “Not before the conference”" in escalated
    outcomes, partners = rest.split("*Adopted, still seeking partners", 1)
    assert "#2 *Adopt me* · *adopted* by lazy consensus" in outcomes
    assert "#2 *Adopt me*" in partners
    assert "`/mwg join 2`" in partners
    # #3 closes after the following meeting (Dec 23): counted, not listed; its title is inert.
    assert "1 more open proposal closes after the following meeting" in answer
    assert "<!channel>" not in answer


def test_next_with_nothing_going_on_says_so(bot: RunningBot) -> None:
    answer = bot.answer("next")
    assert "Nothing from proposals on the agenda yet" in answer


def test_open_proposals_closing_before_the_following_meeting_are_on_the_agenda(
    bot: RunningBot,
) -> None:
    bot.answer("propose Case-study series")  # default 7d: closes Tue Dec 8, before Dec 23
    answer = bot.answer("next")
    section = answer.split("*Open, closing before the following meeting*", 1)[1]
    assert "#1 *Case-study series* · closes <!date^" in section


# --- skip and unskip ---------------------------------------------------------------------------


def test_an_organizer_skips_a_meeting_and_next_passes_over_it(bot: RunningBot) -> None:
    reply = bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    assert "is skipped" in reply
    drain(bot)
    notices = [t for t in top_level(bot.fake) if "*skipped*" in t]
    assert len(notices) == 1
    assert f"<@{ORGANIZER}>" in notices[0]
    assert tokens(notices[0])[0][0] == DEC_9
    assert tokens(notices[0])[1][0] == DEC_23  # the next meeting now
    answer = bot.answer("next")
    assert tokens(answer)[0][0] == DEC_23
    assert "is skipped" in answer
    assert tokens(answer)[2][0] == DEC_9
    assert skips(bot) == 1


def test_skipping_twice_and_restoring(bot: RunningBot) -> None:
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    assert "already skipped" in bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    reply = bot.answer("meeting unskip 2026-12-09", user=ORGANIZER)
    assert "back on" in reply
    assert "not skipped" in bot.answer("meeting unskip 2026-12-09", user=ORGANIZER)
    drain(bot)
    notices = [t for t in top_level(bot.fake) if "*skipped*" in t or "*back on*" in t]
    assert len(notices) == 2
    assert "*back on*" in notices[1]
    assert next_meeting(bot) == DEC_9
    assert skips(bot) == 0


@pytest.mark.parametrize("verb", ["skip", "unskip"])
def test_anyone_but_an_organizer_is_refused_and_nothing_changes(bot: RunningBot, verb: str) -> None:
    if verb == "unskip":
        bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    drain(bot)
    before_posts = len(top_level(bot.fake))
    before_skips = skips(bot)
    for user in ("UALICE", "UMODERATOR"):  # a moderator is not an organizer either
        reply = bot.answer(f"meeting {verb} 2026-12-09", user=user)
        assert f"Only an organizer of the working group can {verb} a meeting" in reply
        assert "nothing changed" in reply
    drain(bot)
    assert skips(bot) == before_skips
    assert len(top_level(bot.fake)) == before_posts
    assert next_meeting(bot) == (DEC_23 if verb == "unskip" else DEC_9)


def test_a_date_without_a_meeting_names_the_nearest_meetings(bot: RunningBot) -> None:
    reply = bot.answer("meeting skip 2026-12-02", user=ORGANIZER)
    assert "There is no meeting on 2026-12-02 (Wednesday)" in reply
    assert "Wednesday 2026-11-25 15:00 UTC and Wednesday 2026-12-09 15:00 UTC" in reply
    assert skips(bot) == 0


def test_a_meeting_that_has_begun_cannot_be_skipped(bot: RunningBot) -> None:
    bot.clock.set(DEC_9 + timedelta(minutes=30))
    reply = bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    assert "already begun" in reply
    assert skips(bot) == 0


def test_a_past_meeting_day_cannot_be_skipped(bot: RunningBot) -> None:
    reply = bot.answer("meeting skip 2026-11-25", user=ORGANIZER)
    assert reply == (
        "2026-11-25 is in the past: only an upcoming meeting can be skipped. Nothing changed."
    )
    assert skips(bot) == 0


def test_a_malformed_date_gets_a_usage_hint(bot: RunningBot) -> None:
    assert "YYYY-MM-DD" in bot.answer("meeting skip next-week", user=ORGANIZER)


# --- reminders ---------------------------------------------------------------------------------


def test_one_reminder_at_the_right_moment_naming_the_open_proposals_and_not_after_a_restart(
    launcher: Launcher,
) -> None:
    bot = launcher.start(**SOON)
    bot.answer("propose Case-study series")
    bot.answer("propose Conference <booth> plan --close 4d", user="UBOB")
    advance(bot, timedelta(seconds=4))  # due at +5s: not yet
    assert reminders(bot.fake) == []
    advance(bot, timedelta(seconds=2))
    sent = reminders(bot.fake)
    assert len(sent) == 1
    assert tokens(sent[0])[0][0] == START + timedelta(seconds=10)
    assert "starts in 4 seconds" in sent[0]
    assert "#1 *Case-study series*" in sent[0]
    assert "#2 *Conference &lt;booth&gt; plan*" in sent[0]
    advance(bot, timedelta(seconds=1))
    bot.sweep()
    assert len(reminders(bot.fake)) == 1

    launcher.stop(bot)
    again = launcher.start(clock=bot.clock, **SOON)
    again.sweep()
    drain(again)
    assert len(reminders(again.fake)) == 1
    with again.runtime.db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.like("reminder:%"))
        ).all()
    assert rows == ["reminder:2026-12-01T12:00:10Z/5s"]


def test_a_reminder_due_while_down_is_posted_at_start_if_the_meeting_is_ahead(
    launcher: Launcher,
) -> None:
    bot = launcher.start(**SOON)
    bot.answer("propose Case-study series")
    launcher.stop(bot)
    bot.clock.advance(timedelta(seconds=7))  # the reminder fell due at +5s, the meeting is at +10s
    again = launcher.start(clock=bot.clock, **SOON)
    # No manual sweep: the scheduler's first sweep at start catches up.
    again.fake.wait_until(lambda: len(reminders(again.fake)) == 1, timeout=10)
    assert "#1 *Case-study series*" in reminders(again.fake)[0]
    assert "starts in 3 seconds" in reminders(again.fake)[0]


def test_a_reminder_due_while_down_is_dropped_if_the_meeting_has_begun(
    launcher: Launcher,
) -> None:
    bot = launcher.start(**SOON)
    launcher.stop(bot)
    bot.clock.advance(timedelta(seconds=11))  # the meeting began at +10s
    again = launcher.start(clock=bot.clock, **SOON)
    again.sweep()
    drain(again)
    assert reminders(again.fake) == []
    # The next meeting is 14 days later: 6 s before it, no reminder yet; 5 s before, one.
    advance(again, timedelta(days=14) - timedelta(seconds=7))
    assert reminders(again.fake) == []
    advance(again, timedelta(seconds=1))
    sent = reminders(again.fake)
    assert len(sent) == 1
    assert "starts in 5 seconds" in sent[0]


def test_after_missing_an_earlier_lead_only_the_latest_reminder_is_posted(
    launcher: Launcher,
) -> None:
    settings = {"mwg_meeting_first": "2026-12-01T12:00:30Z", "mwg_meeting_reminders": "20s,5s"}
    bot = launcher.start(**settings)
    launcher.stop(bot)
    bot.clock.advance(timedelta(seconds=26))  # both fell due while down: +10s and +25s
    again = launcher.start(clock=bot.clock, **settings)
    again.sweep()
    drain(again)
    sent = reminders(again.fake)
    assert len(sent) == 1
    assert "starts in 4 seconds" in sent[0]
    advance(again, timedelta(seconds=1))
    assert len(reminders(again.fake)) == 1


def test_each_lead_time_gets_its_own_reminder(launcher: Launcher) -> None:
    bot = launcher.start(mwg_meeting_first="2026-12-01T12:00:30Z", mwg_meeting_reminders="20s,5s")
    advance(bot, timedelta(seconds=10))
    assert len(reminders(bot.fake)) == 1
    advance(bot, timedelta(seconds=15))
    sent = reminders(bot.fake)
    assert len(sent) == 2
    assert "starts in 20 seconds" in sent[0]
    assert "starts in 5 seconds" in sent[1]


def test_two_instances_on_one_database_post_a_reminder_once(launcher: Launcher) -> None:
    clock = ManualClock(START)
    first = launcher.start(clock=clock, **SOON)
    second = launcher.start(clock=clock, **SOON)
    clock.advance(timedelta(seconds=6))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda b: b.sweep(), [first, second, first, second]))
    drain(first)
    drain(second)
    assert len(reminders(first.fake)) == 1


def test_a_skipped_meeting_gets_no_reminder(launcher: Launcher) -> None:
    bot = launcher.start(**SOON)
    bot.answer("meeting skip 2026-12-01", user=ORGANIZER)
    advance(bot, timedelta(seconds=6))
    assert reminders(bot.fake) == []
    assert "*skipped*" in top_level(bot.fake)[0]


def test_reminders_and_notices_go_to_the_channel(launcher: Launcher) -> None:
    bot = launcher.start(**SOON)
    advance(bot, timedelta(seconds=6))
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if "starts in" in c.args["text"]]
    assert [c.args["channel"] for c in posts] == [CHANNEL]
