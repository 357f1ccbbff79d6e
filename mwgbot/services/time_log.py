"""Use cases of the time members give: log, list, remove, and the team's month. Services flush;
the caller's unit of work commits. Every log and every removal is one ledger row.

Totals are computed in SQL over the month's entries (indexed by member and day), so the cost
follows one month, not the whole history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Subquery, and_, case, delete, func, select
from sqlalchemy.orm import Session

from mwgbot.db.models import MemberRow, ProposalRow, TimeEntryRow
from mwgbot.domain import time_log as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import NotAllowed, NotFound
from mwgbot.domain.time_log import Month
from mwgbot.services import ledger, members
from mwgbot.services.member_models import (
    HoursGiven,
    MemberTotal,
    MonthHours,
    MonthTotal,
    OrganizationTotal,
    TeamHours,
    TimeEntry,
    TimeLogged,
)
from mwgbot.services.policy import Policy

__all__ = ["ENTRIES_LISTED", "MEMBERS_LISTED", "TimeLogService", "hours_given", "month_minutes"]

ENTRIES_LISTED = 25
MEMBERS_LISTED = 25
ORGANIZATIONS_LISTED = 10


def _in_month(month: Month) -> ColumnElement[bool]:
    return and_(TimeEntryRow.worked_on >= month.first_day, TimeEntryRow.worked_on <= month.last_day)


def month_minutes(session: Session, user_id: str, month: Month) -> int:
    """One member's total for one month."""
    total = session.scalar(
        select(func.coalesce(func.sum(TimeEntryRow.minutes), 0)).where(
            TimeEntryRow.user_id == user_id, _in_month(month)
        )
    )
    return int(total or 0)


def hours_given(session: Session, group_key: str, number: int) -> HoursGiven:
    """The time logged on one initiative, and by how many members."""
    minutes, members = session.execute(
        select(
            func.coalesce(func.sum(TimeEntryRow.minutes), 0),
            func.count(func.distinct(TimeEntryRow.user_id)),
        ).where(TimeEntryRow.group_key == group_key, TimeEntryRow.proposal_number == number)
    ).one()
    return HoursGiven(number, int(minutes or 0), int(members or 0))


