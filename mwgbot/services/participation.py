"""Joining, leaving, objecting and withdrawing an objection: the writes every way in shares
(commands, buttons, forms, reactions and reconciliation).

Each is a handful of statements on the proposal's row and the one member's row, with the
rules checked first and one ledger row written on a change; nothing reloads the proposal. A
reaction runs this before Slack gets its acknowledgement, so it stays lean.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ObjectionRow, ProcessedEventRow, ProposalRow, SignupRow
from mwgbot.domain import proposals as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import no_such_proposal
from mwgbot.domain.proposals import State
from mwgbot.services import ledger


@dataclass(frozen=True)
class Card:
    """What the rules need to know of a proposal before a member joins or objects."""

    number: int
    state: State
    closes_at: datetime


# Built once and run with parameters: these run on every reaction, before the ack.
_CARD = select(ProposalRow.number, ProposalRow.state, ProposalRow.closes_at).with_for_update()
_CARD_BY_NUMBER = _CARD.where(ProposalRow.number == bindparam("number"))
_CARD_BY_MESSAGE = _CARD.where(
    ProposalRow.message_ts == bindparam("ts"), ProposalRow.channel_id == bindparam("channel")
)
_LEAVE = delete(SignupRow).where(
    SignupRow.proposal_number == bindparam("number"), SignupRow.user_id == bindparam("user")
)
_REVISE_OBJECTION = (
    update(ObjectionRow)
    .where(
        ObjectionRow.proposal_number == bindparam("card"),
        ObjectionRow.user_id == bindparam("user"),
        or_(ObjectionRow.reason.is_(None), ObjectionRow.reason != bindparam("new_reason")),
    )
    .values(reason=bindparam("new_reason"))
)
_WITHDRAW_OBJECTION = delete(ObjectionRow).where(
    ObjectionRow.proposal_number == bindparam("number"), ObjectionRow.user_id == bindparam("user")
)
_ACTIVE_NOW = (
    update(ProposalRow)
    .where(ProposalRow.number == bindparam("card"))
    .values(last_activity_at=bindparam("now"))
)


# PostgreSQL: the event recorded and its card read (and locked) in one round trip; the CTE
# runs whether or not a card is found. SQLite has no data-modifying CTE: two statements.
_EVENT = (
    postgresql.insert(ProcessedEventRow)
    .values(event_id=bindparam("event_id"), received_at=bindparam("received_at"))
    .on_conflict_do_nothing()
    .returning(ProcessedEventRow.event_id)
    .cte("first_time")
)
_CLAIM_AND_CARD = (
    select(
        ProposalRow.number,
        ProposalRow.state,
        ProposalRow.closes_at,
        select(func.count()).select_from(_EVENT).scalar_subquery().label("first"),
    )
    .where(
        ProposalRow.message_ts == bindparam("ts"), ProposalRow.channel_id == bindparam("channel")
    )
    .with_for_update(of=ProposalRow)
)


def claim_event(
    session: Session, event_id: str, received_at: datetime, channel_id: str, message_ts: str
) -> tuple[bool, Card | None]:
    """Record an event as processed (True: the first time) and read the card it is about."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        first = queries.insert_ignoring_duplicates(
            session, ProcessedEventRow, {"event_id": event_id, "received_at": received_at}
        )
        return first, (card_at(session, channel_id, message_ts) if first else None)
    params = {
        "event_id": event_id,
        "received_at": received_at,
        "ts": message_ts,
        "channel": channel_id,
    }
    found = connection.execute(_CLAIM_AND_CARD, params).first()
    if found is None:  # no such card; the event is recorded all the same
        return False, None
    card = Card(found.number, State(found.state), found.closes_at)
    return bool(found.first), card


def lock_card(session: Session, number: int) -> Card:
    """The proposal, locked until commit on PostgreSQL, so a close cannot slip in between
    the check and the change (SQLite's writers are serialized anyway)."""
    found = session.connection().execute(_CARD_BY_NUMBER, {"number": number}).first()
    if found is None:
        raise no_such_proposal(number)
    return Card(found.number, State(found.state), found.closes_at)


def card_at(session: Session, channel_id: str, message_ts: str) -> Card | None:
    """The proposal whose card is that message, locked like `lock_card`; None if none."""
    found = (
        session.connection()
        .execute(_CARD_BY_MESSAGE, {"ts": message_ts, "channel": channel_id})
        .first()
    )
    return None if found is None else Card(found.number, State(found.state), found.closes_at)


class Objected(enum.Enum):
    ADDED = "added"
    REVISED = "revised"  # a new reason for a standing objection
    UNCHANGED = "unchanged"


class Participation:
    """One member's part in proposals, as of `now`, coming in by `via`."""

    def __init__(self, session: Session, now: datetime, via: Via) -> None:
        self.session = session
        self.now = now
        self.via = via
        # Reactions read back from Slack carry no time: one may predate the window's close.
        self._read_back = via is Via.RECONCILE

    def join(self, card: Card, user_id: str) -> bool:
        rules.check_join(card.number, card.state)
        joined = queries.insert_ignoring_duplicates(
            self.session,
            SignupRow,
            {"proposal_number": card.number, "user_id": user_id, "joined_at": self.now},
        )
        if joined:
            if card.state is State.ADOPTED:  # a new partner: the initiative is not quiet
                self.session.connection().execute(
                    _ACTIVE_NOW, {"card": card.number, "now": self.now}
                )
            self._changed(card, ActivityKind.JOINED, user_id)
        return joined

    def leave(self, card: Card, user_id: str) -> bool:
        result = self.session.connection().execute(_LEAVE, {"number": card.number, "user": user_id})
        left = bool(result.rowcount)
        if left:
            self._changed(card, ActivityKind.LEFT, user_id)
        return left

    def object(self, card: Card, user_id: str, reason: str | None) -> Objected:
        rules.check_object(
            card.number, card.state, card.closes_at, self.now, read_back=self._read_back
        )
        added = queries.insert_ignoring_duplicates(
            self.session,
            ObjectionRow,
            {
                "proposal_number": card.number,
                "user_id": user_id,
                "reason": reason,
                "made_at": self.now,
            },
        )
        if added:
            self._changed(card, ActivityKind.OBJECTED, user_id, reason=reason)
            return Objected.ADDED
        if not reason:
            return Objected.UNCHANGED
        revised = self.session.connection().execute(
            _REVISE_OBJECTION, {"card": card.number, "user": user_id, "new_reason": reason}
        )
        if not revised.rowcount:
            return Objected.UNCHANGED
        self._changed(card, ActivityKind.OBJECTED, user_id, reason=reason, revised=True)
        return Objected.REVISED

    def withdraw_objection(self, card: Card, user_id: str) -> bool:
        rules.check_withdraw_objection(
            card.number, card.state, card.closes_at, self.now, read_back=self._read_back
        )
        result = self.session.connection().execute(
            _WITHDRAW_OBJECTION, {"number": card.number, "user": user_id}
        )
        withdrawn = bool(result.rowcount)
        if withdrawn:
            self._changed(card, ActivityKind.OBJECTION_WITHDRAWN, user_id)
        return withdrawn

    def _changed(self, card: Card, kind: ActivityKind, user_id: str, **details: Any) -> None:
        """The card is stale (the delivery coalesces updates), and the ledger says why."""
        ledger.record(
            self.session,
            kind=kind,
            at=self.now,
            via=self.via,
            actor_id=user_id,
            proposal_number=card.number,
            details=details,
            card_is_stale=True,
        )
