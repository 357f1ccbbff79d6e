"""The meeting series as an iCalendar (RFC 5545) feed, for Google Calendar, Outlook and others.

One VCALENDAR with one recurring VEVENT. Times are written in UTC (``...Z``), which every client
shows in its reader's own zone; the meeting keeps its fixed 15:00 UTC across DST changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar, Event, vText

from mwgbot.domain.meetings import MeetingSeries, format_duration

__all__ = ["DEFAULT_DESCRIPTION", "DEFAULT_TITLE", "PRODID", "series_to_ical", "series_uid"]

PRODID = "-//Open edX Marketing Working Group//mwgbot//EN"
DEFAULT_TITLE = "Open edX Marketing Working Group"
DEFAULT_DESCRIPTION = (
    "Bi-weekly meeting of the Open edX Marketing Working Group: strategy, website, events and "
    "shared marketing resources for the Open edX platform. Anyone who takes part is a member. "
    "Slack: #marketing."
)

_SECOND = timedelta(seconds=1)
# (RRULE FREQ, size of one unit), coarsest first: the coarsest unit that divides `every` wins.
_FREQUENCIES: tuple[tuple[str, timedelta], ...] = (
    ("WEEKLY", timedelta(weeks=1)),
    ("DAILY", timedelta(days=1)),
    ("HOURLY", timedelta(hours=1)),
    ("MINUTELY", timedelta(minutes=1)),
    ("SECONDLY", timedelta(seconds=1)),
)


def _rrule(every: timedelta) -> dict[str, str | int]:
    for freq, unit in _FREQUENCIES:
        if every % unit == timedelta(0):
            return {"FREQ": freq, "INTERVAL": every // unit}
    raise ValueError(f"an iCalendar recurrence needs whole seconds, got every={every}")


def series_uid(series: MeetingSeries) -> str:
    """A UID that stays the same as long as the series' ``first`` and ``every`` do.

    Skipping meetings does not change it, so a client that re-imports or refreshes the feed
    updates the event rather than adding a second one.
    """
    seed = f"{series.first.astimezone(UTC).isoformat()}/{format_duration(series.every)}"
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]
    return f"mwg-meetings-{digest}@mwgbot"


def series_to_ical(
    series: MeetingSeries,
    *,
    title: str = DEFAULT_TITLE,
    description: str = DEFAULT_DESCRIPTION,
    url: str | None = None,
    duration: timedelta = timedelta(hours=1),
    now: datetime,
    notes: Mapping[datetime, Sequence[str]] | None = None,
) -> bytes:
    """The series as an ``.ics`` document (UTF-8, CRLF line endings, lines folded at 75 octets).

    DTSTART is the series' ``first``; the recurrence is ``FREQ=WEEKLY;INTERVAL=n`` when ``every``
    is a whole number of weeks, else DAILY, HOURLY, MINUTELY or SECONDLY with the fitting
    interval. Each skipped meeting becomes one EXDATE (a skipped date that matches no meeting
    adds none). ``now`` is the DTSTAMP and must be timezone-aware.

    ``notes`` maps a meeting's start to the lines of its notes (links, summaries): each such
    meeting is an overriding VEVENT of the series (same UID, RECURRENCE-ID = its start) whose
    DESCRIPTION lists them after the series' description.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration}")
    first = series.first.astimezone(UTC)
    if first.microsecond:
        raise ValueError("an iCalendar DTSTART has whole seconds; first has microseconds")
    rrule = _rrule(series.every)
    if duration % _SECOND:
        raise ValueError(f"duration must be a whole number of seconds, got {duration}")

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # Non-standard properties default to raw values; vText escapes commas, semicolons, newlines.
    cal.add("x-wr-calname", vText(title))
    cal.add("x-wr-caldesc", vText(description))

    event = Event()
    event.add("uid", series_uid(series))
    event.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", first)
    event.add("dtend", first + duration)
    event.add("summary", title)
    event.add("description", description)
    if url is not None:
        event.add("url", url)
    event.add("rrule", rrule)
    exdates = sorted(
        t
        for day in series.skipped
        for t in series.occurrences(
            datetime.combine(day, time(0), tzinfo=UTC),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC),
            include_skipped=True,
        )
    )
    for t in exdates:
        event.add("exdate", t)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    for meeting, lines in sorted((notes or {}).items()):
        if not lines or meeting.microsecond:
            continue
        start = meeting.astimezone(UTC)
        occurrence = Event()
        occurrence.add("uid", series_uid(series))
        occurrence.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
        occurrence.add("recurrence-id", start)
        occurrence.add("dtstart", start)
        occurrence.add("dtend", start + duration)
        occurrence.add("summary", title)
        occurrence.add("description", description + "\n\nNotes and recording:\n" + "\n".join(lines))
        if url is not None:
            occurrence.add("url", url)
        occurrence.add("status", "CONFIRMED")
        occurrence.add("transp", "OPAQUE")
        cal.add_component(occurrence)
    result: bytes = cal.to_ical()
    return result
