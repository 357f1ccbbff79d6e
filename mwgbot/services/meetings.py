"""Use cases of the meeting series: when the group meets, what is on the agenda, reminders,
and organizers skipping or restoring single meetings. Services flush; the caller commits.

The series itself is pure (:mod:`mwgbot.domain.meetings`): the policy gives its first meeting
and cadence, the ``meeting_skips`` table the skipped dates. Reminders are outbox rows whose
dedupe key is the reminder slot's key, so each is queued exactly once per meeting and lead
time, whichever sweep, restart or instance gets there first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mwgbot.calendar_ics import series_to_ical
from mwgbot.db import queries
from mwgbot.db.models import MeetingSkipRow, OutboxRow, ProposalRow
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.meetings import MeetingSeries, ReminderSlot, check_meeting_day, due_reminders
from mwgbot.domain.proposals import State
from mwgbot.services import listings, outbox
from mwgbot.services.agenda_queries import (
    move_topics,
    recent_notes,
    return_topics,
    topics_by_meeting,
)
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.read_models import Agenda, MeetingChange, NextMeetings
from mwgbot.services.use_case import UseCase

__all__ = ["MeetingService", "meeting_series", "reminder_key"]

_ONE_MICROSECOND = timedelta(microseconds=1)
# Proposals a meeting hears were decided since the last one (adopted or declined).
DECIDED = frozenset({State.ADOPTED, State.DECLINED, State.DELIVERED, State.DROPPED})


def meeting_series(session: Session, policy: Policy) -> MeetingSeries:
    """The policy's first meeting and cadence, with the organizers' skips."""
    skipped = frozenset(
        session.scalars(
            select(MeetingSkipRow.meeting_date).where(MeetingSkipRow.group_key == policy.key)
        ).all()
    )
    return MeetingSeries(first=policy.meeting_first, every=policy.meeting_every, skipped=skipped)


def reminder_key(slot: ReminderSlot) -> str:
    """The outbox dedupe key of a reminder: one row per meeting and lead time, ever."""
    return f"reminder:{slot.key}"


class MeetingService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.renderer = renderer

    # --- the series --------------------------------------------------------------------------

    def series(self) -> MeetingSeries:
        """The policy's first meeting and cadence, with the organizers' skips."""
        return meeting_series(self.session, self.policy)

    def next_meetings(self) -> NextMeetings:
        series = self.series()
        upcoming = series.upcoming(self.now, 2)
        skipped = tuple(
            t
            for t in series.occurrences(
                self.now + _ONE_MICROSECOND, upcoming[1], include_skipped=True
            )
            if series.is_skipped(t)
        )
        return NextMeetings(
            next=upcoming[0],
            after=upcoming[1],
            agenda=self._agenda(series, upcoming[0]),
            skipped=skipped,
        )

    def agenda(self, meeting: datetime) -> Agenda:
        return self._agenda(self.series(), meeting)

    def _agenda(self, series: MeetingSeries, meeting: datetime) -> Agenda:
        following = series.next_meeting(meeting)
        previous = series.previous_meeting(meeting - _ONE_MICROSECOND)
        key = self.group_key
        lists = listings.realize(
            self.session,
            {
                "escalated": listings.escalated(self.session, key),
                "closing": listings.closing_soonest(self.session, key, before=following),
                # An initiative adopted since and already delivered or dropped counts too.
                "outcomes": listings.settled_since(self.session, key, DECIDED, previous),
                "seeking_partners": listings.seeking_partners(self.session, key),
                "stalled": listings.stalled(self.session, key, self.now - self.policy.stale_after),
                "delivered": listings.finished_since(
                    self.session, key, State.DELIVERED, previous, self.now
                ),
                "dropped": listings.finished_since(
                    self.session, key, State.DROPPED, previous, self.now
                ),
            },
        )
        open_total = listings.count(
            self.session, [ProposalRow.group_key == key, ProposalRow.state == State.OPEN.value]
        )
        return Agenda(
            group_name=self.policy.name,
            meeting=meeting,
            following=following,
            previous=previous,
            as_of=self.now,
            escalated=lists["escalated"],
            closing=lists["closing"],
            outcomes=lists["outcomes"],
            seeking_partners=lists["seeking_partners"],
            open_later=open_total - lists["closing"].total,
            stalled=lists["stalled"],
            delivered=lists["delivered"],
            dropped=lists["dropped"],
            topics=topics_by_meeting(self.session, self.policy.key, [meeting])[meeting],
        )

    # --- organizers shape the series ---------------------------------------------------------

    def skip(self, day: date, actor_id: str) -> MeetingChange:
        """Cancel the meeting on ``day`` (UTC date); a notice goes to the channel."""
        series, meeting = self._meeting_on(day, actor_id, "skip")
        if series.is_skipped(meeting):
            return MeetingChange(
                meeting, True, False, series.next_meeting(self.now), group_name=self.policy.name
            )
        inserted = queries.insert_ignoring_duplicates(
            self.session,
            MeetingSkipRow,
            {
                "group_key": self.group_key,
                "meeting_date": meeting.date(),
                "skipped_by": actor_id,
                "skipped_at": self.now,
            },
        )
        series = series.with_skipped([meeting.date()])
        moved = []
        if inserted:
            self._record_meeting(ActivityKind.MEETING_SKIPPED, actor_id, meeting)
            # Its agenda topics go to the next meeting held, as carried over.
            held = series.next_meeting(meeting)
            moved = move_topics(self.session, self.policy.key, meeting, held, self.now)
            for from_topic, topic, added_by in moved:
                self._record(
                    ActivityKind.TOPIC_CARRIED,
                    None,
                    actor_id,
                    meeting=held.isoformat(),
                    topic=topic,
                    from_meeting=meeting.isoformat(),
                    from_topic=from_topic,
                    added_by=added_by,
                )
        change = MeetingChange(
            meeting,
            True,
            inserted,
            series.next_meeting(self.now),
            topics_moved=len(moved),
            group_name=self.policy.name,
        )
        if inserted:
            # Reminders queued for it but not yet sent are moot now; a restore queues them anew.
            keys = [reminder_key(ReminderSlot.for_meeting(meeting, lead)) for lead in self._leads]
            self.session.execute(
                delete(OutboxRow).where(
                    OutboxRow.group_key == self.group_key,
                    OutboxRow.dedupe_key.in_(keys),
                    OutboxRow.state == "pending",
                )
            )
            self._notify(change, actor_id)
        return change

    def unskip(self, day: date, actor_id: str) -> MeetingChange:
        """Restore a skipped meeting; a notice goes to the channel."""
        series, meeting = self._meeting_on(day, actor_id, "unskip")
        if not series.is_skipped(meeting):
            return MeetingChange(
                meeting, False, False, series.next_meeting(self.now), group_name=self.policy.name
            )
        result = self.session.execute(
            delete(MeetingSkipRow).where(
                MeetingSkipRow.group_key == self.group_key,
                MeetingSkipRow.meeting_date == meeting.date(),
            )
        )
        removed = bool(getattr(result, "rowcount", 0))
        series = series.without_skipped([meeting.date()])
        returned: list[tuple[int, datetime, int, str]] = []
        left: list[datetime] = []
        if removed:
            self._record_meeting(ActivityKind.MEETING_RESTORED, actor_id, meeting)
            # The topics its skip carried away come back, unless their meeting has begun.
            returned, left = return_topics(
                self.session, self.policy.key, meeting, self.now, actor_id
            )
            for topic, from_meeting, from_topic, added_by in returned:
                self._record(
                    ActivityKind.TOPIC_CARRIED,
                    None,
                    actor_id,
                    meeting=meeting.isoformat(),
                    topic=topic,
                    from_meeting=from_meeting.isoformat(),
                    from_topic=from_topic,
                    added_by=added_by,
                )
        change = MeetingChange(
            meeting,
            False,
            removed,
            series.next_meeting(self.now),
            topics_returned=len(returned),
            topics_left=tuple(left),
            group_name=self.policy.name,
        )
        if removed:
            self._notify(change, actor_id)
        return change

    def _meeting_on(self, day: date, actor_id: str, verb: str) -> tuple[MeetingSeries, datetime]:
        if actor_id not in self.policy.organizers:
            raise NotAllowed(
                f"Only an organizer of the working group can {verb} a meeting; nothing changed. "
                "Ask an organizer, or raise it in the channel."
            )
        done = "skipped" if verb == "skip" else "restored"
        # Range-checked before any arithmetic: a far date would overflow the series.
        check_meeting_day(day, self.now.astimezone(UTC).date(), done)
        series = self.series()
        meeting = series.occurrence_on(day)
        if meeting is None:
            start = datetime.combine(day, time(0), tzinfo=UTC)
            before = series.occurrences(start - series.every, start, include_skipped=True)[-1]
            after = series.next_meeting(start, include_skipped=True)
            raise NotPossible(
                f"There is no meeting on {day.isoformat()} ({day:%A}). The nearest meetings are "
                f"{_day(before)} and {_day(after)}; nothing changed."
            )
        if meeting <= self.now:
            raise NotPossible(
                f"The meeting of {_day(meeting)} has already begun; only an upcoming meeting "
                f"can be {done}. Nothing changed."
            )
        return series, meeting

    def _record_meeting(self, kind: ActivityKind, actor_id: str, meeting: datetime) -> None:
        self._record(kind, None, actor_id, meeting=meeting.isoformat())

    def _notify(self, change: MeetingChange, actor_id: str) -> None:
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_POST,
            now=self.now,
            group_key=self.group_key,
            message=self.renderer.meeting_change(change, actor_id),
            channel_id=self.policy.channel_id,
        )

    # --- reminders ---------------------------------------------------------------------------

    @property
    def _leads(self) -> tuple[timedelta, ...]:
        return tuple(lead for lead in self.policy.meeting_reminders if lead > timedelta(0))

    def enqueue_due_reminders(self) -> list[ReminderSlot]:
        """Queue every reminder due now whose meeting has not begun; each exactly once.

        Looking back ``max(leads)`` catches reminders that fell due while the bot was down,
        as long as their meeting is still ahead; of several due for one meeting only the
        latest-due is sent (see :func:`due_reminders`).
        """
        leads = self._leads
        if not leads:
            return []
        series = self.series()
        queued = []
        for slot in due_reminders(series, leads, since=self.now - max(leads), now=self.now):
            key = reminder_key(slot)
            exists = self.session.scalar(
                select(OutboxRow.id).where(
                    OutboxRow.group_key == self.group_key, OutboxRow.dedupe_key == key
                )
            )
            if exists is not None:
                continue
            message = self.renderer.meeting_reminder(self._agenda(series, slot.meeting))
            if outbox.enqueue(
                self.session,
                kind=outbox.KIND_POST,
                now=self.now,
                group_key=self.group_key,
                message=message,
                channel_id=self.policy.channel_id,
                dedupe_key=key,
            ):
                queued.append(slot)
        return queued

    # --- the calendar ------------------------------------------------------------------------

    def calendar(self, *, url: str | None = None) -> bytes:
        """The series as iCalendar, skipped meetings as EXDATEs, the latest meetings' notes
        in their occurrence's description."""
        notes = {
            meeting: [
                note.link + (f" ({' '.join(note.summary.split())})" if note.summary else "")
                for note in found
            ]
            for meeting, found in recent_notes(self.session, self.policy.key).items()
        }
        return series_to_ical(
            self.series(),
            url=url,
            now=self.now,
            duration=self.policy.meeting_length,
            notes=notes,
        )


def _day(meeting: datetime) -> str:
    """``Wednesday 2026-12-09 15:00 UTC``: plain text, for answers that name dates."""
    return meeting.astimezone(UTC).strftime("%A %Y-%m-%d %H:%M UTC")
