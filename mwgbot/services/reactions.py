"""Reactions on cards: joining and objecting by emoji, from Slack's events and from reading
the cards back (reconciliation). Slack is the source of truth for reactions.

Both ways apply a reaction the same way: once per `event_id`, and only if it is newer than
what is known of that member's reaction with that emoji on that card (`reaction_marks`), so
the end state does not depend on the order events arrive in. A reading of the card counts as
an event at the instant of the reading.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ReactionMarkRow
from mwgbot.domain.activity import Via
from mwgbot.domain.errors import DomainError, NotPossible
from mwgbot.services import outbox
from mwgbot.services.participation import (
    Card,
    Objected,
    Participation,
    Withdrawn,
    card_at,
    claim_event,
)
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Rendered, Renderer
from mwgbot.services.use_case import UseCase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReactionEvent:
    event_id: str | None
    user_id: str
    emoji: str
    channel_id: str
    message_ts: str
    event_ts: str
    added: bool


@dataclass(frozen=True)
class Mark:
    """A member's reaction with one emoji, as stored."""

    user_id: str
    meaning: str
    emoji: str
    present: bool
    event_time_us: int


# Built once and run with parameters (see participation.py).
_OTHER_MARK_PRESENT = (
    select(ReactionMarkRow.emoji)
    .where(
        ReactionMarkRow.group_key == bindparam("group"),
        ReactionMarkRow.proposal_number == bindparam("number"),
        ReactionMarkRow.user_id == bindparam("user"),
        ReactionMarkRow.meaning == bindparam("meaning"),
        ReactionMarkRow.emoji != bindparam("emoji"),
        ReactionMarkRow.present.is_(True),
    )
    .limit(1)
)
_MARKS = select(
    ReactionMarkRow.user_id,
    ReactionMarkRow.meaning,
    ReactionMarkRow.emoji,
    ReactionMarkRow.present,
    ReactionMarkRow.event_time_us,
).where(
    ReactionMarkRow.group_key == bindparam("group"),
    ReactionMarkRow.proposal_number == bindparam("number"),
)


