"""The activity ledger: one append-only row per change, written in the change's unit of work.

History, exports and a member's own data are read from it. Rows are never updated, except to
replace a forgotten member's ID by their pseudonym.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mwgbot.db.models import ActivityRow
from mwgbot.domain.activity import Activity, ActivityKind, Via
from mwgbot.services import members

_APPEND = insert(ActivityRow)  # built once: it runs on every change, reactions included


def record(
    session: Session,
    *,
    kind: ActivityKind,
    at: datetime,
    via: Via,
    actor_id: str | None = None,
    proposal_number: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one row; a member who acted is marked as having taken part."""
    session.connection().execute(
        _APPEND,
        {
            "at": at,
            "actor_id": actor_id,
            "proposal_number": proposal_number,
            "kind": kind.value,
            "via": via.value,
            "details": dict(details or {}),
        },
    )
    if actor_id is not None:
        members.touch(session, actor_id, at)


def timeline(session: Session, number: int, limit: int) -> tuple[list[Activity], int]:
    """A proposal's first `limit` rows, oldest first, and how many more there are."""
    rows = session.scalars(
        select(ActivityRow)
        .where(ActivityRow.proposal_number == number)
        .order_by(ActivityRow.id)
        .limit(limit)
    ).all()
    total = session.scalar(
        select(func.count()).select_from(ActivityRow).where(ActivityRow.proposal_number == number)
    )
    return [as_activity(row) for row in rows], max(0, int(total or 0) - len(rows))


def as_activity(row: ActivityRow) -> Activity:
    return Activity(
        id=row.id,
        at=row.at,
        kind=ActivityKind(row.kind),
        via=Via(row.via),
        actor_id=row.actor_id,
        proposal_number=row.proposal_number,
        details=dict(row.details or {}),
    )
