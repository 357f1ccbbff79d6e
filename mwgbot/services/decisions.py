"""The group's decision log, read for export (`mwgbot export decisions`).

Every proposal with an outcome, and escalated ones as pending, streamed page by page in short
units of work: a decade of history never sits in memory at once, and on SQLite no long
transaction holds the database while the export is written.

People are named by their Slack display name when a NameSource can resolve it. Names are
cached on the member's row and asked again once older than NAME_TTL; pseudonyms of forgotten
members ("former member 3") are printed as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from mwgbot.db.models import ActivityRow, MemberRow, ObjectionRow, ProposalRow, SignupRow
from mwgbot.db.session import Database
from mwgbot.domain.activity import ActivityKind
from mwgbot.domain.proposals import distinct_organizations
from mwgbot.services import listings
from mwgbot.services.privacy import is_user_id

# State in the database → outcome in the log. Escalated proposals wait for a moderator.
OUTCOMES = {
    "adopted": "adopted",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "delivered": "delivered",
    "dropped": "dropped",
    "escalated": "pending",
}
NAME_TTL = timedelta(days=7)
PAGE_SIZE = 200
MAX_DISPLAY_NAME = 100


class NamesUnavailable(Exception):
    """Slack cannot be asked (no token, unreachable, token refused): names come from the cache."""


class NameSource(Protocol):
    def display_name(self, user_id: str) -> str | None:
        """The member's display name, or None when Slack knows no such user.

        Raises NamesUnavailable when Slack cannot be asked at all.
        """
        ...


@dataclass(frozen=True)
class Person:
    id: str  # a Slack user ID, or a forgotten member's pseudonym
    name: str | None = None
    organization: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Joiner:
    person: Person
    joined_at: datetime


@dataclass(frozen=True)
class ObjectionEntry:
    by: Person
    reason: str | None
    standing: bool
    made_at: datetime | None
    withdrawn_at: datetime | None = None

    @property
    def status(self) -> str:
        return "standing" if self.standing else "withdrawn"


@dataclass(frozen=True)
class DecisionEntry:
    by: Person
    verdict: str  # adopt | decline
    note: str
    at: datetime
    role: str = "moderator"  # or "organizer", when no moderator could decide it


@dataclass(frozen=True)
class DecisionRecord:
    number: int
    title: str
    outcome: str  # adopted | declined | withdrawn | delivered | dropped | pending
    proposed_at: datetime
    proposer: Person
    closed_at: datetime | None = None
    decided_at: datetime | None = None
    finished_at: datetime | None = None
    organizations: tuple[str, ...] = ()
    joiners: tuple[Joiner, ...] = ()
    objections: tuple[ObjectionEntry, ...] = ()
    decision: DecisionEntry | None = None
    withdrawn_by: Person | None = None
    finished_by: Person | None = None
    delivery_link: str | None = None
    delivery_note: str | None = None
    drop_reason: str | None = None
    # The working group the proposal belongs to (its number is the group's).
    group: str = "mwg"

    @property
    def settled_at(self) -> datetime | None:
        """When the outcome was reached: delivered or dropped, decided, else closed."""
        return self.finished_at or self.decided_at or self.closed_at


_Key = tuple[str, int]  # a proposal: (group key, number)


@dataclass
class _Page:
    proposals: list[ProposalRow]
    signups: dict[_Key, list[tuple[str, datetime]]]
    objections: dict[_Key, list[tuple[str, str | None, datetime]]]
    history: dict[_Key, list[tuple[str | None, str, datetime, dict[str, Any]]]]
    members: dict[str, tuple[str | None, str | None, datetime | None]]  # org, name, checked
    people: set[str]  # everyone the page names


@dataclass
class DecisionLog:
    db: Database
    now: datetime
    names: NameSource | None = None
    use_names: bool = True  # False: IDs only (`--ids`), the cache is not read either
    page_size: int = PAGE_SIZE
    # One group's decisions only (its key); None: every group's, group by group.
    group: str | None = None
    # Why names could not be asked, once it happened (the CLI says so on stderr).
    names_unavailable: str | None = None
    _resolved: dict[str, str | None] = field(default_factory=dict)

    def count(self, since: datetime | None = None) -> int:
        with self.db.unit_of_work() as session:
            return listings.count(session, _filters(since, self.group))

    def records(self, since: datetime | None = None) -> Iterator[DecisionRecord]:
        """Oldest proposal first, one page of rows at a time."""
        after: _Key = ("", 0)
        while True:
            with self.db.unit_of_work() as session:
                page = self._page(session, since, after)
            if not page.proposals:
                return
            self._resolve(page)
            for row in page.proposals:
                yield self._record(row, page)
            after = (page.proposals[-1].group_key, page.proposals[-1].number)

    # --- reading ----------------------------------------------------------------------------

    def _page(self, session: Session, since: datetime | None, after: _Key) -> _Page:
        proposals = list(
            session.scalars(
                select(ProposalRow)
                .where(
                    tuple_(ProposalRow.group_key, ProposalRow.number) > tuple_(*after),
                    *_filters(since, self.group),
                )
                .order_by(ProposalRow.group_key, ProposalRow.number)
                .limit(self.page_size)
            ).all()
        )
        numbers = [(p.group_key, p.number) for p in proposals]
        signups: dict[_Key, list[tuple[str, datetime]]] = defaultdict(list)
        objections: dict[_Key, list[tuple[str, str | None, datetime]]] = defaultdict(list)
        history: dict[_Key, list[tuple[str | None, str, datetime, dict[str, Any]]]] = defaultdict(
            list
        )
        if numbers:
            for key, number, user, joined in session.execute(
                select(
                    SignupRow.group_key,
                    SignupRow.proposal_number,
                    SignupRow.user_id,
                    SignupRow.joined_at,
                )
                .where(tuple_(SignupRow.group_key, SignupRow.proposal_number).in_(numbers))
                .order_by(SignupRow.id)
            ):
                signups[(key, number)].append((user, joined))
            for key, number, user, reason, made in session.execute(
                select(
                    ObjectionRow.group_key,
                    ObjectionRow.proposal_number,
                    ObjectionRow.user_id,
                    ObjectionRow.reason,
                    ObjectionRow.made_at,
                )
                .where(tuple_(ObjectionRow.group_key, ObjectionRow.proposal_number).in_(numbers))
                .order_by(ObjectionRow.made_at, ObjectionRow.id)
            ):
                objections[(key, number)].append((user, reason, made))
            for key, number, actor, kind, at, details in session.execute(
                select(
                    ActivityRow.group_key,
                    ActivityRow.proposal_number,
                    ActivityRow.actor_id,
                    ActivityRow.kind,
                    ActivityRow.at,
                    ActivityRow.details,
                )
                .where(
                    tuple_(ActivityRow.group_key, ActivityRow.proposal_number).in_(numbers),
                    ActivityRow.kind.in_(
                        [
                            ActivityKind.OBJECTED.value,
                            ActivityKind.OBJECTION_WITHDRAWN.value,
                            ActivityKind.DECIDED.value,  # in which role the decider decided
                        ]
                    ),
                )
                .order_by(ActivityRow.id)
            ):
                history[(str(key), int(number))].append((actor, kind, at, dict(details or {})))
        people = _people(proposals, signups, objections, history)
        members: dict[str, tuple[str | None, str | None, datetime | None]] = {}
        if people:
            for user, org, name, checked in session.execute(
                select(
                    MemberRow.user_id,
                    MemberRow.organization,
                    MemberRow.display_name,
                    MemberRow.display_name_checked_at,
                ).where(MemberRow.user_id.in_(people))
            ):
                members[user] = (org, name, checked)
        return _Page(proposals, signups, objections, history, members, people)

    # --- names -----------------------------------------------------------------------------

    def _resolve(self, page: _Page) -> None:
        """Names for this page's people: fresh from the cache, else from Slack (cached)."""
        if not self.use_names:
            return
        fresh_after = self.now - NAME_TTL
        to_cache: dict[str, str | None] = {}
        for user in sorted(page.people):
            if user in self._resolved:
                continue
            if not is_user_id(user):  # a pseudonym prints as it is
                self._resolved[user] = None
                continue
            _org, cached, checked = page.members.get(user, (None, None, None))
            if checked is not None and checked >= fresh_after:
                self._resolved[user] = cached
                continue
            if self.names is not None and self.names_unavailable is None:
                try:
                    name = self.names.display_name(user)
                except NamesUnavailable as unavailable:
                    self.names_unavailable = str(unavailable)
                else:
                    self._resolved[user] = name
                    if user in page.members:
                        to_cache[user] = name
                    continue
            self._resolved[user] = cached  # Slack cannot be asked: a stale name beats none
        if to_cache:
            with self.db.unit_of_work() as session:
                for user, name in to_cache.items():
                    member = session.get(MemberRow, user)
                    if member is not None:
                        member.display_name = name[:MAX_DISPLAY_NAME] if name else None
                        member.display_name_checked_at = self.now

    def _person(self, user: str, page: _Page) -> Person:
        org = page.members.get(user, (None, None, None))[0]
        return Person(user, self._resolved.get(user), org)

    # --- building --------------------------------------------------------------------------

    def _record(self, row: ProposalRow, page: _Page) -> DecisionRecord:
        proposer = self._person(row.proposer_id, page)
        joiners = tuple(
            Joiner(self._person(user, page), joined)
            for user, joined in page.signups[(row.group_key, row.number)]
        )
        decision = None
        if row.decided_by and row.verdict and row.decided_at:
            roles = [
                str(details.get("as"))
                for _actor, kind, _at, details in page.history[(row.group_key, row.number)]
                if kind == ActivityKind.DECIDED.value and details.get("as")
            ]
            decision = DecisionEntry(
                self._person(row.decided_by, page),
                row.verdict,
                row.decision_note or "",
                row.decided_at,
                roles[-1] if roles else "moderator",
            )
        delivered = row.state == "delivered"
        dropped = row.state == "dropped"
        return DecisionRecord(
            group=row.group_key,
            number=row.number,
            title=row.title,
            outcome=OUTCOMES[row.state],
            proposed_at=row.created_at,
            proposer=proposer,
            closed_at=row.closed_at,
            decided_at=row.decided_at,
            finished_at=row.finished_at if delivered or dropped else None,
            organizations=distinct_organizations(
                p.organization for p in (proposer, *(j.person for j in joiners))
            ),
            joiners=joiners,
            objections=self._objections((row.group_key, row.number), page),
            decision=decision,
            withdrawn_by=self._person(row.withdrawn_by, page) if row.withdrawn_by else None,
            finished_by=(
                self._person(row.finished_by, page)
                if row.finished_by and (delivered or dropped)
                else None
            ),
            delivery_link=row.delivery_link if delivered else None,
            delivery_note=row.finish_note if delivered else None,
            drop_reason=row.finish_note if dropped else None,
        )

    def _objections(self, number: _Key, page: _Page) -> tuple[ObjectionEntry, ...]:
        """Standing ones from the objections table; withdrawn ones from the ledger, with the
        last reason given before the withdrawal."""
        standing = {user: (reason, made) for user, reason, made in page.objections[number]}
        withdrawn: dict[str, tuple[str | None, datetime | None, datetime]] = {}
        last: dict[str, tuple[str | None, datetime | None]] = {}
        for actor, kind, at, details in page.history[number]:
            if actor is None or kind == ActivityKind.DECIDED.value:
                continue
            if kind == ActivityKind.OBJECTED.value:
                reason, made = last.get(actor, (None, None))
                given = details.get("reason")
                reason = given if isinstance(given, str) and given else reason
                last[actor] = (reason, made if details.get("revised") and made else at)
                withdrawn.pop(actor, None)
            else:
                reason, made = last.pop(actor, (None, None))
                withdrawn[actor] = (reason, made, at)
        entries = [
            ObjectionEntry(self._person(user, page), reason, True, made)
            for user, (reason, made) in standing.items()
        ]
        entries += [
            ObjectionEntry(self._person(user, page), reason, False, made, gone)
            for user, (reason, made, gone) in withdrawn.items()
            if user not in standing
        ]
        return tuple(sorted(entries, key=lambda e: e.made_at or e.withdrawn_at or _EPOCH))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _filters(since: datetime | None, group: str | None = None) -> list[Any]:
    filters: list[Any] = [ProposalRow.state.in_(list(OUTCOMES))]
    if group is not None:
        filters.append(ProposalRow.group_key == group)
    if since is not None:
        # Proposed, or settled (closed, decided, delivered or dropped), on or after `since`.
        filters.append(
            or_(
                ProposalRow.created_at >= since,
                ProposalRow.closed_at >= since,
                ProposalRow.decided_at >= since,
                ProposalRow.finished_at >= since,
            )
        )
    return filters


def _people(
    proposals: Sequence[ProposalRow],
    signups: dict[_Key, list[tuple[str, datetime]]],
    objections: dict[_Key, list[tuple[str, str | None, datetime]]],
    history: dict[_Key, list[tuple[str | None, str, datetime, dict[str, Any]]]],
) -> set[str]:
    people: set[str] = set()
    for row in proposals:
        people.update(
            u for u in (row.proposer_id, row.decided_by, row.withdrawn_by, row.finished_by) if u
        )
        key = (row.group_key, row.number)
        people.update(user for user, _ in signups.get(key, ()))
        people.update(user for user, _, _ in objections.get(key, ()))
        people.update(actor for actor, *_ in history.get(key, ()) if actor)
    return people
