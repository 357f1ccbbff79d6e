"""The group's configuration as the services see it: plain values, no environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mwgbot.config import Settings
from mwgbot.domain.escalation import Roles


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
    digest_cron: str = "0 14 * * 1"
    closing_soon_lead: timedelta = timedelta(hours=24)
    stale_after: timedelta = timedelta(days=21)
    welcome: bool = True
    calendar_url: str | None = None
    reconcile_interval: timedelta = timedelta(minutes=15)
    max_open_per_member: int = 5
    commands_per_minute: int = 30
    # Deciders are reminded of an escalation waiting for them after each such period.
    escalation_reminder: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        if settings.mwg_channel is None:
            raise ValueError("MWG_CHANNEL is required")
        return cls(
            channel_id=settings.mwg_channel,
            moderators=frozenset(settings.mwg_moderators),
            organizers=frozenset(settings.mwg_organizers),
            consensus_window=settings.mwg_consensus_window,
            consensus_min=settings.mwg_consensus_min,
            join_emojis=tuple(settings.mwg_join_emojis),
            object_emojis=tuple(settings.mwg_object_emojis),
            meeting_first=settings.mwg_meeting_first,
            meeting_every=settings.mwg_meeting_every,
            meeting_reminders=tuple(settings.mwg_meeting_reminders),
            digest_cron=settings.mwg_digest_cron,
            stale_after=settings.mwg_stale_after,
            welcome=settings.mwg_welcome,
            calendar_url=settings.mwg_calendar_url,
            reconcile_interval=settings.mwg_reconcile_interval,
            max_open_per_member=settings.mwg_max_open_per_member,
            commands_per_minute=settings.mwg_commands_per_minute,
            escalation_reminder=settings.mwg_escalation_reminder,
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
