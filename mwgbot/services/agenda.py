"""Agenda topics and meeting notes: members put topics on the next meeting, organizers carry
them over, and after the meeting its notes and recording are asked for and attached.

Every row is the group's (``group_key`` is the policy's key) and every query filters by it.
A topic's meeting is the next one that is not skipped; once that meeting has started its
topics count as discussed (derived from time). At a meeting's end (start + meeting length) the
sweep queues one ask for the notes in the thread of its last reminder, exactly once by its
dedupe key. Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import AgendaTopicRow, MeetingNoteRow, OutboxRow
from mwgbot.domain import agenda as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import NotFound, NotPossible
from mwgbot.domain.initiatives import validate_link
from mwgbot.domain.meetings import MeetingSeries, ReminderSlot
from mwgbot.services import outbox
from mwgbot.services.agenda_queries import (
    first_activity,
    kept,
    note_of,
    notes_between,
    notes_by_meeting,
    standing,
    topic_of,
    topics_by_meeting,
)
from mwgbot.services.meetings import meeting_series, reminder_key
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Rendered, Renderer
from mwgbot.services.read_models import (
    AgendaTopic,
    MeetingNotes,
    NoteAttached,
    PastMeeting,
    TopicChange,
    Topics,
)
from mwgbot.services.use_case import UseCase

__all__ = [
    "MEETINGS_LISTED",
    "NOTES_ASK_PREFIX",
    "AgendaService",
    "notes_ask_key",
]

NOTES_ASK_PREFIX = "notes-ask:"
# `/mwg meetings` lists this many of the last meetings.
MEETINGS_LISTED = 5
# A meeting that ended longer ago than this is not asked for its notes (the bot was down, or
# it is the first start on this database): a late ask helps no one.
NOTES_ASK_WINDOW = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
# Two members adding a topic at the same instant: the loser takes the next number.
_NUMBER_ATTEMPTS = 5


def notes_ask_key(group_key: str, meeting: datetime) -> str:
    """The outbox dedupe key of a meeting's one ask for its notes."""
    return f"{NOTES_ASK_PREFIX}{group_key}:{meeting.astimezone(UTC).isoformat()}"


