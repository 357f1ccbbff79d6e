"""Use cases of initiatives after adoption: progress updates, delivered and dropped, nudges of
quiet initiatives, and the bounded reads behind `/mwg list`, `/mwg show`, agendas and digests.
Services flush; the caller's unit of work commits.

A nudge is a notice, not a change: it writes no ledger row. It is an outbox row whose dedupe
key names the initiative, its last activity and the quiet period (`rules.nudge_key`), so each
period is nudged once whichever sweep, restart or instance gets there first, and a sweep after
a long downtime queues one nudge for the current period, never a backlog.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import OutboxRow, ProposalRow, ProposalUpdateRow
from mwgbot.domain import initiatives as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.proposals import ProgressUpdate, ProposalSnapshot, State
from mwgbot.services import outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.use_case import UseCase

__all__ = ["SHOWN_UPDATES", "InitiativeService"]

# `/mwg show` lists this many updates at most, newest last, and counts the rest.
SHOWN_UPDATES = 10


class InitiativeService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, renderer: Renderer, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.renderer = renderer

    # --- owners report and close -------------------------------------------------------------

    def update(self, number: int, actor_id: str, text: str) -> ProposalSnapshot:
        """A progress note: kept, shown on the card, posted in the card's thread."""
        row = self._locked_proposal(number)
        rules.check_update(
            number,
            State(row.state),
            actor_id,
            row.proposer_id,
            self._joined_as(number, actor_id),
            self.policy.moderators,
            objects=actor_id
            in queries.objector_ids(self.session, self.policy.key, [number])[number],
        )
        note = ProposalUpdateRow(
            group_key=self.group_key,
            proposal_number=number,
            author_id=actor_id,
            text=text,
            created_at=self.now,
        )
        self.session.add(note)
        row.last_activity_at = self.now
        row.card_revision += 1
        self.session.flush()
        self._record(ActivityKind.UPDATED, number, actor_id, update_id=note.id, text=text)
        self._cancel_pending_nudges(number)
        update = ProgressUpdate(actor_id, text, self.now)
        proposal = queries.snapshot(self.session, row, update)
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            group_key=self.group_key,
            message=self.renderer.update_posted(proposal, update),
            channel_id=self.policy.channel_id,
            proposal_number=number,
            dedupe_key=f"update:{note.id}",
        )
        return proposal

    def deliver(
        self, number: int, actor_id: str, link: str | None, note: str | None
    ) -> ProposalSnapshot:
        """The initiative is done: the link to the result and a note, announced in the channel."""
        return self._finish(number, actor_id, State.DELIVERED, link=link, note=note)

    def drop(self, number: int, actor_id: str, reason: str) -> ProposalSnapshot:
        """The initiative is no longer pursued, for a reason, announced in the channel."""
        return self._finish(number, actor_id, State.DROPPED, link=None, note=reason)

    def _finish(
        self, number: int, actor_id: str, outcome: State, *, link: str | None, note: str | None
    ) -> ProposalSnapshot:
        row = self._locked_proposal(number)
        new_state = rules.finish(
            number,
            State(row.state),
            outcome,
            actor_id,
            row.proposer_id,
            self._joined_as(number, actor_id),
            self.policy.moderators,
        )
        if link is not None:
            link = rules.validate_link(link)
        row.state = new_state.value
        row.finished_at = self.now
        row.finished_by = actor_id
        row.delivery_link = link
        row.finish_note = note or None
        row.card_revision += 1
        self.session.flush()
        if new_state is State.DELIVERED:
            self._record(ActivityKind.DELIVERED, number, actor_id, link=link, note=note or None)
        else:
            self._record(ActivityKind.DROPPED, number, actor_id, reason=note)
        self._cancel_pending_nudges(number)
        proposal = queries.snapshot(self.session, row)
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            group_key=self.group_key,
            message=self.renderer.initiative_finished(proposal),
            channel_id=self.policy.channel_id,
            proposal_number=number,
            broadcast=True,
            dedupe_key=f"{new_state.value}:{number}",
        )
        return proposal

    # --- reading -----------------------------------------------------------------------------

    def updates(
        self, number: int, limit: int = SHOWN_UPDATES
    ) -> tuple[tuple[ProgressUpdate, ...], int]:
        """The newest `limit` updates of a proposal, oldest first, and how many are older."""
        rows = self.session.scalars(
            select(ProposalUpdateRow)
            .where(
                ProposalUpdateRow.group_key == self.group_key,
                ProposalUpdateRow.proposal_number == number,
            )
            .order_by(ProposalUpdateRow.id.desc())
            .limit(limit)
        ).all()
        total = self.session.scalar(
            select(func.count())
            .select_from(ProposalUpdateRow)
            .where(
                ProposalUpdateRow.group_key == self.group_key,
                ProposalUpdateRow.proposal_number == number,
            )
        )
        shown = tuple(ProgressUpdate(r.author_id, r.text, r.created_at) for r in reversed(rows))
        return shown, max(0, int(total or 0) - len(shown))

    # --- nudging quiet initiatives -----------------------------------------------------------

    def nudge_stalled(self) -> list[int]:
        """Queue one nudge per quiet period for every active initiative that is due one."""
        stale_after = self.policy.stale_after
        quiet = self.session.execute(
            select(ProposalRow.number, ProposalRow.last_activity_at).where(
                ProposalRow.group_key == self.group_key,
                ProposalRow.state == State.ADOPTED.value,
                ProposalRow.last_activity_at <= self.now - stale_after,
            )
        ).all()
        due: dict[str, tuple[int, datetime, int]] = {}
        for number, last_activity in quiet:
            if last_activity is None:
                continue  # not reachable: the query compares it
            period = rules.quiet_period(last_activity, stale_after, self.now)
            if period is not None:
                key = rules.nudge_key(number, last_activity, period)
                due[key] = (number, last_activity, period)
        for key in outbox.queued_keys(self.session, self.group_key, list(due)):
            del due[key]
        nudged = []
        for key, (number, last_activity, period) in sorted(due.items(), key=lambda i: i[1][0]):
            # Locked, and read again: an update or a join committed meanwhile moved the last
            # activity on, so this one is no longer due.
            row = queries.lock_proposal(self.session, self.group_key, number)
            if row is None or row.state != State.ADOPTED.value:
                continue
            if row.last_activity_at != last_activity:
                continue
            proposal = queries.snapshot(self.session, row)
            if outbox.enqueue(
                self.session,
                kind=outbox.KIND_THREAD,
                now=self.now,
                group_key=self.group_key,
                message=self.renderer.stale_nudge(proposal, stale_after * period),
                channel_id=self.policy.channel_id,
                proposal_number=number,
                dedupe_key=key,
            ):
                nudged.append(number)
        return nudged

    def _cancel_pending_nudges(self, number: int) -> None:
        """An update or the end makes a nudge not yet sent moot; its key never comes back
        (the last activity moved on), so removing it cannot cause a repeat."""
        self.session.execute(
            delete(OutboxRow).where(
                OutboxRow.group_key == self.group_key,
                OutboxRow.proposal_number == number,
                OutboxRow.state == "pending",
                OutboxRow.dedupe_key.like(f"{rules.NUDGE_PREFIX}{number}:%"),
            )
        )

    # --- helpers -----------------------------------------------------------------------------

    def _joined_as(self, number: int, actor_id: str) -> frozenset[str]:
        """The joiners the ownership rule needs to see: the actor, if they joined (one
        indexed lookup, not every sign-up of the initiative)."""
        return (
            frozenset({actor_id})
            if queries.has_joined(self.session, self.group_key, number, actor_id)
            else frozenset()
        )
