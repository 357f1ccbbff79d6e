"""Reading the cards' reactions back from Slack, so that nothing is lost while the bot is down.

Slack retries an event three times within about five minutes; a reaction added or removed
while the bot was down for longer is never delivered. So at start, and then once every
MWG_RECONCILE_INTERVAL, each card of an open, escalated or active proposal is read back and
the stored joins and objections are made to match it, by the same rules as events
(`ReactionService.reconcile`): the bot's own reactions are ignored, the emojis come from the
rules of the card's group (the group whose channel it is in), an objection found this way asks
for a reason, the ledger says `reconcile`.

With many groups, hundreds of cards are live; one `reactions.get` each would take minutes. So
the cards due are read per channel, from its history: `conversations.history` from the
channel's newest card due back to its oldest (both included), 200 messages a page with their
reactions and metadata, at most HISTORY_PAGES pages a run. A message is matched to its
proposal by its metadata (`mwg_proposal`: group and number; a message saying it is a card of
another group, or a copy of a card at another ts, counts for none), or by its ts for a card
posted before cards carried metadata. `reactions.get` (with `full`) reads only a card whose
reaction `count` exceeds the users the history lists (Slack cuts long lists short), a card the
history did not show (older than the pages read, or gone), a channel's only card due (one call
either way), or every card of a channel whose history cannot be read (a missing scope).

Both methods are Tier 3 (about 50 calls a minute per workspace), so the reads are spread: a
card is due once its last reading is older than the interval (or older than this process: a
start reads everything again), and one token bucket paces every call; a 429 pauses them for
its Retry-After. Each card is claimed with a conditional UPDATE of `reactions_checked_at`
(before its reactions.get, or after its history page was read and before it is applied), so
two instances never apply the same card at once. A channel that refuses the bot
(not_in_channel, ...) is said once, by the status, and its cards wait for the interval.

A window that ended while no bot ran must not close on what was stored before: an objection
made meanwhile would be missed, and the proposal adopted against it. So the cards of the
proposals open at start are read first (the channels of the soonest to close first), and the
sweep holds their closes until they are read back, or until START_READ_DEADLINE if Slack
cannot be read.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, tuple_, update

from mwgbot.db.models import ProposalRow
from mwgbot.db.session import Database
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import Clock
from mwgbot.domain.proposals import JOINABLE_STATES, State
from mwgbot.services.pacing import RateBudget
from mwgbot.services.participation import lock_card
from mwgbot.services.policy import Groups, Policy
from mwgbot.services.ports import DeliveryError, ReactionReader, Renderer, SeenMessage
from mwgbot.services.reactions import ReactionService
from mwgbot.services.slack_status import CHANNEL_REFUSALS, TOKEN_REFUSALS, SlackStatus

log = logging.getLogger(__name__)

# Tier 3 allows "50+" calls a minute; stay just under, with a small burst at start.
READS_PER_MINUTE = 45
BURST = 10
# How long closes wait for the cards open at start to be read back when Slack cannot be read.
START_READ_DEADLINE = timedelta(minutes=2)
# conversations.history: messages a page (Slack's most is 999, it advises 200 or fewer), and
# how many pages one run reads of a channel at most before its older cards are read one by
# one with reactions.get.
HISTORY_LIMIT = 200
HISTORY_PAGES = 5
# A channel is read by its history when it has at least this many cards due.
HISTORY_FROM = 2
# At most this many due cards are looked at in one run.
MAX_DUE = 5000


@dataclass
class ReconcileReport:
    cards: int = 0  # cards read back and applied
    applied: int = 0  # reactions applied
    failed: int = 0  # calls that failed
    queued: bool = False
    history_pages: int = 0  # conversations.history pages read
    full_reads: int = 0  # cards read with reactions.get


@dataclass(frozen=True)
class _Due:
    """A card due to be read back: its proposal, where it is, when it was last read."""

    group: str
    number: int
    channel: str
    ts: str
    checked: datetime | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.group, self.number)


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
        *,
        groups: Groups | None = None,
        history_limit: int = HISTORY_LIMIT,
        history_pages: int = HISTORY_PAGES,
    ) -> None:
        """`groups`: whose channel a card is in decides the group whose rules (emojis) apply
        and whose key its metadata must carry; without it, every card is `policy`'s.
        `history_pages=0` reads every card with reactions.get (as before the history)."""
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
        self._unread_at_start: set[tuple[str, int]] = set()
        # Cards a history read showed cut short or did not reach: read with reactions.get.
        self._needs_full: set[tuple[str, int]] = set()
        self.groups = groups
        # Every group's cards are read back, each by its own group's rules.
        self.group_keys = tuple(g.key for g in groups) if groups is not None else (policy.key,)
        self.history_limit = history_limit
        self.history_pages = history_pages

    def begin(self) -> None:
        """Note the cards open at start: reactions on them may have been missed while down."""
        with self.db.unit_of_work() as session:
            open_cards = session.execute(
                select(ProposalRow.group_key, ProposalRow.number).where(
                    ProposalRow.group_key.in_(self.group_keys),
                    ProposalRow.state == State.OPEN.value,
                    ProposalRow.message_ts.is_not(None),
                )
            ).all()
            with self._lock:
                self._unread_at_start = {(group, number) for group, number in open_cards}

    def waiting_at_start(self) -> bool:
        """Whether cards open at start are still to be read back (no database query)."""
        with self._lock:
            return bool(self._unread_at_start)

    def unread_since_start(self) -> frozenset[tuple[str, int]]:
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
                ", ".join(f"{g}#{n}" for g, n in sorted(waiting)),
            )
            with self._lock:
                self._unread_at_start.clear()
            return frozenset()
        with self.db.unit_of_work() as session:
            still_open = {
                (group, number)
                for group, number in session.execute(
                    select(ProposalRow.group_key, ProposalRow.number).where(
                        tuple_(ProposalRow.group_key, ProposalRow.number).in_(sorted(waiting)),
                        ProposalRow.state == State.OPEN.value,
                    )
                )
            }
        with self._lock:
            self._unread_at_start -= waiting - still_open
            return frozenset(self._unread_at_start)

    def run_once(self) -> ReconcileReport:
        """Read and reconcile the cards that are due, as many as the budget allows now."""
        report = ReconcileReport()
        if self.budget.available() <= 0 or not self.status.may_call():
            return report
        due = self._due(MAX_DUE)
        with self._lock:
            self._needs_full &= {card.key for card in due}
            needs_full = set(self._needs_full)
        # Channels in the order of their most urgent card; a channel with one card due is
        # read with reactions.get (one call either way, and it lists every user).
        by_channel: dict[str, list[_Due]] = {}
        for card in due:
            if card.key not in needs_full:
                by_channel.setdefault(card.channel, []).append(card)
        for channel, cards in by_channel.items():
            if len(cards) < HISTORY_FROM:
                continue
            if self.budget.available() <= 0:
                return report
            if not self._read_history(channel, cards, report):
                return report  # the token is refused, or Slack said to wait
        with self._lock:
            needs_full = set(self._needs_full)
        single = {
            c.key for cards in by_channel.values() if len(cards) < HISTORY_FROM for c in cards
        }
        for card in due:
            if card.key not in needs_full and card.key not in single:
                continue
            if self.budget.available() <= 0:
                break
            if not self._read_one(card, report):
                break
        return report

    def _read_history(self, channel: str, cards: list[_Due], report: ReconcileReport) -> bool:
        """Read the channel's history over the span of its due cards, newest first, and apply
        what it shows in full; the cards it shows cut short, or does not reach within
        HISTORY_PAGES, are left to reactions.get. False when the run must stop."""
        by_ts = {card.ts: card for card in cards}
        by_number = {card.number: card for card in cards}
        oldest = min(cards, key=lambda card: _ts_key(card.ts)).ts
        latest = max(cards, key=lambda card: _ts_key(card.ts)).ts
        cursor: str | None = None
        seen: set[int] = set()
        for _ in range(self.history_pages):
            if self.budget.available() <= 0:
                return True  # the rest of this channel waits for the next run
            read_at = self.wall_clock.now()
            self.budget.spend()
            try:
                page = self.reader.history(
                    channel, oldest=oldest, latest=latest, limit=self.history_limit, cursor=cursor
                )
            except DeliveryError as error:
                report.failed += 1
                return self._history_failed(channel, cards, seen, error)
            report.history_pages += 1
            for message in page.messages:
                card = self._match(message, by_ts, by_number)
                if card is None or card.number in seen:
                    continue
                seen.add(card.number)
                if not message.complete:
                    self._leave_to_reactions_get(card)
                    continue
                if self._claim(card, read_at) is None:
                    continue  # another instance has it
                self._apply(card, message.users_by_emoji(), read_at, report)
            cursor = page.next_cursor
            if cursor is None:
                break
        # Not shown: older than the read reached within HISTORY_PAGES, or not in the history
        # at all (a deleted card: reactions.get says so, as today).
        for card in cards:
            if card.number not in seen:
                self._leave_to_reactions_get(card)
        return True

    def _history_failed(
        self, channel: str, cards: list[_Due], seen: set[int], error: DeliveryError
    ) -> bool:
        if error.code in TOKEN_REFUSALS:
            return False  # logged once, by the status
        if error.retry_after is not None:
            self.budget.pause(error.retry_after)
            log.warning("conversations.history is rate limited; pausing %ss", error.retry_after)
            return False
        rest = [card for card in cards if card.number not in seen]
        if error.code in CHANNEL_REFUSALS:
            # The bot is out of the channel: said once (the status); its cards are read again
            # after the interval, and their closes wait no longer.
            self.status.channel_refused(channel, error.code, "read the reactions on its cards")
            for card in rest:
                self._claim(card, self.wall_clock.now())
            with self._lock:
                self._unread_at_start.difference_update(card.key for card in rest)
            return True
        # Anything else (a missing scope, Slack failing): each card is read on its own.
        log.warning(
            "reading the history of %s failed; reading its cards one by one: %s", channel, error
        )
        for card in rest:
            self._leave_to_reactions_get(card)
        return True

    def _match(
        self, message: SeenMessage, by_ts: dict[str, _Due], by_number: dict[int, _Due]
    ) -> _Due | None:
        """The due card a message is: by its metadata (group and number), or by its ts if it
        has none (a card posted before cards carried metadata)."""
        tag = message.card
        if tag is None:
            return by_ts.get(message.ts)
        card = by_number.get(tag.number)
        if card is None or card.ts != message.ts:
            return None  # not due now, or a copy of the card the bot does not track
        if tag.group != card.group:
            return None  # it says it is another group's card
        return card

    def _policy_of(self, card: _Due) -> Policy:
        return self._group(card.group)

    def _group(self, key: str) -> Policy:
        found = self.groups.by_key(key) if self.groups is not None else None
        return found or self.policy

    def _leave_to_reactions_get(self, card: _Due) -> None:
        with self._lock:
            self._needs_full.add(card.key)

    def _read_one(self, card: _Due, report: ReconcileReport) -> bool:
        """Read one card with reactions.get; False when the run must stop."""
        number, channel = card.number, card.channel
        read_at = self._claim(card, self.wall_clock.now())
        if read_at is None:
            with self._lock:
                self._needs_full.discard(card.key)
            return True  # another instance has it
        self.budget.spend()
        try:
            reactions = self.reader.reactions(channel, card.ts)
        except DeliveryError as error:
            report.failed += 1
            if error.code in TOKEN_REFUSALS:
                self._release(card, read_at)  # logged once, by the status
                return False
            if error.code in CHANNEL_REFUSALS:
                # The bot is out of the card's channel: the delivery says so once; the
                # card is read again after the interval, and its close waits no longer.
                self.status.channel_refused(
                    channel, error.code, f"read the reactions on the card of #{number}"
                )
                self._done(card)
                return True
            if not error.retryable:
                # The card is gone or cannot be read (message_not_found, ...): trying
                # again at every tick would only spend the budget of the others. It is
                # read again after the interval, and its close waits no longer.
                log.warning("the card of #%s cannot be read back: %s", number, error)
                self._done(card)
                return True
            self._release(card, read_at)
            if error.retry_after is not None:
                self.budget.pause(error.retry_after)
                log.warning("reactions.get is rate limited; pausing %ss", error.retry_after)
                return False
            log.warning("reading the reactions of #%s failed: %s", number, error)
            return True
        report.full_reads += 1
        self._apply(card, reactions, read_at, report)
        return True

    def _apply(
        self,
        card: _Due,
        reactions: dict[str, list[str]],
        read_at: datetime,
        report: ReconcileReport,
    ) -> None:
        report.cards += 1
        with self.db.unit_of_work() as session:
            service = ReactionService(
                session,
                self._policy_of(card),
                self.renderer,
                self.clock.now(),
                Via.RECONCILE,
            )
            report.applied += service.reconcile(
                lock_card(session, card.group, card.number),
                card.channel,
                reactions,
                _microseconds(read_at),
                self.bot_user_id,
            )
            report.queued |= service.queued
        self._done(card)

    def _done(self, card: _Due) -> None:
        with self._lock:
            self._unread_at_start.discard(card.key)
            self._needs_full.discard(card.key)

    def _due(self, limit: int) -> list[_Due]:
        # Due: not read since this process started (a start reads everything again), or not
        # within the interval.
        stale_before = max(self.started_at, self.wall_clock.now() - self.policy.reconcile_interval)
        with self.db.unit_of_work() as session:
            rows = session.execute(
                select(
                    ProposalRow.group_key,
                    ProposalRow.number,
                    ProposalRow.channel_id,
                    ProposalRow.message_ts,
                    ProposalRow.reactions_checked_at,
                )
                .where(
                    ProposalRow.group_key.in_(self.group_keys),
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
        channels = {key: self._group(key).channel_id for key in self.group_keys}
        return [_Due(g, n, c or channels[g], ts, checked) for g, n, c, ts, checked in rows if ts]

    def _claim(self, card: _Due, now: datetime) -> datetime | None:
        """Take the card for a reading made at `now`, unless someone read it since we looked;
        the reading's time when taken."""
        checked = card.checked
        with self.db.unit_of_work() as session:
            claimed = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == card.group,
                    ProposalRow.number == card.number,
                    ProposalRow.reactions_checked_at.is_(None)
                    if checked is None
                    else ProposalRow.reactions_checked_at == checked,
                )
                .values(reactions_checked_at=now)
                .execution_options(synchronize_session=False)
            )
            return now if getattr(claimed, "rowcount", 0) else None

    def _release(self, card: _Due, claimed_at: datetime) -> None:
        """The reading failed: leave the card due, unless someone read it meanwhile."""
        with self.db.unit_of_work() as session:
            session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == card.group,
                    ProposalRow.number == card.number,
                    ProposalRow.reactions_checked_at == claimed_at,
                )
                .values(reactions_checked_at=card.checked)
                .execution_options(synchronize_session=False)
            )


def _ts_key(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return 0.0


def _microseconds(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)
