"""Sending the outbox to Slack: claimed once, retried until Slack has it, never doubled.

Each message is claimed with a conditional UPDATE in its own short unit of work, posted
outside any transaction, then marked sent. A post whose result is unknown (timeout, or a
crash mid-post that left an expired lease) is looked up in the channel by its marker before
it is posted again.

Refusals a person fixes (`slack_status`): while Slack refuses the token, passes stop but for
a probe now and then, and no row's backoff grows for it. When a channel refuses a post (the
bot was removed, the channel archived), that channel's queue backs off as a whole behind its
oldest post, so that it goes out first and in order; the member whose post it was is told
once, by direct message. When the bot is added to the channel again, its queue is due at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select, update

from mwgbot.db.models import OutboxRow, ProposalRow
from mwgbot.db.queries import snapshot
from mwgbot.db.session import Database
from mwgbot.domain.clock import Clock, SystemClock
from mwgbot.services import members, outbox
from mwgbot.services.pacing import RateBudget
from mwgbot.services.page_sync import PageSync
from mwgbot.services.policy import Groups, Policy
from mwgbot.services.ports import Account, CardTag, DeliveryError, Notifier, Rendered, Renderer
from mwgbot.services.privacy import is_user_id
from mwgbot.services.slack_status import CHANNEL_REFUSALS, TOKEN_REFUSALS, SlackStatus

log = logging.getLogger(__name__)

BATCH = 25
MAX_BACKOFF = timedelta(minutes=15)
# chat.update is Tier 3 ("50+" a minute): stay just under, with room for a burst of closes.
CARD_UPDATES_PER_MINUTE = 45
# While a channel refuses posts, its stale cards are tried at most this often.
REFUSED_CARD_RETRY = timedelta(minutes=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    cards_updated: int = 0
    pages_edited: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.failed or self.cards_updated or self.pages_edited)


class Delivery:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        renderer: Renderer,
        policy: Policy,
        clock: Clock,
        *,
        card_update_interval: timedelta = timedelta(seconds=2),
        lease: timedelta = timedelta(seconds=60),
        wall_clock: Clock | None = None,
        card_updates: RateBudget | None = None,
        status: SlackStatus | None = None,
        pages: PageSync | None = None,
        groups: Groups | None = None,
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.renderer = renderer
        self.policy = policy
        # Every group served: a card is drawn with its own group's emojis.
        self.groups = groups
        self.clock = clock
        self.card_update_interval = card_update_interval
        self.lease = lease
        # Slack's rate limits run on real time, whatever the domain clock says.
        self.wall_clock = wall_clock or SystemClock()
        # chat.update is Tier 3 for the whole workspace, whichever cards change.
        self.card_updates = card_updates or RateBudget(CARD_UPDATES_PER_MINUTE / 60, 20)
        # The sweep, the delivery thread (and a test's settle) all run passes: one at a time,
        # so that this process posts its rows in order (the parts of a /mwg mydata, say).
        self._one_pass = threading.Lock()
        # What Slack refuses now, shared with the notifier, the reconciler and /healthz.
        self.status = status or SlackStatus()
        self._refused_cards_until: dict[str, datetime] = {}  # channel -> next card try
        self._answering: dict[str, int] = {}  # members whose command's answer is being written
        self._answering_lock = threading.Lock()
        # The groups' pages (channel canvases), edited after the posts and cards of a pass.
        self.pages = pages

    def run_once(self) -> DeliveryReport:
        with self._one_pass:
            report = DeliveryReport()
            if not self.status.may_call():
                return report  # the token is refused: a probe now and then, not a pass a second
            for row_id in self._due_ids():
                self._deliver(row_id, report)
                if self.status.token_refusal is not None:
                    return report
            self._sync_cards(report)
            if self.pages is not None and self.status.token_refusal is None:
                report.pages_edited += self.pages.run_once()
            return report

    @contextmanager
    def answering(self, user_id: str) -> Iterator[None]:
        """While the answer to `user_id`'s `/mwg propose` is being written: a refusal of the
        card is told in that answer, not by direct message as well."""
        with self._answering_lock:
            self._answering[user_id] = self._answering.get(user_id, 0) + 1
        try:
            yield
        finally:
            with self._answering_lock:
                left = self._answering.pop(user_id) - 1
                if left:
                    self._answering[user_id] = left

    def _policy_of(self, group_key: str) -> Policy:
        found = self.groups.by_key(group_key) if self.groups is not None else None
        return found or self.policy

    def deliver_card(
        self, number: int, wait: float = 0.0, group_key: str | None = None
    ) -> str | None:
        """Post one proposal's card now (if still pending); its ts once Slack has it.

        Another delivery run may have claimed the card first: then wait up to `wait`
        seconds for that run to record the ts; not when Slack refuses the channel or the
        token (the caller says so).
        """
        deadline = time.monotonic() + wait
        policy = self.policy if group_key is None else self._policy_of(group_key)
        key = policy.key
        with self.db.unit_of_work() as session:
            row_id = session.scalar(
                select(OutboxRow.id).where(
                    OutboxRow.group_key == key, OutboxRow.dedupe_key == f"card:{number}"
                )
            )
        if row_id is not None and self.status.may_call():
            self._deliver(row_id, DeliveryReport())
        while True:
            with self.db.unit_of_work() as session:
                proposal = session.get(ProposalRow, (key, number))
                ts = proposal.message_ts if proposal else None
            refused = self.status.token_refusal or self.status.channel_refusal(policy.channel_id)
            if ts is not None or refused or time.monotonic() >= deadline:
                return ts
            time.sleep(0.05)

    def bot_added(self, channel_id: str) -> int:
        """The bot was added to `channel_id` (again): its waiting posts are due now, in the
        order they were queued. How many."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            made_due = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.state == "pending",
                    OutboxRow.kind.in_(outbox.CHANNEL_KINDS),
                    self._in_channel(channel_id),
                )
                .values(available_at=now)
                .execution_options(synchronize_session=False)
            )
            count = int(getattr(made_due, "rowcount", 0) or 0)
        self._refused_cards_until.pop(channel_id, None)
        why = f"the bot was added to it; {count} waiting post(s) go out now"
        if not self.status.channel_back(channel_id, why):
            log.info(
                "the bot was added to channel %s; %s waiting post(s) go out now", channel_id, count
            )
        return count

    def _in_channel(self, channel_id: str) -> ColumnElement[bool]:
        """Rows posted in `channel_id` (no channel_id: their group's channel)."""
        group = self.groups.by_channel(channel_id) if self.groups is not None else None
        if group is None and channel_id == self.policy.channel_id:
            group = self.policy
        if group is not None:
            return or_(
                OutboxRow.channel_id == channel_id,
                OutboxRow.channel_id.is_(None) & (OutboxRow.group_key == group.key),
            )
        return OutboxRow.channel_id == channel_id

    # --- outbox ----------------------------------------------------------------------------

    def _due_ids(self) -> list[int]:
        """Pending rows that are due, and rows whose lease ran out, oldest first. Two reads,
        each along the (state, available_at) index: the sent history is never walked."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            pending = session.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.state == "pending", OutboxRow.available_at <= now)
                .order_by(OutboxRow.available_at, OutboxRow.id)  # the index's own order
                .limit(BATCH)
            ).all()
            crashed = session.scalars(
                select(OutboxRow.id).where(
                    OutboxRow.state == "sending", OutboxRow.lease_until < now
                )
            ).all()
        return sorted({*pending, *crashed})[:BATCH]

    def _deliver(self, row_id: int, report: DeliveryReport) -> None:
        claim = self._claim(row_id)
        if claim is None:
            return
        if self._behind_refused(claim):
            return
        try:
            ts = self._send(claim)
        except DeliveryError as error:
            report.failed += 1
            self._failed(claim, error)
            return
        if ts is _WAITING:
            return
        if isinstance(ts, Account):
            self._not_a_person(claim, ts)
            return
        report.sent += 1
        self._sent(claim, ts)

    def _claim(self, row_id: int) -> _Claim | None:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return None
            # A lease that ran out means an earlier attempt died mid-post: it may have landed.
            crashed = row.state == "sending"
            claimed = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row_id,
                    or_(
                        (OutboxRow.state == "pending") & (OutboxRow.available_at <= now),
                        (OutboxRow.state == "sending") & (OutboxRow.lease_until < now),
                    ),
                )
                .values(
                    state="sending",
                    lease_until=now + self.lease,
                    attempts=OutboxRow.attempts + 1,
                    uncertain=OutboxRow.uncertain | crashed,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            session.refresh(row)
            thread_ts = None
            if row.proposal_number is not None:
                proposal = session.get(ProposalRow, (row.group_key, row.proposal_number))
                thread_ts = proposal.message_ts if proposal else None
            elif isinstance(row.payload.get("thread_ts"), str):
                thread_ts = row.payload["thread_ts"]  # a reply to a post (a reminder)
            return _Claim(
                id=row.id,
                kind=row.kind,
                channel_id=row.channel_id or self._policy_of(row.group_key).channel_id,
                group_key=row.group_key,
                user_id=row.user_id,
                proposal_number=row.proposal_number,
                payload=dict(row.payload),
                uncertain=row.uncertain,
                attempts=row.attempts,
                thread_ts=thread_ts,
            )

    def _send(self, claim: _Claim) -> str | object | None:
        marker = f"mwgbot-outbox-{claim.id}"
        if claim.kind == outbox.KIND_EPHEMERAL:
            # Ephemeral messages cannot be looked up; a rare repeat beats a lost answer.
            assert claim.user_id is not None
            self.notifier.post_ephemeral(claim.channel_id, claim.user_id, claim.message)
            return None
        if claim.kind == outbox.KIND_DM:
            return self._send_dm(claim, marker)
        if claim.uncertain:
            thread = claim.thread_ts if claim.kind == outbox.KIND_THREAD else None
            found = self.notifier.find_posted(claim.channel_id, marker, thread)
            if found is not None:
                log.info("outbox %s was already posted as %s; not posting again", claim.id, found)
                return found
        if claim.kind == outbox.KIND_CARD:
            assert claim.proposal_number is not None
            return self.notifier.post(
                claim.channel_id,
                self._render_card(claim.group_key, claim.proposal_number),
                marker=marker,
                card=CardTag(claim.group_key, claim.proposal_number),
            )
        if claim.kind == outbox.KIND_THREAD:
            if claim.thread_ts is None:
                # The card itself is not posted yet; it is ahead in the queue.
                self._release(claim.id, delay=timedelta(seconds=1))
                return _WAITING
            return self.notifier.post(
                claim.channel_id,
                claim.message,
                thread_ts=claim.thread_ts,
                broadcast=bool(claim.payload.get("broadcast")),
                marker=marker,
            )
        return self.notifier.post(claim.channel_id, claim.message, marker=marker)

    def _send_dm(self, claim: _Claim, marker: str) -> str | Account:
        """A direct message, to a person only; looked up in the DM first if uncertain."""
        assert claim.user_id is not None
        account = self.notifier.account(claim.user_id)
        if account is not Account.PERSON:
            return account
        channel = self.notifier.open_dm(claim.user_id)
        if claim.uncertain:
            found = self.notifier.find_posted(channel, marker)
            if found is not None:
                log.info("outbox %s was already sent as %s; not sending again", claim.id, found)
                return found
        return self.notifier.post(channel, claim.message, marker=marker)

    def _not_a_person(self, claim: _Claim, account: Account) -> None:
        """A DM due to a bot or a deactivated account is never sent; a bot is remembered, so
        it is not welcomed or named as a new member again."""
        log.info(
            "outbox %s (%s) not sent: %s is a %s", claim.id, claim.kind, claim.user_id, account
        )
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claim.id)
                .values(state=outbox.STATE_SKIPPED, lease_until=None, last_error=account.value)
            )
            if account is Account.BOT and claim.user_id is not None:
                members.mark_bot(session, claim.user_id)

    def _render_card(self, group_key: str, number: int | None) -> Rendered:
        assert number is not None
        with self.db.unit_of_work() as session:
            row = session.get(ProposalRow, (group_key, number))
            assert row is not None
            proposal = snapshot(session, row)
        policy = self._policy_of(group_key)
        return self.renderer.card(proposal, policy.join_emojis[0], policy.object_emojis[0])

    def _sent(self, claim: _Claim, ts: object) -> None:
        if claim.kind in outbox.CHANNEL_KINDS:
            self.status.channel_back(claim.channel_id, f"{_what(claim)} was posted")
            self._refused_cards_until.pop(claim.channel_id, None)
        now = self.clock.now()
        message_ts = ts if isinstance(ts, str) else None
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claim.id)
                .values(state="sent", sent_at=now, message_ts=message_ts, lease_until=None)
            )
            if claim.kind == outbox.KIND_CARD and message_ts is not None:
                proposal = session.get(ProposalRow, (claim.group_key, claim.proposal_number))
                if proposal is not None:
                    proposal.message_ts = message_ts
                    proposal.channel_id = claim.channel_id
                    # The card was rendered from the state at posting time.
                    proposal.card_synced_at = self.wall_clock.now()

    def _failed(self, claim: _Claim, error: DeliveryError) -> None:
        # An ephemeral answer is a courtesy (the member may have left the channel); a
        # refusal that no retry can fix (say, invalid blocks) is a bug to log, not to loop on.
        if not error.retryable or (claim.kind == outbox.KIND_EPHEMERAL and error.code):
            if error.code in CHANNEL_REFUSALS:
                # The bot is not in that channel: for the group's, said once (the status), not
                # per lost answer; another channel is one a member typed a command in.
                if claim.channel_id == self.policy.channel_id:
                    self.status.channel_refused(claim.channel_id, error.code, "answer a member")
                log.info("dropped outbox %s (%s): %s", claim.id, claim.kind, error)
            else:
                log.error("giving up on outbox %s (%s): %s", claim.id, claim.kind, error)
            with self.db.unit_of_work() as session:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == claim.id)
                    .values(state="dead", lease_until=None, last_error=str(error)[:500])
                )
            return
        if error.code in TOKEN_REFUSALS:
            # Not this row's fault: it stays due; the delivery as a whole waits for the token
            # (the notifier has told the status, which logs it once).
            self._release(claim.id, delay=timedelta(0))
            return
        backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** min(claim.attempts, 10)))
        if error.retry_after is not None:
            backoff = max(backoff, timedelta(seconds=error.retry_after))
        if error.code in CHANNEL_REFUSALS and claim.kind in outbox.CHANNEL_KINDS:
            self._channel_refused(claim, error, backoff)
            return
        log.warning(
            "posting outbox %s (%s) failed, attempt %s, retrying in %ss: %s",
            claim.id,
            claim.kind,
            claim.attempts,
            int(backoff.total_seconds()),
            error,
        )
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claim.id)
                .values(
                    state="pending",
                    available_at=self.clock.now() + backoff,
                    lease_until=None,
                    uncertain=OutboxRow.uncertain | error.uncertain,
                    last_error=str(error)[:500],
                )
            )

    def _channel_refused(self, claim: _Claim, error: DeliveryError, backoff: timedelta) -> None:
        """The channel refused this post: the channel's queue waits behind it, as a whole."""
        assert error.code is not None
        until = self.clock.now() + backoff
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claim.id)
                .values(
                    state="pending",
                    available_at=until,
                    lease_until=None,
                    last_error=str(error)[:500],
                )
            )
            # The posts queued after it wait as long, so this one goes out first again.
            session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.state == "pending",
                    OutboxRow.kind.in_(outbox.CHANNEL_KINDS),
                    OutboxRow.id > claim.id,
                    self._in_channel(claim.channel_id),
                    OutboxRow.available_at < until,
                )
                .values(available_at=until)
                .execution_options(synchronize_session=False)
            )
        self.status.channel_refused(claim.channel_id, error.code, f"post {_what(claim)}")
        log.debug(
            "outbox %s (%s) refused in %s (%s), attempt %s; that channel's posts wait %ss",
            claim.id,
            claim.kind,
            claim.channel_id,
            error.code,
            claim.attempts,
            int(backoff.total_seconds()),
        )
        self._tell_actor(claim, error.code)

    def _behind_refused(self, claim: _Claim) -> bool:
        """While a channel refuses posts, a newer post waits behind the oldest waiting one
        instead of overtaking it (nothing is asked of Slack); whether this one waits."""
        if claim.kind not in outbox.CHANNEL_KINDS:
            return False
        code = self.status.channel_refusal(claim.channel_id)
        if code is None:
            return False
        with self.db.unit_of_work() as session:
            ahead = session.scalar(
                select(func.min(OutboxRow.available_at)).where(
                    OutboxRow.state.in_(("pending", "sending")),
                    OutboxRow.kind.in_(outbox.CHANNEL_KINDS),
                    OutboxRow.id < claim.id,
                    self._in_channel(claim.channel_id),
                )
            )
        if ahead is None:
            return False  # this is the oldest: it is the one to try
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == claim.id)
                .values(
                    state="pending",
                    available_at=case(
                        (OutboxRow.available_at < ahead, ahead), else_=OutboxRow.available_at
                    ),
                    lease_until=None,
                    attempts=OutboxRow.attempts - 1,
                )
            )
        self._tell_actor(claim, code)
        return True

    def _tell_actor(self, claim: _Claim, code: str) -> None:
        """Tell the member whose post waits, once per outage, by direct message (which
        reaches them wherever the bot is); not the one reading the command's answer."""
        actor = claim.payload.get("actor")
        if not isinstance(actor, str) or not is_user_id(actor):
            return  # the sweep's posts (reminders, digests) name no one: the log says it
        with self._answering_lock:
            in_the_answer = claim.kind == outbox.KIND_CARD and actor in self._answering
        if not self.status.first_to_tell(claim.channel_id, actor) or in_the_answer:
            return
        message = self.renderer.post_refused(
            claim.channel_id, code, self.status.bot_name, claim.proposal_number
        )
        with self.db.unit_of_work() as session:
            outbox.enqueue(
                session,
                kind=outbox.KIND_DM,
                now=self.clock.now(),
                group_key="",
                message=message,
                user_id=actor,
                dedupe_key=f"refused:{claim.id}",
            )

    def _release(self, row_id: int, delay: timedelta) -> None:
        with self.db.unit_of_work() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id)
                .values(
                    state="pending",
                    available_at=self.clock.now() + delay,
                    lease_until=None,
                    attempts=OutboxRow.attempts - 1,
                )
            )

    # --- cards -----------------------------------------------------------------------------

    def _sync_cards(self, report: DeliveryReport) -> None:
        """Bring stale cards up to date, at most one update per card per interval."""
        quiet_since = self.wall_clock.now() - self.card_update_interval
        with self.db.unit_of_work() as session:
            # Only the partial index of stale cards is read (ix_proposals_card_stale); the
            # rest is checked here, so no planner walks the settled history instead.
            candidates = session.execute(
                select(
                    ProposalRow.group_key,
                    ProposalRow.number,
                    ProposalRow.card_revision,
                    ProposalRow.card_synced_revision,
                    ProposalRow.message_ts,
                    ProposalRow.card_synced_at,
                    ProposalRow.channel_id,
                ).where(ProposalRow.card_revision > ProposalRow.card_synced_revision)
            ).all()
        now = self.wall_clock.now()
        # A channel that refuses posts has its cards tried once in a while, not every pass.
        waiting = {c for c, at in self._refused_cards_until.items() if now < at}
        stale = [
            (key, number, revision, synced)
            for key, number, revision, synced, ts, synced_at, channel in candidates
            if ts is not None
            and (synced_at is None or synced_at <= quiet_since)
            and channel not in waiting
        ]
        for key, number, revision, synced in stale:
            if self.card_updates.available() <= 0 or self.status.token_refusal is not None:
                break  # the rest stay stale until the budget (or the token) allows
            self._sync_card(key, number, revision, synced, report)

    def _sync_card(
        self, key: str, number: int, revision: int, synced: int, report: DeliveryReport
    ) -> None:
        now = self.wall_clock.now()
        with self.db.unit_of_work() as session:
            claimed = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == key,
                    ProposalRow.number == number,
                    ProposalRow.card_synced_revision == synced,
                )
                .values(card_synced_revision=revision, card_synced_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return
            row = session.get(ProposalRow, (key, number))
            assert row is not None
            assert row.message_ts is not None
            assert row.channel_id
            proposal = snapshot(session, row)
            channel, ts = row.channel_id, row.message_ts
        policy = self._policy_of(key)
        message = self.renderer.card(proposal, policy.join_emojis[0], policy.object_emojis[0])
        self.card_updates.spend()
        try:
            self.notifier.update(channel, ts, message, card=CardTag(key, number))
        except DeliveryError as error:
            if error.code in CHANNEL_REFUSALS:
                self.status.channel_refused(channel, error.code, f"update the card of #{number}")
                self._refused_cards_until[channel] = now + REFUSED_CARD_RETRY
            elif error.code not in TOKEN_REFUSALS:  # that one is logged once, by the status
                log.warning("updating the card of #%s failed; will retry: %s", number, error)
            if error.retry_after is not None:
                self.card_updates.pause(error.retry_after)
            self._give_back(key, number, revision, synced)
            return
        if self._refused_cards_until.pop(channel, None) is not None:
            self.status.channel_back(channel, f"the card of #{number} was updated")
        report.cards_updated += 1

    def _give_back(self, key: str, number: int, revision: int, synced: int) -> None:
        """Give the revision back, so that a later pass tries the card again."""
        with self.db.unit_of_work() as session:
            session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.group_key == key,
                    ProposalRow.number == number,
                    ProposalRow.card_synced_revision == revision,
                )
                .values(card_synced_revision=synced)
            )


_WAITING = object()


def _what(claim: _Claim) -> str:
    """The post, in the log's words."""
    if claim.kind == outbox.KIND_CARD:
        return f"the card of #{claim.proposal_number}"
    if claim.kind == outbox.KIND_THREAD:
        if claim.proposal_number is None:
            return f"a reply in the thread of {claim.thread_ts}"
        return f"a reply in the thread of #{claim.proposal_number}"
    return "a message"


@dataclass(frozen=True)
class _Claim:
    id: int
    kind: str
    channel_id: str
    group_key: str
    user_id: str | None
    proposal_number: int | None
    payload: dict[str, object]
    uncertain: bool
    attempts: int
    thread_ts: str | None

    @property
    def message(self) -> Rendered:
        text = self.payload.get("text")
        blocks = self.payload.get("blocks")
        return Rendered(
            text=text if isinstance(text, str) else "",
            blocks=blocks if isinstance(blocks, list) else [],
        )
