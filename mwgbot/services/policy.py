"""The groups' configuration as the services see it: plain values, no environment.

One `Policy` per working group; `Groups` holds them all, in the order of MWG_GROUPS_FILE (or the
one group of the MWG_* settings), and finds a group by its key or its channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mwgbot.config import Settings
from mwgbot.domain.escalation import Roles
from mwgbot.groups_file import (
    DEFAULT_KEY,
    DEFAULT_NAME,
    DEFAULT_TAGS,
    GroupConfig,
    environment_group,
    group_configs,
)


@dataclass(frozen=True)
class Policy:
    channel_id: str
    moderators: frozenset[str] = frozenset()
    organizers: frozenset[str] = frozenset()
    consensus_window: timedelta = timedelta(days=7)
    consensus_min: timedelta = timedelta(hours=72)
    join_emojis: tuple[str, ...] = ("raised_hand",)
    object_emojis: tuple[str, ...] = ("no_entry_sign",)
    meeting_first: datetime = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    meeting_every: timedelta = timedelta(days=14)
    meeting_reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(minutes=15))
    # A meeting's end is its start plus this: then the notes and recording are asked for.
    meeting_length: timedelta = timedelta(hours=1)
    digest_cron: str = "0 14 * * 1"
    closing_soon_lead: timedelta = timedelta(hours=24)
    stale_after: timedelta = timedelta(days=21)
    welcome: bool = True
    calendar_url: str | None = None
    reconcile_interval: timedelta = timedelta(minutes=15)
    max_open_per_member: int = 5
    commands_per_minute: int = 30
    key: str = DEFAULT_KEY
    name: str = DEFAULT_NAME
    tags: tuple[str, ...] = DEFAULT_TAGS
    about: str | None = None
    # Deciders are reminded of an escalation waiting for them after each such period.
    escalation_reminder: timedelta = timedelta(days=7)
    # The group's page, a live canvas in its channel (MWG_CANVAS, or the groups file's canvas).
    canvas: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The one group the MWG_* settings define (no groups file): key `mwg`."""
        return cls.from_group(environment_group(settings), settings)

    @classmethod
    def from_group(cls, group: GroupConfig, settings: Settings) -> Policy:
        """One group's policy; workspace-wide values come from the environment for every group."""
        return cls(
            channel_id=group.channel,
            moderators=frozenset(group.moderators),
            organizers=frozenset(group.organizers),
            consensus_window=group.consensus_window,
            consensus_min=group.consensus_min,
            join_emojis=group.join_emojis,
            object_emojis=group.object_emojis,
            meeting_first=group.meeting_first,
            meeting_every=group.meeting_every,
            meeting_reminders=group.meeting_reminders,
            meeting_length=group.meeting_length,
            digest_cron=group.digest_cron,
            stale_after=group.stale_after,
            welcome=group.welcome,
            calendar_url=group.calendar_url,
            reconcile_interval=settings.mwg_reconcile_interval,
            max_open_per_member=group.max_open_per_member,
            commands_per_minute=settings.mwg_commands_per_minute,
            key=group.key,
            name=group.name,
            tags=group.tags,
            about=group.about,
            escalation_reminder=group.escalation_reminder,
            canvas=group.canvas,
        )

    @property
    def roles(self) -> Roles:
        """Moderators and organizers, for the rule of who decides an escalation."""
        return Roles(self.moderators, self.organizers)

    def meaning_of(self, emoji: str) -> str | None:
        """'join', 'object' or None for a reaction name (skin tones ignored)."""
        base = emoji.split("::", 1)[0]
        if base in self.join_emojis:
            return "join"
        if base in self.object_emojis:
            return "object"
        return None


@dataclass(frozen=True)
class Groups:
    """The working groups the bot serves, in the file's order: at least one, keys and channels
    unique. The first is the group a single-group command (digest, calendar) serves."""

    policies: tuple[Policy, ...]
    _by_key: dict[str, Policy] = field(init=False, repr=False, compare=False)
    _by_channel: dict[str, Policy] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.policies:
            raise ValueError("there must be at least one group")
        by_key = {policy.key: policy for policy in self.policies}
        by_channel = {policy.channel_id: policy for policy in self.policies}
        if len(by_key) != len(self.policies) or len(by_channel) != len(self.policies):
            raise ValueError("each group needs its own key and its own channel")
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_channel", by_channel)

    def by_key(self, key: str) -> Policy | None:
        """The group of a key as a member types it (`EDU#3` is edu's); None when unknown."""
        return self._by_key.get(key.lower())

    def by_channel(self, channel_id: str) -> Policy | None:
        """The group whose channel this is; None for any other channel or a DM."""
        return self._by_channel.get(channel_id)

    @property
    def first(self) -> Policy:
        return self.policies[0]

    @property
    def only(self) -> Policy | None:
        """The single group of a one-group workspace; None when there are several."""
        return self.policies[0] if len(self.policies) == 1 else None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(policy.key for policy in self.policies)

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.policies)

    def __len__(self) -> int:
        return len(self.policies)


def load_groups(settings: Settings) -> Groups:
    """The groups of MWG_GROUPS_FILE, or without it the one group `mwg` of the MWG_* settings
    (which then needs MWG_CHANNEL). Raises ConfigError, one line, on any fault."""
    return Groups(tuple(Policy.from_group(group, settings) for group in group_configs(settings)))
