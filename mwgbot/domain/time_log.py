"""The time members give, self-reported and optional: pure rules, no Slack, no SQL.

An entry is a duration in hours and minutes (``45m``, ``2h``, ``1h30m``), at least 15 minutes
and at most 24 hours, on a day that is not in the future and at most 62 days back; one
member's entries of one day total at most 24 hours (a day holds no more). Months are
UTC calendar months. The group suggests 10-20 hours a month (the Core Contributor program's
expectation): a member's month is under, in or over that band.

Every number is range-checked while it is still text, so no input, however long, reaches
arithmetic out of range.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from mwgbot.domain.errors import NotPossible

MIN_MINUTES = 15
MAX_MINUTES = 24 * 60
# A day holds 24 hours: one member's entries of one day total at most this.
MAX_DAY_MINUTES = 24 * 60
# How many of a full day's entries a refusal names.
ENTRIES_NAMED = 5
BAND_LOW_MINUTES = 10 * 60
BAND_HIGH_MINUTES = 20 * 60
SUGGESTION = "10–20 h a month"
MAX_DAYS_BACK = 62
MAX_WHAT = 300
# "Not in the future" anywhere on Earth: the furthest-ahead zone is UTC+14, so a member there
# may log their own today while it is still yesterday in UTC.
AHEAD_OF_UTC = timedelta(hours=14)

_DURATION = re.compile(r"(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m(?:in)?)?", re.IGNORECASE)
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What a refusal may echo of the input: anything else (markup, mentions) shows as "?".
_UNSAFE = re.compile(r"[^0-9A-Za-z .:,+#/_-]")
# More digits than these can never be in range; refused before any int() is taken.
_MAX_HOUR_DIGITS = 2
_MAX_MINUTE_DIGITS = 4

DURATION_EXAMPLES = "45m, 2h, 1h30m or 2h30m"


class BadTime(NotPossible):
    """Input that is not a valid duration, day or month; the message says what to type."""


class DayFull(NotPossible):
    """The entry would take the member's day past 24 hours."""


class Band(enum.StrEnum):
    """A month's total against the suggested 10-20 hours."""

    UNDER = "under"
    IN = "in"
    OVER = "over"


def parse_duration(text: str) -> int:
    """``2h30m`` → 150 minutes, within 15 minutes and 24 hours; BadTime otherwise."""
    cleaned = text.strip().lower()
    if cleaned.startswith(("-", "−", "–", "—")):
        raise BadTime(f"Time given cannot be negative: write a duration like {DURATION_EXAMPLES}.")
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None or not (match["hours"] or match["minutes"]):
        raise BadTime(
            f"`{_shown(cleaned)}` is not a duration: write hours and minutes, "
            f"like {DURATION_EXAMPLES}."
        )
    hours_text, minutes_text = match["hours"] or "0", match["minutes"] or "0"
    if (
        len(hours_text.lstrip("0")) > _MAX_HOUR_DIGITS
        or len(minutes_text.lstrip("0")) > _MAX_MINUTE_DIGITS
    ):
        raise BadTime(_too_long())
    hours, minutes = int(hours_text), int(minutes_text)
    if match["hours"] and minutes >= 60:
        raise BadTime(
            f"`{_shown(cleaned)}`: minutes after the hours must be under 60; "
            f"write {hours + minutes // 60}h{minutes % 60}m."
        )
    return check_minutes(hours * 60 + minutes)


def _shown(text: str) -> str:
    """At most 20 characters of the input, with nothing that Slack could read as markup."""
    return _UNSAFE.sub("?", text[:20])


def check_minutes(minutes: int) -> int:
    """One entry's length: at least 15 minutes, at most 24 hours."""
    if minutes <= 0:
        raise BadTime(f"Log at least {format_minutes(MIN_MINUTES)}; zero time is not an entry.")
    if minutes < MIN_MINUTES:
        raise BadTime(
            f"{format_minutes(minutes)} is under the smallest entry, "
            f"{format_minutes(MIN_MINUTES)}; add it to a longer one."
        )
    if minutes > MAX_MINUTES:
        raise BadTime(_too_long())
    return minutes


