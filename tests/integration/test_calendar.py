"""The calendar members subscribe to: `GET /calendar.ics` on the served app and `mwgbot calendar`
on the command line, one recurring event with skipped meetings as EXDATEs, parsed back with the
icalendar package as Google Calendar or Outlook would read it."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from tests.conftest import RunningBot
from tests.integration.meeting_support import (
    Launcher,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
    mwgbot_command,
)

ORGANIZER = "UORGANIZER"
FIRST = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)


def fetch(bot: RunningBot) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(bot.url + "/calendar.ics", timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def only_event(ics: bytes) -> Calendar:
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return events[0]


def exdates(event: Calendar) -> list[datetime]:
    value = event.get("exdate")
    if value is None:
        return []
    lists = value if isinstance(value, list) else [value]
    return sorted(d.dt for entry in lists for d in entry.dts)


def test_calendar_ics_is_a_valid_recurring_event(launcher: Launcher) -> None:
    bot = launcher.start()
    status, content_type, ics = fetch(bot)
    assert status == 200
    assert content_type.startswith("text/calendar")
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n")
    assert ics.endswith(b"END:VCALENDAR\r\n")
    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    event = only_event(ics)
    assert event["UID"]
    assert event.decoded("DTSTART") == FIRST
    assert event.decoded("DTEND") == FIRST + timedelta(hours=1)
    rrule = event["RRULE"]
    assert rrule["FREQ"] == ["WEEKLY"]
    assert rrule["INTERVAL"] == [2]
    assert exdates(event) == []


def test_skipped_meetings_are_exdates_and_restoring_removes_them(launcher: Launcher) -> None:
    bot = launcher.start()
    _, _, before = fetch(bot)
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    bot.answer("meeting skip 2026-12-23", user=ORGANIZER)
    _, _, skipped = fetch(bot)
    event = only_event(skipped)
    assert exdates(event) == [
        datetime(2026, 12, 9, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 23, 15, 0, tzinfo=UTC),
    ]
    # Skips change the EXDATEs, not the event's identity: subscribers update, not duplicate.
    assert event["UID"] == only_event(before)["UID"]
    bot.answer("meeting unskip 2026-12-23", user=ORGANIZER)
    _, _, restored = fetch(bot)
    assert exdates(only_event(restored)) == [datetime(2026, 12, 9, 15, 0, tzinfo=UTC)]


def test_the_calendar_follows_the_configured_series(launcher: Launcher) -> None:
    bot = launcher.start(mwg_meeting_first="2026-01-14T16:30:00+01:00", mwg_meeting_every="7d")
    event = only_event(fetch(bot)[2])
    assert event.decoded("DTSTART") == datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["INTERVAL"] == [1]


def test_mwgbot_calendar_prints_the_same_feed(launcher: Launcher, tmp_path: Path) -> None:
    bot = launcher.start()
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    launcher.stop(bot)
    result = mwgbot_command("calendar", cwd=tmp_path, env={"DATABASE_URL": launcher.database_url})
    assert result.returncode == 0, result.stderr
    event = only_event(result.stdout.encode())
    assert event.decoded("DTSTART") == FIRST
    assert exdates(event) == [datetime(2026, 12, 9, 15, 0, tzinfo=UTC)]
