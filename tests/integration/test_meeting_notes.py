"""Notes after the meeting, end to end through signed requests: the ask at the meeting's end,
posted once in the thread of its last reminder across a restart; `/mwg notes` in the thread,
in `/mwg meetings`, in the next digest and in the calendar feed; who may add them; the
ledger; and `mwgbot export meetings` in its three formats."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from mwgbot.db.models import OutboxRow
from mwgbot.domain.clock import ManualClock
from mwgbot.services.agenda import notes_ask_key
from tests.conftest import CHANNEL, RunningBot
from tests.integration.meeting_support import (
    Launcher,
    advance,
    digests,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
    mwgbot_command,
)
from tests.ledger_support import Ledger

ORGANIZER = "UORGANIZER"
# START is Tuesday 2026-12-01 12:00 UTC; the group meets on Wednesdays at 15:00 UTC.
DEC_9 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
DEC_23 = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
NOTES = "https://docs.example.org/mwg/2026-12-09"
RECORDING = "https://video.example.org/rec/42"
ASK = "Please share its notes"


def to(bot: RunningBot, when: datetime) -> None:
    advance(bot, when - bot.clock.now())


def through_the_meeting(bot: RunningBot) -> None:
    """Both reminders of the 9 December meeting, then the meeting and its end."""
    to(bot, DEC_9 - timedelta(hours=24))
    to(bot, DEC_9 - timedelta(minutes=15))
    to(bot, DEC_9 + timedelta(minutes=30))


def last_reminder_ts(bot: RunningBot) -> str:
    posted = [
        m
        for m in bot.fake.messages(CHANNEL)
        if not m.get("thread_ts") and "starts in" in str(m.get("text", ""))
    ]
    assert len(posted) == 2
    return str(posted[-1]["ts"])


def in_thread(bot: RunningBot, ts: str) -> list[str]:
    return [str(m.get("text", "")) for m in bot.fake.messages(CHANNEL) if m.get("thread_ts") == ts]


def asks(bot: RunningBot) -> list[dict[str, Any]]:
    return [m for m in bot.fake.messages(CHANNEL) if ASK in str(m.get("text", ""))]


def full_answer(bot: RunningBot, text: str, user: str = "UALICE") -> str:
    body = bot.command(text, user=user).json()
    blocks = body.get("blocks") or []
    return "\n".join([str(body["text"]), *(str(b["text"]["text"]) for b in blocks)])


def test_the_end_of_meeting_ask_is_posted_once_across_a_restart(launcher: Launcher) -> None:
    bot = launcher.start()
    through_the_meeting(bot)
    assert asks(bot) == []  # the meeting is still on
    to(bot, DEC_9 + timedelta(hours=1))
    [ask] = asks(bot)
    assert ask["thread_ts"] == last_reminder_ts(bot)
    assert f"<@{ORGANIZER}>" in ask["text"]
    assert "recording" in ask["text"]
    to(bot, DEC_9 + timedelta(hours=1, minutes=5))
    launcher.stop(bot)

    again = launcher.start(clock=ManualClock(DEC_9 + timedelta(hours=1, minutes=10)))
    again.sweep()
    again.settle()
    advance(again, timedelta(hours=2))
    assert len(asks(again)) == 1


def test_a_skipped_meeting_gets_no_ask_and_one_without_reminders_gets_it_in_the_channel(
    launcher: Launcher,
) -> None:
    bot = launcher.start(mwg_meeting_reminders="", mwg_meeting_length="90m")
    assert "is skipped" in bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    to(bot, DEC_9 + timedelta(hours=2))
    assert asks(bot) == []
    to(bot, DEC_23 + timedelta(hours=1))
    assert asks(bot) == []  # 90 minutes long: not over yet
    to(bot, DEC_23 + timedelta(minutes=90))
    [ask] = asks(bot)
    assert not ask.get("thread_ts")
    assert "<!date^" in ask["text"]


def test_notes_show_in_the_thread_in_meetings_in_the_digest_and_the_calendar(
    bot: RunningBot,
) -> None:
    bot.answer("agenda add Website refresh", user="UBOB")
    through_the_meeting(bot)
    ledger = Ledger(bot)
    answer = bot.answer(
        f"notes {NOTES} Decisions on the website and the booth <!channel>", user=ORGANIZER
    )
    assert "attached to the meeting of <!date^" in answer
    assert "posted in its thread" in answer
    assert "skipped" not in answer
    # A member who added a topic to that meeting may add notes too: the recording.
    assert "attached" in bot.answer(f"notes <{RECORDING}>", user="UBOB")
    rows = ledger.new()
    assert [(r.kind, r.actor) for r in rows] == [
        ("notes_added", ORGANIZER),
        ("notes_added", "UBOB"),
    ]
    assert [r.details["link"] for r in rows] == [NOTES, RECORDING]
    assert {r.details["meeting"] for r in rows} == {DEC_9.isoformat()}
    bot.settle()
    thread = in_thread(bot, last_reminder_ts(bot))
    assert any(NOTES in t and "Decisions on the website" in t for t in thread)
    assert any("booth &lt;!channel&gt;" in t for t in thread)
    assert not any("<!channel>" in t for t in thread)
    assert any(RECORDING in t for t in thread)

    meetings = full_answer(bot, "meetings")
    assert NOTES in meetings
    assert RECORDING in meetings
    assert "Website refresh" in meetings
    assert "<@UBOB>" in meetings

    with urllib.request.urlopen(bot.url + "/calendar.ics", timeout=10) as response:
        ics = response.read()
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    noted = [e for e in events if e.get("recurrence-id") is not None]
    assert len(noted) == 1
    assert noted[0].decoded("recurrence-id") == DEC_9
    description = str(noted[0].get("description"))
    assert NOTES in description
    assert RECORDING in description
    assert len({str(e.get("uid")) for e in events}) == 1

    to(bot, datetime(2026, 12, 14, 14, 1, tzinfo=UTC))  # Monday's digest
    [digest] = [d for d in digests(bot.fake) if "Meeting notes" in d]
    assert NOTES in digest
    assert RECORDING in digest
    # The next digest has no notes left to tell.
    to(bot, datetime(2026, 12, 21, 14, 1, tzinfo=UTC))
    assert len([d for d in digests(bot.fake) if "Meeting notes" in d]) == 1


def test_notes_refusals_change_nothing(bot: RunningBot) -> None:
    ledger = Ledger(bot)
    assert "No meeting has taken place yet" not in bot.answer(f"notes {NOTES}", user=ORGANIZER)
    rows = ledger.new()  # the meeting of 25 November has started: it takes the notes
    assert [r.details["meeting"] for r in rows] == [
        datetime(2026, 11, 25, 15, tzinfo=UTC).isoformat()
    ]
    refused = bot.answer(f"notes {NOTES}", user="UCAROL")
    assert "Only organizers, moderators and members who added a topic" in refused
    assert "http" in bot.answer("notes javascript:alert(1)", user=ORGANIZER)
    assert "http" in bot.answer("notes ftp://files.example.org/notes", user="UMODERATOR")
    assert "Usage" in bot.answer("notes")
    assert ledger.new() == []
    assert "attached" in bot.answer(f"notes {RECORDING}", user="UMODERATOR")
    assert [r.kind for r in ledger.new()] == ["notes_added"]


def test_export_meetings_in_three_formats(
    bot: RunningBot, serve_env: dict[str, str], tmp_path: Path
) -> None:
    bot.answer("agenda add Budget <b>2027</b> & more", user="UBOB")
    through_the_meeting(bot)
    bot.answer(f"notes {NOTES} Summary, with a comma", user=ORGANIZER)
    # Carried over: the topic stays on the meeting that discussed it, and goes on to the next.
    assert "carried over" in bot.answer("agenda carry 1", user=ORGANIZER)
    bot.answer("agenda add For the next one")

    result = mwgbot_command("export", "meetings", "--format", "json", cwd=tmp_path, env=serve_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [m["meeting"] for m in data] == ["2026-12-09T15:00:00Z", "2026-12-23T15:00:00Z"]
    first = data[0]
    assert first["group"] == "mwg"
    assert first["topics"] == [
        {
            "number": 1,
            "text": "Budget <b>2027</b> & more",
            "added_by": "UBOB",
            "carried_over": False,
            "carried_to": "2026-12-23T15:00:00Z",
        }
    ]
    assert first["notes"][0]["link"] == NOTES
    assert first["notes"][0]["summary"] == "Summary, with a comma"
    assert data[1]["notes"] == []
    assert [(t["text"], t["carried_over"], t["carried_to"]) for t in data[1]["topics"]] == [
        ("Budget <b>2027</b> & more", True, None),
        ("For the next one", False, None),
    ]

    result = mwgbot_command("export", "meetings", "--format", "csv", cwd=tmp_path, env=serve_env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["meeting"], r["kind"]) for r in rows] == [
        ("2026-12-09T15:00:00Z", "topic"),
        ("2026-12-09T15:00:00Z", "notes"),
        ("2026-12-23T15:00:00Z", "topic"),
        ("2026-12-23T15:00:00Z", "topic"),
    ]
    assert rows[0]["carried_to"] == "2026-12-23T15:00:00Z"
    assert rows[2]["carried_to"] == ""
    assert rows[1]["link"] == NOTES
    assert rows[1]["text"] == "Summary, with a comma"

    out = tmp_path / "meetings.md"
    result = mwgbot_command(
        "export",
        "meetings",
        "--format",
        "markdown",
        "--output",
        str(out),
        cwd=tmp_path,
        env=serve_env,
    )
    assert result.returncode == 0, result.stderr
    markdown = out.read_text(encoding="utf-8")
    assert markdown.startswith("# Meetings\n")
    assert "## 2026-12-09 15:00 UTC" in markdown
    assert "Budget \\<b\\>2027\\</b\\> &amp; more" in markdown
    assert "(carried over to 2026-12-23 15:00 UTC)" in markdown
    assert f"<{NOTES}>" in markdown

    # The decisions export is unchanged by all this.
    result = mwgbot_command("export", "decisions", "--format", "json", cwd=tmp_path, env=serve_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_notes_before_the_meetings_end_moot_its_ask(bot: RunningBot) -> None:
    bot.answer("agenda add Sponsors")
    through_the_meeting(bot)
    assert "in its thread" in bot.answer(f"notes {NOTES}", user=ORGANIZER)
    to(bot, DEC_9 + timedelta(hours=3))
    assert asks(bot) == []
    # The ask is recorded under its key, never sent: later sweeps do not send it either.
    with bot.runtime.db.unit_of_work() as session:
        [state] = session.scalars(
            select(OutboxRow.state).where(OutboxRow.dedupe_key == notes_ask_key("mwg", DEC_9))
        ).all()
    assert state == "skipped"
    to(bot, DEC_9 + timedelta(hours=12))
    assert asks(bot) == []


def test_the_same_link_twice_and_two_links_at_once_are_refused(bot: RunningBot) -> None:
    through_the_meeting(bot)
    ledger = Ledger(bot)
    assert "attached" in bot.answer(f"notes {RECORDING} Recording", user=ORGANIZER)
    again = bot.answer(f"notes {RECORDING} Recording", user=ORGANIZER)
    assert "That link is already attached to the meeting of" in again
    assert "nothing changed" in again
    assert "already attached" in bot.answer(f"notes <{RECORDING}>", user="UMODERATOR")
    for text in (f"notes {NOTES} {RECORDING}", f"notes <{NOTES}> <{RECORDING}> both"):
        two = bot.answer(text, user=ORGANIZER)
        assert "One link per `/mwg notes`" in two
        assert "nothing was attached" in two
    assert [r.kind for r in ledger.new()] == ["notes_added"]
    meetings = full_answer(bot, "meetings")
    assert meetings.count(RECORDING) == 2  # once, in the text and its block
    assert NOTES not in meetings


def test_notes_after_a_skipped_meeting_name_it_and_say_where_they_were_posted(
    bot: RunningBot,
) -> None:
    bot.answer("agenda add Sponsors")
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    to(bot, DEC_9 + timedelta(hours=7))
    ledger = Ledger(bot)
    answer = bot.answer(f"notes {NOTES} eden's notes", user=ORGANIZER)
    [row] = ledger.new()
    assert row.details["meeting"] == datetime(2026, 11, 25, 15, tzinfo=UTC).isoformat()
    assert "the most recent meeting held" in answer
    assert "2026-12-09" in answer
    assert "was skipped" in answer
    assert "posted in the channel" in answer
    assert "in its thread" not in answer
    bot.settle()
    [posted] = [m for m in bot.fake.messages(CHANNEL) if NOTES in str(m.get("text", ""))]
    assert not posted.get("thread_ts")


def test_meetings_lists_the_groups_own_meetings_and_shows_skipped_ones(bot: RunningBot) -> None:
    # A fresh group has held no meeting: the ones before its record are not listed.
    fresh = bot.answer("meetings")
    assert "No meeting has taken place since the group's record began" in fresh
    assert "/mwg notes" not in fresh
    bot.answer("agenda add Sponsors")
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    to(bot, DEC_23 + timedelta(hours=2))
    body = bot.command("meetings").json()
    shown = [str(b["text"]["text"]) for b in body["blocks"]]
    assert "The last 2 meetings" in shown[0]
    assert "2026-12-23" in shown[1]
    assert "Sponsors" in shown[1]
    assert "2026-12-09" in shown[2]
    assert "skipped" in shown[2]
    assert "/mwg notes" not in shown[2]
    assert "2026-11-25" not in "\n".join(shown)
    # Bounded: months later, only the last few are listed.
    for _ in range(4):
        to(bot, bot.clock.now() + timedelta(weeks=4))
    many = bot.command("meetings").json()["blocks"]
    assert len(many) == 1 + 5
