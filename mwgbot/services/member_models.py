"""What the member services hand to the builders: the welcome, a member's Home tab and the time
members give, as plain frozen data. Services fill them, builders show them; this module imports
only the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.domain.time_log import Band, Month, band
from mwgbot.services.read_models import Topics

__all__ = [
    "HomeView",
    "HoursGiven",
    "InitiativeChoice",
    "InitiativeLine",
    "MemberTotal",
    "MonthHours",
    "MonthTotal",
    "ObjectionLine",
    "OrganizationTotal",
    "TeamHours",
    "TimeEntry",
    "TimeLogged",
    "Welcome",
]


@dataclass(frozen=True)
class Welcome:
    """The one direct message a newcomer to the channel gets."""

    user_id: str
    channel_id: str
    next_meeting: datetime
    organizers: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()
    consensus_min: timedelta = timedelta(hours=72)
    join_emoji: str = "raised_hand"
    calendar_url: str | None = None
    log_example: int | None = None  # an initiative of theirs to quote in `/mwg log` examples
    # The group the channel belongs to; None: the marketing group (the one-group welcome).
    group_name: str | None = None
    about: str | None = None


# --- time given --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeEntry:
    id: int
    user_id: str
    minutes: int
    what: str
    worked_on: date
    proposal_number: int | None = None
    proposal_title: str | None = None


@dataclass(frozen=True)
class MonthTotal:
    """One member's total for one month."""

    month: Month
    minutes: int

    @property
    def band(self) -> Band:
        return band(self.minutes)


@dataclass(frozen=True)
class TimeLogged:
    """What `/mwg log` or `/mwg unlog` did: the entry, and the member's month afterwards."""

    entry: TimeEntry
    total: MonthTotal


@dataclass(frozen=True)
class MonthHours:
    """`/mwg hours`: a member's entries of one month (the first ones) and the total."""

    total: MonthTotal
    entries: tuple[TimeEntry, ...] = ()
    more: int = 0
    log_example: int | None = None  # with no entries: an initiative of theirs for the example


@dataclass(frozen=True)
class MemberTotal:
    user_id: str
    minutes: int
    organization: str | None = None

    @property
    def band(self) -> Band:
        return band(self.minutes)


@dataclass(frozen=True)
class OrganizationTotal:
    organization: str | None  # None: members who set no organization
    minutes: int
    members: int


@dataclass(frozen=True)
class TeamHours:
    """`/mwg hours team`: the month across members who logged time, computed in SQL."""

    month: Month
    minutes: int = 0
    members: int = 0
    under: int = 0
    within: int = 0
    over: int = 0
    top: tuple[MemberTotal, ...] = ()
    organizations: tuple[OrganizationTotal, ...] = ()
    more_organizations: int = 0

    @property
    def more_members(self) -> int:
        return max(0, self.members - len(self.top))


@dataclass(frozen=True)
class HoursGiven:
    """The time logged on one initiative, and by how many members."""

    number: int
    minutes: int = 0
    members: int = 0


# --- the Home tab ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativeLine:
    """A proposal or initiative the member proposed or joined."""

    number: int
    title: str
    state: State
    closes_at: datetime
    proposed: bool  # they proposed it (else they joined it)


@dataclass(frozen=True)
class ObjectionLine:
    """One of the member's standing objections: on a proposal still open or escalated."""

    number: int
    title: str
    state: State
    closes_at: datetime
    reason: str | None


@dataclass(frozen=True)
class InitiativeChoice:
    """An open or active initiative time can be logged on."""

    number: int
    title: str
    # Set when several groups use the bot: the choice names its group (`edu#3`).
    group_key: str = ""


@dataclass(frozen=True)
class HomeView:
    """One member's Home tab, as of ``as_of``; every list is bounded, with its full count."""

    user_id: str
    as_of: datetime
    next_meeting: datetime  # the next one on the calendar, skipped or not
    next_meeting_skipped: bool
    next_held_meeting: datetime
    month: MonthTotal
    calendar_url: str | None = None
    closing: tuple[ProposalSnapshot, ...] = ()
    joined_closing: frozenset[int] = frozenset()  # which of `closing` the member joined
    open_total: int = 0
    mine: tuple[InitiativeLine, ...] = ()
    mine_total: int = 0
    objections: tuple[ObjectionLine, ...] = ()
    objections_total: int = 0
    objecting_closing: frozenset[int] = frozenset()  # which of `closing` the member objects to
    # Escalations the member may decide (a moderator's, or an organizer's when no moderator
    # can), the longest waiting first.
    waiting: tuple[ProposalSnapshot, ...] = ()
    waiting_total: int = 0
    # Topics members put on the next meeting that takes place (`/mwg agenda add`).
    topics: Topics = field(default_factory=Topics)
