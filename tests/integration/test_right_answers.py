"""Right answers to what members type, through signed requests as Slack sends them: dates out
of range, a day's 24 hours, mistyped options (nothing posted), answers whose own `<` and `>`
read as written, and `/mwg log` examples that quote a real initiative of the member's."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mwgbot.db.models import MeetingSkipRow, ProposalRow, TimeEntryRow
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.conftest import RunningBot
from tests.integration.member_support import (
    dm_texts,
    entries,
    home_text,
    join_channel,
    open_home,
)

ORGANIZER = "UORGANIZER"
FULL_DAY = (
    "You have already logged 24h for 2026-12-01 (entry 1): a day holds 24 hours. "
    "Nothing was logged."
)


def posts(bot: RunningBot) -> list[str]:
    bot.settle()
    return [str(c.args.get("text", "")) for c in bot.sent() if c.method == "chat.postMessage"]


def home(bot: RunningBot, user: str) -> str:
    open_home(bot, user)
    return home_text(bot, user)


def proposals(bot: RunningBot) -> int:
    with bot.runtime.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(ProposalRow)) or 0)


# --- dates in range ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["skip", "unskip"])
def test_a_meeting_day_years_ahead_or_in_the_past_gets_a_clear_answer(
    bot: RunningBot, verb: str
) -> None:
    done = "skipped" if verb == "skip" else "restored"
    assert bot.answer(f"meeting {verb} 9999-12-31", user=ORGANIZER) == (
        f"9999-12-31 is more than two years ahead: meetings can be {done} up to 2028-12-01. "
        "Nothing changed."
    )
    assert bot.answer(f"meeting {verb} 0001-01-01", user=ORGANIZER) == (
        f"0001-01-01 is in the past: only an upcoming meeting can be {done}. Nothing changed."
    )
    assert "is in the past" in bot.answer(f"meeting {verb} 2026-11-25", user=ORGANIZER)
    with bot.runtime.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(MeetingSkipRow)) == 0
    assert posts(bot) == []


def test_a_meeting_up_to_two_years_ahead_can_be_skipped(bot: RunningBot) -> None:
    # Meetings of the series on either side of Fri 2028-12-01, two years from START.
    assert "is skipped" in bot.answer("meeting skip 2028-11-22", user=ORGANIZER)
    assert "more than two years ahead" in bot.answer("meeting skip 2028-12-06", user=ORGANIZER)


@pytest.mark.parametrize("command", ["hours 9999-12", "hours team 9999-12"])
def test_a_month_still_to_come_is_answered_in_words(bot: RunningBot, command: str) -> None:
    assert bot.answer(command, user=ORGANIZER) == (
        "December 9999 is still to come, so no time is logged in it yet: ask for 2026-12 or "
        "an earlier month."
    )


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("hours 0001-01", "You logged no time in January 0001."),
        ("hours team 0001-01", "No one logged time in January 0001."),
    ],
)
def test_a_month_long_ago_is_answered(bot: RunningBot, command: str, answer: str) -> None:
    assert bot.answer(command, user=ORGANIZER).startswith(answer)


@pytest.mark.parametrize(
    ("day", "answer"),
    [
        ("9999-12-31", "9999-12-31 is in the future"),
        ("0001-01-01", "0001-01-01 is more than 62 days ago"),
    ],
)
def test_a_log_day_out_of_range_is_refused(bot: RunningBot, day: str, answer: str) -> None:
    assert bot.answer(f"log 1h drafted --date {day}").startswith(answer)
    assert entries(bot) == 0


# --- a day holds 24 hours ------------------------------------------------------------------------


def test_a_day_holds_24_hours_and_the_refusal_says_what_is_logged(bot: RunningBot) -> None:
    first = bot.answer("log 24h day one")
    assert first.startswith("Logged 24h for 2026-12-01: day one (entry 1).")
    assert bot.answer("log 24h day one") == FULL_DAY
    assert bot.answer("log 24h day one") == FULL_DAY
    assert bot.answer("log 15m a little more") == FULL_DAY
    assert "Your time in December 2026:* 24h in 1 entry" in bot.answer("hours")
    # Another day, and another member, are their own.
    assert "entry 2" in bot.answer("log 24h day two --date 2026-11-30")
    assert "entry 3" in bot.answer("log 24h day one", user="UBOB")
    assert entries(bot) == 3


def test_the_refusal_names_the_room_left(bot: RunningBot) -> None:
    bot.answer("log 10h workshop")
    bot.answer("log 10h more workshop")
    assert bot.answer("log 5h even more") == (
        "You have already logged 20h for 2026-12-01 (entries 1, 2): a day holds 24 hours, "
        "so at most 4h more fits. Nothing was logged."
    )
    assert "entry 3" in bot.answer("log 4h the rest")
    assert entries(bot) == 3


def test_two_entries_at_once_cannot_pass_24_hours(bot: RunningBot) -> None:
    """Two instances logging for one member at once: the member's row is locked first (on
    PostgreSQL; SQLite's writers take turns), so the second reads the first's entry."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda n: bot.answer(f"log 13h part {n}"), range(4)))
    assert sum(a.startswith("Logged 13h") for a in answers) == 1, answers
    assert sum("a day holds 24 hours" in a for a in answers) == 3, answers
    with bot.runtime.db.unit_of_work() as session:
        assert session.scalar(select(func.sum(TimeEntryRow.minutes))) == 13 * 60


def log_values(duration: str, day: str | None) -> dict[str, Any]:
    return {
        ids.BLOCK_DURATION: {ids.INPUT: {"type": "plain_text_input", "value": duration}},
        ids.BLOCK_WHAT: {ids.INPUT: {"type": "plain_text_input", "value": "work"}},
        ids.BLOCK_DAY: {ids.INPUT: {"type": "datepicker", "selected_date": day}},
    }


