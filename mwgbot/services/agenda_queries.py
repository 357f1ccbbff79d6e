"""Reading agenda topics and meeting notes, per group: shared by the agenda, the meetings'
reminders and `/mwg next`, the Home tab and the export. Each read is one query, whatever the
number of meetings asked about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mwgbot.db.models import ActivityRow, AgendaTopicRow, MeetingNoteRow, ProposalRow
from mwgbot.services.read_models import AgendaTopic, MeetingNote, MeetingNotes, Topics

__all__ = [
    "CALENDAR_NOTED_MEETINGS",
    "NOTES_LISTED",
    "first_activity",
    "kept",
    "move_topics",
    "note_of",
    "noted_meetings",
    "notes_between",
    "notes_by_meeting",
    "recent_notes",
    "return_topics",
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
        carried_to=row.carried_to,
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


def kept(group_key: str) -> list[Any]:
    """A topic its meeting discussed, or will: not removed (carried over since or not)."""
    return [AgendaTopicRow.group_key == group_key, AgendaTopicRow.removed_at.is_(None)]


def topics_by_meeting(
    session: Session, group_key: str, meetings: Sequence[datetime], *, with_carried: bool = False
) -> dict[datetime, Topics]:
    """Each meeting's standing topics, in their order; one query for all of them. With
    ``with_carried`` (a meeting's record), the topics carried over since stay, marked."""
    found: dict[datetime, list[AgendaTopic]] = {m: [] for m in meetings}
    if not meetings:
        return {}
    where = kept(group_key) if with_carried else standing(group_key)
    rows = session.scalars(
        select(AgendaTopicRow)
        .where(*where, AgendaTopicRow.meeting_at.in_(list(meetings)))
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
    with_topics = select(AgendaTopicRow.meeting_at).where(*kept(group_key))
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


# A topic carried over by skips in a row is followed this many meetings at most.
_CHAIN_LIMIT = 100


def _copy_of(session: Session, group_key: str, row: AgendaTopicRow) -> AgendaTopicRow | None:
    """The row a carry made of ``row`` on the meeting it went to."""
    return session.scalar(
        select(AgendaTopicRow)
        .where(
            AgendaTopicRow.group_key == group_key,
            AgendaTopicRow.meeting_at == row.carried_to,
            AgendaTopicRow.carried_from == row.meeting_at,
            AgendaTopicRow.carried_from_number == row.number,
        )
        .with_for_update()
    )


def return_topics(
    session: Session, group_key: str, meeting: datetime, now: datetime, actor_id: str
) -> tuple[list[tuple[int, datetime, int, str]], list[datetime]]:
    """Bring back to ``meeting`` (a skipped meeting just restored) the topics its skip carried
    away, following them over later skips: each copy on the way, and where they stand now, is
    taken off (``removed_by`` the restorer) and the topic stands again under its own number. Gives
    ``(number, from meeting, from number, added by)`` for each, and the meetings (begun
    already) where others stay. A copy someone removed since stays removed."""
    rows = session.scalars(
        select(AgendaTopicRow)
        .where(
            *kept(group_key),
            AgendaTopicRow.meeting_at == meeting,
            AgendaTopicRow.carried_to.is_not(None),
        )
        .order_by(AgendaTopicRow.number)
        .with_for_update()
    ).all()
    returned: list[tuple[int, datetime, int, str]] = []
    left: list[datetime] = []
    for row in rows:
        chain = [_copy_of(session, group_key, row)]
        for _step in range(_CHAIN_LIMIT):
            last = chain[-1]
            if last is None or last.removed_at is not None or last.carried_to is None:
                break
            chain.append(_copy_of(session, group_key, last))
        copy = chain[-1]
        if copy is None or copy.removed_at is not None or copy.carried_to is not None:
            continue
        if copy.meeting_at <= now:
            left.append(copy.meeting_at)
            continue
        # Every copy on the way (on meetings skipped since) goes too: the topic is back.
        for step in chain:
            if step is not None:
                step.removed_at = now
                step.removed_by = actor_id
        row.carried_to = None
        returned.append((row.number, copy.meeting_at, copy.number, row.added_by))
    session.flush()
    return returned, sorted(set(left))


def first_activity(session: Session, group_key: str) -> datetime | None:
    """When the group's record begins: its first ledger row or proposal, or the earliest
    meeting that has topics or notes."""
    found = [
        session.scalar(select(func.min(ActivityRow.at)).where(ActivityRow.group_key == group_key)),
        session.scalar(
            select(func.min(ProposalRow.created_at)).where(ProposalRow.group_key == group_key)
        ),
        session.scalar(select(func.min(AgendaTopicRow.meeting_at)).where(*kept(group_key))),
        session.scalar(
            select(func.min(MeetingNoteRow.meeting_at)).where(MeetingNoteRow.group_key == group_key)
        ),
    ]
    times = [t for t in found if t is not None]
    return min(times) if times else None
