"""APScheduler setup and thin jobs. The database is the schedule: jobs only look for due rows.

APScheduler's own job store is not the source of truth; a restart loses nothing because the
next sweep finds whatever fell due meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from mwgbot.db.models import OutboxRow, ProcessedEventRow
from mwgbot.domain.activity import Via
from mwgbot.domain.initiatives import NUDGE_PREFIX
from mwgbot.services import limits
from mwgbot.services.bot import BotServices
from mwgbot.services.reconcile import Reconciler

log = logging.getLogger(__name__)

# How often the reconciler looks for cards due to be read back (it paces the reads itself).
RECONCILE_TICK = timedelta(seconds=2)
# Slack stops retrying an event within hours; a few days of event IDs is plenty.
EVENT_ID_RETENTION = timedelta(days=3)
SENT_MESSAGE_RETENTION = timedelta(days=90)

SweepStep = Callable[[Session, datetime], object]


class Sweep:
    """Finds due work (closes, notices, reminders, digests) and queues it, in one unit of work."""

    def __init__(
        self,
        bot: BotServices,
        steps: Sequence[SweepStep] = (),
        held_back: Callable[[], Collection[tuple[str, int]]] = frozenset,
    ) -> None:
        self.bot = bot
        self.steps = list(steps)
        # Proposals whose windows may not close yet (cards not read back since the start).
        self.held_back = held_back

    def run(self) -> None:
        held = self.held_back()  # read before this unit of work: it opens its own
        groups = self.bot.all_groups
        with self.bot.db.unit_of_work() as session:
            # Each group's closes by its own rules, but not those of its cards not read back
            # since the start (the reconciler reads every group's).
            for group in groups:
                with self.bot.acting_in(group):
                    proposals = self.bot.proposals(session, via=Via.SWEEP)
                    proposals.close_due(held_back={n for g, n in held if g == group.key})
                    proposals.announce_closing_soon()
            # Read after the closes: a digest's window ([since, now)) takes in what this
            # sweep settled, and the next digest's window starts after it.
            now = self.bot.clock.now()
            # Reminders, the digest and nudges tell the group where things stand: they wait
            # for the closes held back (seconds after a start), then come on the next sweep.
            # Each group's step runs in its own savepoint: one group's failure is its own.
            if not held:
                for group in groups:
                    with self.bot.acting_in(group):
                        for step in self.steps:
                            _run_step(step, session, now)
            _prune(session, now)
        self.bot.delivery.run_once()


def _run_step(step: SweepStep, session: Session, now: datetime) -> None:
    """One step in a savepoint: a failing step is logged and retried on the next sweep,
    without undoing the closes and notices the others queued."""
    try:
        with session.begin_nested():
            step(session, now)
    except Exception:
        log.exception("sweep step %s failed; it runs again on the next sweep", _name(step))


def _name(step: SweepStep) -> str:
    return str(getattr(step, "__qualname__", None) or step)


def reminder_step(bot: BotServices) -> SweepStep:
    """Queue the meeting reminders that are due (each exactly once, by its dedupe key)."""

    def meeting_reminders(session: Session, now: datetime) -> object:
        return bot.meetings(session, via=Via.SWEEP, now=now).enqueue_due_reminders()

    return meeting_reminders


def notes_ask_step(bot: BotServices) -> SweepStep:
    """At each meeting's end, ask for its notes and recording, once (by its dedupe key)."""

    def meeting_notes_asks(session: Session, now: datetime) -> object:
        return bot.agenda(session, via=Via.SWEEP, now=now).enqueue_notes_asks()

    return meeting_notes_asks


def digest_step(bot: BotServices) -> SweepStep:
    """Queue the digest of the latest MWG_DIGEST_CRON fire time, once."""

    def channel_digest(session: Session, now: datetime) -> object:
        return bot.digests(session, now).enqueue_scheduled()

    return channel_digest


def stale_step(bot: BotServices) -> SweepStep:
    """Nudge the owners of quiet initiatives, once per quiet period (by its dedupe key)."""

    def stale_initiatives(session: Session, now: datetime) -> object:
        return bot.initiatives(session, via=Via.SWEEP, now=now).nudge_stalled()

    return stale_initiatives


