"""Bounded reads of proposals for lists, agendas and digests: the first few in order, and how
many there are, counted in SQL. What they cost follows what is shown, never the history.

A `Page` is the rows of one list; `realize` turns several pages into listings with one batch
of snapshot queries, so an agenda of seven lists costs about what one list does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ProposalRow
from mwgbot.domain.proposals import LISTED, State
from mwgbot.services.read_models import Listing

__all__ = [
    "LISTED",
    "Page",
    "active",
    "closing_soonest",
    "count",
    "escalated",
    "finished_since",
    "listing_of",
    "page",
    "realize",
    "seeking_partners",
    "settled_since",
    "stalled",
]


@dataclass(frozen=True)
class Page:
    """The first rows of a list of proposals, and how many the list holds."""

    rows: tuple[ProposalRow, ...]
    total: int


def page(session: Session, where: list[Any], order: list[Any], limit: int = LISTED) -> Page:
    rows = session.scalars(select(ProposalRow).where(*where).order_by(*order).limit(limit)).all()
    total = len(rows) if len(rows) < limit else count(session, where)
    return Page(tuple(rows), total)


def realize(session: Session, pages: Mapping[str, Page]) -> dict[str, Listing]:
    """The pages as listings; every proposal's snapshot is built in one batch."""
    rows = {(row.group_key, row.number): row for found in pages.values() for row in found.rows}
    built = {(s.group_key, s.number): s for s in queries.snapshots(session, list(rows.values()))}
    return {
        name: Listing(tuple(built[(row.group_key, row.number)] for row in found.rows), found.total)
        for name, found in pages.items()
    }


def listing_of(session: Session, found: Page) -> Listing:
    return realize(session, {"": found})[""]


def count(session: Session, where: list[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(ProposalRow).where(*where)) or 0)


def _settled_at() -> ColumnElement[Any]:
    """When the outcome was settled: the moderator's decision, else the close."""
    return func.coalesce(ProposalRow.decided_at, ProposalRow.closed_at)


def _of(group_key: str) -> Any:
    return ProposalRow.group_key == group_key


def settled_since(
    session: Session,
    group_key: str,
    states: frozenset[State],
    since: datetime | None,
    limit: int = LISTED,
    *,
    before: datetime | None = None,
) -> Page:
    """Proposals in `states` whose outcome was settled at or after `since` (and before
    `before`, if given), in that order.

    A proposal escalated before `since` and decided after it counts by its decision.
    """
    in_states = ProposalRow.state.in_([s.value for s in states])
    where: list[Any] = [_of(group_key), in_states]
    if since is not None:
        # Candidates along (state, closed_at) and (state, decided_at); the outer query then
        # reads just those rows by number (a state filter there would walk a state's history).
        recent = union(
            select(ProposalRow.number).where(
                _of(group_key), in_states, ProposalRow.closed_at >= since
            ),
            select(ProposalRow.number).where(
                _of(group_key), in_states, ProposalRow.decided_at >= since
            ),
        )
        where = [_of(group_key), ProposalRow.number.in_(recent), _settled_at() >= since]
    if before is not None:
        where.append(_settled_at() < before)
    return page(session, where, [_settled_at(), ProposalRow.number], limit)


def closing_soonest(
    session: Session, group_key: str, before: datetime | None = None, limit: int = LISTED
) -> Page:
    """Open proposals, closing soonest first (only those closing before `before`, if given)."""
    where: list[Any] = [_of(group_key), ProposalRow.state == State.OPEN.value]
    if before is not None:
        where.append(ProposalRow.closes_at < before)
    return page(session, where, [ProposalRow.closes_at, ProposalRow.number], limit)


def escalated(session: Session, group_key: str, limit: int = LISTED) -> Page:
    """Proposals waiting for a decision, the longest waiting first."""
    where: list[Any] = [_of(group_key), ProposalRow.state == State.ESCALATED.value]
    return page(session, where, [ProposalRow.closes_at, ProposalRow.number], limit)


def seeking_partners(session: Session, group_key: str, limit: int = LISTED) -> Page:
    """Active initiatives engaging fewer than two organizations, oldest first.

    Organizations are counted in SQL for the active initiatives only: live work, never the
    history.
    """
    # Sorted here: ordering by number in SQL tempts planners to walk every proposal.
    numbers = sorted(
        session.scalars(
            select(ProposalRow.number).where(
                _of(group_key), ProposalRow.state == State.ADOPTED.value
            )
        )
    )
    engaged = queries.organization_counts(session, group_key, numbers)
    seeking = [n for n in numbers if engaged.get(n, 0) < 2]
    rows = session.scalars(
        select(ProposalRow).where(_of(group_key), ProposalRow.number.in_(seeking[:limit]))
    ).all()
    return Page(tuple(sorted(rows, key=lambda row: row.number)), len(seeking))


def active(session: Session, group_key: str, limit: int = LISTED) -> Page:
    """Active initiatives, the most recently active first."""
    return page(
        session,
        [_of(group_key), ProposalRow.state == State.ADOPTED.value],
        [ProposalRow.last_activity_at.desc(), ProposalRow.number.desc()],
        limit,
    )


def stalled(session: Session, group_key: str, quiet_since: datetime, limit: int = LISTED) -> Page:
    """Active initiatives with no update and no new join since `quiet_since`, quietest
    first."""
    return page(
        session,
        [
            _of(group_key),
            ProposalRow.state == State.ADOPTED.value,
            ProposalRow.last_activity_at <= quiet_since,
        ],
        [ProposalRow.last_activity_at, ProposalRow.number],
        limit,
    )


def finished_since(
    session: Session,
    group_key: str,
    state: State,
    since: datetime | None,
    until: datetime,
    limit: int = LISTED,
    *,
    before: datetime | None = None,
) -> Page:
    """Initiatives delivered (or dropped) at or after `since` and by `until` (and before
    `before`, if given), in the order they ended."""
    where = [_of(group_key), ProposalRow.state == state.value, ProposalRow.finished_at <= until]
    if since is not None:
        where.append(ProposalRow.finished_at >= since)
    if before is not None:
        where.append(ProposalRow.finished_at < before)
    return page(session, where, [ProposalRow.finished_at, ProposalRow.number], limit)