def _too_long() -> str:
    return "One entry is at most 24h; log longer work as one entry per day."


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` → a date (range-checked later, against today)."""
    if _DAY.fullmatch(text) is None:
        raise BadTime(f"`{_shown(text)}` is not a date; write it as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadTime(f"{text} is not a date on the calendar.") from None


def today(now: datetime) -> date:
    """The day entries default to: today in UTC."""
    return now.astimezone(UTC).date()


def earliest_day(now: datetime) -> date:
    return today(now) - timedelta(days=MAX_DAYS_BACK)


def latest_day(now: datetime) -> date:
    """The latest day that has begun somewhere on Earth."""
    return (now.astimezone(UTC) + AHEAD_OF_UTC).date()


def check_day(day: date, now: datetime) -> date:
    """Not in the future, at most 62 days back; NotPossible otherwise."""
    if day > latest_day(now):
        raise NotPossible(
            f"{day.isoformat()} is in the future; log time for today or an earlier day. "
            "Nothing was logged."
        )
    earliest = earliest_day(now)
    if day < earliest:
        raise NotPossible(
            f"{day.isoformat()} is more than {MAX_DAYS_BACK} days ago; the earliest day you can "
            f"log is {earliest.isoformat()}. Nothing was logged."
        )
    return day


def check_day_total(day: date, logged: Sequence[tuple[int, int]], minutes: int) -> int:
    """One more entry of ``minutes`` on ``day``, where ``logged`` holds the member's entries of
    that day already (entry number, minutes): together at most 24 hours."""
    already = sum(m for _entry, m in logged)
    if already + minutes <= MAX_DAY_MINUTES:
        return minutes
    entries = [str(entry) for entry, _m in logged]
    named = ", ".join(entries[:ENTRIES_NAMED])
    if len(entries) > ENTRIES_NAMED:
        named += f" and {len(entries) - ENTRIES_NAMED} more"
    left = MAX_DAY_MINUTES - already
    room = f", so at most {format_minutes(left)} more fits" if left >= MIN_MINUTES else ""
    raise DayFull(
        f"You have already logged {format_minutes(already)} for {day.isoformat()} "
        f"(entr{'ies' if len(entries) != 1 else 'y'} {named}): a day holds 24 hours{room}. "
        "Nothing was logged."
    )


def check_what(text: str) -> str:
    if not text:
        raise BadTime("Say what you did, e.g. `/mwg log 2h drafted the case study`.")
    if len(text) > MAX_WHAT:
        raise BadTime(f"That description is {len(text):,} characters; the most is {MAX_WHAT}.")
    return text


@dataclass(frozen=True, order=True)
class Month:
    """A UTC calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise BadTime(f"{self.year:04d}-{self.month:02d} is not a month.")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, now: datetime) -> Month:
        return cls.of(today(now))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day (9999-12 has no day after it)."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        """``December 2026``; years before 1000 with four digits (``January 0001``)."""
        return f"{calendar.month_name[self.month]} {self.year:04d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str) -> Month:
    """``YYYY-MM`` → a Month."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise BadTime(f"`{_shown(text)}` is not a month; write it as YYYY-MM, e.g. 2026-11.")
    return Month(int(match["year"]), int(match["month"]))


def latest_month(now: datetime) -> Month:
    """The latest month with a day that has begun somewhere on Earth."""
    return Month.of(latest_day(now))


def check_month(month: Month, now: datetime) -> Month:
    """A month typed to list time: any month up to the current one (there is nothing later)."""
    latest = latest_month(now)
    if month > latest:
        raise BadTime(
            f"{month.label} is still to come, so no time is logged in it yet: ask for "
            f"{latest} or an earlier month."
        )
    return month


def band(minutes: int) -> Band:
    """Under, in or over the suggested 10-20 hours a month (both ends included)."""
    if minutes < BAND_LOW_MINUTES:
        return Band.UNDER
    if minutes > BAND_HIGH_MINUTES:
        return Band.OVER
    return Band.IN


def format_minutes(minutes: int) -> str:
    """150 → ``2h30m``, 120 → ``2h``, 45 → ``45m``, 0 → ``0h``: as members type them."""
    hours, rest = divmod(max(0, minutes), 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m" if rest else "0h"
