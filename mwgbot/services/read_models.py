"""What the services hand to the builders: agendas, meeting changes and digests, as plain
frozen data. Both the services that fill them and the renderers that show them import this
module, which imports neither."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Self, TypeVar

from mwgbot.domain.proposals import ProposalSnapshot, Stage

__all__ = [
    "Agenda",
    "AgendaTopic",
    "Bounded",
    "Digest",
    "Listing",
    "MeetingChange",
    "MeetingNote",
    "MeetingNotes",
    "NextMeetings",
    "NoteAttached",
    "PastMeeting",
    "TopicChange",
    "Topics",
    "UpdateNote",
    "Updates",
]


T = TypeVar("T")


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """At most a bounded number of things (the first ones, in their order), and how many
    there are in all: what every list the bot shows is cut to."""

    items: tuple[T, ...] = ()
    total: int = 0

    @classmethod
    def of(cls, items: Sequence[T]) -> Self:
        """All of them, listed."""
        return cls(tuple(items), len(items))

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    @property
    def more(self) -> int:
        """How many are left out."""
        return max(0, self.total - len(self.items))

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class Listing(Bounded[ProposalSnapshot]):
    """At most a bounded number of proposals, and how many there are in all."""


@dataclass(frozen=True)
class AgendaTopic:
    """A topic a member put on a meeting's agenda (`/mwg agenda add`), numbered per meeting;
    ``carried_over`` when an organizer moved it from an earlier meeting."""

    number: int
    text: str
    added_by: str  # a user ID
    carried_over: bool = False
    # Set on the meeting it was discussed at: the meeting it was carried over to since.
    carried_to: datetime | None = None


@dataclass(frozen=True)
class Topics(Bounded[AgendaTopic]):
    """At most a bounded number of a meeting's topics, in their order, and how many in all."""


@dataclass(frozen=True)
class MeetingNote:
    """A link to a meeting's notes or recording (`/mwg notes`), who added it, a summary."""

    meeting: datetime
    link: str
    added_by: str
    added_at: datetime
    summary: str | None = None


@dataclass(frozen=True)
class PastMeeting:
    """A meeting that has started, with its topics (discussed) and its notes."""

    meeting: datetime
    topics: Topics = Topics()
    notes: tuple[MeetingNote, ...] = ()
    skipped: bool = False


@dataclass(frozen=True)
class NoteAttached:
    """What `/mwg notes` did: the note, whether it went in the meeting's reminder thread (else
    in the channel), and the meetings skipped since the one it is attached to."""

    note: MeetingNote
    in_thread: bool
    skipped_since: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class MeetingNotes(Bounded[MeetingNote]):
    """The notes added over a window (the digest's), oldest first, and how many in all."""


@dataclass(frozen=True)
class Agenda:
    """What a meeting will discuss, drawn from the live state of proposals at ``as_of``.

    - ``escalated``: proposals whose consensus failed, waiting for a decision (with objections);
    - ``closing``: open proposals whose window closes before the *following* meeting, so this
      meeting is the last one before their outcome;
    - ``outcomes``: proposals adopted or declined since the previous meeting took place;
    - ``seeking_partners``: adopted initiatives still engaging fewer than two organizations;
    - ``open_later``: how many other open proposals close after the following meeting;
    - ``stalled``: active initiatives quiet for MWG_STALE_AFTER or longer, quietest first;
    - ``delivered``, ``dropped``: initiatives that ended since the previous meeting.
    """

    meeting: datetime
    following: datetime
    previous: datetime | None
    as_of: datetime
    escalated: Listing = Listing()
    closing: Listing = Listing()
    outcomes: Listing = Listing()
    seeking_partners: Listing = Listing()
    open_later: int = 0
    stalled: Listing = Listing()
    delivered: Listing = Listing()
    dropped: Listing = Listing()
    # Topics members put on this meeting's agenda (`/mwg agenda add`).
    topics: Topics = Topics()
    # The group it is about, as messages name it.
    group_name: str = "Marketing Working Group"

    @property
    def empty(self) -> bool:
        return not (
            self.escalated
            or self.closing
            or self.outcomes
            or self.seeking_partners
            or self.stalled
            or self.delivered
            or self.dropped
        )


@dataclass(frozen=True)
class NextMeetings:
    """The `/mwg next` answer: the next meeting, the one after, skipped ones in between."""

    next: datetime
    after: datetime
    agenda: Agenda
    skipped: tuple[datetime, ...] = ()  # skipped meetings before `after`, still upcoming


@dataclass(frozen=True)
class TopicChange:
    """What `/mwg agenda add|remove|carry` did: the topic as it now stands, on which meeting;
    for a carry, the meeting and number it came from."""

    meeting: datetime
    topic: AgendaTopic
    from_meeting: datetime | None = None
    from_number: int | None = None


@dataclass(frozen=True)
class MeetingChange:
    """What `/mwg meeting skip|unskip` did: the meeting it concerns, and whether it changed."""

    meeting: datetime
    skipped: bool  # the meeting's state afterwards
    changed: bool
    next_meeting: datetime
    topics_moved: int = 0  # agenda topics of a skipped meeting carried to the next one held
    topics_returned: int = 0  # on a restore: the topics the skip carried away, brought back
    # On a restore: topics the skip carried away that stay where they are (a meeting begun).
    topics_left: tuple[datetime, ...] = ()
    # The group it is about, as messages name it.
    group_name: str = "Marketing Working Group"


@dataclass(frozen=True)
class UpdateNote:
    """A progress update as the digest lists it: on which proposal, by whom, what, when."""

    number: int
    title: str
    author_id: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Updates(Bounded[UpdateNote]):
    """The first progress updates of a window, oldest first, and how many there are in all."""


@dataclass(frozen=True)
class Digest:
    """One digest's content, as of ``as_of``; ``since`` is the previous digest (None: ever).

    What happened (new proposals, outcomes, updates, deliveries, drops, newcomers) is what
    happened in ``[since, as_of)``: a digest's window includes its start and ends just before
    it is built, so consecutive digests share no instant and nothing is told twice or lost.
    ``seeking_partners`` and ``uncovered_stages`` count only live work: open and escalated
    proposals and active initiatives, never delivered or dropped ones. ``stalled`` are active
    initiatives quiet for MWG_STALE_AFTER or longer.
    """

    as_of: datetime
    since: datetime | None
    new: Listing = Listing()
    open: Listing = Listing()
    escalated: Listing = Listing()
    outcomes: Listing = Listing()
    seeking_partners: Listing = Listing()
    uncovered_stages: tuple[Stage, ...] = tuple(Stage)
    # Members (not bots) who joined the channel since the previous digest, in that order.
    new_members: tuple[str, ...] = ()
    delivered: Listing = Listing()
    dropped: Listing = Listing()
    stalled: Listing = Listing()
    updates: Updates = Updates()
    # Links to meetings' notes and recordings added since the previous digest.
    notes: MeetingNotes = MeetingNotes()
    # The group it is about, as messages name it.
    group_name: str = "Marketing Working Group"

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is pending: the digest is one short line."""
        return not (
            self.new
            or self.open
            or self.escalated
            or self.outcomes
            or self.updates
            or self.delivered
            or self.dropped
            or self.stalled
            or self.new_members
            or self.notes
        )
