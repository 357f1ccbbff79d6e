"""The services one running bot shares: database, policy, clock, renderer, delivery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from mwgbot.db.session import Database
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import Clock
from mwgbot.services.delivery import Delivery
from mwgbot.services.digest import DigestService
from mwgbot.services.initiatives import InitiativeService
from mwgbot.services.meetings import MeetingService
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.proposals import ProposalService


def _nothing() -> None:
    return None


@dataclass
class BotServices:
    db: Database
    policy: Policy
    clock: Clock
    renderer: Renderer
    delivery: Delivery
    # Wakes the delivery after a unit of work queued messages (set by the scheduler).
    wake: Callable[[], None] = field(default=_nothing)

    def proposals(self, session: Session, *, via: Via) -> ProposalService:
        return ProposalService(session, self.policy, self.renderer, self.clock.now(), via)

    def meetings(
        self, session: Session, *, via: Via, now: datetime | None = None
    ) -> MeetingService:
        return MeetingService(session, self.policy, self.renderer, now or self.clock.now(), via)

    def digests(self, session: Session, now: datetime | None = None) -> DigestService:
        return DigestService(session, self.policy, self.renderer, now or self.clock.now())

    def initiatives(
        self, session: Session, *, via: Via, now: datetime | None = None
    ) -> InitiativeService:
        return InitiativeService(session, self.policy, self.renderer, now or self.clock.now(), via)
