"""Settings: defaults, durations, and one-line errors naming the variable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mwgbot.config import ConfigError, Settings, load_settings, parse_duration


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("45m", timedelta(minutes=45)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 1W2D ", timedelta(days=9)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7 d", "-7d", "0s", "1y", "1.5h", "7d-"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///mwgbot.db"
    assert settings.mwg_moderators == []
    assert settings.mwg_consensus_window == timedelta(days=7)
    assert settings.mwg_consensus_min == timedelta(hours=72)
    assert settings.mwg_join_emojis == ["raised_hand"]
    assert settings.mwg_object_emojis == ["no_entry_sign"]
    assert settings.mwg_sweep_interval == timedelta(seconds=30)
    assert settings.mwg_meeting_first == datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    assert settings.mwg_meeting_every == timedelta(days=14)
    assert settings.mwg_meeting_reminders == [timedelta(hours=24), timedelta(minutes=15)]
    assert settings.mwg_digest_cron == "0 14 * * 1"
    assert settings.mwg_stale_after == timedelta(days=21)
    assert settings.mwg_welcome is True
    assert settings.mwg_calendar_url is None
    assert settings.mwg_reconcile_interval == timedelta(minutes=15)
    assert settings.mwg_max_open_per_member == 5
    assert settings.mwg_commands_per_minute == 30
    assert settings.mwg_escalation_reminder == timedelta(days=7)


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nMWG_MODERATORS=UMOD1, UMOD2\nMWG_CHANNEL=C0MKT\n"
    )
    monkeypatch.setenv("MWG_CONSENSUS_WINDOW", "1d12h")
    monkeypatch.setenv("MWG_CONSENSUS_MIN", "36h")
    monkeypatch.setenv("MWG_JOIN_EMOJIS", ":raised_hand:,hand")
    monkeypatch.setenv("MWG_MEETING_FIRST", "2026-01-07T10:00:00-05:00")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.mwg_moderators == ["UMOD1", "UMOD2"]
    assert settings.mwg_consensus_window == timedelta(hours=36)
    assert settings.mwg_join_emojis == ["raised_hand", "hand"]
    assert settings.mwg_meeting_first == datetime(2026, 1, 7, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db.example:5432/mwg", "postgresql+psycopg://u:p@db.example:5432/mwg"),
        ("postgresql://u@db/mwg", "postgresql+psycopg://u@db/mwg"),
        ("postgresql+psycopg://u@db/mwg", "postgresql+psycopg://u@db/mwg"),
        ("sqlite:////data/mwgbot.db", "sqlite:////data/mwgbot.db"),
    ],
)
def test_database_urls(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_URL", "not a url"),
        ("MWG_CHANNEL", "#marketing"),
        ("MWG_MODERATORS", "UMOD1,eden"),
        ("MWG_CONSENSUS_WINDOW", "soon"),
        ("MWG_CONSENSUS_MIN", "0s"),
        ("MWG_JOIN_EMOJIS", " , "),
        ("MWG_SWEEP_INTERVAL", "30"),
        ("MWG_MEETING_FIRST", "2026-01-07T15:00:00"),
        ("MWG_MEETING_FIRST", "next wednesday"),
        ("MWG_MEETING_EVERY", "fortnightly"),
        ("MWG_MEETING_REMINDERS", "24h,soon"),
        ("MWG_DIGEST_CRON", "every monday"),
        ("MWG_DIGEST_CRON", "0 25 * * 1"),
        ("LOG_LEVEL", "chatty"),
    ],
)
def test_a_malformed_value_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_a_window_below_the_minimum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MWG_CONSENSUS_WINDOW", "48h")
    with pytest.raises(ConfigError, match="MWG_CONSENSUS_WINDOW"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("SLACK_BOT_TOKEN", "bot token (xoxb-…)"),
        ("SLACK_APP_TOKEN", "xapp-"),
        ("SLACK_SIGNING_SECRET", "signing secret"),
        ("MWG_CHANNEL", "channel ID"),
    ],
)
def test_a_missing_required_setting_is_named(name: str, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings().require(name)
    assert str(raised.value).startswith(f"{name} is not set: ")
    assert words in str(raised.value)


@pytest.mark.parametrize(
    "crontab", ["0 14 * * 1", "0 14 * * 7", "30 9 * * mon-fri", "*/15 * * * *"]
)
def test_crontabs_use_standard_cron_weekdays(monkeypatch: pytest.MonkeyPatch, crontab: str) -> None:
    monkeypatch.setenv("MWG_DIGEST_CRON", crontab)
    assert load_settings().mwg_digest_cron == crontab


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("MWG_STALE_AFTER", "2w", "mwg_stale_after", timedelta(weeks=2)),
        ("MWG_WELCOME", "off", "mwg_welcome", False),
        ("MWG_WELCOME", "on", "mwg_welcome", True),
        ("MWG_CALENDAR_URL", "https://cal.example/mwg.ics", "mwg_calendar_url", None),
        ("MWG_CALENDAR_URL", " ", "mwg_calendar_url", None),
        ("MWG_RECONCILE_INTERVAL", "5m", "mwg_reconcile_interval", timedelta(minutes=5)),
        ("MWG_MAX_OPEN_PER_MEMBER", "3", "mwg_max_open_per_member", 3),
        ("MWG_COMMANDS_PER_MINUTE", "60", "mwg_commands_per_minute", 60),
        ("MWG_ESCALATION_REMINDER", "3d", "mwg_escalation_reminder", timedelta(days=3)),
    ],
)
def test_the_life_around_the_decision_is_configurable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, attribute: str, expected: object
) -> None:
    monkeypatch.setenv(name, value)
    if name == "MWG_CALENDAR_URL" and value.strip():
        expected = value
    assert getattr(load_settings(), attribute) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MWG_STALE_AFTER", "three weeks"),
        ("MWG_WELCOME", "sometimes"),
        ("MWG_CALENDAR_URL", "webcal://cal.example/mwg.ics"),
        ("MWG_RECONCILE_INTERVAL", "0s"),
        ("MWG_MAX_OPEN_PER_MEMBER", "0"),
        ("MWG_COMMANDS_PER_MINUTE", "lots"),
        ("MWG_ESCALATION_REMINDER", "weekly"),
    ],
)
def test_a_bad_new_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"{name} is malformed")
    assert "\n" not in message


@pytest.mark.parametrize("text", ["99999999999999d", "3661d", "1" * 13 + "s", "523w"])
def test_durations_past_ten_years_are_refused_not_overflowed(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


def test_the_longest_duration_is_accepted() -> None:
    assert parse_duration("3660d") == timedelta(days=3660)