class ReactionService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.renderer = renderer
        self.participation = Participation(session, policy, renderer, now, via)
        # Whether a message was queued for Slack (a question or a refusal): only then is the
        # delivery woken at once; a stale card waits for its next coalesced update anyway.
        self.queued = False

    def handle(self, event: ReactionEvent, bot_user_id: str | None) -> bool:
        """Apply a reaction event once; False when it was ignored or already processed."""
        meaning = self.policy.meaning_of(event.emoji)
        if meaning is None or event.user_id == bot_user_id:
            return False
        try:
            at_us = event_time_us(event.event_ts)
        except NotPossible:
            log.warning("ignoring a reaction event with a malformed time %r", event.event_ts[:40])
            return False
        if event.event_id:
            first, card = claim_event(
                self.session, event.event_id, self.now, event.channel_id, event.message_ts
            )
            if not first:
                return False  # a retry of an event already applied
        else:
            card = card_at(self.session, event.channel_id, event.message_ts)
        if card is None:
            return False
        return self._apply(
            card,
            event.channel_id,
            event.user_id,
            event.emoji,
            meaning,
            event.added,
            at_us,
        )

    def reconcile(
        self,
        card: Card,
        channel_id: str,
        reactions: Mapping[str, Sequence[str]],
        read_at_us: int,
        bot_user_id: str | None,
    ) -> int:
        """Make the stored reactions of one card match what Slack shows (`reactions`: emoji
        name -> users, read at `read_at_us`); the number of reactions applied.

        What Slack shows and the marks lack is added, what the marks hold and Slack no longer
        shows is removed; an event newer than the reading wins either way.
        """
        shown = {
            (user, meaning, emoji)
            for emoji, users in reactions.items()
            if (meaning := self.policy.meaning_of(emoji)) is not None
            for user in users
            if user != bot_user_id
        }
        marks = {(m.user_id, m.meaning, m.emoji): m for m in self._marks(card)}
        applied = 0
        for key in sorted(shown | set(marks)):
            mark = marks.get(key)
            present = key in shown
            if mark is not None and (mark.present == present or mark.event_time_us > read_at_us):
                continue
            if mark is None and not present:
                continue
            user, meaning, emoji = key
            if self._apply(card, channel_id, user, emoji, meaning, present, read_at_us):
                applied += 1
        return applied

    # --- one reaction ----------------------------------------------------------------------

    def _apply(
        self,
        card: Card,
        channel_id: str,
        user_id: str,
        emoji: str,
        meaning: str,
        added: bool,
        at_us: int,
    ) -> bool:
        if not self._newer_mark(card, user_id, meaning, emoji, added, at_us):
            return False  # an older event arrived after a newer one: the newer one stands
        try:
            self._change(card, channel_id, user_id, emoji, meaning, added)
        except DomainError as refusal:
            self._tell(channel_id, user_id, self.renderer.refusal(str(refusal)))
        return True

    def _change(
        self, card: Card, channel_id: str, user_id: str, emoji: str, meaning: str, added: bool
    ) -> None:
        if not added and self._other_marks_present(card, user_id, meaning, emoji):
            return  # another emoji of the same meaning still on the card keeps the member in
        if meaning == "join":
            if added:
                self.participation.join(card, user_id)
            else:
                self.participation.leave(card, user_id)
        elif added:
            objected = self.participation.object(card, user_id, None)
            if objected.added:
                withdrew_join = objected is Objected.ADDED_INSTEAD_OF_JOIN
                asked = self.renderer.ask_reason(card.number, withdrew_join=withdrew_join)
                self._tell(channel_id, user_id, asked)
        elif self.participation.withdraw_objection(card, user_id) is Withdrawn.ADOPTED:
            self.queued = True  # the adoption is announced: deliver it now

    def _newer_mark(
        self, card: Card, user_id: str, meaning: str, emoji: str, present: bool, at_us: int
    ) -> bool:
        """Record the reaction unless a newer one is known; True when it was recorded."""
        return queries.upsert_if_newer(
            self.session,
            ReactionMarkRow,
            {
                "group_key": card.group_key,
                "proposal_number": card.number,
                "user_id": user_id,
                "meaning": meaning,
                "emoji": emoji,
                "present": present,
                "event_time_us": at_us,
            },
            version="event_time_us",
            update=("present", "event_time_us"),
        )

    def _other_marks_present(self, card: Card, user_id: str, meaning: str, emoji: str) -> bool:
        found = self.session.connection().execute(
            _OTHER_MARK_PRESENT,
            {
                "group": card.group_key,
                "number": card.number,
                "user": user_id,
                "meaning": meaning,
                "emoji": emoji,
            },
        )
        return found.first() is not None

    def _marks(self, card: Card) -> list[Mark]:
        rows = (
            self.session.connection()
            .execute(_MARKS, {"group": card.group_key, "number": card.number})
            .all()
        )
        return [Mark(*row) for row in rows]

    def _tell(self, channel_id: str, user_id: str, message: Rendered) -> None:
        self.queued = True
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_EPHEMERAL,
            now=self.now,
            group_key=self.group_key,
            message=message,
            channel_id=channel_id,
            user_id=user_id,
        )


# Event times are epoch seconds; anything outside this range is not a time Slack sends.
_LATEST_EVENT_TIME = Decimal(10) ** 11


def event_time_us(event_ts: str) -> int:
    """Slack's `event_ts` ("1700000000.000100") in microseconds."""
    try:
        seconds = Decimal(event_ts)
    except (InvalidOperation, ValueError):
        raise NotPossible("malformed event time") from None
    if not seconds.is_finite() or not 0 <= seconds < _LATEST_EVENT_TIME:
        raise NotPossible("malformed event time")
    return int(seconds * 1_000_000)