class TimeLogService:
    def __init__(self, session: Session, policy: Policy, now: datetime, via: Via) -> None:
        self.session = session
        self.policy = policy
        self.now = now
        self.via = via  # how logs and removals came in, for the ledger

    def log(
        self,
        user_id: str,
        minutes: int,
        what: str,
        *,
        proposal_number: int | None = None,
        worked_on: date | None = None,
    ) -> TimeLogged:
        """Record one entry; every rule is checked first, so a refusal changes nothing."""
        minutes = rules.check_minutes(minutes)
        what = rules.check_what(what)
        day = rules.check_day(worked_on or rules.today(self.now), self.now)
        title = None
        if proposal_number is not None:
            proposal = self.session.get(ProposalRow, (self.policy.key, proposal_number))
            if proposal is None:
                raise NotFound(
                    f"There is no proposal #{proposal_number}; nothing was logged. "
                    "`/mwg list` shows the open ones."
                )
            title = proposal.title
        rules.check_day_total(day, self._day_entries(user_id, day), minutes)
        row = TimeEntryRow(
            group_key=self.policy.key,
            user_id=user_id,
            proposal_number=proposal_number,
            minutes=minutes,
            what=what,
            worked_on=day,
            created_at=self.now,
        )
        self.session.add(row)
        self.session.flush()
        ledger.record(
            self.session,
            kind=ActivityKind.TIME_LOGGED,
            at=self.now,
            via=self.via,
            actor_id=user_id,
            group_key=self.policy.key,
            proposal_number=proposal_number,
            details={
                "entry": row.id,
                "minutes": minutes,
                "worked_on": day.isoformat(),
                "what": what,
            },
        )
        return TimeLogged(_entry(row, title), self.month_total(user_id, Month.of(day)))

    def _day_entries(self, user_id: str, day: date) -> list[tuple[int, int]]:
        """The member's entries of one day (number, minutes), read under a lock on the member.

        Writing the member's row first locks it until commit on PostgreSQL, so two entries of
        one member at once (two instances) are counted one after the other: the second reads
        the day with the first in it. SQLite's writers take turns anyway (BEGIN IMMEDIATE).
        """
        members.touch(self.session, user_id, self.now)
        rows = self.session.execute(
            select(TimeEntryRow.id, TimeEntryRow.minutes)
            .where(TimeEntryRow.user_id == user_id, TimeEntryRow.worked_on == day)
            .order_by(TimeEntryRow.id)
        ).all()
        return [(entry, minutes) for entry, minutes in rows]

    def unlog(self, user_id: str, entry_id: int) -> TimeLogged:
        """Remove one of the member's own entries."""
        row = self.session.get(TimeEntryRow, entry_id, with_for_update=True)
        if row is None:
            raise NotFound(
                f"There is no time entry {entry_id}; nothing was removed. "
                "`/mwg hours` lists yours with their numbers."
            )
        if row.user_id != user_id:
            raise NotAllowed(
                f"Entry {entry_id} is not yours: you can remove only your own entries, and "
                "nothing was removed. `/mwg hours` lists yours."
            )
        proposal = (
            self.session.get(ProposalRow, (row.group_key, row.proposal_number))
            if row.proposal_number is not None
            else None
        )
        entry = _entry(row, proposal.title if proposal else None)
        group_key = row.group_key
        self.session.execute(delete(TimeEntryRow).where(TimeEntryRow.id == entry_id))
        ledger.record(
            self.session,
            kind=ActivityKind.TIME_REMOVED,
            at=self.now,
            via=self.via,
            actor_id=user_id,
            group_key=group_key,
            proposal_number=entry.proposal_number,
            details={
                "entry": entry.id,
                "minutes": entry.minutes,
                "worked_on": entry.worked_on.isoformat(),
            },
        )
        return TimeLogged(entry, self.month_total(user_id, Month.of(entry.worked_on)))

    # --- reading ---------------------------------------------------------------------------

    def this_month(self) -> Month:
        return Month.containing(self.now)

    def month_total(self, user_id: str, month: Month | None = None) -> MonthTotal:
        month = month or self.this_month()
        return MonthTotal(month, month_minutes(self.session, user_id, month))

    def hours(self, user_id: str, month: Month | None = None) -> MonthHours:
        """A member's entries of one month, the first ENTRIES_LISTED by day, and the total."""
        month = rules.check_month(month, self.now) if month else self.this_month()
        mine = (TimeEntryRow.user_id == user_id, _in_month(month))
        rows = self.session.execute(
            select(TimeEntryRow, ProposalRow.title)
            .outerjoin(
                ProposalRow,
                (ProposalRow.group_key == TimeEntryRow.group_key)
                & (ProposalRow.number == TimeEntryRow.proposal_number),
            )
            .where(*mine)
            .order_by(TimeEntryRow.worked_on, TimeEntryRow.id)
            .limit(ENTRIES_LISTED)
        ).all()
        count, minutes = self.session.execute(
            select(func.count(), func.coalesce(func.sum(TimeEntryRow.minutes), 0)).where(*mine)
        ).one()
        return MonthHours(
            total=MonthTotal(month, int(minutes)),
            entries=tuple(_entry(row, title) for row, title in rows),
            more=max(0, count - len(rows)),
            log_example=None
            if rows
            else members.latest_initiative(self.session, self.policy.key, user_id),
        )

    def team(self, actor_id: str, month: Month | None = None) -> TeamHours:
        """The team's month, for organizers and moderators only."""
        if actor_id not in self.policy.organizers and actor_id not in self.policy.moderators:
            raise NotAllowed(
                "Only the organizers and the moderators can see the team's hours. "
                "`/mwg hours` shows yours."
            )
        month = rules.check_month(month, self.now) if month else self.this_month()
        per_member = (
            select(
                TimeEntryRow.user_id.label("user_id"),
                func.sum(TimeEntryRow.minutes).label("minutes"),
            )
            .where(TimeEntryRow.group_key == self.policy.key, _in_month(month))
            .group_by(TimeEntryRow.user_id)
            .subquery()
        )
        low, high = rules.BAND_LOW_MINUTES, rules.BAND_HIGH_MINUTES
        count, minutes, under, within, over = self.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(per_member.c.minutes), 0),
                func.coalesce(func.sum(case((per_member.c.minutes < low, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((per_member.c.minutes.between(low, high), 1), else_=0)), 0
                ),
                func.coalesce(func.sum(case((per_member.c.minutes > high, 1), else_=0)), 0),
            ).select_from(per_member)
        ).one()
        top = self.session.execute(
            select(per_member.c.user_id, per_member.c.minutes, MemberRow.organization)
            .outerjoin(MemberRow, MemberRow.user_id == per_member.c.user_id)
            .order_by(per_member.c.minutes.desc(), per_member.c.user_id)
            .limit(MEMBERS_LISTED)
        ).all()
        listed, groups = self._by_organization(per_member)
        return TeamHours(
            month=month,
            minutes=int(minutes or 0),
            members=int(count or 0),
            under=int(under or 0),
            within=int(within or 0),
            over=int(over or 0),
            top=tuple(MemberTotal(u, int(m), org) for u, m, org in top),
            organizations=listed,
            more_organizations=max(0, groups - len(listed)),
        )

    def _by_organization(self, per_member: Subquery) -> tuple[tuple[OrganizationTotal, ...], int]:
        """The largest totals per organization, as members typed it (case aside; no
        organization is a group of its own), and how many groups there are."""
        total = func.sum(per_member.c.minutes)
        grouped = (
            select(func.min(MemberRow.organization), total, func.count())
            .select_from(per_member)
            .outerjoin(MemberRow, MemberRow.user_id == per_member.c.user_id)
            .group_by(func.lower(MemberRow.organization))
        )
        groups = self.session.scalar(select(func.count()).select_from(grouped.subquery()))
        rows = self.session.execute(
            grouped.order_by(total.desc(), func.min(MemberRow.organization)).limit(
                ORGANIZATIONS_LISTED
            )
        ).all()
        listed = tuple(OrganizationTotal(name, int(m), int(n)) for name, m, n in rows)
        return listed, int(groups or 0)


def _entry(row: TimeEntryRow, title: str | None) -> TimeEntry:
    return TimeEntry(
        id=row.id,
        user_id=row.user_id,
        minutes=row.minutes,
        what=row.what,
        worked_on=row.worked_on,
        proposal_number=row.proposal_number,
        proposal_title=title,
    )
