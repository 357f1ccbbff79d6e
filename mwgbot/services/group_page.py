"""The group's page (its channel canvas) as of an instant: a `GroupPage` read in a few bounded
queries, whatever the history (each list reads its first few rows and counts the rest in
SQL, and all their snapshots are built in one batch), and the instant after which time
alone would change it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mwgbot.db.models import ProposalRow
from mwgbot.domain.meetings import MeetingSeries
from mwgbot.domain.proposals import State
from mwgbot.services import agenda_queries, listings
from mwgbot.services.meetings import meeting_series
from mwgbot.services.page_models import GroupPage, PageMeeting, Topics
from mwgbot.services.policy import Policy
from mwgbot.services.read_models import Listing

__all__ = ["DECIDED_DAYS", "build_page", "next_change", "topics_of"]

DECIDED_DAYS = 30
# How many of each list the page reads; canvas_page shows at most as many (and counts the rest).
SHOWN = 25
# A skipped meeting is shown with the ones after it, up to the next one held; at most this many.
MEETINGS_READ = 3
DECIDED = frozenset({State.ADOPTED, State.DECLINED, State.DELIVERED, State.DROPPED})


def topics_of(session: Session, policy: Policy, meeting: datetime) -> Topics:
    """The topics members put on a meeting's agenda (`/mwg agenda add`); a topic's change is
    recorded through `ledger.record`, which marks the page stale."""
    return agenda_queries.topics_by_meeting(session, policy.key, [meeting]).get(meeting, Topics())


def _meetings(
    session: Session, policy: Policy, series: MeetingSeries, now: datetime
) -> list[PageMeeting]:
    """The next meeting; if it is skipped, the ones after it up to the next one held."""
    found: list[PageMeeting] = []
    at = now
    for _ in range(MEETINGS_READ):
        meeting = series.next_meeting(at, include_skipped=True)
        skipped = series.is_skipped(meeting)
        topics = Topics() if skipped else topics_of(session, policy, meeting)
        found.append(PageMeeting(starts_at=meeting, skipped=skipped, topics=topics))
        if not skipped:
            break
        at = meeting
    return found


def build_page(session: Session, policy: Policy, now: datetime) -> GroupPage:
    """What the group's page shows at `now`."""
    series = meeting_series(session, policy)
    since = now - timedelta(days=DECIDED_DAYS)
    pages = {
        "open": listings.closing_soonest(session, policy.key, limit=SHOWN),
        "escalated": listings.escalated(session, policy.key, limit=SHOWN),
        "active": listings.active(session, policy.key, limit=SHOWN),
        "decided": listings.settled_since(session, policy.key, DECIDED, since, limit=SHOWN),
        # The latest deliveries first: the page shows what was done lately.
        "delivered": listings.page(
            session,
            [
                ProposalRow.group_key == policy.key,
                ProposalRow.state == State.DELIVERED.value,
                ProposalRow.finished_at <= now,
            ],
            [ProposalRow.finished_at.desc(), ProposalRow.number.desc()],
            SHOWN,
        ),
    }
    found = listings.realize(session, pages)
    open_, escalated = found["open"], found["escalated"]
    waiting = Listing((open_.items + escalated.items)[:SHOWN], open_.total + escalated.total)
    return GroupPage(
        name=policy.name,
        as_of=now,
        meetings=tuple(_meetings(session, policy, series, now)),
        open=waiting,
        active=found["active"],
        decided=found["decided"],
        delivered=found["delivered"],
        decided_days=DECIDED_DAYS,
    )


def next_change(page: GroupPage) -> datetime | None:
    """The first instant after `page.as_of` at which time alone changes the page: the next
    meeting begins, or the oldest decision shown leaves the last `decided_days` days."""
    instants: list[datetime] = []
    if page.meetings:
        instants.append(page.meetings[0].starts_at)
    settled = [
        when
        for proposal in page.decided
        if (when := (proposal.decision.decided_at if proposal.decision else proposal.closed_at))
    ]
    if settled:
        instants.append(min(settled) + timedelta(days=page.decided_days))
    later = [when for when in instants if when > page.as_of]
    return min(later) if later else None
