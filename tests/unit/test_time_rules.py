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
    ("text", "month", "first", "last", "label"),
    [
        ("2026-12", t.Month(2026, 12), date(2026, 12, 1), date(2026, 12, 31), "December 2026"),
        ("2027-01", t.Month(2027, 1), date(2027, 1, 1), date(2027, 1, 31), "January 2027"),
        ("2024-02", t.Month(2024, 2), date(2024, 2, 1), date(2024, 2, 29), "February 2024"),
        # The ends of the calendar: no arithmetic runs past them.
        ("9999-12", t.Month(9999, 12), date(9999, 12, 1), date(9999, 12, 31), "December 9999"),
        ("0001-01", t.Month(1, 1), date(1, 1, 1), date(1, 1, 31), "January 0001"),
    ],
)
def test_months(text: str, month: t.Month, first: date, last: date, label: str) -> None:
    parsed = t.parse_month(text)
    assert parsed == month
    assert (parsed.first_day, parsed.last_day, parsed.label) == (first, last, label)
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (NOW, t.Month(2026, 12)),
        (NOW, t.Month(1, 1)),
        # At 11:00 UTC on 31 December it is already 1 January in UTC+14.
        (datetime(2026, 12, 31, 11, 0, tzinfo=UTC), t.Month(2027, 1)),
    ],
)
def test_a_month_up_to_the_current_one_can_be_listed(now: datetime, month: t.Month) -> None:
    assert t.check_month(month, now) == month


@pytest.mark.parametrize("month", [t.Month(2027, 1), t.Month(9999, 12)])
def test_a_month_still_to_come_is_refused(month: t.Month) -> None:
    with pytest.raises(t.BadTime, match=f"{month.label} is still to come.*ask for 2026-12"):
        t.check_month(month, NOW)


@pytest.mark.parametrize(
    ("logged", "minutes"),
    [([], 24 * 60), ([(1, 600)], 840), ([(1, 15)] * 95, 15), ([(3, 1439)], 1)],
)
def test_a_day_holds_24_hours(logged: list[tuple[int, int]], minutes: int) -> None:
    assert t.check_day_total(date(2026, 12, 7), logged, minutes) == minutes


@pytest.mark.parametrize(
    ("logged", "minutes", "message"),
    [
        (
            [(1, 1440)],
            60,
            "You have already logged 24h for 2026-12-07 (entry 1): a day holds 24 hours. "
            "Nothing was logged.",
        ),
        (
            [(1, 720), (2, 720)],
            1440,
            "You have already logged 24h for 2026-12-07 (entries 1, 2): a day holds 24 hours. "
            "Nothing was logged.",
        ),
        (
            [(4, 600), (9, 600)],
            300,
            "You have already logged 20h for 2026-12-07 (entries 4, 9): a day holds 24 hours, "
            "so at most 4h more fits. Nothing was logged.",
        ),
        (  # less room than the smallest entry: no "at most" to offer
            [(1, 1430)],
            15,
            "You have already logged 23h50m for 2026-12-07 (entry 1): a day holds 24 hours. "
            "Nothing was logged.",
        ),
        (
            [(n, 60) for n in range(1, 25)],
            15,
            "You have already logged 24h for 2026-12-07 (entries 1, 2, 3, 4, 5 and 19 more): "
            "a day holds 24 hours. Nothing was logged.",
        ),
    ],
)
def test_an_entry_past_24_hours_a_day_is_refused_naming_the_day(
    logged: list[tuple[int, int]], minutes: int, message: str
) -> None:
    with pytest.raises(t.DayFull) as refused:
        t.check_day_total(date(2026, 12, 7), logged, minutes)
    assert str(refused.value) == message


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
