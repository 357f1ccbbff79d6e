"""Use cases of proposals and lazy consensus. Services flush; the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import (
    MemberRow,
    ObjectionRow,
    ProcessedEventRow,
    ProposalRow,
    ReactionMarkRow,
    SignupRow,
)
from mwgbot.domain import proposals as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import DomainError, NotFound, NotPossible
from mwgbot.domain.proposals import ProposalSnapshot, Stage, State, Verdict
from mwgbot.services import ledger, outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer


@dataclass(frozen=True)
class Change:
    """What a member's action did, for the answer they get."""

    proposal: ProposalSnapshot
    changed: bool


@dataclass(frozen=True)
class ReactionEvent:
    event_id: str | None
    user_id: str
    emoji: str
    channel_id: str
    message_ts: str
    event_ts: str
    added: bool


class ProposalService:
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        self.session = session
        self.policy = policy
        self.renderer = renderer
        self.now = now
        self.via = via  # how the changes this service makes came in, for the ledger

    # --- proposing -------------------------------------------------------------------------

    def propose(
        self,
        proposer_id: str,
        title: str,
        *,
        description: str = "",
        stages: Sequence[Stage] = (),
        window: timedelta | None = None,
        collects_leads: bool = False,
        cobranded: bool = False,
    ) -> ProposalSnapshot:
        window = rules.validate_window(
            window or self.policy.consensus_window, self.policy.consensus_min
        )
        row = ProposalRow(
            title=title,
            description=description,
            proposer_id=proposer_id,
            stages=queries.format_stages(stages),
            collects_leads=collects_leads,
            cobranded=cobranded,
            state=State.OPEN.value,
            created_at=self.now,
            closes_at=self.now + window,
            channel_id=self.policy.channel_id,
            card_revision=0,
            card_synced_revision=0,
        )
        self.session.add(row)
        self.session.flush()
        self._record(
            ActivityKind.PROPOSED,
            row.number,
            proposer_id,
            title=title,
            closes_at=row.closes_at.isoformat(),
            stages=[s.value for s in stages],
            collects_leads=collects_leads,
            cobranded=cobranded,
        )
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_CARD,
            now=self.now,
            channel_id=self.policy.channel_id,
            proposal_number=row.number,
            dedupe_key=f"card:{row.number}",
        )
        return queries.snapshot(self.session, row)

    # --- joining ---------------------------------------------------------------------------

    def join(self, number: int, user_id: str) -> Change:
        row = self._get(number)
        rules.check_join(number, State(row.state))
        changed = queries.insert_ignoring_duplicates(
            self.session,
            SignupRow,
            {"proposal_number": number, "user_id": user_id, "joined_at": self.now},
        )
        if changed:
            self._record(ActivityKind.JOINED, number, user_id)
            if row.state == State.ADOPTED.value:
                row.last_activity_at = self.now  # a new partner: the initiative is not quiet
        return self._changed(row, changed)

    def leave(self, number: int, user_id: str) -> Change:
        row = self._get(number)
        result = self.session.execute(
            delete(SignupRow).where(
                SignupRow.proposal_number == number, SignupRow.user_id == user_id
            )
        )
        left = bool(getattr(result, "rowcount", 0))
        if left:
            self._record(ActivityKind.LEFT, number, user_id)
        return self._changed(row, left)

    # --- objecting -------------------------------------------------------------------------

    def object(self, number: int, user_id: str, reason: str | None) -> Change:
        row = self._get(number)
        rules.check_object(number, State(row.state), row.closes_at, self.now)
        existing = self.session.scalars(
            select(ObjectionRow).where(
                ObjectionRow.proposal_number == number, ObjectionRow.user_id == user_id
            )
        ).one_or_none()
        if existing is None:
            inserted = queries.insert_ignoring_duplicates(
                self.session,
                ObjectionRow,
                {
                    "proposal_number": number,
                    "user_id": user_id,
                    "reason": reason,
                    "made_at": self.now,
                },
            )
            if inserted:
                self._record(ActivityKind.OBJECTED, number, user_id, reason=reason)
            return self._changed(row, inserted)
        if reason and reason != existing.reason:
            existing.reason = reason
            self._record(ActivityKind.OBJECTED, number, user_id, reason=reason, revised=True)
            return self._changed(row, True)
        return self._changed(row, False)

    def withdraw_objection(self, number: int, user_id: str) -> Change:
        row = self._get(number)
        rules.check_withdraw_objection(number, State(row.state), row.closes_at, self.now)
        result = self.session.execute(
            delete(ObjectionRow).where(
                ObjectionRow.proposal_number == number, ObjectionRow.user_id == user_id
            )
        )
        withdrawn = bool(getattr(result, "rowcount", 0))
        if withdrawn:
            self._record(ActivityKind.OBJECTION_WITHDRAWN, number, user_id)
        return self._changed(row, withdrawn)

    # --- proposer and moderators -----------------------------------------------------------

    def withdraw(self, number: int, actor_id: str) -> ProposalSnapshot:
        row = self._get(number)
        new_state = rules.withdraw(
            number, State(row.state), row.proposer_id, actor_id, self.policy.moderators
        )
        row.state = new_state.value
        row.closed_at = self.now
        row.withdrawn_by = actor_id
        self._record(ActivityKind.WITHDRAWN, number, actor_id)
        return self._announce(row, f"withdraw:{number}")

    def resolve(self, number: int, actor_id: str, verdict: Verdict, note: str) -> ProposalSnapshot:
        row = self._get(number)
        new_state = rules.resolve(
            number,
            State(row.state),
            row.proposer_id,
            actor_id,
            self.policy.moderators,
            verdict,
        )
        row.state = new_state.value
        row.decided_by = actor_id
        row.verdict = verdict.value
        row.decision_note = note
        row.decided_at = self.now
        if new_state is State.ADOPTED:
            row.last_activity_at = self.now  # an active initiative from now on
        self._record(ActivityKind.DECIDED, number, actor_id, verdict=verdict.value, note=note)
        return self._announce(row, f"resolve:{number}")

    def set_organization(self, user_id: str, organization: str | None) -> None:
        queries.upsert(
            self.session,
            MemberRow,
            {
                "user_id": user_id,
                "organization": organization,
                "updated_at": self.now,
                "first_seen_at": self.now,
                "last_active_at": self.now,
            },
            update={"organization": organization, "updated_at": self.now},
        )
        self._record(ActivityKind.ORGANIZATION_SET, None, user_id, organization=organization)
        # Cards show organizations: every card this member appears on is stale now.
        numbers = select(SignupRow.proposal_number).where(SignupRow.user_id == user_id)
        self.session.execute(
            update(ProposalRow)
            .where((ProposalRow.number.in_(numbers)) | (ProposalRow.proposer_id == user_id))
            .values(card_revision=ProposalRow.card_revision + 1)
        )
        self.session.flush()

    def organization_of(self, user_id: str) -> str | None:
        member = self.session.get(MemberRow, user_id)
        return member.organization if member else None

    # --- reading ---------------------------------------------------------------------------

    def show(self, number: int) -> ProposalSnapshot:
        row = self.session.get(ProposalRow, number)
        if row is None:
            raise NotFound(f"There is no proposal #{number}. `/mwg list` shows the open ones.")
        return queries.snapshot(self.session, row)

    def open_proposals(self) -> list[ProposalSnapshot]:
        return queries.load_snapshots(self.session, states=[State.OPEN, State.ESCALATED])

    def recent_outcomes(self, limit: int = 5) -> list[ProposalSnapshot]:
        """The proposals whose story ended last: declined, withdrawn, delivered or dropped,
        newest first. Each kind is read by its own end time, `limit` rows at most."""
        ends = (
            ((State.WITHDRAWN,), ProposalRow.closed_at),
            ((State.DECLINED,), ProposalRow.decided_at),
            ((State.DELIVERED, State.DROPPED), ProposalRow.finished_at),
        )
        ended: list[tuple[datetime, int, ProposalRow]] = []
        for states, ended_at in ends:
            rows = self.session.scalars(
                select(ProposalRow)
                .where(ProposalRow.state.in_([s.value for s in states]), ended_at.is_not(None))
                .order_by(ended_at.desc(), ProposalRow.number.desc())
                .limit(limit)
            ).all()
            ended += [(getattr(row, ended_at.key), row.number, row) for row in rows]
        ended.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        return queries.snapshots(self.session, [row for _at, _n, row in ended[:limit]])

    # --- closing ---------------------------------------------------------------------------

    def close_due(self) -> list[ProposalSnapshot]:
        """Close every proposal whose window has ended; each is claimed by one instance only."""
        candidates = select(ProposalRow.number, ProposalRow.state, ProposalRow.closes_at).where(
            ProposalRow.state == State.OPEN.value, ProposalRow.closes_at <= self.now
        )
        if self.session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        closed = []
        for number, state, closes_at in self.session.execute(
            candidates.order_by(ProposalRow.closes_at)
        ).all():
            if not rules.is_due(State(state), closes_at, self.now):
                continue
            standing = len(
                self.session.scalars(
                    select(ObjectionRow.id).where(ObjectionRow.proposal_number == number)
                ).all()
            )
            outcome = rules.outcome_at_close(standing)
            closing: dict[str, Any] = {"state": outcome.value, "closed_at": self.now}
            if outcome is State.ADOPTED:
                # An adopted proposal is an active initiative, quiet from its adoption on.
                closing["last_activity_at"] = self.now
            claimed = self.session.execute(
                update(ProposalRow)
                .where(ProposalRow.number == number, ProposalRow.state == State.OPEN.value)
                .values(**closing)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                continue  # another instance closed it first
            self._record(ActivityKind.CLOSED, number, None, outcome=outcome.value)
            row = self.session.get(ProposalRow, number, populate_existing=True)
            assert row is not None
            closed.append(self._announce(row, f"close:{number}"))
        return closed

    def announce_closing_soon(self) -> list[ProposalSnapshot]:
        """Once per proposal, a day before its window closes: object now or it passes."""
        lead = self.policy.closing_soon_lead
        rows = self.session.scalars(
            select(ProposalRow).where(
                ProposalRow.state == State.OPEN.value,
                ProposalRow.closes_at > self.now,
                ProposalRow.closes_at <= self.now + lead,
            )
        ).all()
        announced = []
        for row in rows:
            # Only windows longer than the lead get the notice; interval arithmetic differs
            # between SQLite and PostgreSQL, so the rule is checked here, not in SQL.
            if row.closes_at - row.created_at <= lead:
                continue
            proposal = queries.snapshot(self.session, row)
            if outbox.enqueue(
                self.session,
                kind=outbox.KIND_THREAD,
                now=self.now,
                message=self.renderer.closing_soon(proposal, self.policy.object_emojis[0]),
                channel_id=self.policy.channel_id,
                proposal_number=row.number,
                dedupe_key=f"closing-soon:{row.number}",
            ):
                announced.append(proposal)
        return announced

    # --- reactions -------------------------------------------------------------------------

    def handle_reaction(self, event: ReactionEvent, bot_user_id: str | None) -> bool:
        """Apply a reaction event once; False when it was ignored or already processed."""
        meaning = self.policy.meaning_of(event.emoji)
        if meaning is None or event.user_id == bot_user_id:
            return False
        if event.event_id and not queries.insert_ignoring_duplicates(
            self.session,
            ProcessedEventRow,
            {"event_id": event.event_id, "received_at": self.now},
        ):
            return False  # a retry of an event already applied
        row = queries.proposal_by_message(self.session, event.channel_id, event.message_ts)
        if row is None:
            return False
        if not self._newer_mark(row.number, event, meaning):
            return False  # an older event arrived after a newer one: the newer one stands
        try:
            self._apply_reaction(row.number, event, meaning)
        except DomainError as refusal:
            outbox.enqueue(
                self.session,
                kind=outbox.KIND_EPHEMERAL,
                now=self.now,
                message=self.renderer.note(str(refusal)),
                channel_id=event.channel_id,
                user_id=event.user_id,
            )
        return True

    def _apply_reaction(self, number: int, event: ReactionEvent, meaning: str) -> None:
        still_marked = self._other_marks_present(number, event, meaning)
        if meaning == "join":
            if event.added:
                self.join(number, event.user_id)
            elif not still_marked:
                self.leave(number, event.user_id)
            return
        if event.added:
            change = self.object(number, event.user_id, None)
            objection = change.proposal.objection_by(event.user_id)
            if change.changed and (objection is None or not objection.reason):
                outbox.enqueue(
                    self.session,
                    kind=outbox.KIND_EPHEMERAL,
                    now=self.now,
                    message=self.renderer.ask_reason(change.proposal),
                    channel_id=event.channel_id,
                    user_id=event.user_id,
                )
        elif not still_marked:
            self.withdraw_objection(number, event.user_id)

    def _newer_mark(self, number: int, event: ReactionEvent, meaning: str) -> bool:
        event_time = _event_time_us(event.event_ts)
        mark = self.session.get(
            ReactionMarkRow, (number, event.user_id, meaning, event.emoji), with_for_update=True
        )
        if mark is None:
            self.session.add(
                ReactionMarkRow(
                    proposal_number=number,
                    user_id=event.user_id,
                    meaning=meaning,
                    emoji=event.emoji,
                    present=event.added,
                    event_time_us=event_time,
                )
            )
            self.session.flush()
            return True
        if mark.event_time_us > event_time:
            return False
        mark.present = event.added
        mark.event_time_us = event_time
        self.session.flush()
        return True

    def _other_marks_present(self, number: int, event: ReactionEvent, meaning: str) -> bool:
        """Another emoji of the same meaning still on the card keeps the member in."""
        others = self.session.scalars(
            select(ReactionMarkRow.emoji).where(
                ReactionMarkRow.proposal_number == number,
                ReactionMarkRow.user_id == event.user_id,
                ReactionMarkRow.meaning == meaning,
                ReactionMarkRow.emoji != event.emoji,
                ReactionMarkRow.present.is_(True),
            )
        ).all()
        return bool(others)

    # --- helpers ---------------------------------------------------------------------------

    def _record(
        self, kind: ActivityKind, number: int | None, actor_id: str | None, **details: Any
    ) -> None:
        ledger.record(
            self.session,
            kind=kind,
            at=self.now,
            via=self.via,
            actor_id=actor_id,
            proposal_number=number,
            details=details,
        )

    def _get(self, number: int) -> ProposalRow:
        row = queries.lock_proposal(self.session, number)
        if row is None:
            raise NotFound(f"There is no proposal #{number}. `/mwg list` shows the open ones.")
        return row

    def _changed(self, row: ProposalRow, changed: bool) -> Change:
        if changed:
            row.card_revision += 1
        self.session.flush()
        # Core statements changed the collections behind the ORM's back: reload them.
        self.session.expire(row, ["signups", "objections"])
        return Change(queries.snapshot(self.session, row), changed)

    def _announce(self, row: ProposalRow, dedupe_key: str) -> ProposalSnapshot:
        """Mark the card stale and queue the outcome as a thread reply sent to the channel."""
        row.card_revision += 1
        self.session.flush()
        self.session.expire(row, ["signups", "objections"])
        proposal = queries.snapshot(self.session, row)
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            message=self.renderer.outcome(proposal, sorted(self.policy.moderators)),
            channel_id=self.policy.channel_id,
            proposal_number=row.number,
            broadcast=True,
            dedupe_key=dedupe_key,
        )
        return proposal


def _event_time_us(event_ts: str) -> int:
    try:
        return int(Decimal(event_ts) * 1_000_000)
    except (InvalidOperation, ValueError):
        raise NotPossible("malformed event time") from None
