"""Reading agenda topics and meeting notes, per group: shared by the agenda, the meetings'
reminders and `/mwg next`, the Home tab and the export. Each read is one query, whatever the
number of meetings asked about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mwgbot.db.models import AgendaTopicRow, MeetingNoteRow
from mwgbot.services.read_models import AgendaTopic, MeetingNote, MeetingNotes, Topics

__all__ = [
    "CALENDAR_NOTED_MEETINGS",
    "NOTES_LISTED",
    "move_topics",
    "note_of",
    "noted_meetings",
    "notes_between",
    "notes_by_meeting",
    "recent_notes",
    "standing",
    "topic_of",
    "topics_by_meeting",
]


# The digest lists this many notes, then how many more.
NOTES_LISTED = 10


def topic_of(row: AgendaTopicRow) -> AgendaTopic:
    return AgendaTopic(
        number=row.number,
        text=row.text,
        added_by=row.added_by,
        carried_over=row.carried_from is not None,
    )


def note_of(row: MeetingNoteRow) -> MeetingNote:
    return MeetingNote(
        meeting=row.meeting_at,
        link=row.link,
        added_by=row.added_by,
        added_at=row.added_at,
        summary=row.summary,
    )


def standing(group_key: str) -> list[Any]:
    """A topic still on its meeting's agenda: not removed, not carried away."""
    return [
        AgendaTopicRow.group_key == group_key,
        AgendaTopicRow.removed_at.is_(None),
        AgendaTopicRow.carried_to.is_(None),
    ]


def topics_by_meeting(
    session: Session, group_key: str, meetings: Sequence[datetime]
) -> dict[datetime, Topics]:
    """Each meeting's standing topics, in their order; one query for all of them."""
    found: dict[datetime, list[AgendaTopic]] = {m: [] for m in meetings}
    if not meetings:
        return {}
    rows = session.scalars(
        select(AgendaTopicRow)
        .where(*standing(group_key), AgendaTopicRow.meeting_at.in_(list(meetings)))
        .order_by(AgendaTopicRow.meeting_at, AgendaTopicRow.number)
    ).all()
    for row in rows:
        found.setdefault(row.meeting_at, []).append(topic_of(row))
    return {m: Topics.of(topics) for m, topics in found.items()}


def notes_by_meeting(
    session: Session, group_key: str, meetings: Sequence[datetime]
) -> dict[datetime, tuple[MeetingNote, ...]]:
    """Each meeting's notes, oldest first; one query for all of them."""
    found: dict[datetime, list[MeetingNote]] = {m: [] for m in meetings}
    if not meetings:
        return {}
    rows = session.scalars(
        select(MeetingNoteRow)
        .where(
            MeetingNoteRow.group_key == group_key,
            MeetingNoteRow.meeting_at.in_(list(meetings)),
        )
        .order_by(MeetingNoteRow.meeting_at, MeetingNoteRow.id)
    ).all()
    for row in rows:
        found.setdefault(row.meeting_at, []).append(note_of(row))
    return {m: tuple(notes) for m, notes in found.items()}


def notes_between(
    session: Session,
    group_key: str,
    since: datetime | None,
    until: datetime,
    limit: int = NOTES_LISTED,
) -> MeetingNotes:
    """Notes added in ``[since, until)``, oldest first: the first ``limit``, and a count."""
    where: list[Any] = [MeetingNoteRow.group_key == group_key, MeetingNoteRow.added_at < until]
    if since is not None:
        where.append(MeetingNoteRow.added_at >= since)
    rows = session.scalars(
        select(MeetingNoteRow)
        .where(*where)
        .order_by(MeetingNoteRow.added_at, MeetingNoteRow.id)
        .limit(limit)
    ).all()
    total = len(rows)
    if total == limit:
        total = int(
            session.scalar(select(func.count()).select_from(MeetingNoteRow).where(*where)) or 0
        )
    return MeetingNotes(tuple(note_of(r) for r in rows), total)


# The calendar feed lists the notes of this many of the latest meetings that have some.
CALENDAR_NOTED_MEETINGS = 10


def recent_notes(
    session: Session, group_key: str, limit: int = CALENDAR_NOTED_MEETINGS
) -> dict[datetime, tuple[MeetingNote, ...]]:
    """The notes of the latest ``limit`` meetings that have notes."""
    meetings = list(
        session.scalars(
            select(MeetingNoteRow.meeting_at)
            .where(MeetingNoteRow.group_key == group_key)
            .group_by(MeetingNoteRow.meeting_at)
            .order_by(MeetingNoteRow.meeting_at.desc())
            .limit(limit)
        )
    )
    return notes_by_meeting(session, group_key, meetings)


def noted_meetings(session: Session, group_key: str) -> list[datetime]:
    """Every meeting that has topics or notes, oldest first (the export's meetings)."""
    with_topics = select(AgendaTopicRow.meeting_at).where(*standing(group_key))
    with_notes = select(MeetingNoteRow.meeting_at).where(MeetingNoteRow.group_key == group_key)
    found = set(session.scalars(with_topics)) | set(session.scalars(with_notes))
    return sorted(found)


def move_topics(
    session: Session, group_key: str, source: datetime, target: datetime, now: datetime
) -> list[tuple[int, int, str]]:
    """Carry every standing topic of ``source`` (a meeting just skipped) over to ``target``,
    in their order: ``(number at source, number at target, added by)`` for each. The limit of
    topics a meeting holds binds what members add, not this: no topic is lost to a skip."""
    rows = session.scalars(
        select(AgendaTopicRow)
        .where(*standing(group_key), AgendaTopicRow.meeting_at == source)
        .order_by(AgendaTopicRow.number)
        .with_for_update()
    ).all()
    if not rows:
        return []
    highest = session.scalar(
        select(func.max(AgendaTopicRow.number)).where(
            AgendaTopicRow.group_key == group_key, AgendaTopicRow.meeting_at == target
        )
    )
    moved = []
    for offset, row in enumerate(rows, start=1):
        number = int(highest or 0) + offset
        row.carried_to = target
        session.add(
            AgendaTopicRow(
                group_key=group_key,
                meeting_at=target,
                number=number,
                text=row.text,
                added_by=row.added_by,
                added_at=now,
                carried_from=source,
                carried_from_number=row.number,
            )
        )
        moved.append((row.number, number, row.added_by))
    session.flush()
    return moved
