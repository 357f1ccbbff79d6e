"""What every use case shares: one unit of work's session, the group's policy, the instant it
acts at, and the way its changes came in, which the ledger records with each of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import ProposalRow
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.errors import no_such_proposal
from mwgbot.services import ledger
from mwgbot.services.policy import Policy

# Ledger rows about the member alone, in no group.
MEMBER_KINDS = frozenset({ActivityKind.ORGANIZATION_SET, ActivityKind.FORGOTTEN})


class UseCase:
    def __init__(self, session: Session, policy: Policy, now: datetime, via: Via) -> None:
        self.session = session
        self.policy = policy
        self.now = now
        self.via = via  # how the changes this use case makes came in, for the ledger

    def _record(
        self, kind: ActivityKind, number: int | None, actor_id: str | None, **details: Any
    ) -> None:
        ledger.record(
            self.session,
            kind=kind,
            at=self.now,
            via=self.via,
            actor_id=actor_id,
            group_key=None if kind in MEMBER_KINDS else self.policy.key,
            proposal_number=number,
            details=details,
            page_key=self.page_key,
        )

    @property
    def page_key(self) -> str | None:
        """The group whose page (its channel canvas) a change here makes stale, if it has one."""
        return self.policy.key if self.policy.canvas else None

    @property
    def group_key(self) -> str:
        """The group this use case acts in: the one of its policy."""
        return self.policy.key

    def _locked_proposal(self, number: int) -> ProposalRow:
        """The proposal to change, as committed now; locked until commit on PostgreSQL."""
        row = queries.lock_proposal(self.session, self.policy.key, number)
        if row is None:
            raise no_such_proposal(number)
        return row
