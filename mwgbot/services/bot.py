"""The services one running bot shares: database, groups, clock, renderer, delivery.

Each request and each job step acts in one working group: `acting_in(policy)` sets it for
the block (a request's context, copied to the reaction committer's thread like the acting
member), and every service handed out meanwhile gets that group's `Policy`. Outside any
block, the services act in the first group (`base_policy`), which a single-group workspace
never leaves."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from mwgbot.db.session import Database
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import Clock
from mwgbot.services.agenda import AgendaService
from mwgbot.services.batching import GroupCommitter
from mwgbot.services.delivery import Delivery
from mwgbot.services.digest import DigestService
from mwgbot.services.escalations import EscalationService
from mwgbot.services.home import HomeService
from mwgbot.services.initiatives import InitiativeService
from mwgbot.services.meetings import MeetingService
from mwgbot.services.policy import Groups, Policy
from mwgbot.services.ports import Renderer
from mwgbot.services.proposals import ProposalService
from mwgbot.services.reactions import ReactionService
from mwgbot.services.time_log import TimeLogService
from mwgbot.services.welcome import WelcomeService

T = TypeVar("T")

_acting_group: contextvars.ContextVar[Policy | None] = contextvars.ContextVar(
    "mwgbot_acting_group", default=None
)


def _nothing() -> None:
    return None


@dataclass
class BotServices:
    db: Database
    base_policy: Policy
    clock: Clock
    renderer: Renderer
    delivery: Delivery
    # Every group served (None: just `base_policy`'s).
    groups: Groups | None = None
    # Wakes the delivery after a unit of work queued messages (set by the scheduler).
    wake: Callable[[], None] = field(default=_nothing)
    # Reactions arriving together are committed together (set by the runtime).
    group_commit: GroupCommitter | None = None

    @property
    def policy(self) -> Policy:
        """The policy of the group being acted in now."""
        return _acting_group.get() or self.base_policy

    @property
    def all_groups(self) -> Groups:
        return self.groups if self.groups is not None else Groups((self.base_policy,))

    @contextmanager
    def acting_in(self, policy: Policy | None) -> Iterator[None]:
        """Services handed out inside this block act in `policy`'s group (None: unchanged)."""
        if policy is None:
            yield
            return
        token = _acting_group.set(policy)
        try:
            yield
        finally:
            _acting_group.reset(token)

    def commit_together(self, work: Callable[[Session], T]) -> T:
        """Apply `work` in a unit of work shared with others arriving at the same time."""
        if self.group_commit is None:
            with self.db.unit_of_work() as session:
                return work(session)
        # The work runs on the committer's thread: in this request's context (who acts).
        context = contextvars.copy_context()
        return self.group_commit.run(lambda session: context.run(work, session))

    def proposals(self, session: Session, *, via: Via) -> ProposalService:
        return ProposalService(session, self.policy, self.renderer, self.clock.now(), via)

    def reactions(self, session: Session, *, via: Via) -> ReactionService:
        return ReactionService(session, self.policy, self.renderer, self.clock.now(), via)

    def meetings(
        self, session: Session, *, via: Via, now: datetime | None = None
    ) -> MeetingService:
        return MeetingService(session, self.policy, self.renderer, now or self.clock.now(), via)

    def agenda(self, session: Session, *, via: Via, now: datetime | None = None) -> AgendaService:
        return AgendaService(session, self.policy, self.renderer, now or self.clock.now(), via)

    def digests(self, session: Session, now: datetime | None = None) -> DigestService:
        return DigestService(session, self.policy, self.renderer, now or self.clock.now())

    def welcomes(self, session: Session) -> WelcomeService:
        return WelcomeService(session, self.policy, self.renderer, self.clock.now())

    def time_log(self, session: Session, *, via: Via) -> TimeLogService:
        return TimeLogService(session, self.policy, self.clock.now(), via)

    def home(self, session: Session) -> HomeService:
        return HomeService(session, self.policy, self.clock.now())

    def escalations(self, session: Session, now: datetime | None = None) -> EscalationService:
        return EscalationService(session, self.policy, self.renderer, now or self.clock.now())

    def initiatives(
        self, session: Session, *, via: Via, now: datetime | None = None
    ) -> InitiativeService:
        return InitiativeService(session, self.policy, self.renderer, now or self.clock.now(), via)
