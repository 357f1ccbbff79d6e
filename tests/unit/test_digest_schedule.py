"""When the digest is due: the latest fire time of a UTC crontab at or before now, with the
crontab's own weekday numbers (0 and 7 are Sunday), which APScheduler 3 numbers differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mwgbot.services.digest import cron_trigger, latest_fire_time, scheduled_key
from mwgbot.services.read_models import Digest

MONDAY_1400 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MONDAY_1400, MONDAY_1400),
        (MONDAY_1400 - timedelta(microseconds=1), MONDAY_1400 - timedelta(days=7)),
        (MONDAY_1400 + timedelta(seconds=1), MONDAY_1400),
        (MONDAY_1400 + timedelta(days=6, hours=23), MONDAY_1400),
        (MONDAY_1400 + timedelta(days=7), MONDAY_1400 + timedelta(days=7)),
    ],
)
def test_the_default_is_monday_at_1400_utc(now: datetime, expected: datetime) -> None:
    fire = latest_fire_time("0 14 * * 1", now)
    assert fire == expected
    assert fire is not None
    assert fire.weekday() == 0
    assert fire.tzinfo == UTC


@pytest.mark.parametrize(
    ("weekdays", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("6", "sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("FRI-SUN", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("1,3", "mon,wed"),
    ],
)
def test_crontab_weekdays_mean_what_they_mean_in_cron(weekdays: str, names: str) -> None:
    trigger = cron_trigger(f"0 9 * * {weekdays}")
    assert str(trigger.fields[4]) == names  # day_of_week


def test_sunday_zero_fires_on_sunday() -> None:
    fire = latest_fire_time("30 8 * * 0", MONDAY_1400)
    assert fire == datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    assert fire is not None
    assert fire.strftime("%A") == "Sunday"


@pytest.mark.parametrize(
    ("crontab", "expected"),
    [
        ("* * * * *", datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),
        ("0 0 1 * *", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
        ("0 0 1 1 *", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2024, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_rare_and_frequent_schedules(crontab: str, expected: datetime) -> None:
    assert latest_fire_time(crontab, MONDAY_1400 + timedelta(seconds=30)) == expected


def test_any_offset_is_accepted_and_utc_returned() -> None:
    new_york = timezone(timedelta(hours=-5))
    now = datetime(2026, 11, 30, 9, 0, 30, tzinfo=new_york)  # 14:00:30 UTC
    assert latest_fire_time("0 14 * * 1", now) == MONDAY_1400


@pytest.mark.parametrize("crontab", ["0 14 * *", "0 14 * * 1 2026", "0 14 * * 8", "0 14 * * 5-2"])
def test_malformed_crontabs_are_refused(crontab: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the messages come from APScheduler too)
        cron_trigger(crontab)


def test_scheduled_keys_are_stable_utc_instants() -> None:
    assert scheduled_key(MONDAY_1400) == "digest:2026-11-30T14:00:00+00:00"
    other_zone = MONDAY_1400.astimezone(timezone(timedelta(hours=2)))
    assert scheduled_key(other_zone) == scheduled_key(MONDAY_1400)


def test_a_digest_is_quiet_only_with_nothing_new_and_nothing_pending() -> None:
    assert Digest(as_of=MONDAY_1400, since=None).quiet
