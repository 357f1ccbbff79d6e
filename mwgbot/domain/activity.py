"""The group's record: what kinds of change the ledger holds, and how each came in; pure."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Via(enum.StrEnum):
    """The way a change came in."""

    COMMAND = "command"
    REACTION = "reaction"
    BUTTON = "button"
    MODAL = "modal"
    SWEEP = "sweep"
    CLI = "cli"
    RECONCILE = "reconcile"


class ActivityKind(enum.StrEnum):
    """Every change the bot makes, as the ledger names it."""

    PROPOSED = "proposed"
    JOINED = "joined"
    LEFT = "left"
    OBJECTED = "objected"
    OBJECTION_WITHDRAWN = "objection_withdrawn"
    CLOSED = "closed"  # details: outcome (adopted or escalated)
    DECIDED = "decided"  # a decider adopted or declined an escalated proposal; details: as
    # An escalated proposal adopted when its last standing objection was withdrawn (no one
    # decided); details: outcome, last_objection_withdrawn_by.
    ADOPTED_BY_CONSENSUS = "adopted_by_consensus"
    WITHDRAWN = "withdrawn"
    UPDATED = "updated"
    DELIVERED = "delivered"
    DROPPED = "dropped"
    EDITED = "edited"
    EXTENDED = "extended"
    TIME_LOGGED = "time_logged"
    TIME_REMOVED = "time_removed"
    ORGANIZATION_SET = "organization_set"
    MEETING_SKIPPED = "meeting_skipped"
    MEETING_RESTORED = "meeting_restored"
    # Agenda topics and meeting notes; details: meeting (ISO start), topic (its number), for a carry
    # `from_meeting`/`from_topic`, for a note `link`.
    TOPIC_ADDED = "topic_added"
    TOPIC_REMOVED = "topic_removed"
    TOPIC_CARRIED = "topic_carried"
    NOTES_ADDED = "notes_added"
    FORGOTTEN = "forgotten"


@dataclass(frozen=True)
class Activity:
    """One ledger row, as read back."""

    id: int
    at: datetime
    kind: ActivityKind
    via: Via
    actor_id: str | None = None
    proposal_number: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    # The working group of a group row; None for a member's own rows (`/mwg org`).
    group_key: str | None = None