class AgendaService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.renderer = renderer

    @property
    def _key(self) -> str:
        return self.policy.key

    def series(self) -> MeetingSeries:
        return meeting_series(self.session, self.policy)

    def next_meeting(self) -> datetime:
        """The meeting topics go to: the next one that is not skipped."""
        return self.series().next_meeting(self.now)

    def topics(self, meeting: datetime) -> Topics:
        return topics_by_meeting(self.session, self._key, [meeting])[meeting]

    # --- topics ------------------------------------------------------------------------------

    def add(self, text: str, actor_id: str) -> TopicChange:
        """Put a topic on the next meeting that is not skipped."""
        topic_text = rules.check_topic(text)
        meeting = self.next_meeting()
        change = self._insert(meeting, topic_text, actor_id, None, None)
        self._record(
            ActivityKind.TOPIC_ADDED,
            None,
            actor_id,
            meeting=meeting.isoformat(),
            topic=change.topic.number,
        )
        return change

    def _insert(
        self,
        meeting: datetime,
        text: str,
        added_by: str,
        carried_from: datetime | None,
        carried_from_number: int | None,
    ) -> TopicChange:
        count = self.session.scalar(
            select(func.count())
            .select_from(AgendaTopicRow)
            .where(*standing(self._key), AgendaTopicRow.meeting_at == meeting)
        )
        rules.check_room(int(count or 0), _day(meeting))
        for _attempt in range(_NUMBER_ATTEMPTS):
            # Numbers are never reused: removed and carried topics keep theirs.
            highest = self.session.scalar(
                select(func.max(AgendaTopicRow.number)).where(
                    AgendaTopicRow.group_key == self._key, AgendaTopicRow.meeting_at == meeting
                )
            )
            number = int(highest or 0) + 1
            inserted = queries.insert_ignoring_duplicates(
                self.session,
                AgendaTopicRow,
                {
                    "group_key": self._key,
                    "meeting_at": meeting,
                    "number": number,
                    "text": text,
                    "added_by": added_by,
                    "added_at": self.now,
                    "removed_at": None,
                    "removed_by": None,
                    "carried_from": carried_from,
                    "carried_from_number": carried_from_number,
                    "carried_to": None,
                },
            )
            if inserted:
                topic = AgendaTopic(number, text, added_by, carried_over=carried_from is not None)
                return TopicChange(meeting, topic, carried_from, carried_from_number)
        raise NotPossible("Many topics are being added at this moment; please try again.")

    def _locked_topic(
        self, meeting: datetime, number: int, *, past: bool = False
    ) -> AgendaTopicRow:
        """Topic ``number`` of ``meeting``, locked; of a ``past`` meeting, one carried over
        since too (the caller says so)."""
        row = self.session.scalar(
            select(AgendaTopicRow)
            .where(
                *(kept(self._key) if past else standing(self._key)),
                AgendaTopicRow.meeting_at == meeting,
                AgendaTopicRow.number == number,
            )
            .with_for_update()
        )
        if row is None:
            lister = "`/mwg meetings`" if past else "`/mwg agenda`"
            raise NotFound(
                f"The meeting of {_day(meeting)} has no topic {number}: {lister} lists its topics."
            )
        return row

    def remove(self, number: int, actor_id: str) -> TopicChange:
        """Take a topic off the next meeting: its author or an organizer."""
        meeting = self.next_meeting()
        row = self._locked_topic(meeting, number)
        rules.may_remove(actor_id, row.added_by, self.policy.organizers)
        row.removed_at = self.now
        row.removed_by = actor_id
        self.session.flush()
        self._record(
            ActivityKind.TOPIC_REMOVED,
            None,
            actor_id,
            meeting=meeting.isoformat(),
            topic=number,
            added_by=row.added_by,
        )
        return TopicChange(meeting, topic_of(row))

    def carry(self, number: int, actor_id: str) -> TopicChange:
        """Move topic ``number`` of the last meeting (the one that started most recently) to
        the next one; organizers only."""
        rules.may_carry(actor_id, self.policy.organizers)
        series = self.series()
        last = series.previous_meeting(self.now)
        if last is None:
            raise NotPossible("No meeting has taken place yet; nothing to carry over.")
        row = self._locked_topic(last, number, past=True)
        if row.carried_to is not None:
            raise NotPossible(
                f"Topic {number} is already carried over to the meeting of "
                f"{_day(row.carried_to)}; nothing changed. `/mwg agenda` lists that "
                "meeting's topics."
            )
        target = series.next_meeting(self.now)
        row.carried_to = target
        self.session.flush()
        change = self._insert(target, row.text, row.added_by, last, number)
        self._record(
            ActivityKind.TOPIC_CARRIED,
            None,
            actor_id,
            meeting=target.isoformat(),
            topic=change.topic.number,
            from_meeting=last.isoformat(),
            from_topic=number,
            added_by=row.added_by,
        )
        return change

    # --- notes -------------------------------------------------------------------------------

    def add_note(self, link: str, summary: str | None, actor_id: str) -> NoteAttached:
        """Attach a link to the notes or recording of the most recent meeting that started
        and was not skipped, and post it in that meeting's thread (in the channel when it had
        no reminder); a link already attached to it is refused."""
        series = self.series()
        meeting = series.previous_meeting(self.now)
        if meeting is None:
            raise NotPossible("No meeting has taken place yet, so there are no notes to attach.")
        authors = self.session.scalars(
            select(AgendaTopicRow.added_by).where(
                AgendaTopicRow.group_key == self._key,
                AgendaTopicRow.meeting_at == meeting,
                AgendaTopicRow.removed_at.is_(None),
            )
        ).all()
        rules.may_add_notes(
            actor_id, self.policy.organizers, self.policy.moderators, frozenset(authors)
        )
        link = validate_link(link)
        attached = self.session.scalar(
            select(MeetingNoteRow.id).where(
                MeetingNoteRow.group_key == self._key,
                MeetingNoteRow.meeting_at == meeting,
                MeetingNoteRow.link == link,
            )
        )
        if attached is not None:
            raise NotPossible(
                f"That link is already attached to the meeting of {_day(meeting)}; nothing "
                "changed. `/mwg meetings` lists its notes."
            )
        row = MeetingNoteRow(
            group_key=self._key,
            meeting_at=meeting,
            link=link,
            summary=summary or None,
            added_by=actor_id,
            added_at=self.now,
        )
        self.session.add(row)
        self.session.flush()
        self._record(
            ActivityKind.NOTES_ADDED,
            None,
            actor_id,
            meeting=meeting.isoformat(),
            link=link,
            note=row.id,
        )
        note = note_of(row)
        in_thread = self.reminder_thread(meeting) is not None
        self._post_in_thread(meeting, self.renderer.meeting_note(note), dedupe_key=None)
        skipped = tuple(
            m
            for m in series.occurrences(
                meeting + _ONE_MICROSECOND, self.now + _ONE_MICROSECOND, include_skipped=True
            )
            if series.is_skipped(m)
        )
        return NoteAttached(note, in_thread, skipped)

    def past_meetings(self, count: int = MEETINGS_LISTED) -> tuple[PastMeeting, ...]:
        """The last ``count`` meetings that started since the group's record began (skipped
        ones marked), newest first, with their topics (the carried ones marked) and notes."""
        series = self.series()
        first = first_activity(self.session, self._key)
        if first is None:
            return ()
        try:
            window = series.occurrences(
                self.now - series.every * (count + 1),
                self.now + _ONE_MICROSECOND,
                include_skipped=True,
            )
        except OverflowError:
            window = []
        length = self.policy.meeting_length
        meetings = [m for m in window[-count:] if m + length > first][::-1]
        held = [m for m in meetings if not series.is_skipped(m)]
        topics = topics_by_meeting(self.session, self._key, held, with_carried=True)
        notes = notes_by_meeting(self.session, self._key, held)
        return tuple(
            PastMeeting(m, topics.get(m, Topics()), notes.get(m, ()), skipped=series.is_skipped(m))
            for m in meetings
        )

    def notes_since(self, since: datetime | None, until: datetime) -> MeetingNotes:
        return notes_between(self.session, self._key, since, until)

    # --- the end of a meeting ----------------------------------------------------------------

    def enqueue_notes_asks(self) -> list[datetime]:
        """At each meeting's end, one ask for its notes: in the thread of its last reminder
        (in the channel when none was posted), exactly once by its dedupe key. Skipped
        meetings get none."""
        length = self.policy.meeting_length
        series = self.series()
        ended = series.occurrences(
            self.now - length - NOTES_ASK_WINDOW, self.now - length + _ONE_MICROSECOND
        )
        asked = []
        for meeting in ended:
            key = notes_ask_key(self._key, meeting)
            if outbox.queued_keys(self.session, self.policy.key, [key]):
                continue
            if self._has_notes(meeting):
                self._moot_ask(key)
                continue
            message = self.renderer.notes_ask(meeting, sorted(self.policy.organizers))
            if self._post_in_thread(meeting, message, dedupe_key=key):
                asked.append(meeting)
        return asked

    def _has_notes(self, meeting: datetime) -> bool:
        found = self.session.scalar(
            select(MeetingNoteRow.id)
            .where(MeetingNoteRow.group_key == self._key, MeetingNoteRow.meeting_at == meeting)
            .limit(1)
        )
        return found is not None

    def _moot_ask(self, key: str) -> None:
        """The ask is recorded under its key, never to be sent: notes came first."""
        queries.insert_ignoring_duplicates(
            self.session,
            OutboxRow,
            {
                "kind": outbox.KIND_THREAD,
                "dedupe_key": key,
                "proposal_number": None,
                "channel_id": self.policy.channel_id,
                "user_id": None,
                "payload": {"note": "notes were attached before the meeting's end"},
                "state": outbox.STATE_SKIPPED,
                "attempts": 0,
                "uncertain": False,
                "available_at": self.now,
                "created_at": self.now,
            },
        )

    def reminder_thread(self, meeting: datetime) -> str | None:
        """The ``ts`` of the last reminder posted for ``meeting`` in the group's channel."""
        keys = [
            reminder_key(ReminderSlot.for_meeting(meeting, lead))
            for lead in self.policy.meeting_reminders
            if lead > timedelta(0)
        ]
        if not keys:
            return None
        ts: str | None = self.session.scalar(
            select(OutboxRow.message_ts)
            .where(
                OutboxRow.group_key == self.policy.key,
                OutboxRow.dedupe_key.in_(keys),
                OutboxRow.state == "sent",
                OutboxRow.message_ts.is_not(None),
                OutboxRow.channel_id == self.policy.channel_id,
            )
            .order_by(OutboxRow.sent_at.desc(), OutboxRow.id.desc())
            .limit(1)
        )
        return ts

    def _post_in_thread(self, meeting: datetime, message: Rendered, dedupe_key: str | None) -> bool:
        thread_ts = self.reminder_thread(meeting)
        return outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD if thread_ts is not None else outbox.KIND_POST,
            now=self.now,
            message=message,
            channel_id=self.policy.channel_id,
            dedupe_key=dedupe_key,
            thread_ts=thread_ts,
            group_key=self.policy.key,
        )


def _day(meeting: datetime) -> str:
    """``Wednesday 2026-12-09 15:00 UTC``: plain text for refusals (escaped by the router)."""
    return meeting.astimezone(UTC).strftime("%A %Y-%m-%d %H:%M UTC")
