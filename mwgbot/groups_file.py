"""Working groups from one TOML file (MWG_GROUPS_FILE), or the one group of the MWG_* settings.

Configuration, like `mwgbot.config`: each value of the file follows the rule of the MWG_*
setting of the same name (the same functions check both), and a value the file leaves out is
the environment's. Every mistake is one line naming the file, the group and the field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from mwgbot.config import (
    EXPECTATIONS,
    ConfigError,
    Settings,
    as_duration,
    check_calendar_url,
    check_channel_id,
    check_crontab,
    parse_durations,
    parse_emojis,
    parse_instant,
    parse_user_ids,
)
from mwgbot.domain.meetings import format_duration
from mwgbot.domain.proposals import Stage

# The group the MWG_* settings define when there is no file; a file may name it too.
DEFAULT_KEY = "mwg"
DEFAULT_NAME = "Marketing Working Group"
# A group's tags default to the adopter journey, so the marketing group sees no change.
DEFAULT_TAGS: tuple[str, ...] = tuple(stage.value for stage in Stage)

# Slack's checkboxes element holds at most 10 options ("A maximum of 10 options are allowed",
# https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element), and the
# proposal form offers a group's tags as checkboxes.
MAX_TAGS = 10
MAX_TAG_LENGTH = 30
MAX_KEY_LENGTH = 16
MAX_NAME_LENGTH = 80
MAX_ABOUT_LENGTH = 1000

_KEY = re.compile(rf"[a-z][a-z0-9]{{0,{MAX_KEY_LENGTH - 1}}}")
_TAG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class GroupConfig:
    """One group's effective settings: the file's values, the environment's for the rest.

    `from_file` names the fields the file set; every other value is the environment's
    MWG_* setting of the same name (or, for tags and about, the built-in default).
    """

    key: str
    name: str
    channel: str
    moderators: tuple[str, ...]
    organizers: tuple[str, ...]
    consensus_window: timedelta
    consensus_min: timedelta
    join_emojis: tuple[str, ...]
    object_emojis: tuple[str, ...]
    meeting_first: datetime
    meeting_every: timedelta
    meeting_reminders: tuple[timedelta, ...]
    digest_cron: str
    stale_after: timedelta
    welcome: bool
    calendar_url: str | None
    max_open_per_member: int
    escalation_reminder: timedelta
    meeting_length: timedelta = timedelta(hours=1)
    tags: tuple[str, ...] = DEFAULT_TAGS
    about: str | None = None
    # The group's page, a live canvas in its channel (MWG_CANVAS unless the file says).
    canvas: bool = False
    from_file: frozenset[str] = frozenset()


# --- one value of the file -----------------------------------------------------------------
# Each parser takes the TOML value and returns the typed value, or raises ValueError with the
# reason; the caller adds the file, the group and the field.


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{_shown(value)} is not a string")
    return value.strip()


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"{_shown(value)} is not an array")
    if not all(isinstance(item, str) for item in value):
        raise ValueError("every item must be a string")
    return [item.strip() for item in value]


def _key(value: Any) -> str:
    key = _text(value)
    if not _KEY.fullmatch(key):
        raise ValueError(
            f"{_shown(key)} is not a key: 1 to {MAX_KEY_LENGTH} lowercase letters and digits, "
            "starting with a letter"
        )
    return key


def _name(value: Any) -> str:
    name = _text(value)
    if not name:
        raise ValueError("is empty")
    if "\n" in name or "\r" in name:
        raise ValueError("must be one line")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"is {len(name)} characters; the most is {MAX_NAME_LENGTH}")
    return name


def _channel(value: Any) -> str:
    return check_channel_id(_text(value))


def _user_ids(value: Any) -> tuple[str, ...]:
    return tuple(parse_user_ids(_strings(value)))


def _duration(value: Any) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f'{_shown(value)} is not a duration in quotes, e.g. "72h"')
    return as_duration(value)


def _durations(value: Any) -> tuple[timedelta, ...]:
    return tuple(parse_durations(_strings(value)))


def _emojis(value: Any) -> tuple[str, ...]:
    return tuple(parse_emojis(_strings(value)))


def _instant(value: Any) -> datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"{value.isoformat()} is a day without a time and its offset")
    if not isinstance(value, str | datetime):
        raise ValueError(f"{_shown(value)} is not a date and time")
    return parse_instant(value)


def _crontab(value: Any) -> str:
    return check_crontab(_text(value))


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower() == "on"
    raise ValueError(f"{_shown(value)} is neither true nor false")


def _calendar_url(value: Any) -> str | None:
    url = _text(value)
    return check_calendar_url(url) if url else None  # "" turns the environment's feed off


def _at_least_one(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{_shown(value)} is not a whole number")
    if value < 1:
        raise ValueError(f"{value} is less than 1")
    return value


def _tags(value: Any) -> tuple[str, ...]:
    tags = _strings(value)
    if not tags:
        raise ValueError("needs at least one tag")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"has {len(tags)} tags; the most is {MAX_TAGS}")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH or not _TAG.fullmatch(tag):
            raise ValueError(
                f"{_shown(tag)} is not a tag: lowercase letters, digits and inner hyphens, "
                f"at most {MAX_TAG_LENGTH} characters"
            )
    repeated = sorted({tag for tag in tags if tags.count(tag) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} appears twice")
    return tuple(tags)


def _about(value: Any) -> str | None:
    about = _text(value)
    if len(about) > MAX_ABOUT_LENGTH:
        raise ValueError(f"is {len(about)} characters; the most is {MAX_ABOUT_LENGTH}")
    return about or None


def _shown(value: Any) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
    return text if len(text) <= 30 else text[:29] + "…"


@dataclass(frozen=True)
class _Field:
    parse: Callable[[Any], Any]
    expected: str
    # The setting a value left out comes from; None: required (or a built-in default).
    setting: str | None = None


# Every key a [[group]] table may have, in the order `groups check` prints them.
FIELDS: Mapping[str, _Field] = {
    "key": _Field(_key, 'a short key such as "edu"'),
    "name": _Field(_name, 'the group\'s name, e.g. "Educators Working Group"'),
    "channel": _Field(_channel, 'the channel ID (C…), e.g. "C0123456789"'),
    "moderators": _Field(_user_ids, 'an array of Slack user IDs, e.g. ["U0AAAAAAA"], or []'),
    "organizers": _Field(_user_ids, 'an array of Slack user IDs, e.g. ["U0BBBBBBB"], or []'),
    "consensus_window": _Field(
        _duration, 'a duration such as "7d", at least consensus_min', "MWG_CONSENSUS_WINDOW"
    ),
    "consensus_min": _Field(_duration, 'a duration such as "72h"', "MWG_CONSENSUS_MIN"),
    "join_emojis": _Field(
        _emojis,
        'an array of reaction names without colons, e.g. ["raised_hand"]',
        "MWG_JOIN_EMOJIS",
    ),
    "object_emojis": _Field(
        _emojis,
        'an array of reaction names without colons, e.g. ["no_entry_sign"]',
        "MWG_OBJECT_EMOJIS",
    ),
    "meeting_first": _Field(
        _instant,
        'one meeting\'s start with an offset, e.g. "2026-01-07T15:00:00Z"',
        "MWG_MEETING_FIRST",
    ),
    "meeting_every": _Field(_duration, 'a duration such as "14d"', "MWG_MEETING_EVERY"),
    "meeting_reminders": _Field(
        _durations, 'an array of durations such as ["24h", "15m"], or []', "MWG_MEETING_REMINDERS"
    ),
    "meeting_length": _Field(_duration, 'a duration such as "1h"', "MWG_MEETING_LENGTH"),
    "digest_cron": _Field(
        _crontab, 'a five-field crontab in UTC, e.g. "0 14 * * 1"', "MWG_DIGEST_CRON"
    ),
    "stale_after": _Field(_duration, 'a duration such as "21d"', "MWG_STALE_AFTER"),
    "welcome": _Field(_switch, "true or false", "MWG_WELCOME"),
    "calendar_url": _Field(
        _calendar_url, 'the public http(s) URL of the meeting feed, or ""', "MWG_CALENDAR_URL"
    ),
    "max_open_per_member": _Field(
        _at_least_one, "a whole number of proposals, at least 1, e.g. 5", "MWG_MAX_OPEN_PER_MEMBER"
    ),
    "escalation_reminder": _Field(_duration, 'a duration such as "7d"', "MWG_ESCALATION_REMINDER"),
    "canvas": _Field(_switch, "true or false", "MWG_CANVAS"),
    "tags": _Field(
        _tags,
        f'an array of 1 to {MAX_TAGS} lowercase tags, e.g. ["courses", "instructors"]',
    ),
    "about": _Field(_about, f"one paragraph of text, at most {MAX_ABOUT_LENGTH} characters"),
}
REQUIRED = ("key", "name", "channel", "moderators", "organizers")
# Workspace-wide settings: one value for every group, from the environment only.
WORKSPACE_WIDE = ("MWG_SWEEP_INTERVAL", "MWG_RECONCILE_INTERVAL", "MWG_COMMANDS_PER_MINUTE")


def _environment_value(settings: Settings, setting: str) -> Any:
    value = getattr(settings, setting.lower())
    return tuple(value) if isinstance(value, list) else value


# --- the whole file ------------------------------------------------------------------------


def read_groups_file(path: str, settings: Settings) -> tuple[GroupConfig, ...]:
    """Every [[group]] of the file at `path`, in its order; ConfigError (one line) on any fault."""
    data = _load(path)
    unknown = sorted(set(data) - {"group"})
    if unknown:
        raise ConfigError(
            f'{path}: unknown key "{unknown[0]}" at the top level: '
            "the file holds only [[group]] tables"
        )
    tables = data.get("group")
    if not tables:
        raise ConfigError(
            f"{path}: no [[group]] table: define each group as a [[group]] table "
            "with key, name, channel, moderators and organizers (see examples/groups.toml)"
        )
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path}: group must be [[group]] tables (with two brackets)")
    groups: list[GroupConfig] = []
    for position, table in enumerate(tables, start=1):
        group = _group(path, position, table, settings)
        for earlier_position, earlier in enumerate(groups, start=1):
            if earlier.key == group.key:
                raise ConfigError(
                    f'{path}: group {position}: key "{group.key}" is already group '
                    f"{earlier_position}'s: each group needs its own key"
                )
            if earlier.channel == group.channel:
                raise ConfigError(
                    f'{path}: group "{group.key}": channel {group.channel} is already group '
                    f'"{earlier.key}"\'s: a channel belongs to one group at most'
                )
        groups.append(group)
    return tuple(groups)


def _load(path: str) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(
            f"{path}: cannot read the groups file ({reason}): "
            f"MWG_GROUPS_FILE must be {EXPECTATIONS['MWG_GROUPS_FILE']}"
        ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text: expected a TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: is not valid TOML: {error}") from None


def _group(path: str, position: int, table: dict[str, Any], settings: Settings) -> GroupConfig:
    # A group is named by its key, or by its place in the file while it has no good key.
    key = table.get("key")
    where = (
        f'group "{key}"' if isinstance(key, str) and _KEY.fullmatch(key) else f"group {position}"
    )
    for field in table:
        if field not in FIELDS:
            raise ConfigError(f"{path}: {where}: {_unknown(field)}")
    values: dict[str, Any] = {}
    for field, spec in FIELDS.items():
        if field in table:
            try:
                values[field] = spec.parse(table[field])
            except ValueError as error:
                raise ConfigError(
                    f"{path}: {where}: {field} is malformed ({error}): expected {spec.expected}"
                ) from None
        elif field in REQUIRED:
            raise ConfigError(f"{path}: {where}: {field} is missing: expected {spec.expected}")
        elif spec.setting is not None:
            values[field] = _environment_value(settings, spec.setting)
    group = GroupConfig(**values, from_file=frozenset(table))
    _check_window(path, where, group)
    return group


def _unknown(field: str) -> str:
    setting = f"MWG_{field.upper()}"
    if setting in WORKSPACE_WIDE:
        return (
            f"{field} is not a group's setting: it is workspace-wide, set {setting} "
            "in the environment"
        )
    close = difflib.get_close_matches(field, FIELDS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(FIELDS)}"
    return f'unknown key "{field}": {hint}'


def _check_window(path: str, where: str, group: GroupConfig) -> None:
    if group.consensus_window >= group.consensus_min:
        return

    def origin(field: str) -> str:
        return "" if field in group.from_file else f", from MWG_{field.upper()}"

    raise ConfigError(
        f"{path}: {where}: consensus_window ({format_duration(group.consensus_window)}"
        f"{origin('consensus_window')}) is shorter than consensus_min "
        f"({format_duration(group.consensus_min)}{origin('consensus_min')}): "
        "set consensus_window to at least consensus_min"
    )


# --- with or without the file --------------------------------------------------------------


def environment_group(settings: Settings) -> GroupConfig:
    """The one group the MWG_* settings define when there is no groups file: key `mwg`."""
    settings.require("MWG_CHANNEL")
    assert settings.mwg_channel is not None  # for mypy: require() stopped otherwise
    values = {
        field: _environment_value(settings, spec.setting)
        for field, spec in FIELDS.items()
        if spec.setting is not None
    }
    return GroupConfig(
        key=DEFAULT_KEY,
        name=DEFAULT_NAME,
        channel=settings.mwg_channel,
        moderators=tuple(settings.mwg_moderators),
        organizers=tuple(settings.mwg_organizers),
        **values,
    )


def group_configs(settings: Settings) -> tuple[GroupConfig, ...]:
    """The groups of MWG_GROUPS_FILE when it is set, else the one group of the environment."""
    if settings.mwg_groups_file is None:
        return (environment_group(settings),)
    return read_groups_file(settings.mwg_groups_file, settings)


# --- what `mwgbot groups check` prints -----------------------------------------------------

# Without a file, these come from the environment too (with a file, only from the file).
_ENVIRONMENT_ONLY = {
    "channel": "MWG_CHANNEL",
    "moderators": "MWG_MODERATORS",
    "organizers": "MWG_ORGANIZERS",
}


def describe_groups(groups: Sequence[GroupConfig], settings: Settings) -> list[str]:
    """Each group's effective settings, one block per group, each value with where it came
    from: the file, an MWG_* setting of the environment, or a default."""
    path = settings.mwg_groups_file
    count = f"{len(groups)} group{'s' if len(groups) != 1 else ''}"
    if path is None:
        lines = [f"MWG_GROUPS_FILE is not set: {count} from the MWG_* settings, valid"]
    else:
        lines = [f"{path}: {count}, valid"]
        ignored = [
            setting
            for setting in _ENVIRONMENT_ONLY.values()
            if getattr(settings, setting.lower()) not in (None, [])
        ]
        if ignored:
            lines.append(
                f"note: {', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} ignored: "
                "the file names each group's channel, moderators and organizers"
            )
    width = max(len(name) for name in FIELDS) + 2
    for group in groups:
        lines += ["", f'group "{group.key}": {group.name}']
        for field in FIELDS:
            value = _display(getattr(group, field))
            lines.append(f"  {field:<{width}}{value}  ({_origin(field, group, settings)})")
    lines += ["", "for every group (workspace-wide, from the environment only):"]
    for setting in WORKSPACE_WIDE:
        name = setting.removeprefix("MWG_").lower()
        value = _display(getattr(settings, setting.lower()))
        lines.append(f"  {name:<{width}}{value}  ({_setting_origin(setting, settings)})")
    return lines


def _origin(field: str, group: GroupConfig, settings: Settings) -> str:
    if field in group.from_file:
        return "file"
    setting = FIELDS[field].setting or (
        _ENVIRONMENT_ONLY.get(field) if settings.mwg_groups_file is None else None
    )
    return "default" if setting is None else _setting_origin(setting, settings)


def _setting_origin(setting: str, settings: Settings) -> str:
    if setting.lower() in settings.model_fields_set:
        return setting
    return f"default of {setting}"


def _display(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # always UTC by now
    if isinstance(value, tuple | list):
        return ", ".join(_display(item) for item in value) or "none"
    return " ".join(str(value).split())  # about may span lines: one line here
