"""Joining, leaving, objecting and withdrawing an objection: the writes every way in shares
(commands, buttons, forms, reactions and reconciliation).

Each is a handful of statements on the proposal's row and the one member's row, with the
rules checked first and one ledger row written on a change; nothing reloads the proposal. A
reaction runs this before Slack gets its acknowledgement, so it stays lean.

One stance per member: the proposer neither joins nor objects, an objection withdraws the
member's join, and an objector does not join (the sign-up is inserted only where no objection
stands, in the same statement). When the last standing objection to an escalated proposal is
withdrawn, the proposal is adopted here, in the same unit of work, exactly once: the
proposal's row is locked, and the change is a conditional UPDATE of its state.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, cast, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ObjectionRow, ProcessedEventRow, ProposalRow, SignupRow
from mwgbot.domain import proposals as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import no_such_proposal
from mwgbot.domain.proposals import State
from mwgbot.services import escalations, ledger, outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer


@dataclass(frozen=True)
class Card:
    """What the rules need to know of a proposal before a member joins or objects."""

    number: int
    state: State
    closes_at: datetime
    proposer_id: str
    group_key: str = "mwg"


# Built once and run with parameters: these run on every reaction, before the ack.
_CARD = select(
    ProposalRow.number,
    ProposalRow.state,
    ProposalRow.closes_at,
    ProposalRow.proposer_id,
    ProposalRow.group_key,
).with_for_update()
_CARD_BY_NUMBER = _CARD.where(
    ProposalRow.group_key == bindparam("group"), ProposalRow.number == bindparam("number")
)
_CARD_BY_MESSAGE = _CARD.where(
    ProposalRow.message_ts == bindparam("ts"), ProposalRow.channel_id == bindparam("channel")
)
_LEAVE = delete(SignupRow).where(
    SignupRow.group_key == bindparam("group"),
    SignupRow.proposal_number == bindparam("number"),
    SignupRow.user_id == bindparam("user"),
)
_REVISE_OBJECTION = (
    update(ObjectionRow)
    .where(
        ObjectionRow.group_key == bindparam("group"),
        ObjectionRow.proposal_number == bindparam("card"),
        ObjectionRow.user_id == bindparam("user"),
        or_(ObjectionRow.reason.is_(None), ObjectionRow.reason != bindparam("new_reason")),
    )
    .values(reason=bindparam("new_reason"))
)
_WITHDRAW_OBJECTION = delete(ObjectionRow).where(
    ObjectionRow.group_key == bindparam("group"),
    ObjectionRow.proposal_number == bindparam("number"),
    ObjectionRow.user_id == bindparam("user"),
)
_ACTIVE_NOW = (
    update(ProposalRow)
    .where(ProposalRow.group_key == bindparam("group"), ProposalRow.number == bindparam("card"))
    .values(last_activity_at=bindparam("now"))
)
_OBJECTING = select(ObjectionRow.id).where(
    ObjectionRow.group_key == bindparam("group"),
    ObjectionRow.proposal_number == bindparam("number"),
    ObjectionRow.user_id == bindparam("user"),
)
_STANDING = (
    select(func.count())
    .select_from(ObjectionRow)
    .where(
        ObjectionRow.group_key == bindparam("group"),
        ObjectionRow.proposal_number == bindparam("number"),
    )
)
# Consensus found after the close: adopted only if still escalated, so exactly once.
_ADOPT_BY_CONSENSUS = (
    update(ProposalRow)
    .where(
        ProposalRow.group_key == bindparam("group"),
        ProposalRow.number == bindparam("card"),
        ProposalRow.state == State.ESCALATED.value,
    )
    .values(
        state=State.ADOPTED.value,
        decided_at=bindparam("now"),
        last_activity_at=bindparam("now"),  # an active initiative, quiet from now on
        card_revision=ProposalRow.card_revision + 1,
    )
)


@functools.cache
def _join_unless_objecting(dialect: str) -> Any:
    """INSERT a sign-up unless the member objects to the proposal (or already joined):
    one statement, so joining costs what it did before the rule."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = select(
        bindparam("group", type_=SignupRow.__table__.c.group_key.type),
        cast(bindparam("number"), Integer),
        bindparam("user", type_=SignupRow.__table__.c.user_id.type),
        bindparam("now", type_=SignupRow.__table__.c.joined_at.type),
    ).where(~_OBJECTING.exists())  # a WHERE also settles SQLite's INSERT … SELECT … ON CONFLICT
    return (
        insert(SignupRow)
        .from_select(["group_key", "proposal_number", "user_id", "joined_at"], values)
        .on_conflict_do_nothing()
        .returning(SignupRow.id)
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
        ProposalRow.proposer_id,
        ProposalRow.group_key,
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
    return bool(found.first), _card(found)


def lock_card(session: Session, group_key: str, number: int) -> Card:
    """The proposal, locked until commit on PostgreSQL, so a close cannot slip in between
    the check and the change (SQLite's writers are serialized anyway)."""
    found = (
        session.connection()
        .execute(_CARD_BY_NUMBER, {"group": group_key, "number": number})
        .first()
    )
    if found is None:
        raise no_such_proposal(number)
    return _card(found)


def card_at(session: Session, channel_id: str, message_ts: str) -> Card | None:
    """The proposal whose card is that message, locked like `lock_card`; None if none."""
    found = (
        session.connection()
        .execute(_CARD_BY_MESSAGE, {"ts": message_ts, "channel": channel_id})
        .first()
    )
    return None if found is None else _card(found)


def _card(found: Any) -> Card:
    return Card(
        found.number, State(found.state), found.closes_at, found.proposer_id, found.group_key
    )


class Objected(enum.Enum):
    ADDED = "added"
    ADDED_INSTEAD_OF_JOIN = "added, and the member's join withdrawn"
    REVISED = "revised"  # a new reason for a standing objection
    UNCHANGED = "unchanged"

    @property
    def added(self) -> bool:
        return self in (Objected.ADDED, Objected.ADDED_INSTEAD_OF_JOIN)


class Withdrawn(enum.Enum):
    NOTHING = "nothing"  # the member had no objection
    WITHDRAWN = "withdrawn"
    ADOPTED = "withdrawn, the last one: the escalated proposal is adopted"


class Participation:
    """One member's part in proposals, as of `now`, coming in by `via`."""

    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        self.session = session
        self.policy = policy
        self.renderer = renderer
        self.now = now
        self.via = via
        # Reactions read back from Slack carry no time: one may predate the window's close.
        self._read_back = via is Via.RECONCILE
        # The group whose page (its channel canvas) each change here makes stale, if any.
        self.page_key = policy.key if policy.canvas else None

    def join(self, card: Card, user_id: str) -> bool:
        rules.check_join(card.number, card.state, proposer=user_id == card.proposer_id)
        connection = self.session.connection()
        joined = (
            connection.execute(
                _join_unless_objecting(connection.dialect.name),
                {"group": card.group_key, "number": card.number, "user": user_id, "now": self.now},
            ).first()
            is not None
        )
        if joined:
            if card.state is State.ADOPTED:  # a new partner: the initiative is not quiet
                connection.execute(
                    _ACTIVE_NOW, {"group": card.group_key, "card": card.number, "now": self.now}
                )
            self._changed(card, ActivityKind.JOINED, user_id)
            return True
        # Not inserted: already joined, or objecting (rare; one more lookup says which).
        objecting = connection.execute(
            _OBJECTING, {"group": card.group_key, "number": card.number, "user": user_id}
        )
        rules.check_join(card.number, card.state, objecting=objecting.first() is not None)
        return False

    def leave(self, card: Card, user_id: str) -> bool:
        result = self.session.connection().execute(
            _LEAVE, {"group": card.group_key, "number": card.number, "user": user_id}
        )
        left = bool(result.rowcount)
        if left:
            self._changed(card, ActivityKind.LEFT, user_id)
        return left

    def object(self, card: Card, user_id: str, reason: str | None) -> Objected:
        rules.check_object(
            card.number,
            card.state,
            card.closes_at,
            self.now,
            read_back=self._read_back,
            proposer=user_id == card.proposer_id,
        )
        added = queries.insert_ignoring_duplicates(
            self.session,
            ObjectionRow,
            {
                "group_key": card.group_key,
                "proposal_number": card.number,
                "user_id": user_id,
                "reason": reason,
                "made_at": self.now,
            },
        )
        connection = self.session.connection()
        if added:
            # One stance per member: an objection withdraws their join.
            left = bool(
                connection.execute(
                    _LEAVE, {"group": card.group_key, "number": card.number, "user": user_id}
                ).rowcount
            )
            details: dict[str, Any] = {"reason": reason, **({"left": True} if left else {})}
            self._changed(card, ActivityKind.OBJECTED, user_id, **details)
            return Objected.ADDED_INSTEAD_OF_JOIN if left else Objected.ADDED
        if not reason:
            return Objected.UNCHANGED
        revised = connection.execute(
            _REVISE_OBJECTION,
            {"group": card.group_key, "card": card.number, "user": user_id, "new_reason": reason},
        )
        if not revised.rowcount:
            return Objected.UNCHANGED
        self._changed(card, ActivityKind.OBJECTED, user_id, reason=reason, revised=True)
        return Objected.REVISED

    def withdraw_objection(self, card: Card, user_id: str) -> Withdrawn:
        rules.check_withdraw_objection(
            card.number, card.state, card.closes_at, self.now, read_back=self._read_back
        )
        connection = self.session.connection()
        result = connection.execute(
            _WITHDRAW_OBJECTION, {"group": card.group_key, "number": card.number, "user": user_id}
        )
        if not result.rowcount:
            return Withdrawn.NOTHING
        self._changed(card, ActivityKind.OBJECTION_WITHDRAWN, user_id)
        if card.state is State.ESCALATED and self._adopt_if_none_stands(card, user_id):
            return Withdrawn.ADOPTED
        return Withdrawn.WITHDRAWN

    def _adopt_if_none_stands(self, card: Card, withdrawn_by: str) -> bool:
        """Consensus found after the close: with no objection left standing, the escalated
        proposal is adopted, announced once in its thread and the channel."""
        connection = self.session.connection()
        standing = int(
            connection.execute(_STANDING, {"group": card.group_key, "number": card.number}).scalar()
            or 0
        )
        if not rules.consensus_after_close(card.state, standing):
            return False
        adopted = connection.execute(
            _ADOPT_BY_CONSENSUS, {"group": card.group_key, "card": card.number, "now": self.now}
        )
        if adopted.rowcount != 1:
            return False  # settled meanwhile (the row lock makes this a safeguard only)
        ledger.record(
            self.session,
            kind=ActivityKind.ADOPTED_BY_CONSENSUS,
            at=self.now,
            via=self.via,
            group_key=card.group_key,
            proposal_number=card.number,
            details={"outcome": State.ADOPTED.value, "last_objection_withdrawn_by": withdrawn_by},
            page_key=self.page_key,
        )
        escalations.notices_moot(self.session, card.group_key, card.number)
        row = self.session.get(ProposalRow, (card.group_key, card.number), populate_existing=True)
        assert row is not None
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            message=self.renderer.consensus_found(
                queries.snapshot(self.session, row), withdrawn_by
            ),
            channel_id=self.policy.channel_id,
            group_key=card.group_key,
            proposal_number=card.number,
            broadcast=True,
            dedupe_key=f"consensus:{card.number}",
        )
        return True

    def _changed(self, card: Card, kind: ActivityKind, user_id: str, **details: Any) -> None:
        """The card is stale (the delivery coalesces updates), and the ledger says why."""
        ledger.record(
            self.session,
            kind=kind,
            at=self.now,
            via=self.via,
            actor_id=user_id,
            group_key=card.group_key,
            proposal_number=card.number,
            details=details,
            card_is_stale=True,
            page_key=self.page_key,
        )
