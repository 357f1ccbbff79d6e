"""The meeting series: cadence, DST behaviour, skips, and due reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from mwgbot.domain.errors import NotPossible
from mwgbot.domain.meetings import (
    DEFAULT_EVERY,
    DEFAULT_FIRST,
    MeetingSeries,
    ReminderSlot,
    check_meeting_day,
    due_reminders,
    format_duration,
    format_lead,
)

NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY = 2
SERIES = MeetingSeries()
LEADS = (timedelta(hours=24), timedelta(minutes=15))
SEC = timedelta(seconds=1)


def utc(
    year: int, month: int, day: int, hour: int = 15, minute: int = 0, *, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def new_york_hour(t: datetime) -> int:
    return t.astimezone(NEW_YORK).hour


# -- the default series ------------------------------------------------------------------------


def test_default_series() -> None:
    assert SERIES.first == utc(2026, 1, 7) == DEFAULT_FIRST
    assert SERIES.every == timedelta(days=14) == DEFAULT_EVERY
    assert SERIES.skipped == frozenset()
    assert SERIES.first.weekday() == WEDNESDAY


def test_first_occurrences() -> None:
    got = SERIES.occurrences(utc(2026, 1, 1, 0), utc(2026, 3, 1, 0))
    assert got == [utc(2026, 1, 7), utc(2026, 1, 21), utc(2026, 2, 4), utc(2026, 2, 18)]


@pytest.mark.parametrize("year", [2026, 2027])
def test_every_occurrence_of_the_year_is_a_wednesday_at_1500_utc(year: int) -> None:
    meetings = SERIES.occurrences(utc(year, 1, 1, 0), utc(year + 1, 1, 1, 0))
    assert 26 <= len(meetings) <= 27
    for t in meetings:
        assert t.tzinfo is UTC
        assert t.weekday() == WEDNESDAY
        assert (t.hour, t.minute, t.second, t.microsecond) == (15, 0, 0, 0)
        assert new_york_hour(t) in (10, 11)
    gaps = {b - a for a, b in pairwise(meetings)}
    assert gaps == {timedelta(days=14)}


@pytest.mark.parametrize("year", [2026, 2027])
def test_new_york_local_time_follows_dst(year: int) -> None:
    """10:00 while New York is on EST, 11:00 while it is on EDT, for every meeting of the year."""
    for t in SERIES.occurrences(utc(year, 1, 1, 0), utc(year + 1, 1, 1, 0)):
        local = t.astimezone(NEW_YORK)
        on_dst = local.dst() != timedelta(0)
        assert local.hour == (11 if on_dst else 10), local
        assert local.tzname() == ("EDT" if on_dst else "EST")


@pytest.mark.parametrize(
    ("meeting", "local_hour", "zone_name"),
    [
        # 2026: DST starts Sunday 2026-03-08, ends Sunday 2026-11-01.
        (date(2026, 1, 7), 10, "EST"),
        (date(2026, 3, 4), 10, "EST"),  # last meeting before DST starts
        (date(2026, 3, 18), 11, "EDT"),  # first meeting after DST starts
        (date(2026, 7, 8), 11, "EDT"),
        (date(2026, 10, 28), 11, "EDT"),  # last meeting before DST ends
        (date(2026, 11, 11), 10, "EST"),  # first meeting after DST ends
        (date(2026, 12, 23), 10, "EST"),
        # 2027: DST starts Sunday 2027-03-14, ends Sunday 2027-11-07.
        (date(2027, 3, 3), 10, "EST"),
        (date(2027, 3, 17), 11, "EDT"),
        (date(2027, 10, 27), 11, "EDT"),
        (date(2027, 11, 10), 10, "EST"),
    ],
)
def test_meetings_across_dst_changes(meeting: date, local_hour: int, zone_name: str) -> None:
    t = SERIES.occurrence_on(meeting)
    assert t == datetime(meeting.year, meeting.month, meeting.day, 15, tzinfo=UTC)
    local = t.astimezone(NEW_YORK)
    assert (local.date(), local.hour, local.minute, local.tzname()) == (
        meeting,
        local_hour,
        0,
        zone_name,
    )


@pytest.mark.parametrize(
    ("dst_sunday", "before", "after", "hour_before", "hour_after"),
    [
        (date(2026, 3, 8), date(2026, 3, 4), date(2026, 3, 18), 10, 11),
        (date(2026, 11, 1), date(2026, 10, 28), date(2026, 11, 11), 11, 10),
        (date(2027, 3, 14), date(2027, 3, 3), date(2027, 3, 17), 10, 11),
        (date(2027, 11, 7), date(2027, 10, 27), date(2027, 11, 10), 11, 10),
    ],
)
def test_next_meeting_across_a_dst_change_keeps_1500_utc(
    dst_sunday: date, before: date, after: date, hour_before: int, hour_after: int
) -> None:
    sunday_noon = datetime(dst_sunday.year, dst_sunday.month, dst_sunday.day, 12, tzinfo=NEW_YORK)
    prev = SERIES.previous_meeting(sunday_noon)
    nxt = SERIES.next_meeting(sunday_noon)
    assert prev is not None
    assert (prev.date(), new_york_hour(prev)) == (before, hour_before)
    assert (nxt.date(), new_york_hour(nxt)) == (after, hour_after)
    assert nxt - prev == timedelta(days=14)  # exactly 14 × 24 h, whatever the wall clock does


# -- construction --------------------------------------------------------------------------------


def test_first_with_an_offset_equals_the_utc_one() -> None:
    est = timezone(timedelta(hours=-5))
    series = MeetingSeries(first=datetime(2026, 1, 7, 10, 0, tzinfo=est), every=timedelta(days=14))
    assert series == SERIES
    assert series.first.tzinfo is UTC
    assert series.first == utc(2026, 1, 7)
    assert series.first.isoformat() == "2026-01-07T15:00:00+00:00"


def test_first_with_a_zoneinfo_equals_the_utc_one() -> None:
    series = MeetingSeries(first=datetime(2026, 1, 7, 10, tzinfo=NEW_YORK))
    assert series == SERIES


def test_naive_first_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MeetingSeries(first=datetime(2026, 1, 7, 15), every=timedelta(days=14))


@pytest.mark.parametrize("every", [timedelta(0), timedelta(days=-14), timedelta(microseconds=-1)])
def test_non_positive_every_is_rejected(every: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        MeetingSeries(first=DEFAULT_FIRST, every=every)


@pytest.mark.parametrize(
    "call",
    [
        lambda: SERIES.next_meeting(datetime(2026, 1, 7, 15)),
        lambda: SERIES.previous_meeting(datetime(2026, 1, 7, 15)),
        lambda: SERIES.upcoming(datetime(2026, 1, 7, 15), 2),
        lambda: SERIES.occurrences(datetime(2026, 1, 1), utc(2026, 2, 1)),
        lambda: SERIES.occurrences(utc(2026, 1, 1), datetime(2026, 2, 1)),
        lambda: due_reminders(SERIES, LEADS, datetime(2026, 1, 1), utc(2026, 1, 7)),
        lambda: due_reminders(SERIES, LEADS, utc(2026, 1, 1), datetime(2026, 1, 7)),
    ],
)
def test_naive_instants_are_rejected(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_skipped_is_normalized_to_a_frozenset_of_utc_dates() -> None:
    series = MeetingSeries(skipped=frozenset({datetime(2026, 1, 21, 10, tzinfo=NEW_YORK)}))
    assert series.skipped == frozenset({date(2026, 1, 21)})
    assert series == SERIES.with_skipped([date(2026, 1, 21)])


# -- occurrences ---------------------------------------------------------------------------------


def test_occurrences_bounds_are_half_open() -> None:
    assert SERIES.occurrences(utc(2026, 1, 7), utc(2026, 1, 21)) == [utc(2026, 1, 7)]
    assert SERIES.occurrences(utc(2026, 1, 7) + SEC, utc(2026, 1, 21) + SEC) == [utc(2026, 1, 21)]
    assert SERIES.occurrences(utc(2026, 1, 8), utc(2026, 1, 21)) == []
    assert SERIES.occurrences(utc(2026, 2, 1), utc(2026, 1, 1)) == []


def test_occurrences_accept_any_offset_and_return_utc() -> None:
    got = SERIES.occurrences(
        datetime(2026, 1, 7, 10, tzinfo=NEW_YORK), datetime(2026, 1, 7, 11, tzinfo=NEW_YORK)
    )
    assert got == [utc(2026, 1, 7)]
    assert got[0].tzinfo is UTC


def test_series_extends_backwards_before_first() -> None:
    got = SERIES.occurrences(utc(2025, 11, 1, 0), utc(2026, 1, 8, 0))
    assert got == [
        utc(2025, 11, 12),
        utc(2025, 11, 26),
        utc(2025, 12, 10),
        utc(2025, 12, 24),
        utc(2026, 1, 7),
    ]
    assert SERIES.next_meeting(utc(2025, 12, 1)) == utc(2025, 12, 10)
    assert SERIES.previous_meeting(utc(2025, 12, 1)) == utc(2025, 11, 26)
    assert SERIES.occurrence_on(date(2025, 12, 24)) == utc(2025, 12, 24)
    assert SERIES.occurrence_on(date(2020, 1, 1)) == utc(2020, 1, 1)  # a Wednesday on cadence


def test_the_same_series_from_a_different_first_is_equivalent() -> None:
    later = MeetingSeries(first=utc(2026, 3, 18))
    window = (utc(2025, 6, 1, 0), utc(2027, 6, 1, 0))
    assert later.occurrences(*window) == SERIES.occurrences(*window)


def test_occurrences_skip_unless_asked() -> None:
    series = SERIES.with_skipped([date(2026, 1, 21)])
    window = (utc(2026, 1, 1, 0), utc(2026, 2, 10, 0))
    assert series.occurrences(*window) == [utc(2026, 1, 7), utc(2026, 2, 4)]
    assert series.occurrences(*window, include_skipped=True) == [
        utc(2026, 1, 7),
        utc(2026, 1, 21),
        utc(2026, 2, 4),
    ]


# -- next / previous / upcoming ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 7) - SEC, utc(2026, 1, 7)),  # one second before a meeting: that meeting
        (utc(2026, 1, 7), utc(2026, 1, 21)),  # right at the start: it has begun, so the next one
        (utc(2026, 1, 7) + SEC, utc(2026, 1, 21)),  # one second after
        (utc(2026, 1, 7) - timedelta(microseconds=1), utc(2026, 1, 7)),
        (utc(2026, 1, 1, 0), utc(2026, 1, 7)),
        (utc(2026, 1, 14, 9), utc(2026, 1, 21)),
        (utc(2026, 1, 21) - SEC, utc(2026, 1, 21)),
        (datetime(2026, 1, 7, 9, 59, 59, tzinfo=NEW_YORK), utc(2026, 1, 7)),
        (datetime(2026, 1, 7, 10, 0, 0, tzinfo=NEW_YORK), utc(2026, 1, 21)),
    ],
)
def test_next_meeting_is_strictly_after_now(now: datetime, expected: datetime) -> None:
    got = SERIES.next_meeting(now)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 7) - SEC, utc(2025, 12, 24)),
        (utc(2026, 1, 7), utc(2026, 1, 7)),  # a meeting that starts now has started
        (utc(2026, 1, 7) + SEC, utc(2026, 1, 7)),
        (utc(2026, 1, 20), utc(2026, 1, 7)),
    ],
)
def test_previous_meeting_is_at_or_before_now(now: datetime, expected: datetime) -> None:
    assert SERIES.previous_meeting(now) == expected


def test_next_meeting_passes_over_skipped_meetings() -> None:
    series = SERIES.with_skipped([date(2026, 1, 21)])
    assert series.next_meeting(utc(2026, 1, 7)) == utc(2026, 2, 4)
    assert series.next_meeting(utc(2026, 1, 7), include_skipped=True) == utc(2026, 1, 21)
    two_skipped = series.with_skipped([date(2026, 2, 4)])
    assert two_skipped.next_meeting(utc(2026, 1, 7)) == utc(2026, 2, 18)
    assert two_skipped.upcoming(utc(2026, 1, 1), 3) == [
        utc(2026, 1, 7),
        utc(2026, 2, 18),
        utc(2026, 3, 4),
    ]


def test_previous_meeting_passes_over_skipped_meetings() -> None:
    series = SERIES.with_skipped([date(2026, 1, 21), date(2026, 1, 7)])
    assert series.previous_meeting(utc(2026, 1, 30)) == utc(2025, 12, 24)


def test_upcoming() -> None:
    assert SERIES.upcoming(utc(2026, 1, 7), 3) == [
        utc(2026, 1, 21),
        utc(2026, 2, 4),
        utc(2026, 2, 18),
    ]
    assert SERIES.upcoming(utc(2026, 1, 7) - SEC, 1) == [utc(2026, 1, 7)]
    assert SERIES.upcoming(utc(2026, 1, 7), 0) == []
    with pytest.raises(ValueError, match="negative"):
        SERIES.upcoming(utc(2026, 1, 7), -1)


# -- occurrence_on / skipping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 7), utc(2026, 1, 7)),
        (date(2026, 1, 21), utc(2026, 1, 21)),
        (date(2026, 3, 18), utc(2026, 3, 18)),
        (date(2027, 12, 22), utc(2027, 12, 22)),
        (date(2026, 1, 14), None),  # a Wednesday, but the off week
        (date(2026, 1, 8), None),  # the day after a meeting
        (date(2026, 1, 6), None),  # the day before
        (date(2026, 1, 1), None),
    ],
)
def test_occurrence_on(day: date, expected: datetime | None) -> None:
    assert SERIES.occurrence_on(day) == expected


def test_occurrence_on_includes_skipped_meetings() -> None:
    series = SERIES.with_skipped([date(2026, 1, 21)])
    assert series.occurrence_on(date(2026, 1, 21)) == utc(2026, 1, 21)
    assert series.is_skipped(utc(2026, 1, 21))
    assert not series.is_skipped(utc(2026, 2, 4))


def test_occurrence_on_uses_the_utc_date() -> None:
    late = MeetingSeries(first=utc(2026, 1, 7, 23, 30))  # 18:30 in New York, same day
    assert late.occurrence_on(date(2026, 1, 7)) == utc(2026, 1, 7, 23, 30)
    early = MeetingSeries(first=datetime(2026, 1, 7, 21, tzinfo=NEW_YORK))  # 02:00Z on the 8th
    assert early.occurrence_on(date(2026, 1, 7)) is None
    assert early.occurrence_on(date(2026, 1, 8)) == utc(2026, 1, 8, 2)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date.max, None),
        (date.min, None),
        (date(9999, 12, 30), None),
        (date(9999, 12, 29), utc(9999, 12, 29)),
        (date(1, 1, 3), utc(1, 1, 3)),
    ],
)
def test_occurrence_on_at_the_ends_of_the_calendar_never_overflows(
    day: date, expected: datetime | None
) -> None:
    assert SERIES.occurrence_on(day) == expected


@pytest.mark.parametrize(
    ("today", "day"),
    [
        (date(2026, 12, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2028, 12, 1)),
        (date(2028, 2, 29), date(2030, 2, 28)),  # no 29 February in 2030
    ],
)
def test_a_meeting_day_from_today_to_two_years_ahead_is_accepted(today: date, day: date) -> None:
    assert check_meeting_day(day, today, "skipped") == day


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (
            date(2026, 11, 30),
            "2026-11-30 is in the past: only an upcoming meeting can be skipped. Nothing changed.",
        ),
        (
            date.min,
            "0001-01-01 is in the past: only an upcoming meeting can be skipped. Nothing changed.",
        ),
        (
            date(2028, 12, 2),
            "2028-12-02 is more than two years ahead: meetings can be skipped up to 2028-12-01. "
            "Nothing changed.",
        ),
        (
            date.max,
            "9999-12-31 is more than two years ahead: meetings can be skipped up to 2028-12-01. "
            "Nothing changed.",
        ),
    ],
)
def test_a_meeting_day_out_of_range_is_refused_in_words(day: date, message: str) -> None:
    with pytest.raises(NotPossible) as refused:
        check_meeting_day(day, date(2026, 12, 1), "skipped")
    assert str(refused.value) == message


def test_with_skipped_adds_and_leaves_the_original_alone() -> None:
    one = SERIES.with_skipped([date(2026, 1, 21)])
    two = one.with_skipped({date(2026, 2, 4)})
    assert SERIES.skipped == frozenset()
    assert one.skipped == frozenset({date(2026, 1, 21)})
    assert two.skipped == frozenset({date(2026, 1, 21), date(2026, 2, 4)})
    assert two.first == SERIES.first
    assert two.every == SERIES.every
    assert two.without_skipped([date(2026, 1, 21)]) == SERIES.with_skipped([date(2026, 2, 4)])
    assert hash(one) == hash(MeetingSeries(skipped=frozenset({date(2026, 1, 21)})))


# -- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(hours=24), "1d"),
        (timedelta(minutes=15), "15m"),
        (timedelta(days=14), "14d"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=72), "3d"),
        (timedelta(days=7, hours=1, minutes=2, seconds=3), "7d1h2m3s"),
        (timedelta(0), "0s"),
        (timedelta(minutes=-15), "-15m"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


def test_format_duration_rejects_fractions_of_a_second() -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        format_duration(timedelta(milliseconds=1500))


def test_format_lead() -> None:
    assert format_lead(timedelta(hours=24)) == "1d"
    assert format_lead(timedelta(hours=2)) == "2h"
    assert format_lead(timedelta(minutes=15)) == "15m"
    with pytest.raises(ValueError, match="positive"):
        format_lead(timedelta(0))


# -- reminder slots ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting", "lead", "key"),
    [
        (utc(2026, 1, 7), timedelta(hours=24), "2026-01-07T15:00Z/1d"),
        (utc(2026, 1, 7), timedelta(minutes=15), "2026-01-07T15:00Z/15m"),
        (utc(2026, 1, 7), timedelta(hours=2), "2026-01-07T15:00Z/2h"),
        (datetime(2026, 1, 7, 10, tzinfo=NEW_YORK), timedelta(hours=2), "2026-01-07T15:00Z/2h"),
        (utc(2026, 1, 7, 15, 0, second=30), timedelta(hours=2), "2026-01-07T15:00:30Z/2h"),
    ],
)
def test_reminder_slot_key(meeting: datetime, lead: timedelta, key: str) -> None:
    slot = ReminderSlot.for_meeting(meeting, lead)
    assert slot.key == key
    assert slot.due == meeting - lead
    # Stable: a slot rebuilt from the same facts (e.g. after a restart) has the same key.
    assert ReminderSlot(meeting=meeting, lead=lead, due=meeting - lead).key == key


def test_reminder_slot_validation() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ReminderSlot(meeting=datetime(2026, 1, 7, 15), lead=SEC, due=utc(2026, 1, 7) - SEC)
    with pytest.raises(ValueError, match="meeting - lead"):
        ReminderSlot(meeting=utc(2026, 1, 7), lead=SEC, due=utc(2026, 1, 7))
    with pytest.raises(ValueError, match="positive"):
        ReminderSlot(meeting=utc(2026, 1, 7), lead=timedelta(0), due=utc(2026, 1, 7))


# -- due reminders -------------------------------------------------------------------------------

MEETING = utc(2026, 1, 21)
DAY_BEFORE = MEETING - timedelta(hours=24)
QUARTER_BEFORE = MEETING - timedelta(minutes=15)


def due_at(
    now: datetime, series: MeetingSeries = SERIES, since: datetime | None = None
) -> list[str]:
    """Keys due at ``now``, looking back the largest lead (what the scheduler does)."""
    since = now - max(LEADS) if since is None else since
    return [slot.key for slot in due_reminders(series, LEADS, since, now)]


@pytest.mark.parametrize(
    ("now", "since", "keys"),
    [
        # Nothing due yet.
        (DAY_BEFORE - SEC, None, []),
        (utc(2026, 1, 10), None, []),
        # The 24 h reminder falls due at exactly meeting - 24 h (due <= now).
        (DAY_BEFORE, None, ["2026-01-21T15:00Z/1d"]),
        (DAY_BEFORE + timedelta(minutes=1), None, ["2026-01-21T15:00Z/1d"]),
        # The sweep just before already looked; a sweep 30 s later finds it again only if `since`
        # reaches back, and not at all once `since` is past the due time.
        (DAY_BEFORE + timedelta(seconds=30), DAY_BEFORE, []),
        (DAY_BEFORE + timedelta(seconds=30), DAY_BEFORE - SEC, ["2026-01-21T15:00Z/1d"]),
        # Between the two reminders the 24 h one is still the latest due.
        (MEETING - timedelta(hours=1), None, ["2026-01-21T15:00Z/1d"]),
        # Both due (the bot was down): only the most recent one, the 15 m reminder.
        (QUARTER_BEFORE, None, ["2026-01-21T15:00Z/15m"]),
        (MEETING - SEC, None, ["2026-01-21T15:00Z/15m"]),
        # The meeting has begun: nothing.
        (MEETING, None, []),
        (MEETING + SEC, None, []),
        (MEETING + timedelta(hours=1), None, []),
    ],
)
def test_due_reminders(now: datetime, since: datetime | None, keys: list[str]) -> None:
    assert due_at(now, since=since) == keys


def test_due_reminder_slot_fields() -> None:
    (slot,) = due_reminders(SERIES, LEADS, DAY_BEFORE - timedelta(minutes=1), DAY_BEFORE)
    assert slot == ReminderSlot(meeting=MEETING, lead=timedelta(hours=24), due=DAY_BEFORE)
    assert slot.meeting.tzinfo is UTC
    assert slot.due.tzinfo is UTC


def test_several_due_at_once_returns_only_the_latest() -> None:
    leads = [timedelta(days=2), timedelta(hours=24), timedelta(hours=2), timedelta(minutes=15)]
    now = MEETING - timedelta(minutes=5)
    slots = due_reminders(SERIES, leads, now - timedelta(days=2), now)
    assert [(s.meeting, s.lead) for s in slots] == [(MEETING, timedelta(minutes=15))]
    # Order of the leads does not matter, nor do duplicates.
    assert due_reminders(SERIES, [*reversed(leads), *leads], now - timedelta(days=2), now) == slots


def test_reminders_of_a_skipped_meeting_are_not_due() -> None:
    series = SERIES.with_skipped([date(2026, 1, 21)])
    for now in (DAY_BEFORE, MEETING - timedelta(hours=1), QUARTER_BEFORE, MEETING - SEC):
        assert due_at(now, series) == []
    # The next meeting's reminders are unaffected.
    assert due_at(utc(2026, 2, 3), series) == ["2026-02-04T15:00Z/1d"]


def test_reminders_of_several_meetings_are_ordered_by_due_time() -> None:
    daily = MeetingSeries(first=utc(2026, 1, 7), every=timedelta(hours=12))
    leads = [timedelta(hours=24), timedelta(minutes=15)]
    now = utc(2026, 1, 7, 14, 50)
    slots = due_reminders(daily, leads, now - timedelta(hours=24), now)
    # 15:00 today (both due → 15 m), 03:00 tomorrow (24 h due), 15:00 tomorrow (24 h not yet due).
    assert [s.key for s in slots] == ["2026-01-08T03:00Z/1d", "2026-01-07T15:00Z/15m"]
    assert [s.due for s in slots] == sorted(s.due for s in slots)


def test_due_reminders_edge_arguments() -> None:
    assert due_reminders(SERIES, [], DAY_BEFORE - SEC, DAY_BEFORE) == []
    assert due_reminders(SERIES, LEADS, DAY_BEFORE, DAY_BEFORE) == []  # empty window
    assert due_reminders(SERIES, LEADS, DAY_BEFORE + SEC, DAY_BEFORE) == []
    with pytest.raises(ValueError, match="positive"):
        due_reminders(SERIES, [timedelta(0)], DAY_BEFORE - SEC, DAY_BEFORE)


def test_due_reminders_accept_any_offset() -> None:
    now = DAY_BEFORE.astimezone(NEW_YORK)
    slots = due_reminders(SERIES, LEADS, now - timedelta(hours=24), now)
    assert [s.key for s in slots] == ["2026-01-21T15:00Z/1d"]


def test_reminder_keys_are_stable_across_calls() -> None:
    """Two sweeps (say, before and after a restart) name the same reminder the same way."""
    first = due_at(QUARTER_BEFORE)
    second = due_at(QUARTER_BEFORE + timedelta(seconds=30))
    assert first == second == ["2026-01-21T15:00Z/15m"]
