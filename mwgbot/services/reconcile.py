"""Reading the cards' reactions back from Slack, so that nothing is lost while the bot is down.

Slack retries an event three times within about five minutes; a reaction added or removed
while the bot was down for longer is never delivered. So at start, and then once every
MWG_RECONCILE_INTERVAL, each card of an open, escalated or active proposal is read back with
`reactions.get` and the stored joins and objections are made to match it, by the same rules
as events (`ReactionService.reconcile`): the bot's own reactions are ignored, the emojis come
from the settings, an objection found this way asks for a reason, the ledger says
`reconcile`.

`reactions.get` is Tier 3 (about 50 calls a minute per workspace), so the reads are spread:
a card is due once its last reading is older than the interval (or older than this process:
a start reads everything again), and a token bucket paces the calls; a 429 pauses them for
its Retry-After. Each card is claimed with a conditional UPDATE of `reactions_checked_at`,
so two instances never read, and so never apply, the same card at once.

A window that ended while no bot ran must not close on what was stored before: an objection
made meanwhile would be missed, and the proposal adopted against it. So the cards of the
proposals open at start are read first (soonest to close first), and the sweep holds their
closes until they are read back, or until START_READ_DEADLINE if Slack cannot be read.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update

from mwgbot.db.models import ProposalRow
from mwgbot.db.session import Database
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import Clock
from mwgbot.domain.proposals import JOINABLE_STATES, State
from mwgbot.services.pacing import RateBudget
from mwgbot.services.participation import lock_card
from mwgbot.services.policy import Policy
from mwgbot.services.ports import DeliveryError, ReactionReader, Renderer
from mwgbot.services.reactions import ReactionService
from mwgbot.services.slack_status import CHANNEL_REFUSALS, TOKEN_REFUSALS, SlackStatus

log = logging.getLogger(__name__)

# Tier 3 allows "50+" calls a minute; stay just under, with a small burst at start.
READS_PER_MINUTE = 45
BURST = 10
# How long closes wait for the cards open at start to be read back when Slack cannot be read.
START_READ_DEADLINE = timedelta(minutes=2)


@dataclass
class ReconcileReport:
    cards: int = 0
    applied: int = 0
    failed: int = 0
    queued: bool = False


class Reconciler:
    def __init__(
        self,
        db: Database,
        reader: ReactionReader,
        renderer: Renderer,
        policy: Policy,
        clock: Clock,
        wall_clock: Clock,
        bot_user_id: str | None,
        budget: RateBudget | None = None,
        status: SlackStatus | None = None,
    ) -> None:
        self.db = db
        self.reader = reader
        self.renderer = renderer
        self.policy = policy
        self.clock = clock  # the domain's time: ledger rows, join times
        self.wall_clock = wall_clock  # Slack's time: pacing, and when a card was read
        self.bot_user_id = bot_user_id
        self.budget = budget or RateBudget(READS_PER_MINUTE / 60, BURST)
        # While Slack refuses the token, no reading but a probe now and then.
        self.status = status or SlackStatus()
        self.started_at = wall_clock.now()
        self._lock = threading.Lock()
        self._unread_at_start: set[int] = set()

    def begin(self) -> None:
        """Note the cards open at start: reactions on them may have been missed while down."""
        with self.db.unit_of_work() as session:
            open_cards = session.scalars(
                select(ProposalRow.number).where(
                    ProposalRow.group_key == self.policy.key,
                    ProposalRow.state == State.OPEN.value,
                    ProposalRow.message_ts.is_not(None),
                )
            )
            with self._lock:
                self._unread_at_start = set(open_cards)

    def waiting_at_start(self) -> bool:
        """Whether cards open at start are still to be read back (no database query)."""
        with self._lock:
            return bool(self._unread_at_start)

    def unread_since_start(self) -> frozenset[int]:
        """The proposals open at start whose cards this process has not read back yet: their
        windows wait. Empty once they are read or no longer open, or after START_READ_DEADLINE.

        Only this process's own readings count: another instance's claim is taken before its
        reading is applied, and the instance that reads a card is the one that closes it."""
        with self._lock:
            waiting = set(self._unread_at_start)
        if not waiting:
            return frozenset()
        if self.wall_clock.now() - self.started_at > START_READ_DEADLINE:
            log.warning(
                "closing without reading back the cards of %s: Slack's reactions could not be read",
                ", ".join(f"#{n}" for n in sorted(waiting)),
            )
            with self._lock:
                self._unread_at_start.clear()
            return frozenset()
        with self.db.unit_of_work() as session:
            still_open = set(
                session.scalars(
                    select(ProposalRow.number).where(
                        ProposalRow.group_key == self.policy.key,
                        ProposalRow.number.in_(waiting),
                        ProposalRow.state == State.OPEN.value,
                    )
                )
            )
        with self._lock:
            self._unread_at_start -= waiting - still_open
            return frozenset(self._unread_at_start)

    def run_once(self) -> ReconcileReport:
        """Read and reconcile the cards that are due, as many as the budget allows now."""
        report = ReconcileReport()
        allowed = self.budget.available()
        if allowed <= 0 or not self.status.may_call():
            return report
        for number, channel, ts, checked in self._due(allowed):
            read_at = self._claim(number, checked)
            if read_at is None:
                continue  # another instance has it
            self.budget.spend()
            try:
                reactions = self.reader.reactions(channel, ts)
            except DeliveryError as error:
                report.failed += 1
                if error.code in TOKEN_REFUSALS:
                    self._release(number, read_at, checked)  # logged once, by the status
                    break
                if error.code in CHANNEL_REFUSALS:
                    # The bot is out of the card's channel: the delivery says so once; the
                    # card is read again after the interval, and its close waits no longer.
                    self.status.channel_refused(
                        channel, error.code, f"read the reactions on the card of #{number}"
                    )
                    with self._lock:
                        self._unread_at_start.discard(number)
                    continue
                if not error.retryable:
                    # The card is gone or cannot be read (message_not_found, ...): trying
                    # again at every tick would only spend the budget of the others. It is
                    # read again after the interval, and its close waits no longer.
                    log.warning("the card of #%s cannot be read back: %s", number, error)
                    with self._lock:
                        self._unread_at_start.discard(number)
                    continue
                self._release(number, read_at, checked)
                if error.retry_after is not None:
                    self.budget.pause(error.retry_after)
                    log.warning("reactions.get is rate limited; pausing %ss", error.retry_after)
                    break
                log.warning("reading the reactions of #%s failed: %s", number, error)
                continue
            report.cards += 1
            with self.db.unit_of_work() as session:
                service = ReactionService(
                    session, self.policy, self.renderer, self.clock.now(), Via.RECONCILE
                )
                report.applied += service.reconcile(
                    lock_card(session, self.policy.key, number),
                    channel,
                    reactions,
                    _microseconds(read_at),
                    self.bot_user_id,
                )
                report.queued |= service.queued
            with self._lock:
                self._unread_at_start.discard(number)
        return report

    def _due(self, limit: int) -> list[tuple[int, str, str, datetime | None]]:
        # Due: not read since this process started (a start reads everything again), or not
        # within the interval.
        stale_before = max(self.started_at, self.wall_clock.now() - self.policy.reconcile_interval)
        with self.db.unit_of_work() as session:
            rows = session.execute(
                select(
                    ProposalRow.number,
                    ProposalRow.channel_id,
                    ProposalRow.message_ts,
                    ProposalRow.reactions_checked_at,
                )
                .where(
                    ProposalRow.group_key == self.policy.key,
                    ProposalRow.state.in_([s.value for s in JOINABLE_STATES]),
                    ProposalRow.message_ts.is_not(None),
                    or_(
                        ProposalRow.reactions_checked_at.is_(None),
                        ProposalRow.reactions_checked_at < stale_before,
                    ),
                )
                .order_by(
                    # Open windows first, soonest to close first: a missed objection there
                    # decides an outcome; on escalated and active cards it is a join or a note.
                    case((ProposalRow.state == State.OPEN.value, 0), else_=1),
                    ProposalRow.closes_at,
                    ProposalRow.reactions_checked_at.is_not(None),
                    ProposalRow.reactions_checked_at,
                )
                .limit(limit)
            ).all()
        return [(n, c or self.policy.channel_id, ts, checked) for n, c, ts, checked in rows if ts]

    def _claim(self, number: int, checked: datetime | None) -> datetime | None:
        """Take the card for a reading now, unless someone read it since we looked; the
        reading's time when taken."""
        now = self.wall_clock.now()
        with self.db.unit_of_work() as session:
            claimed = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == self.policy.key,
                    ProposalRow.number == number,
                    ProposalRow.reactions_checked_at.is_(None)
                    if checked is None
                    else ProposalRow.reactions_checked_at == checked,
                )
                .values(reactions_checked_at=now)
                .execution_options(synchronize_session=False)
            )
            return now if getattr(claimed, "rowcount", 0) else None

    def _release(self, number: int, claimed_at: datetime, checked: datetime | None) -> None:
        """The reading failed: leave the card due, unless someone read it meanwhile."""
        with self.db.unit_of_work() as session:
            session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == self.policy.key,
                    ProposalRow.number == number,
                    ProposalRow.reactions_checked_at == claimed_at,
                )
                .values(reactions_checked_at=checked)
                .execution_options(synchronize_session=False)
            )


def _microseconds(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)
