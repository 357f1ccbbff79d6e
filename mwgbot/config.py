"""Settings: the one place that reads the environment and `.env`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_DURATION_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


# Longer than anything the bot schedules; checked before any arithmetic on the value.
MAX_DURATION = timedelta(days=3660)
_MAX_DIGITS = 12


class DurationTooLong(ValueError):
    """A well-formed duration longer than MAX_DURATION (ten years)."""


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `45m`, `72h`, `7d`, `2w` or combinations such as `1d12h`."""
    cleaned = text.strip().lower()
    if not _DURATION_WHOLE.fullmatch(cleaned):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise ValueError(f"{shown!r} is not a duration like 90s, 45m, 72h, 7d, 2w or 1d12h")
    parts = _DURATION_PART.findall(cleaned)
    if any(len(n) > _MAX_DIGITS for n, _unit in parts):
        raise DurationTooLong(f"{cleaned!r} is too long; the most is {MAX_DURATION.days} days")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise DurationTooLong(f"{cleaned!r} is too long; the most is {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def split_csv(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ValueError("expected a comma-separated list")


def normalize_database_url(url: str) -> str:
    """Accept `postgres://` (the common hosted form) and pick psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# The databases mwgbot runs on, as SQLAlchemy names them once `normalize_database_url` ran.
SUPPORTED_DATABASE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})


class UnsupportedDatabase(ValueError):
    """A well-formed DATABASE_URL of a database (or driver) mwgbot does not run on."""

    def __init__(self, scheme: str) -> None:
        super().__init__(
            f"DATABASE_URL names {scheme}://, which mwgbot does not support: use SQLite "
            "(sqlite:///mwgbot.db) or PostgreSQL (postgresql://user@host/db; postgres:// too)"
        )


# What each variable expects, in the operator's words; used for one-line errors.
EXPECTATIONS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "put the bot token (xoxb-…) in .env or the environment",
    "SLACK_APP_TOKEN": "put the app-level token (xapp-…) in .env or the environment; "
    "Socket Mode needs it",
    "SLACK_SIGNING_SECRET": "put the app's signing secret (Basic Information page) "
    "in .env or the environment; HTTP mode needs it",
    "SLACK_API_URL": "an http(s) URL ending in /, e.g. https://slack.com/api/",
    "DATABASE_URL": "a SQLAlchemy URL such as sqlite:///mwgbot.db or postgresql://user@host/db",
    "MWG_CHANNEL": "the channel ID of #marketing (C…), where the bot posts",
    "MWG_MODERATORS": "comma-separated Slack user IDs (U…)",
    "MWG_ORGANIZERS": "comma-separated Slack user IDs (U…)",
    "MWG_CONSENSUS_WINDOW": "a duration such as 7d, at least MWG_CONSENSUS_MIN",
    "MWG_CONSENSUS_MIN": "a duration such as 72h",
    "MWG_JOIN_EMOJIS": "comma-separated reaction names without colons, e.g. raised_hand",
    "MWG_OBJECT_EMOJIS": "comma-separated reaction names without colons, e.g. no_entry_sign",
    "MWG_SWEEP_INTERVAL": "a duration such as 30s",
    "MWG_MEETING_FIRST": "one meeting's start, ISO 8601 with an offset, e.g. 2026-01-07T15:00:00Z",
    "MWG_MEETING_EVERY": "a duration such as 14d",
    "MWG_MEETING_REMINDERS": "comma-separated durations such as 24h,15m",
    "MWG_MEETING_LENGTH": "a duration such as 1h (the notes are asked for when it has passed)",
    "MWG_DIGEST_CRON": "a five-field crontab in UTC, e.g. 0 14 * * 1",
    "MWG_STALE_AFTER": "a duration such as 21d",
    "MWG_WELCOME": "on or off",
    "MWG_CALENDAR_URL": "the public http(s) URL of the meeting feed, or empty",
    "MWG_RECONCILE_INTERVAL": "a duration such as 15m",
    "MWG_MAX_OPEN_PER_MEMBER": "a whole number of proposals, at least 1, e.g. 5",
    "MWG_COMMANDS_PER_MINUTE": "a whole number of commands, at least 1, e.g. 30",
    "MWG_ESCALATION_REMINDER": "a duration such as 7d",
    "MWG_CANVAS": "on or off",
    "MWG_GROUPS_FILE": "the path of a TOML file of [[group]] tables (see examples/groups.toml), "
    "or empty for one group from the MWG_* settings",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
}


def _database_url(value: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    normalized = normalize_database_url(value.strip())
    try:
        url = make_url(normalized)
    except ArgumentError as exc:
        raise ValueError("is not a database URL") from exc
    # Checked here, so every command refuses it in one line instead of a missing driver's
    # traceback (`mysql://` needs MySQLdb, which mwgbot neither ships nor supports).
    if url.drivername not in SUPPORTED_DATABASE_DRIVERS:
        raise UnsupportedDatabase(url.drivername)
    return normalized


def checked_database_url(value: str) -> str:
    """DATABASE_URL read as Settings reads it, for a command that reads nothing else (the
    console); ConfigError with one line when mwgbot cannot use it."""
    try:
        return _database_url(value)
    except UnsupportedDatabase as exc:
        raise ConfigError(str(exc)) from None
    except ValueError as exc:
        raise ConfigError(
            f"DATABASE_URL is malformed ({exc}): expected {EXPECTATIONS['DATABASE_URL']}"
        ) from None


# The rules of the MWG_* values, as small functions: the Settings validators below and the
# groups file (mwgbot.groups_file) both use them, so a value means the same in either place.


def as_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(str(value))


def parse_durations(value: Any) -> list[timedelta]:
    """A list of durations, or comma-separated text such as `24h,15m`."""
    if isinstance(value, list | tuple):
        return [as_duration(v) for v in value]
    return [parse_duration(part) for part in split_csv(value)]


def parse_user_ids(value: Any) -> list[str]:
    ids = split_csv(value)
    bad = [i for i in ids if not _USER_ID.fullmatch(i)]
    if bad:
        raise ValueError(f"{', '.join(bad)} is not a Slack user ID")
    return ids


def parse_emojis(value: Any) -> list[str]:
    names = [name.strip(":") for name in split_csv(value)]
    if not names:
        raise ValueError("needs at least one emoji name")
    return names


def check_channel_id(value: str) -> str:
    if not re.fullmatch(r"[CGD][A-Z0-9]{2,}", value):
        raise ValueError("must be a channel ID such as C0123456789, not a #name")
    return value


def check_calendar_url(value: str) -> str:
    if not re.match(r"https?://[^\s<>|]+$", value):
        raise ValueError("must be an http(s) URL")
    return value


def check_crontab(value: str) -> str:
    from mwgbot.domain.cron import cron_trigger

    try:
        cron_trigger(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from exc
    return value


def require_offset(value: datetime) -> datetime:
    """An instant with its offset, in UTC: a wall-clock time alone is ambiguous."""
    if value.tzinfo is None:
        raise ValueError("needs an offset such as Z or -05:00")
    return value.astimezone(UTC)


def parse_instant(value: Any) -> datetime:
    """An instant as MWG_MEETING_FIRST reads it: a datetime, or ISO 8601 text with an offset."""
    try:
        parsed = TypeAdapter(datetime).validate_python(value)
    except ValidationError as exc:
        shown = str(value) if len(str(value)) <= 30 else str(value)[:30] + "…"
        reason = str(exc.errors()[0]["msg"])
        raise ValueError(f"{shown!r} is not a date and time: {reason}") from None
    return require_offset(parsed)


class Settings(BaseSettings):
    """Every variable of design.md's table, with its default."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///mwgbot.db"
    mwg_channel: str | None = None
    mwg_moderators: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mwg_organizers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mwg_consensus_window: Annotated[timedelta, NoDecode] = timedelta(days=7)
    mwg_consensus_min: Annotated[timedelta, NoDecode] = timedelta(hours=72)
    mwg_join_emojis: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["raised_hand"])
    mwg_object_emojis: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["no_entry_sign"]
    )
    mwg_sweep_interval: Annotated[timedelta, NoDecode] = timedelta(seconds=30)
    mwg_meeting_first: datetime = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    mwg_meeting_every: Annotated[timedelta, NoDecode] = timedelta(days=14)
    mwg_meeting_reminders: Annotated[list[timedelta], NoDecode] = Field(
        default_factory=lambda: [timedelta(hours=24), timedelta(minutes=15)]
    )
    mwg_meeting_length: Annotated[timedelta, NoDecode] = timedelta(hours=1)
    mwg_digest_cron: str = "0 14 * * 1"
    mwg_stale_after: Annotated[timedelta, NoDecode] = timedelta(days=21)
    mwg_welcome: bool = True
    mwg_calendar_url: str | None = None
    mwg_reconcile_interval: Annotated[timedelta, NoDecode] = timedelta(minutes=15)
    mwg_max_open_per_member: int = Field(default=5, ge=1)
    mwg_commands_per_minute: int = Field(default=30, ge=1)
    mwg_escalation_reminder: Annotated[timedelta, NoDecode] = timedelta(days=7)
    # The group's page, a live channel canvas (on|off); needs the canvases:write scope.
    mwg_canvas: bool = False
    mwg_groups_file: str | None = None
    log_level: str = "INFO"

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "mwg_channel",
        "mwg_calendar_url",
        "mwg_groups_file",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not re.match(r"https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("mwg_calendar_url")
    @classmethod
    def _calendar_url_shape(cls, value: str | None) -> str | None:
        return None if value is None else check_calendar_url(value)

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        return _database_url(value)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("is not a log level")
        return level

    @field_validator("mwg_channel")
    @classmethod
    def _channel_shape(cls, value: str | None) -> str | None:
        return None if value is None else check_channel_id(value)

    @field_validator("mwg_moderators", "mwg_organizers", mode="before")
    @classmethod
    def _user_ids(cls, value: Any) -> list[str]:
        return parse_user_ids(value)

    @field_validator("mwg_join_emojis", "mwg_object_emojis", mode="before")
    @classmethod
    def _emojis(cls, value: Any) -> list[str]:
        return parse_emojis(value)

    @field_validator(
        "mwg_consensus_window",
        "mwg_consensus_min",
        "mwg_sweep_interval",
        "mwg_meeting_every",
        "mwg_meeting_length",
        "mwg_stale_after",
        "mwg_reconcile_interval",
        "mwg_escalation_reminder",
        mode="before",
    )
    @classmethod
    def _durations(cls, value: Any) -> timedelta:
        return as_duration(value)

    @field_validator("mwg_meeting_reminders", mode="before")
    @classmethod
    def _reminder_leads(cls, value: Any) -> list[timedelta]:
        return parse_durations(value)

    @field_validator("mwg_meeting_first")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return require_offset(value)

    @field_validator("mwg_digest_cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        return check_crontab(value)

    def model_post_init(self, context: Any, /) -> None:
        if self.mwg_consensus_window < self.mwg_consensus_min:
            raise ConfigError(
                "MWG_CONSENSUS_WINDOW is shorter than MWG_CONSENSUS_MIN: "
                + EXPECTATIONS["MWG_CONSENSUS_WINDOW"]
            )

    def require(self, *names: str) -> None:
        """Stop with one line when a setting this command needs is unset."""
        for name in names:
            if getattr(self, name.lower()) is None:
                raise ConfigError(f"{name} is not set: {EXPECTATIONS[name]}")


# What a well-formed value looks like, where EXPECTATIONS says how to supply a missing one.
FORMATS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb-",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp-",
}


def describe_validation_error(error: ValidationError) -> str:
    """Turn pydantic's multi-line report into one line naming the first bad variable."""
    first = error.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, UnsupportedDatabase):
        return str(cause)
    name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    reason = str(first["msg"]).removeprefix("Value error, ")
    expected = FORMATS.get(name) or EXPECTATIONS.get(name, "")
    return f"{name} is malformed ({reason}): expected {expected}".rstrip(": ")


def load_settings(**overrides: Any) -> Settings:
    """Read the environment and `.env`; raise ConfigError with one line on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
