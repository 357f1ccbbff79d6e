"""The rules of time given: durations, days, months and the 10-20 h band; pure, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mwgbot.domain import time_log as t
from mwgbot.domain.errors import NotPossible

# A Tuesday noon, UTC.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45m", 45),
        ("2h", 120),
        ("1h30m", 90),
        ("2h30m", 150),
        ("2H30M", 150),
        ("15m", 15),
        ("90m", 90),
        ("45min", 45),
        ("24h", 1440),
        ("23h59m", 1439),
        ("1440m", 1440),
        ("0h45m", 45),
        ("02h05m", 125),
        (" 1h ", 60),
    ],
)
def test_durations_in_hours_and_minutes(text: str, minutes: int) -> None:
    assert t.parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("0m", "zero time"),
        ("0h", "zero time"),
        ("0h0m", "zero time"),
        ("10m", "under the smallest entry, 15m"),
        ("14m", "under the smallest entry"),
        ("24h1m", "at most 24h"),
        ("25h", "at most 24h"),
        ("1441m", "at most 24h"),
        ("99999999999h", "at most 24h"),
        ("9" * 400 + "m", "at most 24h"),
        ("1h" + "9" * 50 + "m", "at most 24h"),
        ("-2h", "cannot be negative"),
        ("−30m", "cannot be negative"),
        ("1h75m", "write 2h15m"),
        ("2.5h", "not a duration"),
        ("2 hours", "not a duration"),
        ("h", "not a duration"),
        ("m", "not a duration"),
        ("", "not a duration"),
        ("30m2h", "not a duration"),
        ("`rm`", "not a duration"),
        ("<!channel>", "`??channel?` is not a duration"),
    ],
)
def test_bad_durations_say_what_to_type(text: str, hint: str) -> None:
    with pytest.raises(t.BadTime) as raised:
        t.parse_duration(text)
    assert hint in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (date(2026, 12, 1), True),  # today
        (date(2026, 12, 2), True),  # already today in UTC+14
        (date(2026, 12, 3), False),  # the future everywhere
        (date(2026, 9, 30), True),  # 62 days back
        (date(2026, 9, 29), False),  # 63 days back
        (date(2026, 11, 15), True),
        (date(1999, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_days_not_in_the_future_and_at_most_62_days_back(day: date, allowed: bool) -> None:
    if allowed:
        assert t.check_day(day, NOW) == day
    else:
        with pytest.raises(NotPossible) as raised:
            t.check_day(day, NOW)
        assert "Nothing was logged" in str(raised.value)


def test_the_refusals_name_the_limits() -> None:
    with pytest.raises(NotPossible, match="in the future"):
        t.check_day(date(2026, 12, 25), NOW)
    with pytest.raises(NotPossible, match="earliest day you can log is 2026-09-30"):
        t.check_day(date(2026, 9, 1), NOW)


def test_the_future_starts_when_the_day_has_begun_nowhere() -> None:
    late = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 00:00 on 2 December in UTC+14
    assert t.latest_day(late) == date(2026, 12, 2)
    assert t.latest_day(datetime(2026, 12, 1, 9, 59, tzinfo=UTC)) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-12-01", date(2026, 12, 1)), ("2024-02-29", date(2024, 2, 29))],
)
def test_days(text: str, expected: date) -> None:
    assert t.parse_day(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2026-13-01", "not a date on the calendar"),
        ("2025-02-29", "not a date on the calendar"),
        ("yesterday", "write it as YYYY-MM-DD"),
        ("2026-1-1", "write it as YYYY-MM-DD"),
        ("99999999-01-01", "write it as YYYY-MM-DD"),
    ],
)
def test_bad_days(text: str, hint: str) -> None:
    with pytest.raises(t.BadTime, match=hint):
        t.parse_day(text)


@pytest.mark.parametrize(
    ("text", "month", "first", "following", "label"),
    [
        ("2026-12", t.Month(2026, 12), date(2026, 12, 1), date(2027, 1, 1), "December 2026"),
        ("2027-01", t.Month(2027, 1), date(2027, 1, 1), date(2027, 2, 1), "January 2027"),
        ("2024-02", t.Month(2024, 2), date(2024, 2, 1), date(2024, 3, 1), "February 2024"),
    ],
)
def test_months(text: str, month: t.Month, first: date, following: date, label: str) -> None:
    parsed = t.parse_month(text)
    assert parsed == month
    assert (parsed.first_day, parsed.next_first_day, parsed.label) == (first, following, label)
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "0000-05", "2026-1", "26-01", "December", "99999-01", ""]
)
def test_bad_months(text: str) -> None:
    with pytest.raises(t.BadTime):
        t.parse_month(text)


def test_the_month_of_now_is_the_utc_month() -> None:
    assert t.Month.containing(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == t.Month(2026, 11)
    assert t.Month.of(date(2026, 12, 31)) == t.Month(2026, 12)


@pytest.mark.parametrize(
    ("minutes", "band"),
    [
        (0, t.Band.UNDER),
        (599, t.Band.UNDER),
        (600, t.Band.IN),
        (900, t.Band.IN),
        (1200, t.Band.IN),
        (1201, t.Band.OVER),
        (100_000, t.Band.OVER),
    ],
)
def test_the_ten_to_twenty_hour_band_includes_both_ends(minutes: int, band: t.Band) -> None:
    assert t.band(minutes) is band


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0h"), (15, "15m"), (60, "1h"), (90, "1h30m"), (125, "2h5m"), (12_345, "205h45m")],
)
def test_minutes_read_as_members_type_them(minutes: int, text: str) -> None:
    assert t.format_minutes(minutes) == text
    if 15 <= minutes <= 1440:
        assert t.parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "ok"),
    [("drafted the case study", True), ("", False), ("x" * 300, True), ("x" * 301, False)],
)
def test_what_was_done_is_required_and_bounded(text: str, ok: bool) -> None:
    if ok:
        assert t.check_what(text) == text
    else:
        with pytest.raises(t.BadTime):
            t.check_what(text)
