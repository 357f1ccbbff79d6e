"""What the group's page, its channel canvas, shows: plain frozen data the services fill and
`mwgbot.slack.canvas_page` writes. Proposals come as the listings the other views use
(`Listing`: the first few, and how many there are in all); agenda topics are their own.
Imports only the domain and the other read models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mwgbot.services.read_models import AgendaTopic, Listing, Topics

__all__ = ["AgendaTopic", "GroupPage", "PageMeeting", "Topics"]


@dataclass(frozen=True)
class PageMeeting:
    """One meeting of the group's series: when it starts, whether the organizers skipped it,
    and the topics put on its agenda."""

    starts_at: datetime
    skipped: bool = False
    topics: Topics = field(default_factory=Topics)


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
