"""The activity ledger: one append-only row per change, written in the change's unit of work.

History, exports and a member's own data are read from it. Rows are never updated, except to
replace a forgotten member's ID by their pseudonym.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from mwgbot.db.models import ActivityRow, CanvasPageRow, MemberRow, ProposalRow
from mwgbot.domain.activity import Activity, ActivityKind, Via
from mwgbot.services import members

_APPEND = insert(ActivityRow)  # built once: it runs on every change, reactions included


def _append_and_touch(*also: Any) -> Any:
    """PostgreSQL: the row appended, and its actor's member row touched, in one statement
    (a data-modifying CTE; SQLite has none, so there the two are separate). `also`: more
    data-modifying CTEs to run in the same statement."""
    touched = (
        postgresql.insert(MemberRow)
        .values(
            user_id=bindparam("row_actor_id"),
            organization=None,
            updated_at=bindparam("row_at"),
            first_seen_at=bindparam("row_at"),
            last_active_at=bindparam("row_at"),
            is_bot=False,
        )
        .on_conflict_do_update(
            index_elements=[MemberRow.user_id],
            set_={"last_active_at": postgresql.insert(MemberRow).excluded.last_active_at},
        )
        .cte("touched")
    )
    return (
        insert(ActivityRow)
        .values(
            at=bindparam("row_at"),
            actor_id=bindparam("row_actor_id"),
            group_key=bindparam("row_group_key"),
            proposal_number=bindparam("row_proposal_number"),
            kind=bindparam("row_kind"),
            via=bindparam("row_via"),
            details=bindparam("row_details", type_=ActivityRow.__table__.c.details.type),
        )
        .add_cte(touched, *also)
    )


_CARD_IS_STALE = (
    update(ProposalRow)
    .where(
        ProposalRow.group_key == bindparam("row_group_key"),
        ProposalRow.number == bindparam("row_proposal_number"),
    )
    .values(card_revision=ProposalRow.card_revision + 1)
)
_APPEND_AND_TOUCH = _append_and_touch()
_APPEND_TOUCH_AND_STALE = _append_and_touch(
    _CARD_IS_STALE.returning(ProposalRow.number).cte("stale")
)


def record(
    session: Session,
    *,
    kind: ActivityKind,
    at: datetime,
    via: Via,
    actor_id: str | None = None,
    group_key: str | None = None,
    proposal_number: int | None = None,
    details: Mapping[str, Any] | None = None,
    card_is_stale: bool = False,
    page_key: str | None = None,
) -> None:
    """Append one row; a member who acted is marked as having taken part. With
    `card_is_stale`, the proposal's card is also marked for an update (the delivery
    coalesces them), in the same round trip where the database allows. With `page_key` (a
    group whose page is on, or `EVERY_PAGE`), that group's page is marked stale at commit."""
    if page_key is not None:
        page_is_stale(session, page_key)
    connection = session.connection()
    row = {
        "at": at,
        "actor_id": actor_id,
        "group_key": group_key,
        "proposal_number": proposal_number,
        "kind": kind.value,
        "via": via.value,
        "details": dict(details or {}),
    }
    if connection.dialect.name == "postgresql" and actor_id is not None:
        # One round trip for every write: this runs on every reaction, before the ack.
        statement = _APPEND_TOUCH_AND_STALE if card_is_stale else _APPEND_AND_TOUCH
        connection.execute(statement, {f"row_{k}": v for k, v in row.items()})
        return
    if card_is_stale:
        connection.execute(
            _CARD_IS_STALE,
            {"row_group_key": group_key, "row_proposal_number": proposal_number},
        )
    connection.execute(_APPEND, row)
    if actor_id is not None:
        members.touch(session, actor_id, at)


#: `page_key` for a change that may show on every group's page (a member forgotten).
EVERY_PAGE = "*"
_PAGES = "mwgbot_stale_pages"
_PAGES_HOOKED = "mwgbot_stale_pages_hooked"


def page_is_stale(session: Session, group_key: str) -> None:
    """Mark the group's page (its canvas) stale when this unit of work commits.

    However many changes the unit of work makes, it costs one UPDATE, run just before the
    commit: the page's row is the last row the transaction locks, so it is held for the
    commit alone and two transactions never wait on each other's locks through it."""
    keys: set[str] | None = session.info.get(_PAGES)
    if keys is None:
        keys = session.info[_PAGES] = set()
    keys.add(group_key)
    if not session.info.get(_PAGES_HOOKED):
        session.info[_PAGES_HOOKED] = True
        event.listen(session, "before_commit", _mark_stale_pages)


def _mark_stale_pages(session: Session) -> None:
    keys: set[str] = session.info.pop(_PAGES, None) or set()
    if not keys:
        return
    statement = update(CanvasPageRow).values(revision=CanvasPageRow.revision + 1)
    if EVERY_PAGE not in keys:
        statement = statement.where(CanvasPageRow.group_key.in_(sorted(keys)))
    session.execute(statement.execution_options(synchronize_session=False))


def timeline(
    session: Session, group_key: str, number: int, limit: int
) -> tuple[list[Activity], int]:
    """A proposal's first `limit` rows, oldest first, and how many more there are."""
    about = (ActivityRow.group_key == group_key, ActivityRow.proposal_number == number)
    rows = session.scalars(
        select(ActivityRow).where(*about).order_by(ActivityRow.id).limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(ActivityRow).where(*about))
    return [as_activity(row) for row in rows], max(0, int(total or 0) - len(rows))


def as_activity(row: ActivityRow) -> Activity:
    return Activity(
        id=row.id,
        at=row.at,
        kind=ActivityKind(row.kind),
        via=Via(row.via),
        actor_id=row.actor_id,
        proposal_number=row.proposal_number,
        group_key=row.group_key,
        details=dict(row.details or {}),
    )
