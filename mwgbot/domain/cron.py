"""Crontabs in UTC, read with standard cron weekdays; pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

# How far back to look for the latest fire time, growing until one is found: a crontab may
# fire every minute, or only on 29 February that is also a Monday (APScheduler ANDs the fields).
_LOOKBACKS = (
    timedelta(minutes=2),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=4 * 366),
    timedelta(days=29 * 366),
)
_ONE_SECOND = timedelta(seconds=1)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_weekdays(field: str) -> str:
    """A crontab day-of-week field in APScheduler's terms.

    In a crontab 0 (and 7) is Sunday and 1 Monday; APScheduler 3's numbers start at Monday = 0
    (its ``from_crontab`` passes them through unchanged, so ``0 14 * * 1`` would fire on
    Tuesdays). The field is expanded to the days it means and written as names, which both
    read alike. ``*``, lists, ranges, steps and names (``mon-fri``, ``*/2``) are accepted.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day-of-week field {field!r}")
        if span == "*":
            first, last = 0, 6
        else:
            start, _, end = span.partition("-")
            first = _weekday_number(start)
            last = _weekday_number(end) if end else (6 if step_text else first)
            if end and last == 0 and first > 0:
                last = 7  # `fri-sun` runs through Sunday, as `5-7` does
        if first > last:
            raise ValueError(f"backwards range in day-of-week field {field!r}")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def _weekday_number(text: str) -> int:
    if text in _WEEKDAYS:
        return _WEEKDAYS.index(text)
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)  # 7 is Sunday too; callers reduce modulo 7
    raise ValueError(f"{text!r} is not a day of the week")


def cron_trigger(crontab: str) -> CronTrigger:
    """The five-field crontab (standard cron weekdays, UTC) as an APScheduler trigger."""
    values = crontab.split()
    if len(values) != 5:
        raise ValueError(f"a crontab has 5 fields, got {len(values)}")
    minute, hour, day, month, weekday = values
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_cron_weekdays(weekday),
        timezone=UTC,
    )


def latest_fire_time(crontab: str, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` at which the UTC crontab fires (None if never)."""
    trigger = cron_trigger(crontab)
    now = now.astimezone(UTC)
    for lookback in _LOOKBACKS:
        fire: datetime | None = trigger.get_next_fire_time(None, now - lookback)
        if fire is None or fire > now:
            continue
        while True:
            following: datetime | None = trigger.get_next_fire_time(None, fire + _ONE_SECOND)
            if following is None or following > now:
                return fire.astimezone(UTC)
            fire = following
    return None
