"""The meeting series as an iCalendar feed: parsed back and checked against the series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar

from mwgbot.calendar_ics import series_to_ical, series_uid
from mwgbot.domain.meetings import MeetingSeries

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SKIPS = frozenset({date(2026, 1, 21), date(2026, 7, 8)})
SERIES = MeetingSeries(skipped=SKIPS)


def utc(year: int, month: int, day: int, hour: int = 15) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def parse(ics: bytes) -> tuple[Calendar, Any]:
    cal = Calendar.from_ical(ics)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def exdates(event: Any) -> list[datetime]:
    prop = event.get("exdate")
    if prop is None:
        return []
    props = prop if isinstance(prop, list) else [prop]
    return sorted(d.dt.astimezone(UTC) for p in props for d in p.dts)


@pytest.fixture
def ics() -> bytes:
    return series_to_ical(SERIES, now=NOW, url="https://openedx.org/community/working-groups/")


def test_calendar_properties(ics: bytes) -> None:
    cal, _ = parse(ics)
    assert str(cal["version"]) == "2.0"
    assert str(cal["prodid"]).startswith("-//")
    assert str(cal["calscale"]) == "GREGORIAN"
    assert str(cal["method"]) == "PUBLISH"
    assert b"X-WR-CALNAME:Open edX Marketing Working Group\r\n" in ics
    assert len(cal.walk("VCALENDAR")) == 1


def test_event_required_properties(ics: bytes) -> None:
    _, event = parse(ics)
    for name in ("uid", "dtstamp", "dtstart", "summary", "description", "rrule"):
        assert name in event, name
    assert "dtend" in event or "duration" in event
    assert str(event["summary"]) == "Open edX Marketing Working Group"
    assert str(event["uid"]).startswith("mwg-meetings-")
    assert str(event["uid"]).endswith("@mwgbot")
    assert event["dtstamp"].dt == NOW
    assert str(event["url"]) == "https://openedx.org/community/working-groups/"


def test_dtstart_dtend_in_utc(ics: bytes) -> None:
    _, event = parse(ics)
    start = event["dtstart"].dt
    assert start == utc(2026, 1, 7)
    assert start.utcoffset() == timedelta(0)
    assert event["dtend"].dt - start == timedelta(hours=1)
    assert b"DTSTART:20260107T150000Z\r\n" in ics
    assert b"DTEND:20260107T160000Z\r\n" in ics
    assert b"DTSTAMP:20260101T120000Z\r\n" in ics


def test_rrule_is_weekly_every_other_week(ics: bytes) -> None:
    _, event = parse(ics)
    rrule = event["rrule"]
    assert rrule["FREQ"] == ["WEEKLY"]
    assert rrule["INTERVAL"] == [2]
    assert "UNTIL" not in rrule
    assert "COUNT" not in rrule
    assert b"RRULE:FREQ=WEEKLY;INTERVAL=2\r\n" in ics


def test_one_exdate_per_skipped_meeting(ics: bytes) -> None:
    _, event = parse(ics)
    assert exdates(event) == [utc(2026, 1, 21), utc(2026, 7, 8)]
    assert ics.count(b"\r\nEXDATE:") == 2
    assert b"EXDATE:20260121T150000Z\r\n" in ics
    assert b"EXDATE:20260708T150000Z\r\n" in ics


def test_no_skips_no_exdate() -> None:
    ics = series_to_ical(MeetingSeries(), now=NOW)
    _, event = parse(ics)
    assert exdates(event) == []
    assert b"EXDATE" not in ics


def test_a_skipped_date_off_the_cadence_adds_no_exdate() -> None:
    series = MeetingSeries(skipped=frozenset({date(2026, 1, 14)}))  # the off week
    _, event = parse(series_to_ical(series, now=NOW))
    assert exdates(event) == []


def test_crlf_line_endings_and_folding() -> None:
    long_title = "Open edX Marketing Working Group — réunion bimensuelle, ñandú " * 3
    ics = series_to_ical(SERIES, title=long_title, description="x, y; z\n" * 20, now=NOW)
    assert ics.endswith(b"\r\n")
    body = ics[: -len(b"\r\n")]
    assert b"\n" not in body.replace(b"\r\n", b"")  # every LF is part of a CRLF
    assert b"\r" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    _, event = parse(ics)
    assert str(event["summary"]) == long_title
    assert str(event["description"]) == "x, y; z\n" * 20


def test_uid_is_stable_and_does_not_depend_on_skips() -> None:
    assert series_uid(SERIES) == series_uid(MeetingSeries())
    est = timezone(timedelta(hours=-5))
    assert series_uid(MeetingSeries(first=datetime(2026, 1, 7, 10, tzinfo=est))) == series_uid(
        SERIES
    )
    assert series_uid(MeetingSeries(every=timedelta(days=7))) != series_uid(SERIES)
    first, _ = parse(series_to_ical(SERIES, now=NOW))
    again, _ = parse(series_to_ical(SERIES, now=NOW + timedelta(days=3)))
    assert first.walk("VEVENT")[0]["uid"] == again.walk("VEVENT")[0]["uid"]


def test_output_is_deterministic() -> None:
    assert series_to_ical(SERIES, now=NOW) == series_to_ical(SERIES, now=NOW)


@pytest.mark.parametrize(
    ("every", "freq", "interval"),
    [
        (timedelta(days=14), "WEEKLY", 2),
        (timedelta(days=7), "WEEKLY", 1),
        (timedelta(weeks=4), "WEEKLY", 4),
        (timedelta(days=3), "DAILY", 3),
        (timedelta(days=1), "DAILY", 1),
        (timedelta(hours=36), "HOURLY", 36),
        (timedelta(minutes=90), "MINUTELY", 90),
        (timedelta(seconds=45), "SECONDLY", 45),
    ],
)
def test_rrule_frequency_fits_every(every: timedelta, freq: str, interval: int) -> None:
    _, event = parse(series_to_ical(MeetingSeries(every=every), now=NOW))
    assert event["rrule"]["FREQ"] == [freq]
    assert event["rrule"]["INTERVAL"] == [interval]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"now": datetime(2026, 1, 1)},
        {"now": NOW, "duration": timedelta(0)},
        {"now": NOW, "duration": timedelta(milliseconds=1)},
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        series_to_ical(SERIES, **kwargs)


def test_sub_second_series_cannot_be_expressed() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        series_to_ical(MeetingSeries(every=timedelta(milliseconds=1500)), now=NOW)
    with pytest.raises(ValueError, match="microseconds"):
        series_to_ical(MeetingSeries(first=utc(2026, 1, 7) + timedelta(microseconds=5)), now=NOW)


@pytest.mark.parametrize(
    "series",
    [
        SERIES,
        MeetingSeries(every=timedelta(days=7), skipped=frozenset({date(2026, 12, 30)})),
        MeetingSeries(every=timedelta(days=3), skipped=frozenset({date(2026, 1, 10)})),
    ],
)
def test_expanding_the_feed_matches_the_series(series: MeetingSeries) -> None:
    """Expand RRULE minus EXDATE with dateutil, as a calendar client would."""
    rrule_mod = pytest.importorskip("dateutil.rrule")
    ics = series_to_ical(series, now=NOW)
    _, event = parse(ics)
    rrule_line = next(line.decode() for line in ics.split(b"\r\n") if line.startswith(b"RRULE:"))
    rules = rrule_mod.rruleset()
    rules.rrule(rrule_mod.rrulestr(rrule_line, dtstart=event["dtstart"].dt))
    for t in exdates(event):
        rules.exdate(t)
    # The feed begins at DTSTART = `first`; the domain series also extends before it.
    start, end = utc(2025, 1, 1, 0), utc(2028, 1, 1, 0)
    expanded = [t.astimezone(UTC) for t in rules.between(start, end, inc=True)]
    assert expanded[0] == series.first
    assert expanded == series.occurrences(series.first, end)
    skipped_meetings = {t.date() for t in series.occurrences(start, end, include_skipped=True)}
    assert series.skipped & skipped_meetings  # the case really skips something
    assert not {t.date() for t in expanded} & series.skipped