def escalation_step(bot: BotServices) -> SweepStep:
    """Remind the deciders of escalations waiting for them, once per MWG_ESCALATION_REMINDER
    (by its dedupe key); a decider named since the escalation is told too."""

    def waiting_escalations(session: Session, now: datetime) -> object:
        return bot.escalations(session, now=now).remind_due()

    return waiting_escalations


def default_steps(bot: BotServices) -> list[SweepStep]:
    """What every running bot sweeps for besides closes: reminders, the digest, nudges of
    quiet initiatives and of waiting deciders."""
    return [
        reminder_step(bot),
        notes_ask_step(bot),
        digest_step(bot),
        stale_step(bot),
        escalation_step(bot),
    ]


def _prune(session: Session, now: datetime) -> None:
    session.execute(
        delete(ProcessedEventRow).where(ProcessedEventRow.received_at < now - EVENT_ID_RETENTION)
    )
    # Reminder, digest and nudge rows stay: their dedupe keys are what makes them exactly-once
    # (a quiet period may outlast the retention when MWG_STALE_AFTER is long).
    session.execute(
        delete(OutboxRow).where(
            OutboxRow.state == "sent",
            OutboxRow.kind.in_(("ephemeral", "thread")),
            OutboxRow.sent_at < now - SENT_MESSAGE_RETENTION,
            or_(
                OutboxRow.dedupe_key.is_(None),
                OutboxRow.dedupe_key.not_like(f"{NUDGE_PREFIX}%"),
            ),
        )
    )
    limits.prune_command_counts(session, now)


class Coalescer:
    """Runs `work` on one background thread; wakes during a run cause exactly one more run."""

    def __init__(self, work: Callable[[], object], name: str) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running = False
        self._again = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def wake(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        self._executor.submit(self._loop)

    def _loop(self) -> None:
        while True:
            try:
                self._work()
            except Exception:
                log.exception("background %s failed; it runs again on the next tick", self._work)
            with self._lock:
                if not self._again:
                    self._running = False
                    self._idle.notify_all()
                    return
                self._again = False

    def wait_idle(self, timeout: float) -> bool:
        """Block until no run is going on (tests and shutdown use it); False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class BotScheduler:
    """Two thin jobs: the sweep every MWG_SWEEP_INTERVAL, and delivery every second or on wake."""

    def __init__(
        self,
        sweep: Sweep,
        sweep_interval: timedelta,
        delivery_interval: timedelta = timedelta(seconds=1),
        reconciler: Reconciler | None = None,
        reconcile_tick: timedelta = RECONCILE_TICK,
    ) -> None:
        self.sweep = sweep
        self._delivery = Coalescer(sweep.bot.delivery.run_once, "delivery")
        self._sweeper = Coalescer(sweep.run, "sweep")
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._reconciling: Coalescer | None = None
        self._reconciler = reconciler
        if reconciler is not None:
            self._reconciling = Coalescer(partial(self._reconcile, reconciler), "reconcile")
            # Ticks are cheap (one bounded query); the reconciler decides what is due.
            self._scheduler.add_job(
                self._reconciling.wake,
                "interval",
                seconds=reconcile_tick.total_seconds(),
                id="reconcile",
                next_run_time=datetime.now(UTC),  # read back what changed while we were down
                coalesce=True,
                max_instances=1,
            )
        self._scheduler.add_job(
            self._sweeper.wake,
            "interval",
            seconds=sweep_interval.total_seconds(),
            id="sweep",
            next_run_time=datetime.now(UTC),  # catch up at start with what fell due
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.add_job(
            self._delivery.wake,
            "interval",
            seconds=delivery_interval.total_seconds(),
            id="delivery",
            coalesce=True,
            max_instances=1,
        )

    def wake_delivery(self) -> None:
        self._delivery.wake()

    def _reconcile(self, reconciler: Reconciler) -> None:
        waiting = reconciler.waiting_at_start()
        if reconciler.run_once().queued:
            self._delivery.wake()
        if waiting and not reconciler.waiting_at_start():
            self._sweeper.wake()  # the closes held back until now are free to go

    def wait_delivery_idle(self, timeout: float = 10.0) -> bool:
        return self._delivery.wait_idle(timeout)

    def start(self) -> None:
        if self._reconciler is not None:
            self._reconciler.begin()
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._sweeper.shutdown()
        if self._reconciling is not None:
            self._reconciling.shutdown()
        self._delivery.shutdown()
