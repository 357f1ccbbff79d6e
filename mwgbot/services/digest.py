"""The channel digest: what changed since the last one, on MWG_DIGEST_CRON, exactly once.

Scheduling is database-driven like every other notice. Each sweep computes the latest fire
time of the crontab at or before now; the digest for it is an outbox row with the dedupe key
``digest:<fire time, ISO 8601>``, so two sweeps, a restart or a second instance can never post
it twice. Only that latest fire time is considered: after a long downtime one digest is
posted (covering everything since the previous one), never a backlog.

First-run rule: a digest is never posted for a fire time before the bot first ran on this
database. The first sweep on a database that holds no scheduled digest row records the latest
past fire time as a row in state ``skipped`` (never delivered) instead of posting it; that row
marks the bot's first start, and "new since the last digest" then counts from that moment.
Every later fire time is posted when it comes (or at the next start, if the bot was down).
``mwgbot digest --post`` posts with its own key (``digest-manual:…``) and does not count as a
scheduled digest, though later digests do count "since" it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import OutboxRow, ProposalRow, ProposalUpdateRow
from mwgbot.domain.cron import cron_trigger, latest_fire_time
from mwgbot.domain.proposals import FINAL_STATES, LISTED, Stage, State
from mwgbot.services import listings, members, outbox
from mwgbot.services.agenda_queries import notes_between
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.read_models import Digest, UpdateNote, Updates

__all__ = [
    "MANUAL_PREFIX",
    "SCHEDULED_PREFIX",
    "DigestService",
    "cron_trigger",
    "latest_fire_time",
    "scheduled_key",
]

SCHEDULED_PREFIX = "digest:"
MANUAL_PREFIX = "digest-manual:"


def scheduled_key(fire_time: datetime) -> str:
    return f"{SCHEDULED_PREFIX}{fire_time.astimezone(UTC).isoformat()}"


class DigestService:
    def __init__(self, session: Session, policy: Policy, renderer: Renderer, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.renderer = renderer
        self.now = now

    def last_digest_at(self) -> datetime | None:
        """When the previous digest was built (scheduled, manual, or the first-run mark)."""
        # Newest posts first, along (kind, created_at): digests are posts, and few posts
        # (reminders, meeting notices) stand between two digests.
        return self.session.scalar(
            select(OutboxRow.created_at)
            .where(
                OutboxRow.group_key == self.policy.key,
                OutboxRow.kind == outbox.KIND_POST,
                or_(
                    OutboxRow.dedupe_key.like(f"{SCHEDULED_PREFIX}%"),
                    OutboxRow.dedupe_key.like(f"{MANUAL_PREFIX}%"),
                ),
            )
            .order_by(OutboxRow.created_at.desc())
            .limit(1)
        )

    def build(self) -> Digest:
        # What happened is read over [since, now): see Digest. The outbox row of this digest
        # is created at `now`, so the next digest starts exactly where this one ends.
        since = self.last_digest_at()
        live = (State.OPEN.value, State.ADOPTED.value)
        covered = {
            stage
            for stages in self.session.scalars(
                select(ProposalRow.stages).where(
                    ProposalRow.group_key == self.policy.key, ProposalRow.state.in_(live)
                )
            )
            for stage in queries.parse_stages(stages)
        }
        key = self.policy.key
        new: list[Any] = [ProposalRow.group_key == key, ProposalRow.created_at < self.now]
        if since is not None:
            new.append(ProposalRow.created_at >= since)
        lists = listings.realize(
            self.session,
            {
                "new": listings.page(
                    self.session, new, [ProposalRow.created_at, ProposalRow.number]
                ),
                "open": listings.closing_soonest(self.session, key),
                "escalated": listings.escalated(self.session, key),
                "outcomes": listings.settled_since(
                    self.session, key, FINAL_STATES, since, before=self.now
                ),
                "seeking_partners": listings.seeking_partners(self.session, key),
                "delivered": listings.finished_since(
                    self.session, key, State.DELIVERED, since, self.now, before=self.now
                ),
                "dropped": listings.finished_since(
                    self.session, key, State.DROPPED, since, self.now, before=self.now
                ),
                "stalled": listings.stalled(self.session, key, self.now - self.policy.stale_after),
            },
        )
        return Digest(
            group_name=self.policy.name,
            as_of=self.now,
            since=since,
            uncovered_stages=tuple(s for s in Stage if s not in covered),
            new_members=tuple(members.joined_channel_since(self.session, key, since, self.now)),
            new=lists["new"],
            open=lists["open"],
            escalated=lists["escalated"],
            outcomes=lists["outcomes"],
            seeking_partners=lists["seeking_partners"],
            delivered=lists["delivered"],
            dropped=lists["dropped"],
            stalled=lists["stalled"],
            updates=self._updates(since),
            notes=notes_between(self.session, self.policy.key, since, self.now),
        )

    def _updates(self, since: datetime | None, limit: int = LISTED) -> Updates:
        """Progress updates posted in [since, now), oldest first: the first `limit` along
        (created_at), and a count."""
        where: list[Any] = [
            ProposalUpdateRow.group_key == self.policy.key,
            ProposalUpdateRow.created_at < self.now,
        ]
        if since is not None:
            where.append(ProposalUpdateRow.created_at >= since)
        rows = self.session.execute(
            select(ProposalUpdateRow, ProposalRow.title)
            .join(
                ProposalRow,
                (ProposalRow.group_key == ProposalUpdateRow.group_key)
                & (ProposalRow.number == ProposalUpdateRow.proposal_number),
            )
            .where(*where)
            .order_by(ProposalUpdateRow.created_at, ProposalUpdateRow.id)
            .limit(limit)
        ).all()
        total = len(rows)
        if total == limit:
            total = int(
                self.session.scalar(
                    select(func.count()).select_from(ProposalUpdateRow).where(*where)
                )
                or 0
            )
        notes = tuple(
            UpdateNote(row.proposal_number, title, row.author_id, row.text, row.created_at)
            for row, title in rows
        )
        return Updates(notes, total)

    # --- posting -----------------------------------------------------------------------------

    def enqueue_scheduled(self) -> datetime | None:
        """The sweep step: queue the digest of the latest fire time, once; its fire time."""
        fire = latest_fire_time(self.policy.digest_cron, self.now)
        if fire is None:
            return None
        key = scheduled_key(fire)
        if self.session.scalar(
            select(OutboxRow.id).where(
                OutboxRow.group_key == self.policy.key, OutboxRow.dedupe_key == key
            )
        ):
            return None
        if not self._any_scheduled():
            self._mark_first_run(key)
            return None
        return fire if self._enqueue(key) else None

    def enqueue_now(self) -> str:
        """`mwgbot digest --post`: queue a digest now; the dedupe key of its outbox row."""
        key = f"{MANUAL_PREFIX}{self.now.astimezone(UTC).isoformat()}"
        self._enqueue(key)
        return key

    def _enqueue(self, key: str) -> bool:
        return outbox.enqueue(
            self.session,
            kind=outbox.KIND_POST,
            now=self.now,
            group_key=self.policy.key,
            message=self.renderer.digest(self.build()),
            channel_id=self.policy.channel_id,
            dedupe_key=key,
        )

    def _any_scheduled(self) -> bool:
        found = self.session.scalar(
            select(OutboxRow.id)
            .where(
                OutboxRow.group_key == self.policy.key,
                OutboxRow.kind == outbox.KIND_POST,
                OutboxRow.dedupe_key.like(f"{SCHEDULED_PREFIX}%"),
            )
            .limit(1)
        )
        return found is not None

    def _mark_first_run(self, key: str) -> None:
        """Record the fire time before the first run as handled, without posting anything."""
        queries.insert_ignoring_duplicates(
            self.session,
            OutboxRow,
            {
                "kind": outbox.KIND_POST,
                "group_key": self.policy.key,
                "dedupe_key": key,
                "proposal_number": None,
                "channel_id": self.policy.channel_id,
                "user_id": None,
                "payload": {"note": "first run: no digest for a time before the bot started"},
                "state": outbox.STATE_SKIPPED,
                "attempts": 0,
                "uncertain": False,
                "available_at": self.now,
                "created_at": self.now,
            },
        )
