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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from mwgbot.db import queries
from mwgbot.db.models import OutboxRow, ProposalRow
from mwgbot.domain.cron import cron_trigger, latest_fire_time
from mwgbot.domain.proposals import FINAL_STATES, ProposalSnapshot, Stage, State, outcome_time
from mwgbot.services import initiatives, members, outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.read_models import Digest

# Each initiative section of a digest lists at most this many, and counts the rest.
INITIATIVES_LISTED = 25

__all__ = [
    "MANUAL_PREFIX",
    "SCHEDULED_PREFIX",
    "STATE_SKIPPED",
    "DigestService",
    "cron_trigger",
    "latest_fire_time",
    "scheduled_key",
]

SCHEDULED_PREFIX = "digest:"
MANUAL_PREFIX = "digest-manual:"
STATE_SKIPPED = "skipped"


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
        return self.session.scalar(
            select(OutboxRow.created_at)
            .where(
                or_(
                    OutboxRow.dedupe_key.like(f"{SCHEDULED_PREFIX}%"),
                    OutboxRow.dedupe_key.like(f"{MANUAL_PREFIX}%"),
                )
            )
            .order_by(OutboxRow.created_at.desc())
            .limit(1)
        )

    def build(self) -> Digest:
        since = self.last_digest_at()
        live = queries.load_snapshots(
            self.session, states=[State.OPEN, State.ESCALATED, State.ADOPTED]
        )
        open_ones = tuple(
            sorted(
                (p for p in live if p.state is State.OPEN), key=lambda p: (p.closes_at, p.number)
            )
        )
        covered = {
            stage for p in live if p.state in (State.OPEN, State.ADOPTED) for stage in p.stages
        }
        return Digest(
            as_of=self.now,
            since=since,
            new=tuple(queries.load_snapshots(self.session, since=since)),
            open=open_ones,
            escalated=tuple(p for p in live if p.state is State.ESCALATED),
            outcomes=tuple(self._settled_since(since)),
            seeking_partners=tuple(p for p in live if p.seeking_partners),
            uncovered_stages=tuple(s for s in Stage if s not in covered),
            new_members=tuple(members.joined_channel_since(self.session, since)),
            delivered=initiatives.finished_since(
                self.session, State.DELIVERED, since, self.now, INITIATIVES_LISTED
            ),
            dropped=initiatives.finished_since(
                self.session, State.DROPPED, since, self.now, INITIATIVES_LISTED
            ),
            stalled=initiatives.stalled(self.session, self.now, self.policy, INITIATIVES_LISTED),
        )

    def _settled_since(self, since: datetime | None) -> list[ProposalSnapshot]:
        """Adopted, declined or withdrawn after ``since``, in the order they were settled."""
        statement = (
            select(ProposalRow)
            .where(ProposalRow.state.in_([s.value for s in FINAL_STATES]))
            .options(selectinload(ProposalRow.signups), selectinload(ProposalRow.objections))
        )
        if since is not None:
            statement = statement.where(
                or_(ProposalRow.closed_at > since, ProposalRow.decided_at > since)
            )
        rows = self.session.scalars(statement).all()
        settled = []
        for row in rows:
            proposal = queries.snapshot(self.session, row)
            at = outcome_time(proposal)
            if at is not None and (since is None or at > since):
                settled.append((at, proposal.number, proposal))
        return [p for _at, _n, p in sorted(settled, key=lambda t: (t[0], t[1]))]

    # --- posting -----------------------------------------------------------------------------

    def enqueue_scheduled(self) -> datetime | None:
        """The sweep step: queue the digest of the latest fire time, once; its fire time."""
        fire = latest_fire_time(self.policy.digest_cron, self.now)
        if fire is None:
            return None
        key = scheduled_key(fire)
        if self.session.scalar(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)):
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
            message=self.renderer.digest(self.build()),
            channel_id=self.policy.channel_id,
            dedupe_key=key,
        )

    def _any_scheduled(self) -> bool:
        found = self.session.scalar(
            select(OutboxRow.id).where(OutboxRow.dedupe_key.like(f"{SCHEDULED_PREFIX}%")).limit(1)
        )
        return found is not None

    def _mark_first_run(self, key: str) -> None:
        """Record the fire time before the first run as handled, without posting anything."""
        queries.insert_ignoring_duplicates(
            self.session,
            OutboxRow,
            {
                "kind": outbox.KIND_POST,
                "dedupe_key": key,
                "proposal_number": None,
                "channel_id": self.policy.channel_id,
                "user_id": None,
                "payload": {"note": "first run: no digest for a time before the bot started"},
                "state": STATE_SKIPPED,
                "attempts": 0,
                "uncertain": False,
                "available_at": self.now,
                "created_at": self.now,
            },
        )
