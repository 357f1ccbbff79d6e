"""The working group's meeting series and its reminders: pure rules, no Slack, no SQL.

The Marketing Working Group meets bi-weekly on Wednesdays at 10 AM EST, 11 AM EDT. That is a
fixed 15:00 UTC, so the series is kept in UTC: one meeting's start (``first``) and a cadence
(``every``). ``first`` is only *one* meeting of the series, not its beginning: the series extends
backwards as well as forwards. Organizers can skip single meetings, identified by their UTC date.

Every datetime this module returns is timezone-aware and in UTC. Every datetime it accepts must be
timezone-aware (any offset); a naive datetime is rejected with :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from mwgbot.domain.errors import NotPossible

__all__ = [
    "DEFAULT_EVERY",
    "DEFAULT_FIRST",
    "SKIP_AHEAD_YEARS",
    "MeetingSeries",
    "ReminderSlot",
    "check_meeting_day",
    "due_reminders",
    "format_duration",
    "format_lead",
]

DEFAULT_FIRST = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
"""A Wednesday, 15:00 UTC (10:00 EST)."""

DEFAULT_EVERY = timedelta(days=14)

SKIP_AHEAD_YEARS = 2
"""Organizers skip or restore meetings up to this many years ahead."""
_SKIP_AHEAD_WORDS = "two years"

_ONE_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)


def _require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC; raise ValueError if it is naive."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _as_day(value: date) -> date:
    """A skipped meeting's UTC date. An aware datetime is reduced to its UTC date."""
    if isinstance(value, datetime):
        return _require_aware(value, "skipped meeting").date()
    if not isinstance(value, date):
        raise TypeError(f"skipped meetings are dates, got {type(value).__name__}")
    return value


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@dataclass(frozen=True)
class MeetingSeries:
    """A regular meeting series in UTC: the meetings are ``first + k * every`` for every integer k.

    ``first`` may carry any UTC offset and is normalized to UTC, so
    ``MeetingSeries(datetime(2026, 1, 7, 10, tzinfo=timezone(timedelta(hours=-5))), ...)`` equals
    the series with ``first=2026-01-07T15:00Z``. ``skipped`` holds the UTC dates of meetings that
    will not take place; a date off the cadence is harmless (it matches no meeting). If ``every``
    is shorter than a day, skipping a date skips every meeting on that UTC date.
    """

    first: datetime = DEFAULT_FIRST
    every: timedelta = DEFAULT_EVERY
    skipped: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "first", _require_aware(self.first, "first"))
        if not isinstance(self.every, timedelta):
            raise TypeError(f"every must be a timedelta, got {type(self.every).__name__}")
        if self.every <= timedelta(0):
            raise ValueError(f"every must be positive, got {self.every}")
        object.__setattr__(self, "skipped", frozenset(_as_day(d) for d in self.skipped))

    # -- basic arithmetic ---------------------------------------------------------------------

    def _at(self, k: int) -> datetime:
        return self.first + k * self.every

    def _index_at_or_after(self, instant: datetime) -> int:
        """The smallest k with ``first + k * every >= instant``."""
        return -((self.first - instant) // self.every)

    def _index_at_or_before(self, instant: datetime) -> int:
        """The largest k with ``first + k * every <= instant``."""
        return (instant - self.first) // self.every

    def is_skipped(self, meeting: datetime) -> bool:
        """Whether the meeting starting at ``meeting`` falls on a skipped UTC date."""
        return _require_aware(meeting, "meeting").date() in self.skipped

    # -- queries ------------------------------------------------------------------------------

    def occurrences(
        self, start: datetime, end: datetime, *, include_skipped: bool = False
    ) -> list[datetime]:
        """Meetings ``t`` with ``start <= t < end``, in order, in UTC.

        ``start`` may lie before ``first``: the series extends backwards. Skipped meetings are
        left out unless ``include_skipped`` is true. An empty or reversed range gives ``[]``.
        """
        start = _require_aware(start, "start")
        end = _require_aware(end, "end")
        result: list[datetime] = []
        k = self._index_at_or_after(start)
        t = self._at(k)
        while t < end:
            if include_skipped or t.date() not in self.skipped:
                result.append(t)
            k += 1
            t = self._at(k)
        return result

    def next_meeting(self, now: datetime, *, include_skipped: bool = False) -> datetime:
        """The first meeting that starts strictly after ``now``.

        A meeting starting exactly at ``now`` has begun, so it is not "next": at 15:00:00 on a
        meeting day the answer is the following meeting. Skipped meetings are passed over unless
        ``include_skipped`` is true. (The skipped set is finite, so this always terminates.)
        """
        now = _require_aware(now, "now")
        k = self._index_at_or_before(now) + 1
        t = self._at(k)
        while not include_skipped and t.date() in self.skipped:
            k += 1
            t = self._at(k)
        return t

    def upcoming(self, now: datetime, count: int) -> list[datetime]:
        """The next ``count`` non-skipped meetings strictly after ``now``, in order."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        result: list[datetime] = []
        t = _require_aware(now, "now")
        while len(result) < count:
            t = self.next_meeting(t)
            result.append(t)
        return result

    def previous_meeting(self, now: datetime) -> datetime | None:
        """The last non-skipped meeting that started at or before ``now``.

        The series extends backwards, so there always is one in practice; ``None`` is returned
        only if the search runs off the range of :class:`datetime` (year 1).
        """
        now = _require_aware(now, "now")
        k = self._index_at_or_before(now)
        try:
            t = self._at(k)
            while t.date() in self.skipped:
                k -= 1
                t = self._at(k)
        except OverflowError:
            return None
        return t

    def occurrence_on(self, day: date) -> datetime | None:
        """The series' meeting on the UTC date ``day`` (skipped or not), else ``None``.

        If ``every`` is shorter than a day and several meetings fall on ``day``, the earliest.
        """
        if isinstance(day, datetime):
            raise TypeError("occurrence_on takes a date, not a datetime")
        start = _utc_midnight(day)
        try:
            k = self._index_at_or_after(start)
            t = self._at(k)
            return t if t < start + _ONE_DAY else None
        except OverflowError:  # the meeting after 9999-12-31 (or before year 1) has no date
            return None

    def with_skipped(self, days: Iterable[date]) -> MeetingSeries:
        """A copy of this series that also skips ``days`` (UTC dates), in addition to those
        already skipped."""
        return replace(self, skipped=self.skipped | frozenset(_as_day(d) for d in days))

    def without_skipped(self, days: Iterable[date]) -> MeetingSeries:
        """A copy of this series in which ``days`` are no longer skipped."""
        return replace(self, skipped=self.skipped - frozenset(_as_day(d) for d in days))


def latest_meeting_day(today: date) -> date:
    """The last day organizers may skip or restore a meeting on: two years from today."""
    year = min(today.year + SKIP_AHEAD_YEARS, date.max.year)
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=year, day=28)


def check_meeting_day(day: date, today: date, done: str) -> date:
    """A day typed to skip or restore a meeting: from today (UTC) to two years ahead.

    ``done`` is the past participle of what is asked ("skipped", "restored").
    """
    if day < today:
        raise NotPossible(
            f"{day.isoformat()} is in the past: only an upcoming meeting can be {done}. "
            "Nothing changed."
        )
    latest = latest_meeting_day(today)
    if day > latest:
        raise NotPossible(
            f"{day.isoformat()} is more than {_SKIP_AHEAD_WORDS} ahead: meetings can be "
            f"{done} up to {latest.isoformat()}. Nothing changed."
        )
    return day


# -- durations ---------------------------------------------------------------------------------

_UNITS: tuple[tuple[str, int], ...] = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def format_duration(td: timedelta) -> str:
    """A compact duration such as ``"14d"``, ``"1d12h"``, ``"15m"``, ``"1m30s"``, ``"0s"``.

    Units are days, hours, minutes and seconds (never weeks: two weeks is ``"14d"``), largest
    first, zero parts omitted; a negative duration gets a leading ``"-"``. The output is parsed
    back by the settings' duration syntax. Durations with a fraction of a second are rejected
    with :class:`ValueError`, so the result is always exact.
    """
    if td % timedelta(seconds=1):
        raise ValueError(f"duration must be a whole number of seconds, got {td}")
    seconds = td // timedelta(seconds=1)
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts: list[str] = []
    for suffix, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{suffix}")
    return sign + "".join(parts)


def format_lead(td: timedelta) -> str:
    """A reminder lead time as used in :attr:`ReminderSlot.key`, e.g. ``"24h"`` or ``"15m"``.

    Same format as :func:`format_duration`; the lead must be positive.
    """
    if td <= timedelta(0):
        raise ValueError(f"a reminder lead must be positive, got {td}")
    return format_duration(td)


def _format_instant(t: datetime) -> str:
    """``2026-01-07T15:00Z``; seconds and microseconds only when present, so keys stay exact."""
    t = t.astimezone(UTC)
    if t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if t.second:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return t.strftime("%Y-%m-%dT%H:%MZ")


# -- reminders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderSlot:
    """One reminder: for the meeting starting at ``meeting``, ``lead`` before it, due at ``due``.

    ``meeting`` and ``due`` are normalized to UTC, and ``due`` must equal ``meeting - lead``.
    """

    meeting: datetime
    lead: timedelta
    due: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "meeting", _require_aware(self.meeting, "meeting"))
        object.__setattr__(self, "due", _require_aware(self.due, "due"))
        if self.lead <= timedelta(0):
            raise ValueError(f"a reminder lead must be positive, got {self.lead}")
        if self.due != self.meeting - self.lead:
            raise ValueError(
                f"due ({self.due.isoformat()}) must be meeting - lead "
                f"({(self.meeting - self.lead).isoformat()})"
            )

    @classmethod
    def for_meeting(cls, meeting: datetime, lead: timedelta) -> ReminderSlot:
        return cls(meeting=meeting, lead=lead, due=meeting - lead)

    @property
    def key(self) -> str:
        """A stable identity, e.g. ``"2026-01-07T15:00Z/24h"``: UTC meeting start and lead.

        It depends only on the meeting and the lead, so it is the same across restarts and
        instances and can serve as a database unique key.
        """
        return f"{_format_instant(self.meeting)}/{format_lead(self.lead)}"


def due_reminders(
    series: MeetingSeries,
    leads: Sequence[timedelta],
    since: datetime,
    now: datetime,
) -> list[ReminderSlot]:
    """The reminders to send now, ordered by due time (then meeting).

    A slot qualifies when its due time lies in ``(since, now]``, its meeting has not begun
    (``meeting > now``) and the meeting is not skipped. ``since`` is how far back to look for
    reminders that fell due while nobody was looking; callers pass e.g. ``now - max(leads)``,
    which, given that the meeting must still be ahead, accepts every late reminder of a meeting
    that has not yet started. Pass a later ``since`` to drop reminders that are too stale.

    When several leads of one meeting are due at once (the bot was down through an earlier
    reminder), only the latest-due one (the smallest lead) is returned for that meeting, so the
    channel never gets two reminders for the same meeting at once. Sending is the caller's job,
    deduplicated by :attr:`ReminderSlot.key`; since an earlier lead is never returned once a
    later one is due, a skipped-over reminder stays skipped on later calls too.
    """
    since = _require_aware(since, "since")
    now = _require_aware(now, "now")
    unique_leads = sorted(set(leads))
    if not unique_leads:
        return []
    if unique_leads[0] <= timedelta(0):
        raise ValueError(f"reminder leads must be positive, got {unique_leads[0]}")
    if since >= now:
        return []
    # A qualifying meeting satisfies now < meeting <= now + max(lead), i.e. it lies in
    # [now + 1µs, now + max(lead) + 1µs): datetimes have microsecond resolution.
    window_start = now + _ONE_MICROSECOND
    window_end = now + unique_leads[-1] + _ONE_MICROSECOND
    slots: list[ReminderSlot] = []
    for meeting in series.occurrences(window_start, window_end):
        # Smallest lead first: the first due one is the latest-due reminder of this meeting.
        for lead in unique_leads:
            due = meeting - lead
            if since < due <= now:
                slots.append(ReminderSlot(meeting=meeting, lead=lead, due=due))
                break
    slots.sort(key=lambda slot: (slot.due, slot.meeting))
    return slots