def submit_log(bot: RunningBot, duration: str, day: str | None) -> dict[str, Any]:
    state = log_values(duration, day)
    answer = bot.send(sr.view_submission(ids.VIEW_LOG_TIME, state, user_id="UALICE"))
    assert answer.status == 200
    return answer.json() if answer.body else {}


def test_the_log_time_form_keeps_the_day_to_24_hours_on_its_duration(bot: RunningBot) -> None:
    assert submit_log(bot, "20h", "2026-12-01") == {}
    body = submit_log(bot, "5h", "2026-12-01")
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        ids.BLOCK_DURATION: "You have already logged 20h for 2026-12-01 (entry 1): a day holds "
        "24 hours, so at most 4h more fits. Nothing was logged."
    }
    assert entries(bot) == 1


@pytest.mark.parametrize(
    ("day", "error"),
    [
        ("9999-12-31", "is in the future"),
        ("0001-01-01", "more than 62 days ago"),
        ("2026-13-01", "not a date on the calendar"),
    ],
)
def test_the_log_time_forms_date_picker_is_range_checked(
    bot: RunningBot, day: str, error: str
) -> None:
    body = submit_log(bot, "1h", day)
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ids.BLOCK_DAY]
    assert error in body["errors"][ids.BLOCK_DAY]
    assert entries(bot) == 0


# --- options: a typo is refused, never posted ----------------------------------------------------


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "propose Booth --closes 4d",
            "`--closes` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth —closes 4d",
            "`--closes` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth --priority high",
            "`--priority` is not an option of `/mwg propose`. It knows --close, --stage. "
            "A title word cannot start with `--`: leave out the dashes, or type `/mwg propose` "
            "alone for a form.",
        ),
        (
            "log 1h drafted --dat 2026-12-01",
            "`--dat` is not an option of `/mwg log`: did you mean `--date`? It knows --date.",
        ),
    ],
)
def test_an_unknown_option_is_refused_and_nothing_is_posted(
    bot: RunningBot, command: str, answer: str
) -> None:
    assert bot.answer(command) == answer
    assert posts(bot) == []
    assert proposals(bot) == 0
    assert entries(bot) == 0


def proposal(bot: RunningBot, number: int) -> ProposalRow:
    with bot.runtime.db.unit_of_work() as session:
        found = session.get(ProposalRow, ("mwg", number))
        assert found is not None
        session.expunge(found)
        return found


@pytest.mark.parametrize(
    "command",
    [
        "propose Booth --close=4d",
        "propose Booth —close 4d",
        "propose Booth --Close 4d",
        "propose --close 4d Booth",
    ],
)
def test_the_options_members_really_type_set_the_window(bot: RunningBot, command: str) -> None:
    assert "Proposed #1" in bot.answer(command)
    made = proposal(bot, 1)
    assert made.title == "Booth"
    assert made.closes_at - made.created_at == timedelta(days=4)
    assert "close" not in bot.card_text(1).split("\n", 1)[0]


def test_stages_with_a_space_after_the_comma_are_two_stages(bot: RunningBot) -> None:
    assert "Proposed #1" in bot.answer("propose Webinar --stage awareness, interest")
    made = proposal(bot, 1)
    assert made.title == "Webinar"
    assert made.stages == "awareness,interest"
    assert "interest" not in bot.card_text(1).split("\n", 1)[0]


def test_a_title_with_dashes_and_hyphens_is_kept_as_typed(bot: RunningBot) -> None:
    assert "Proposed #1" in bot.answer("propose Booth - Berlin — co-branded --close 4d")
    assert proposal(bot, 1).title == "Booth - Berlin — co-branded"


# --- answers read as written ---------------------------------------------------------------------


def test_the_done_answers_own_angle_brackets_read_as_written(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    bot.advance(timedelta(days=4, minutes=1))
    answer = bot.answer("done 1 https://example.org/a_b*c*_d|e>f")
    assert answer == (
        "That link has characters a web address cannot contain (spaces, &lt;, &gt;, |, "
        "quotes); paste the address itself, starting with https://. Nothing changed."
    )


# --- examples quote a real initiative, or none ---------------------------------------------------


def test_examples_of_log_quote_none_when_the_member_has_no_initiative(bot: RunningBot) -> None:
    join_channel(bot, "UCAROL")
    bot.settle()
    [welcome] = dm_texts(bot, "UCAROL")
    assert "`/mwg log 2h what you did` keeps track of yours" in welcome
    assert "`/mwg log 2h what you did` adds an entry" in bot.answer("hours", user="UCAROL")
    assert "*Log time* or `/mwg log 2h what you did`." in home(bot, "UCAROL")
    assert "#4" not in welcome + home_text(bot, "UCAROL")


def test_examples_of_log_quote_the_members_newest_live_initiative(bot: RunningBot) -> None:
    bot.answer("propose Case-study series", user="UBOB")  # #1
    bot.answer("propose Booth", user="UALICE")  # #2
    bot.answer("propose Webinar", user="UALICE")  # #3
    bot.answer("join 2", user="UCAROL")
    bot.answer("join 1", user="UCAROL")
    bot.answer("withdraw 3", user="UALICE")
    join_channel(bot, "UCAROL")
    bot.settle()
    [welcome] = dm_texts(bot, "UCAROL")
    assert "`/mwg log 2h #2 what you did` keeps track of yours" in welcome
    assert "`/mwg log 2h #2 what you did` adds an entry" in bot.answer("hours", user="UCAROL")
    assert "`/mwg log 2h #2 what you did`" in home(bot, "UALICE")  # #3 is withdrawn
    assert "`/mwg log 2h #1 what you did`" in home(bot, "UBOB")
