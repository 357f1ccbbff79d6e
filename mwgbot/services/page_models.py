"""What the group's page, its channel canvas, shows: plain frozen data the services fill and
`mwgbot.slack.canvas_page` writes. Proposals come as the listings the other views use
(`Listing`: the first few, and how many there are in all); agenda topics are their own.
Imports only the domain and the other read models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mwgbot.services.read_models import Listing

__all__ = ["AgendaTopic", "GroupPage", "PageMeeting", "Topics"]


@dataclass(frozen=True)
class AgendaTopic:
    """A topic a member put on a meeting's agenda (`/mwg agenda add`), numbered per meeting;
    ``carried_over`` when an organizer moved it from an earlier meeting."""

    number: int
    text: str
    added_by: str  # a user ID
    carried_over: bool = False


@dataclass(frozen=True)
class Topics:
    """At most a bounded number of a meeting's topics, in their order, and how many in all."""

    items: tuple[AgendaTopic, ...] = ()
    total: int = 0

    @classmethod
    def of(cls, items: Sequence[AgendaTopic]) -> Topics:
        return cls(tuple(items), len(items))

    def __iter__(self) -> Iterator[AgendaTopic]:
        return iter(self.items)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class PageMeeting:
    """One meeting of the group's series: when it starts, whether the organizers skipped it,
    and the topics put on its agenda."""

    starts_at: datetime
    skipped: bool = False
    topics: Topics = Topics()


@dataclass(frozen=True)
class GroupPage:
    """The group's state at a glance, as of ``as_of``.

    - ``meetings``: the next meeting, and when it is skipped the ones after it up to the next
      one held (topics go to that one);
    - ``open``: open proposals closing soonest first, then escalated ones waiting for a
      moderator (`listings.closing_soonest`, `listings.escalated`);
    - ``active``: adopted initiatives, the most recently active first (`listings.active`);
      each snapshot's proposer and ``joiners`` are its owners, ``latest_update`` its news;
    - ``decided``: proposals whose outcome was settled in the last ``decided_days`` days, in
      that order (`listings.settled_since`);
    - ``delivered``: delivered initiatives, with their links (`listings.finished_since`).
    """

    name: str
    as_of: datetime
    meetings: tuple[PageMeeting, ...] = ()
    open: Listing = field(default_factory=Listing)
    active: Listing = field(default_factory=Listing)
    decided: Listing = field(default_factory=Listing)
    delivered: Listing = field(default_factory=Listing)
    decided_days: int = 30
