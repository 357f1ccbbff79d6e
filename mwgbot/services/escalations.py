"""Escalated proposals and their deciders: the direct message each decider gets when a proposal
is escalated to them, and a reminder after each MWG_ESCALATION_REMINDER it waits. Services
flush; the caller's unit of work commits.

A notice is not a change: it writes no ledger row. It is an outbox row (kind `dm`) whose dedupe
key names the proposal, the decider and the period (`escalation.notice_key`), so each period is
told once to each decider, whichever sweep, restart or instance gets there first; a sweep after
a long downtime queues the current period's notice, never a backlog. A decider named later (a
moderator added to MWG_MODERATORS) is told at the next sweep. Once the proposal is settled
(decided, adopted by consensus, withdrawn), the notices still waiting to be sent are skipped.
What waits for one member's decision is read by their Home tab (`services.home`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import OutboxRow, ProposalRow
from mwgbot.domain import escalation as rules
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.services import outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer

__all__ = ["EscalationService", "notices_moot"]


class EscalationService:
    def __init__(self, session: Session, policy: Policy, renderer: Renderer, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.renderer = renderer
        self.now = now

    def notify(self, proposal: ProposalSnapshot) -> list[str]:
        """Queue this period's notice to every decider of an escalated proposal who has not
        had it; the deciders told."""
        if proposal.state is not State.ESCALATED or proposal.closed_at is None:
            return []
        period = rules.waiting_period(proposal.closed_at, self.policy.escalation_reminder, self.now)
        objectors = queries.objector_ids(self.session, self.policy.key, [proposal.number])[
            proposal.number
        ]
        deciders = self.policy.roles.deciders(proposal.proposer_id, objectors)
        waited = self.policy.escalation_reminder * period
        told = []
        for decider in deciders.user_ids:
            if outbox.enqueue(
                self.session,
                kind=outbox.KIND_DM,
                now=self.now,
                message=self.renderer.escalation_notice(proposal, deciders, waited),
                user_id=decider,
                group_key=proposal.group_key,
                proposal_number=proposal.number,
                dedupe_key=rules.notice_key(proposal.number, decider, period),
            ):
                told.append(decider)
        return told

    def remind_due(self) -> list[int]:
        """The sweep's step: every escalation whose deciders are due a notice of the current
        period gets it queued; the proposals reminded of."""
        every = self.policy.escalation_reminder
        waiting = self.session.execute(
            select(ProposalRow.number, ProposalRow.proposer_id, ProposalRow.closed_at).where(
                ProposalRow.group_key == self.policy.key,
                ProposalRow.state == State.ESCALATED.value,
            )
        ).all()
        due: dict[str, int] = {}
        objectors = queries.objector_ids(
            self.session, self.policy.key, [number for number, _, _ in waiting]
        )
        for number, proposer_id, closed_at in waiting:
            if closed_at is None:
                continue
            period = rules.waiting_period(closed_at, every, self.now)
            for decider in self.policy.roles.deciders(proposer_id, objectors[number]).user_ids:
                due[rules.notice_key(number, decider, period)] = number
        for key in outbox.queued_keys(self.session, self.policy.key, list(due)):
            del due[key]
        reminded = []
        for number in sorted(set(due.values())):
            # Locked and read again: a decision committed meanwhile settled it.
            row = queries.lock_proposal(self.session, self.policy.key, number)
            if row is None or row.state != State.ESCALATED.value:
                continue
            if self.notify(queries.snapshot(self.session, row)):
                reminded.append(number)
        return reminded


def notices_moot(session: Session, group_key: str, number: int) -> None:
    """The proposal is settled: its notices not sent yet are never sent. They stay, skipped,
    so their keys still count (an escalation is never escalated again anyway)."""
    session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.group_key == group_key,
            OutboxRow.proposal_number == number,
            OutboxRow.kind == outbox.KIND_DM,
            OutboxRow.state == "pending",
            OutboxRow.dedupe_key.like(rules.notice_keys_of(number)),
        )
        .values(state=outbox.STATE_SKIPPED, last_error="settled")
        .execution_options(synchronize_session=False)
    )
