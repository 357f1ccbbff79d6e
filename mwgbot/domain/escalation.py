"""Conflict resolution, as pure rules: who decides an escalated proposal, and when the
deciders are reminded of it.

The charter has the moderators (AXIM representatives) decide "to avoid that initiatives are
permanently blocked". A moderator does not rule on a proposal of their own, nor on one they
object to (they are a party to it); when no other moderator is eligible, the organizers decide
(again, neither their own nor one they object to). When no one is, the escalation says so,
and an operator sets MWG_MODERATORS.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

# Outbox dedupe keys of the direct messages telling deciders what waits for them.
NOTICE_PREFIX = "escalation:"


class DeciderRole(enum.StrEnum):
    MODERATORS = "moderators"
    ORGANIZERS = "organizers"


@dataclass(frozen=True)
class Deciders:
    """Who may decide one escalated proposal, and in which role; empty: no one can."""

    user_ids: tuple[str, ...] = ()
    role: DeciderRole | None = None

    def __bool__(self) -> bool:
        return bool(self.user_ids)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.user_ids


@dataclass(frozen=True)
class Roles:
    """The group's moderators and organizers, as configured."""

    moderators: frozenset[str] = frozenset()
    organizers: frozenset[str] = frozenset()

    def deciders(self, proposer_id: str, objector_ids: Collection[str] = ()) -> Deciders:
        return deciders(proposer_id, self.moderators, self.organizers, objector_ids)

    def may_decide_some(self, user_id: str) -> bool:
        """Whether the member may decide any escalation at all (cheap: no proposal read)."""
        return user_id in self.moderators or user_id in self.organizers


def deciders(
    proposer_id: str,
    moderators: Collection[str],
    organizers: Collection[str],
    objector_ids: Collection[str] = (),
) -> Deciders:
    """The moderators who neither proposed it nor object to it; failing them, the organizers
    who neither proposed it nor object to it."""
    parties = {proposer_id, *objector_ids}
    eligible = sorted(set(moderators) - parties)
    if eligible:
        return Deciders(tuple(eligible), DeciderRole.MODERATORS)
    eligible = sorted(set(organizers) - parties)
    if eligible:
        return Deciders(tuple(eligible), DeciderRole.ORGANIZERS)
    return Deciders()


def waiting_period(escalated_at: datetime, every: timedelta, now: datetime) -> int:
    """Which reminder period `now` falls in: 0 from the escalation until `every` has passed
    (the first notice), k ≥ 1 once `k × every` has; each period is told once."""
    if every <= timedelta(0) or now <= escalated_at:
        return 0
    return (now - escalated_at) // every


def notice_key(number: int, decider_id: str, period: int) -> str:
    """The outbox dedupe key of one decider's notice of one period (0: the first notice)."""
    return f"{NOTICE_PREFIX}{number}:{decider_id}:{period}"


def notice_keys_of(number: int) -> str:
    """A LIKE pattern matching every notice of one proposal."""
    return f"{NOTICE_PREFIX}{number}:%"
