"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from mwgbot.domain.escalation import Deciders
from mwgbot.domain.proposals import ProgressUpdate, ProposalSnapshot
from mwgbot.services.member_models import Welcome
from mwgbot.services.read_models import Agenda, Digest, MeetingChange, MeetingNote


@dataclass(frozen=True)
class Rendered:
    """A message ready for Slack: fallback text plus Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


class DeliveryError(Exception):
    """A Slack call failed. `uncertain` when Slack may have acted anyway (timeout)."""

    def __init__(
        self,
        message: str,
        *,
        uncertain: bool = False,
        retry_after: float | None = None,
        code: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.uncertain = uncertain
        self.retry_after = retry_after
        self.code = code  # Slack's error code, e.g. "not_in_channel"
        self.status = status

    @property
    def retryable(self) -> bool:
        """Worth trying again: Slack or the network failed, or an operator can fix it."""
        if self.code is None or self.status is None or self.status >= 500 or self.status == 429:
            return True
        return self.code in OPERATOR_FIXABLE


# Refusals an operator fixes (invite the bot, restore a token): keep the message until then.
OPERATOR_FIXABLE = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "missing_scope",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        # A direct message: the app's Messages tab is off in its App Home settings.
        "messages_tab_disabled",
    }
)


@dataclass(frozen=True)
class CardTag:
    """Which proposal a card is: carried in the card's Slack message metadata."""

    group: str
    number: int


class Account(enum.StrEnum):
    """What a Slack user ID stands for, as far as direct messages go."""

    PERSON = "person"
    BOT = "bot"
    DEACTIVATED = "deactivated"


class Notifier(Protocol):
    """Posts to Slack; raises DeliveryError on failure."""

    def post(
        self,
        channel: str,
        message: Rendered,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
        marker: str | None = None,
        card: CardTag | None = None,
    ) -> str:
        """Post; `card` when the message is a proposal's card (its metadata says which)."""
        ...

    def update(
        self, channel: str, ts: str, message: Rendered, *, card: CardTag | None = None
    ) -> None: ...

    def post_ephemeral(self, channel: str, user: str, message: Rendered) -> None: ...

    def find_posted(self, channel: str, marker: str, thread_ts: str | None = None) -> str | None:
        """The ts of a recent message (in that thread) posted with this marker, if any."""
        ...

    def open_dm(self, user: str) -> str:
        """The ID (D…) of the app's direct-message conversation with a member."""
        ...

    def account(self, user: str) -> Account:
        """Whether a user ID is a person, a bot, or a deactivated account."""
        ...


@dataclass(frozen=True)
class SeenReaction:
    """One emoji's reaction on a message as a channel's history shows it: Slack may list
    fewer `users` than `count`."""

    name: str
    users: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class SeenMessage:
    """A message of a channel's history: its ts, the card it says it is, its reactions."""

    ts: str
    card: CardTag | None
    reactions: tuple[SeenReaction, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every reaction lists all its users (else `reactions.get` must be asked)."""
        return all(reaction.count <= len(reaction.users) for reaction in self.reactions)

    def users_by_emoji(self) -> dict[str, list[str]]:
        return {reaction.name: list(reaction.users) for reaction in self.reactions}


@dataclass(frozen=True)
class HistoryPage:
    """One page of a channel's history, newest first; `next_cursor` when there is more."""

    messages: tuple[SeenMessage, ...]
    next_cursor: str | None = None


class CanvasWriter(Protocol):
    """A channel's canvas on Slack (docs/slack-canvases.md); raises DeliveryError on failure."""

    def channel_canvas(self, channel: str) -> str | None:
        """The ID of the channel's canvas, if it has one (`conversations.info`)."""
        ...

    def create_channel_canvas(self, channel: str, markdown: str) -> str:
        """Create the channel's canvas with this document; its ID."""
        ...

    def replace_canvas(self, canvas_id: str, markdown: str) -> None:
        """Replace the canvas's whole document (one `replace` without a section)."""
        ...


class ReactionReader(Protocol):
    """Reads the cards' reactions back from Slack; raises DeliveryError on failure."""

    def reactions(self, channel: str, ts: str) -> dict[str, list[str]]:
        """Every reaction on the message: emoji name -> the users who reacted with it."""
        ...

    def history(
        self, channel: str, *, oldest: str, latest: str, limit: int, cursor: str | None = None
    ) -> HistoryPage:
        """One page of the channel's messages from `latest` back to `oldest` (both included),
        each with its reactions and metadata."""
        ...


class Renderer(Protocol):
    """Pure builders of the messages the services send."""

    def card(self, proposal: ProposalSnapshot, join_emoji: str, object_emoji: str) -> Rendered: ...

    def outcome(self, proposal: ProposalSnapshot, deciders: Deciders) -> Rendered:
        """The outcome; `deciders`: who decides the proposal's escalation (or who did)."""
        ...

    def consensus_found(self, proposal: ProposalSnapshot, withdrawn_by: str) -> Rendered:
        """An escalated proposal adopted: its last objection was withdrawn after the close."""
        ...

    def escalation_notice(
        self, proposal: ProposalSnapshot, deciders: Deciders, waited: timedelta
    ) -> Rendered:
        """A decider's direct message: what waits for them (and how long, in a reminder)."""
        ...

    def ask_reason(self, number: int, *, withdrew_join: bool = False) -> Rendered:
        """Ask a member who objected by reaction to say why."""
        ...

    def note(self, text: str) -> Rendered: ...

    def refusal(self, text: str) -> Rendered:
        """A refusal's plain words (as the rules write them) told to the member."""
        ...

    def closing_soon(
        self, proposal: ProposalSnapshot, object_emoji: str, deciders: Deciders
    ) -> Rendered: ...

    def meeting_reminder(self, agenda: Agenda) -> Rendered: ...

    def meeting_change(self, change: MeetingChange, actor_id: str) -> Rendered: ...

    def notes_ask(self, meeting: datetime, organizers: Sequence[str]) -> Rendered:
        """At a meeting's end: ask the organizers for the notes and the recording."""
        ...

    def meeting_note(self, note: MeetingNote) -> Rendered:
        """A link to a meeting's notes or recording, posted in the meeting's thread."""
        ...

    def digest(self, digest: Digest) -> Rendered: ...

    def welcome(self, welcome: Welcome) -> Rendered: ...

    def post_refused(
        self, channel_id: str, code: str, bot_name: str, number: int | None
    ) -> Rendered:
        """Tell a member that their post waits: the channel refuses the bot (`code`)."""
        ...

    # --- initiatives after adoption ---

    def update_posted(self, proposal: ProposalSnapshot, update: ProgressUpdate) -> Rendered: ...

    def initiative_finished(self, proposal: ProposalSnapshot) -> Rendered: ...

    def stale_nudge(self, proposal: ProposalSnapshot, quiet_for: timedelta) -> Rendered: ...
