"""Use cases of proposals and lazy consensus. Services flush; the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import MemberRow, ObjectionRow, ProposalRow, ReactionMarkRow, SignupRow
from mwgbot.domain import proposals as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import no_such_proposal
from mwgbot.domain.escalation import DeciderRole, Deciders
from mwgbot.domain.proposals import ProposalSnapshot, Stage, State, Verdict
from mwgbot.services import limits, listings, outbox
from mwgbot.services.escalations import EscalationService, notices_moot
from mwgbot.services.participation import Objected, Participation, Withdrawn, lock_card
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.read_models import Listing
from mwgbot.services.use_case import UseCase


@dataclass(frozen=True)
class Change:
    """What a member's action did, for the answer they get."""

    proposal: ProposalSnapshot
    changed: bool
    # Objecting withdrew the member's join (one stance per member).
    withdrew_join: bool = False
    # Withdrawing the last standing objection adopted the escalated proposal.
    adopted: bool = False
    # The member's own reactions still on the card that now say the opposite of their stance
    # (a join by :raised_hand: left by command): only they can remove them.
    reactions_left: tuple[str, ...] = ()


class ProposalService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.renderer = renderer
        self._participation = Participation(session, policy, renderer, now, via)

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
        limits.check_open_limit(self.session, self.policy, proposer_id, self.now)
        # A member's first proposal in any group: new members are valued.
        earlier = select(ProposalRow.number).where(ProposalRow.proposer_id == proposer_id)
        first_proposal = self.session.scalar(earlier.limit(1)) is None
        row = ProposalRow(
            group_key=self.group_key,
            number=queries.take_number(self.session, self.group_key),
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
            first_proposal=first_proposal,
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
            group_key=self.group_key,
            proposal_number=row.number,
            dedupe_key=f"card:{row.number}",
        )
        return queries.snapshot(self.session, row)

    # --- joining and objecting (the writes are shared with reactions) ---------------------

    def join(self, number: int, user_id: str) -> Change:
        changed = self._participation.join(lock_card(self.session, self.group_key, number), user_id)
        return Change(self.show(number), changed)

    def leave(self, number: int, user_id: str) -> Change:
        changed = self._participation.leave(
            lock_card(self.session, self.group_key, number), user_id
        )
        left = self._reactions_left(number, user_id, "join") if changed else ()
        return Change(self.show(number), changed, reactions_left=left)

    def object(self, number: int, user_id: str, reason: str | None) -> Change:
        outcome = self._participation.object(
            lock_card(self.session, self.group_key, number), user_id, reason
        )
        withdrew_join = outcome is Objected.ADDED_INSTEAD_OF_JOIN
        return Change(
            self.show(number),
            outcome is not Objected.UNCHANGED,
            withdrew_join=withdrew_join,
            reactions_left=(self._reactions_left(number, user_id, "join") if withdrew_join else ()),
        )

    def withdraw_objection(self, number: int, user_id: str) -> Change:
        card = lock_card(self.session, self.group_key, number)
        withdrawn = self._participation.withdraw_objection(card, user_id)
        changed = withdrawn is not Withdrawn.NOTHING
        return Change(
            self.show(number),
            changed,
            adopted=withdrawn is Withdrawn.ADOPTED,
            reactions_left=self._reactions_left(number, user_id, "object") if changed else (),
        )

    def _reactions_left(self, number: int, user_id: str, meaning: str) -> tuple[str, ...]:
        """The member's reactions of that meaning still on the card, as the events left them."""
        return tuple(
            self.session.scalars(
                select(ReactionMarkRow.emoji)
                .where(
                    ReactionMarkRow.group_key == self.group_key,
                    ReactionMarkRow.proposal_number == number,
                    ReactionMarkRow.user_id == user_id,
                    ReactionMarkRow.meaning == meaning,
                    ReactionMarkRow.present.is_(True),
                )
                .order_by(ReactionMarkRow.emoji)
            )
        )

    # --- proposer and deciders -------------------------------------------------------------

    def withdraw(self, number: int, actor_id: str) -> ProposalSnapshot:
        row = self._locked_proposal(number)
        was = State(row.state)
        new_state = rules.withdraw(number, was, row.proposer_id, actor_id, self.policy.moderators)
        row.state = new_state.value
        row.closed_at = self.now  # when it was withdrawn (an escalation's close is in the ledger)
        row.withdrawn_by = actor_id
        if was is State.ESCALATED:
            self._record(ActivityKind.WITHDRAWN, number, actor_id, was=was.value)
            notices_moot(self.session, self.group_key, number)
        else:
            self._record(ActivityKind.WITHDRAWN, number, actor_id)
        return self._announce(row, f"withdraw:{number}")

    def resolve(self, number: int, actor_id: str, verdict: Verdict, note: str) -> ProposalSnapshot:
        """An eligible decider settles an escalated proposal (a moderator who did not propose
        it; failing one, an organizer who did not)."""
        row = self._locked_proposal(number)
        objectors = [objection.user_id for objection in row.objections]
        new_state = rules.resolve(
            number,
            State(row.state),
            row.proposer_id,
            actor_id,
            self.policy.roles,
            verdict,
            objectors,
        )
        deciders = self.policy.roles.deciders(row.proposer_id, objectors)
        row.state = new_state.value
        row.decided_by = actor_id
        row.verdict = verdict.value
        row.decision_note = note
        row.decided_at = self.now
        if new_state is State.ADOPTED:
            row.last_activity_at = self.now  # an active initiative from now on
        role = "organizer" if deciders.role is DeciderRole.ORGANIZERS else "moderator"
        self._record(
            ActivityKind.DECIDED, number, actor_id, verdict=verdict.value, note=note, **{"as": role}
        )
        notices_moot(self.session, self.group_key, number)
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
            update=("organization", "updated_at"),
        )
        self._record(ActivityKind.ORGANIZATION_SET, None, user_id, organization=organization)
        # Cards show organizations: the live cards this member appears on are stale now. Cards
        # of settled proposals keep what they said when they were settled (years of history
        # would otherwise be re-posted, under chat.update's rate limit).
        # In every group: a member is one person, with one organization.
        joined = select(SignupRow.group_key, SignupRow.proposal_number).where(
            SignupRow.user_id == user_id
        )
        self.session.execute(
            update(ProposalRow)
            .where(
                (tuple_(ProposalRow.group_key, ProposalRow.number).in_(joined))
                | (ProposalRow.proposer_id == user_id),
                ProposalRow.state.in_([s.value for s in rules.JOINABLE_STATES]),
            )
            .values(card_revision=ProposalRow.card_revision + 1)
        )
        self.session.flush()

    def organization_of(self, user_id: str) -> str | None:
        member = self.session.get(MemberRow, user_id)
        return member.organization if member else None

    # --- reading ---------------------------------------------------------------------------

    def show(self, number: int) -> ProposalSnapshot:
        row = self.session.get(ProposalRow, (self.group_key, number), populate_existing=True)
        if row is None:
            raise no_such_proposal(number)
        return queries.snapshot(self.session, row)

    def has_joined(self, number: int, user_id: str) -> bool:
        return queries.has_joined(self.session, self.group_key, number, user_id)

    def objection_reason(self, number: int, user_id: str) -> str | None:
        """The reason of the member's standing objection to #n, if they gave one."""
        return self.session.scalar(
            select(ObjectionRow.reason).where(
                ObjectionRow.group_key == self.group_key,
                ObjectionRow.proposal_number == number,
                ObjectionRow.user_id == user_id,
            )
        )

    def overview(self, active_limit: int) -> tuple[Listing, list[ProposalSnapshot], Listing]:
        """What `/mwg list` shows: open and escalated proposals (closing soonest first),
        recent outcomes, active initiatives; every snapshot built in one batch."""
        lists = listings.realize(
            self.session,
            {
                "open": listings.page(
                    self.session,
                    [
                        ProposalRow.group_key == self.group_key,
                        ProposalRow.state.in_([State.OPEN.value, State.ESCALATED.value]),
                    ],
                    [ProposalRow.closes_at, ProposalRow.number],
                ),
                "outcomes": listings.Page(tuple(self._recent_outcome_rows()), 0),
                "active": listings.active(self.session, self.group_key, active_limit),
            },
        )
        return lists["open"], list(lists["outcomes"].items), lists["active"]

    def _recent_outcome_rows(self, limit: int = 5) -> list[ProposalRow]:
        """The proposals whose story ended last: declined, withdrawn, delivered or dropped,
        newest first. Each state is read by its own end time, `limit` rows at most: one state
        at a time, so that its (state, end time) index gives the rows in order (two states in
        one IN would make PostgreSQL sort every delivered and dropped initiative ever)."""
        ends = (
            (State.WITHDRAWN, ProposalRow.closed_at),
            (State.DECLINED, ProposalRow.decided_at),
            (State.DELIVERED, ProposalRow.finished_at),
            (State.DROPPED, ProposalRow.finished_at),
        )
        ended: list[tuple[datetime, int, ProposalRow]] = []
        for state, ended_at in ends:
            rows = self.session.scalars(
                select(ProposalRow)
                .where(
                    ProposalRow.group_key == self.group_key,
                    ProposalRow.state == state.value,
                    ended_at.is_not(None),
                )
                .order_by(ended_at.desc(), ProposalRow.number.desc())
                .limit(limit)
            ).all()
            ended += [(getattr(row, ended_at.key), row.number, row) for row in rows]
        ended.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        return [row for _at, _n, row in ended[:limit]]

    # --- closing ---------------------------------------------------------------------------

    def close_due(self, held_back: Collection[int] = ()) -> list[ProposalSnapshot]:
        """Close every proposal whose window has ended, but those held back (their cards are
        not read back yet); each is claimed by one instance only."""
        candidates = select(ProposalRow.number, ProposalRow.state, ProposalRow.closes_at).where(
            ProposalRow.group_key == self.group_key,
            ProposalRow.state == State.OPEN.value,
            ProposalRow.closes_at <= self.now,
        )
        if held_back:
            candidates = candidates.where(ProposalRow.number.not_in(held_back))
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
                    select(ObjectionRow.id).where(
                        ObjectionRow.group_key == self.group_key,
                        ObjectionRow.proposal_number == number,
                    )
                ).all()
            )
            outcome = rules.outcome_at_close(standing)
            closing: dict[str, Any] = {"state": outcome.value, "closed_at": self.now}
            if outcome is State.ADOPTED:
                # An adopted proposal is an active initiative, quiet from its adoption on.
                closing["last_activity_at"] = self.now
            claimed = self.session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == self.group_key,
                    ProposalRow.number == number,
                    ProposalRow.state == State.OPEN.value,
                )
                .values(**closing)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                continue  # another instance closed it first
            self._record(ActivityKind.CLOSED, number, None, outcome=outcome.value)
            row = self.session.get(ProposalRow, (self.group_key, number), populate_existing=True)
            assert row is not None
            proposal = self._announce(row, f"close:{number}")
            if outcome is State.ESCALATED:  # each decider is told, personally
                EscalationService(self.session, self.policy, self.renderer, self.now).notify(
                    proposal
                )
            closed.append(proposal)
        return closed

    def announce_closing_soon(self) -> list[ProposalSnapshot]:
        """Once per closing time, a day before the window closes: object now or it passes.

        A window that is extended gets the notice again, for its new closing time.
        """
        lead = self.policy.closing_soon_lead
        rows = self.session.scalars(
            select(ProposalRow).where(
                ProposalRow.group_key == self.group_key,
                ProposalRow.state == State.OPEN.value,
                ProposalRow.closes_at > self.now,
                ProposalRow.closes_at <= self.now + lead,
            )
        ).all()
        # Notices already queued (under this version's key or the one before it) are skipped
        # before anything is built, in one lookup: the sweep runs twice a minute, and each
        # open proposal is in this window for a whole day.
        keys = {row.number: closing_soon_key(row.number, row.closes_at) for row in rows}
        legacy = {row.number: legacy_closing_soon_key(row.number) for row in rows}
        queued = outbox.queued_keys(
            self.session, self.group_key, [*keys.values(), *legacy.values()]
        )
        announced = []
        for row in rows:
            # Only windows longer than the lead get the notice; interval arithmetic differs
            # between SQLite and PostgreSQL, so the rule is checked here, not in SQL.
            if row.closes_at - row.created_at <= lead:
                continue
            if keys[row.number] in queued or legacy[row.number] in queued:
                continue
            proposal = queries.snapshot(self.session, row)
            if outbox.enqueue(
                self.session,
                kind=outbox.KIND_THREAD,
                now=self.now,
                message=self.renderer.closing_soon(
                    proposal,
                    self.policy.object_emojis[0],
                    self._deciders(proposal),
                ),
                channel_id=self.policy.channel_id,
                group_key=self.group_key,
                proposal_number=row.number,
                dedupe_key=keys[row.number],
            ):
                announced.append(proposal)
        return announced

    # --- helpers ---------------------------------------------------------------------------

    def _deciders(self, proposal: ProposalSnapshot) -> Deciders:
        objectors = queries.objector_ids(self.session, self.policy.key, [proposal.number])[
            proposal.number
        ]
        return self.policy.roles.deciders(proposal.proposer_id, objectors)

    def _announce(self, row: ProposalRow, dedupe_key: str) -> ProposalSnapshot:
        """Mark the card stale and queue the outcome as a thread reply sent to the channel."""
        row.card_revision += 1
        self.session.flush()
        proposal = queries.snapshot(self.session, row)
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            message=self.renderer.outcome(proposal, self._deciders(proposal)),
            channel_id=self.policy.channel_id,
            group_key=self.group_key,
            proposal_number=row.number,
            broadcast=True,
            dedupe_key=dedupe_key,
        )
        return proposal


def closing_soon_key(number: int, closes_at: datetime) -> str:
    """The closing-soon notice exists once per proposal and closing time."""
    return f"closing-soon:{number}:{int(closes_at.timestamp())}"


def legacy_closing_soon_key(number: int) -> str:
    """The key notices were queued under before windows could move: one per proposal.

    Such a row stands for the proposal's current closing time; when the time moves, it is
    renamed to the key of the time it announced (`EditingService._move_close`)."""
    return f"closing-soon:{number}"
