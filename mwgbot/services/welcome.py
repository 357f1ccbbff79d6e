"""A newcomer to MWG_CHANNEL is recorded and welcomed, once. Services flush; the caller commits.

The welcome is one outbox row whose dedupe key names the member (``welcome:<user id>``): leaving
and joining again, a retried event, a restart or a second instance can only try to insert the
same row again, and the unique key turns that into a no-op. The delivery sends it as a direct
message in the app's Messages tab, after asking Slack whether the user is a person: a bot is
never welcomed, and is remembered as a bot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mwgbot.groups_file import DEFAULT_NAME
from mwgbot.services import members, outbox
from mwgbot.services.meetings import meeting_series
from mwgbot.services.member_models import Welcome
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer

__all__ = ["WelcomeService", "welcome_key"]


def welcome_key(user_id: str) -> str:
    """The outbox dedupe key of a member's one welcome (per group: the outbox row is keyed by
    its group too)."""
    return f"welcome:{user_id}"


class WelcomeService:
    def __init__(self, session: Session, policy: Policy, renderer: Renderer, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.renderer = renderer
        self.now = now

    def member_joined(self, user_id: str, channel_id: str, bot_user_id: str | None) -> bool:
        """Someone joined a channel: in MWG_CHANNEL, record it and queue their one welcome.

        True when a welcome was queued now (not before, not off, not the bot itself).
        """
        if channel_id != self.policy.channel_id or not user_id or user_id == bot_user_id:
            return False
        if not members.record_channel_join(self.session, self.policy.key, user_id, self.now):
            return False  # a bot seen before
        if not self.policy.welcome:
            return False
        queued = outbox.enqueue(
            self.session,
            kind=outbox.KIND_DM,
            now=self.now,
            group_key=self.policy.key,
            message=self.renderer.welcome(self.welcome_for(user_id)),
            user_id=user_id,
            dedupe_key=welcome_key(user_id),
        )
        if queued:
            members.mark_welcomed(self.session, self.policy.key, user_id, self.now)
        return queued

    def welcome_for(self, user_id: str) -> Welcome:
        return Welcome(
            user_id=user_id,
            channel_id=self.policy.channel_id,
            next_meeting=meeting_series(self.session, self.policy).next_meeting(self.now),
            organizers=tuple(sorted(self.policy.organizers)),
            moderators=tuple(sorted(self.policy.moderators)),
            consensus_min=self.policy.consensus_min,
            join_emoji=self.policy.join_emojis[0],
            calendar_url=self.policy.calendar_url,
            log_example=members.latest_initiative(self.session, self.policy.key, user_id),
            group_name=None if self.policy.name == DEFAULT_NAME else self.policy.name,
            about=self.policy.about,
        )
