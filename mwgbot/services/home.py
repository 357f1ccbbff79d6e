"""A member's Home tab, read in one unit of work: the escalations waiting for their decision
(a decider's), the next meeting, the open proposals closing soonest, what they proposed or
joined, their standing objections, their month of time given.

Every list is read with a limit and counted in SQL, so a busy member (hundreds of joins,
objections and entries) costs the same few queries as a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, CompoundSelect, case, func, select, union
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ObjectionRow, ProposalRow, SignupRow
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.domain.time_log import Month
from mwgbot.services import listings
from mwgbot.services.agenda_queries import topics_by_meeting
from mwgbot.services.meetings import meeting_series
from mwgbot.services.member_models import (
    HomeView,
    InitiativeChoice,
    InitiativeLine,
    MonthTotal,
    ObjectionLine,
)
from mwgbot.services.policy import Policy
from mwgbot.services.read_models import Listing
from mwgbot.services.time_log import month_minutes

__all__ = [
    "CHOICES_LISTED",
    "CLOSING_LISTED",
    "MINE_LISTED",
    "OBJECTIONS_LISTED",
    "WAITING_LISTED",
    "HomeService",
]

CLOSING_LISTED = 10
MINE_LISTED = 15
OBJECTIONS_LISTED = 10
WAITING_LISTED = 10
# Slack's limit on a static select's options.
CHOICES_LISTED = 100
# Proposals and initiatives still in play, listed before those settled.
LIVE = (State.OPEN.value, State.ESCALATED.value, State.ADOPTED.value)
# An objection stands while its proposal waits: open, or escalated to the moderators.
STANDING = (State.OPEN.value, State.ESCALATED.value)


class HomeService:
    def __init__(self, session: Session, policy: Policy, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.now = now

    def view(self, user_id: str) -> HomeView:
        series = meeting_series(self.session, self.policy)
        upcoming = series.next_meeting(self.now, include_skipped=True)
        month = Month.containing(self.now)
        mine, mine_total = self._mine(user_id)
        closing = self._closing()
        objections, objections_total = self._objections(user_id)
        waiting, waiting_total = self._waiting(user_id)
        closing_numbers = [p.number for p in closing.items]
        held = series.next_meeting(self.now)
        return HomeView(
            user_id=user_id,
            as_of=self.now,
            next_meeting=upcoming,
            next_meeting_skipped=series.is_skipped(upcoming),
            next_held_meeting=held,
            topics=topics_by_meeting(self.session, self.policy.key, [held])[held],
            month=MonthTotal(month, month_minutes(self.session, user_id, month)),
            calendar_url=self.policy.calendar_url,
            closing=closing.items,
            joined_closing=self._joined(user_id, closing_numbers),
            objecting_closing=self._objecting(user_id, closing_numbers),
            open_total=closing.total,
            mine=mine,
            mine_total=mine_total,
            objections=objections,
            objections_total=objections_total,
            waiting=waiting,
            waiting_total=waiting_total,
        )

    def choices(self, user_id: str) -> list[InitiativeChoice]:
        """Open and active initiatives to log time on: the member's own first, newest first."""
        rows = self.session.execute(
            select(ProposalRow.number, ProposalRow.title)
            .where(ProposalRow.group_key == self.policy.key, ProposalRow.state.in_(LIVE))
            .order_by(case((self._involves(user_id), 0), else_=1), ProposalRow.number.desc())
            .limit(CHOICES_LISTED)
        ).all()
        return [InitiativeChoice(number, title) for number, title in rows]

    # --- the parts -------------------------------------------------------------------------

    def _closing(self) -> Listing:
        """The open proposals closing soonest, their snapshots built in one batch, and how
        many are open."""
        found = listings.closing_soonest(self.session, self.policy.key, limit=CLOSING_LISTED)
        return listings.listing_of(self.session, found)

    def _joined(self, user_id: str, numbers: list[int]) -> frozenset[int]:
        rows = self.session.scalars(
            select(SignupRow.proposal_number).where(
                SignupRow.group_key == self.policy.key,
                SignupRow.user_id == user_id,
                SignupRow.proposal_number.in_(numbers),
            )
        )
        return frozenset(rows)

    def _objecting(self, user_id: str, numbers: list[int]) -> frozenset[int]:
        rows = self.session.scalars(
            select(ObjectionRow.proposal_number).where(
                ObjectionRow.group_key == self.policy.key,
                ObjectionRow.user_id == user_id,
                ObjectionRow.proposal_number.in_(numbers),
            )
        )
        return frozenset(rows)

    def _waiting(self, user_id: str) -> tuple[tuple[ProposalSnapshot, ...], int]:
        """The escalations this member may decide, the longest waiting first (the first
        `WAITING_LISTED`), and how many there are."""
        roles = self.policy.roles
        if not roles.may_decide_some(user_id):
            return (), 0  # a member who decides nothing costs no query
        # Escalations are live work, a handful: all are read, the member's are kept.
        rows = self.session.execute(
            select(ProposalRow.number, ProposalRow.proposer_id)
            .where(
                ProposalRow.group_key == self.policy.key,
                ProposalRow.state == State.ESCALATED.value,
            )
            .order_by(ProposalRow.closed_at, ProposalRow.number)
        ).all()
        objectors = queries.objector_ids(
            self.session, self.policy.key, [number for number, _ in rows]
        )
        theirs = [
            number
            for number, proposer in rows
            if user_id in roles.deciders(proposer, objectors[number])
        ]
        shown = theirs[:WAITING_LISTED]
        found = {
            row.number: row
            for row in self.session.scalars(
                select(ProposalRow).where(
                    ProposalRow.group_key == self.policy.key, ProposalRow.number.in_(shown)
                )
            )
        }
        page = listings.Page(tuple(found[n] for n in shown if n in found), len(theirs))
        listing = listings.listing_of(self.session, page)
        return listing.items, listing.total

    def _involved(self, user_id: str) -> CompoundSelect[tuple[int]]:
        """The numbers the member proposed or joined, each read by its own index: an OR of the
        two made PostgreSQL scan every proposal ever made."""
        return union(
            select(ProposalRow.number).where(
                ProposalRow.group_key == self.policy.key, ProposalRow.proposer_id == user_id
            ),
            select(SignupRow.proposal_number).where(
                SignupRow.group_key == self.policy.key, SignupRow.user_id == user_id
            ),
        )

    def _involves(self, user_id: str) -> ColumnElement[bool]:
        return (ProposalRow.group_key == self.policy.key) & ProposalRow.number.in_(
            self._involved(user_id)
        )

    def _mine(self, user_id: str) -> tuple[tuple[InitiativeLine, ...], int]:
        involves = self._involves(user_id)
        rows = self.session.execute(
            select(
                ProposalRow.number,
                ProposalRow.title,
                ProposalRow.state,
                ProposalRow.closes_at,
                ProposalRow.proposer_id,
            )
            .where(involves)
            .order_by(case((ProposalRow.state.in_(LIVE), 0), else_=1), ProposalRow.number.desc())
            .limit(MINE_LISTED)
        ).all()
        lines = tuple(
            InitiativeLine(number, title, State(state), closes_at, proposer == user_id)
            for number, title, state, closes_at, proposer in rows
        )
        total = self.session.scalar(
            select(func.count()).select_from(self._involved(user_id).subquery())
        )
        return lines, int(total or 0)

    def _objections(self, user_id: str) -> tuple[tuple[ObjectionLine, ...], int]:
        standing = (
            ObjectionRow.group_key == self.policy.key,
            ObjectionRow.user_id == user_id,
            ProposalRow.state.in_(STANDING),
        )
        of_proposal = (ProposalRow.group_key == ObjectionRow.group_key) & (
            ProposalRow.number == ObjectionRow.proposal_number
        )
        rows = self.session.execute(
            select(
                ProposalRow.number,
                ProposalRow.title,
                ProposalRow.state,
                ProposalRow.closes_at,
                ObjectionRow.reason,
            )
            .join(ProposalRow, of_proposal)
            .where(*standing)
            .order_by(ProposalRow.closes_at, ProposalRow.number)
            .limit(OBJECTIONS_LISTED)
        ).all()
        total = self.session.scalar(
            select(func.count())
            .select_from(ObjectionRow)
            .join(ProposalRow, of_proposal)
            .where(*standing)
        )
        lines = tuple(
            ObjectionLine(number, title, State(state), closes_at, reason)
            for number, title, state, closes_at, reason in rows
        )
        return lines, int(total or 0)
