"""Moving the console's clock so that due work fires in order, at the instant it falls due.

`clock +3d` does not jump three days at once: some rules depend on when a sweep runs. When
two reminders of one meeting are both due, only the later one is sent (`due_reminders`), and
a reminder for a meeting that has begun is not sent at all; a window that closes and a
meeting reminder that follows it must print in that order. So the console stops the clock at
every instant where something may fall due, runs the sweep and the delivery there, and only
then moves on. The stops are, between now and the target:

- each open proposal's close (`closes_at`) and its closing-soon notice (`closes_at` minus
  the policy's lead);
- each pending outbox row's `available_at` (a retry, or a reply waiting for its card);
- each meeting of the series (skipped ones too: an extra stop is harmless) and each of its
  reminders (`meeting - lead` for every configured lead);
- each firing of the digest crontab (`mwgbot.services.digest.cron_trigger`).

No stop is ever more than `MAX_STEP` after the previous one, so due work of a kind this list
does not know about still fires within that much of its time, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mwgbot.db.models import OutboxRow, ProposalRow
from mwgbot.db.session import Database
from mwgbot.domain.meetings import MeetingSeries
from mwgbot.domain.proposals import State
from mwgbot.services.policy import Policy

MAX_STEP = timedelta(hours=1)

__all__ = ["MAX_STEP", "Stops", "digest_times", "meeting_times", "next_stop", "stored_instants"]


class Stops:
    """The instants at which `clock +<duration>` stops on its way from `start` to `end`."""

    def __init__(
        self, db: Database, policies: Sequence[Policy], start: datetime, end: datetime
    ) -> None:
        self.db = db
        self.policies = tuple(policies)
        self.end = end
        # The schedule does not change while the clock moves; proposals and the outbox may.
        scheduled: set[datetime] = set()
        for policy in self.policies:
            scheduled |= {*meeting_times(policy, start, end), *digest_times(policy, start, end)}
        self.scheduled = sorted(scheduled)

    def next(self, now: datetime) -> datetime:
        """Where to stop next after `now` (at most `MAX_STEP` later, never past the end)."""
        lead = max(policy.closing_soon_lead for policy in self.policies)
        return next_stop(now, self.end, [*self.scheduled, *stored_instants(self.db, lead)])


def next_stop(now: datetime, target: datetime, instants: Iterable[datetime]) -> datetime:
    """The earliest instant in `(now, target]`, at most `MAX_STEP` after now; else that."""
    stop = min(target, now + MAX_STEP)
    for instant in instants:
        if now < instant < stop:
            stop = instant
    return stop


def meeting_times(policy: Policy, start: datetime, end: datetime) -> Iterator[datetime]:
    """Meetings (skipped ones too) and their reminders that fall in `(start, end]`."""
    series = MeetingSeries(first=policy.meeting_first, every=policy.meeting_every)
    leads = [timedelta(0), *policy.meeting_reminders]
    latest = max(leads)
    meetings = series.occurrences(start, end + latest + timedelta(seconds=1), include_skipped=True)
    for meeting in meetings:
        for lead in leads:
            if start < meeting - lead <= end:
                yield meeting - lead


def digest_times(policy: Policy, start: datetime, end: datetime) -> Iterator[datetime]:
    """Firings of the digest crontab in `(start, end]`, read as the digest service reads it."""
    from mwgbot.services.digest import cron_trigger

    try:
        trigger = cron_trigger(policy.digest_cron)
    except ValueError:
        return
    after = start + timedelta(seconds=1)  # crontabs fire on whole minutes; `start` is done
    while True:
        fire: datetime | None = trigger.get_next_fire_time(None, after)
        if fire is None or fire > end:
            return
        yield fire.astimezone(UTC)
        after = fire + timedelta(seconds=1)


def stored_instants(db: Database, closing_soon_lead: timedelta) -> list[datetime]:
    """Closes and closing-soon notices of open proposals (of every group); pending outbox
    rows."""
    instants: list[datetime] = []
    with db.unit_of_work() as session:
        for closes_at in session.scalars(
            select(ProposalRow.closes_at).where(ProposalRow.state == State.OPEN.value)
        ):
            instants += [closes_at, closes_at - closing_soon_lead]
        instants += session.scalars(
            select(OutboxRow.available_at).where(OutboxRow.state == "pending")
        )
    return instants
