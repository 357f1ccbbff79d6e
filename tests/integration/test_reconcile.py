"""Reconciliation: the cards' reactions are read back from Slack (a channel's history, or
`reactions.get` for one card) and the stored joins and objections made to match, by the same
rules as events."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from mwgbot.db.models import ActivityRow, ObjectionRow, ProposalRow, SignupRow
from mwgbot.domain.clock import ManualClock, SystemClock
from mwgbot.services.pacing import RateBudget
from mwgbot.services.reconcile import START_READ_DEADLINE, Reconciler
from mwgbot.slack.notifier import SlackNotifier
from tests.conftest import CHANNEL, RunningBot


def fresh_reconciler(
    bot: RunningBot, budget: RateBudget | None = None, **options: int
) -> Reconciler:
    """The reconciler a restarted bot builds: everything read before it started is due.

    The running bot's own reconciler is held back (as a 429 would), so that what a test
    counts is what its reconcilers did."""
    runtime = bot.runtime
    runtime.reconciler.budget.pause(3600)
    return Reconciler(
        runtime.db,
        SlackNotifier(runtime.client),
        runtime.bot.renderer,
        runtime.bot.policy,
        runtime.bot.clock,
        SystemClock(),
        bot.fake.bot_user_id,
        budget,
        **options,
    )


def joined(bot: RunningBot, number: int) -> set[str]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.scalars(select(SignupRow.user_id).where(SignupRow.proposal_number == number))
        return set(rows)


def objecting(bot: RunningBot, number: int) -> set[str]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.scalars(
            select(ObjectionRow.user_id).where(ObjectionRow.proposal_number == number)
        )
        return set(rows)


def reconciled(bot: RunningBot) -> list[tuple[str, str | None, int | None]]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(ActivityRow.kind, ActivityRow.actor_id, ActivityRow.proposal_number)
            .where(ActivityRow.via == "reconcile")
            .order_by(ActivityRow.id)
        ).all()
        return [(kind, actor, number) for kind, actor, number in rows]


@pytest.fixture
def card(bot: RunningBot) -> str:
    """#1 with UBOB joined by reaction (event and Slack agree); its card's ts."""
    assert "Proposed #1" in bot.answer("propose Case-study series --close 4d")
    bot.react(1, "UBOB")
    bot.settle()
    return bot.card_ts(1)


def test_changes_made_while_the_bot_was_down_are_read_back(bot: RunningBot, card: str) -> None:
    # No events reach the bot: it is down.
    bot.fake.add_reaction(CHANNEL, card, "raised_hand", "UCAROL")
    bot.fake.remove_reaction(CHANNEL, card, "raised_hand", "UBOB")
    bot.fake.add_reaction(CHANNEL, card, "no_entry_sign", "UDAVE")
    bot.fake.add_reaction(CHANNEL, card, "tada", "UERIN")  # means nothing here
    bot.fake.add_reaction(CHANNEL, card, "raised_hand", bot.fake.bot_user_id)  # the bot's own

    report = fresh_reconciler(bot).run_once()

    assert report.cards == 1
    assert report.applied == 3
    assert joined(bot, 1) == {"UCAROL"}
    assert objecting(bot, 1) == {"UDAVE"}
    assert sorted(reconciled(bot)) == [
        ("joined", "UCAROL", 1),
        ("left", "UBOB", 1),
        ("objected", "UDAVE", 1),
    ]
    [read] = [c for c in bot.fake.calls_to("reactions.get") if c.args["timestamp"] == card][-1:]
    assert read.args["channel"] == CHANNEL
    assert str(read.args["full"]).lower() in ("1", "true")
    # An objection found this way asks for a reason, as a reacted objection does.
    bot.settle()
    asked = [e for e in bot.fake.ephemerals if e["user"] == "UDAVE"]
    assert len(asked) == 1
    assert "say why" in asked[0]["text"]
    assert "<@UCAROL>" in bot.card_text(1)
    assert "<@UBOB>" not in bot.card_text(1)


def test_a_second_pass_changes_nothing(bot: RunningBot, card: str) -> None:
    bot.fake.add_reaction(CHANNEL, card, "raised_hand", "UCAROL")
    first = fresh_reconciler(bot)
    assert first.run_once().applied == 1
    again = fresh_reconciler(bot)
    assert again.run_once().applied == 0
    assert [kind for kind, _actor, _n in reconciled(bot)] == ["joined"]


def test_a_join_by_command_is_not_undone_for_want_of_a_reaction(bot: RunningBot, card: str) -> None:
    bot.answer("join 1", user="UCAROL")
    fresh_reconciler(bot).run_once()
    assert joined(bot, 1) == {"UBOB", "UCAROL"}
    assert reconciled(bot) == []


def test_an_event_newer_than_the_reading_wins(bot: RunningBot, card: str) -> None:
    # UBOB took the reaction back after the reading (its event carries a later time).
    bot.react(1, "UBOB", added=False, event_ts="4000000000.000000")
    bot.fake.add_reaction(CHANNEL, card, "raised_hand", "UBOB")  # the stale view
    fresh_reconciler(bot).run_once()
    assert joined(bot, 1) == set()


def six_cards(bot: RunningBot) -> list[str]:
    for i in range(6):
        assert "Proposed" in bot.answer(f"propose Idea {i} --close 4d", user=f"UPROPOSER{i}")
    bot.settle()
    return [bot.card_ts(n) for n in range(1, 7)]


def test_history_reads_are_paced_and_a_429_pauses_them(bot: RunningBot) -> None:
    six_cards(bot)
    now = [1000.0]
    budget = RateBudget(rate=1.0, capacity=2, monotonic=lambda: now[0])
    reconciler = fresh_reconciler(bot, budget, history_limit=2)  # three pages for six cards
    before = len(bot.fake.calls_to("conversations.history"))
    assert reconciler.run_once().cards == 4  # the burst: two pages
    assert reconciler.run_once().cards == 0  # no tokens left
    now[0] += 2
    bot.fake.fail_next("conversations.history", status=429, retry_after=30)
    report = reconciler.run_once()
    assert (report.cards, report.failed) == (0, 1)
    now[0] += 10
    assert reconciler.run_once().cards == 0  # still waiting for Retry-After
    now[0] += 25
    assert reconciler.run_once().cards == 2  # the rest, from where the last read stopped
    reads = bot.fake.calls_to("conversations.history")[before:]
    assert len([c for c in reads if not c.failed]) == 3
    assert bot.fake.calls_to("reactions.get") == []


def test_cards_shown_cut_short_are_read_one_by_one_paced(bot: RunningBot) -> None:
    for ts in six_cards(bot):
        bot.fake.add_reaction(CHANNEL, ts, "raised_hand", "UBOB")
        bot.fake.add_reaction(CHANNEL, ts, "raised_hand", "UCAROL")
    bot.fake.history_reaction_users = 1  # every card's joiners are cut short in the history
    now = [1000.0]
    budget = RateBudget(rate=1.0, capacity=3, monotonic=lambda: now[0])
    reconciler = fresh_reconciler(bot, budget)
    before = len(bot.fake.calls_to("reactions.get"))
    report = reconciler.run_once()  # one page of history, then reactions.get
    assert (report.history_pages, report.full_reads, report.cards) == (1, 2, 2)
    assert reconciler.run_once().cards == 0  # no tokens left
    now[0] += 2
    bot.fake.fail_next("reactions.get", status=429, retry_after=30)
    report = reconciler.run_once()
    assert (report.cards, report.failed) == (0, 1)
    now[0] += 10
    assert reconciler.run_once().cards == 0  # still waiting for Retry-After
    now[0] += 25
    report = reconciler.run_once()
    assert (report.history_pages, report.cards) == (0, 3)  # the history is not read again
    now[0] += 5
    assert reconciler.run_once().cards == 1  # the card that failed is still due, and done
    reads = bot.fake.calls_to("reactions.get")[before:]
    assert len([c for c in reads if not c.failed]) == 6
    assert len({c.args["timestamp"] for c in reads if not c.failed}) == 6
    assert all(joined(bot, n) == {"UBOB", "UCAROL"} for n in range(1, 7))


def test_two_reconcilers_at_once_double_nothing(bot: RunningBot, card: str) -> None:
    bot.fake.add_reaction(CHANNEL, card, "raised_hand", "UCAROL")
    bot.fake.add_reaction(CHANNEL, card, "no_entry_sign", "UDAVE")
    one, two = fresh_reconciler(bot), fresh_reconciler(bot)
    reports = [one.run_once(), two.run_once(), one.run_once(), two.run_once()]
    assert sum(r.cards for r in reports) == 1
    assert sorted(reconciled(bot)) == [("joined", "UCAROL", 1), ("objected", "UDAVE", 1)]
    bot.settle()
    assert len([e for e in bot.fake.ephemerals if e["user"] == "UDAVE"]) == 1


def test_settled_cards_are_not_read(bot: RunningBot, card: str) -> None:
    bot.answer("withdraw 1")
    bot.settle()
    before = len(bot.fake.calls_to("reactions.get"))
    assert fresh_reconciler(bot).run_once().cards == 0
    assert len(bot.fake.calls_to("reactions.get")) == before


def test_a_card_read_just_before_the_bot_went_down_is_read_again_at_start(
    bot: RunningBot, card: str
) -> None:
    assert fresh_reconciler(bot).run_once().cards == 1  # read, then the bot goes down
    bot.fake.add_reaction(CHANNEL, card, "no_entry_sign", "UDAVE")
    restarted = fresh_reconciler(bot)  # minutes later, well within MWG_RECONCILE_INTERVAL
    assert restarted.run_once().applied == 1
    assert objecting(bot, 1) == {"UDAVE"}


def state_of(bot: RunningBot, number: int) -> str:
    with bot.runtime.db.unit_of_work() as session:
        return str(session.scalar(select(ProposalRow.state).where(ProposalRow.number == number)))


def restart_reading_nothing(bot: RunningBot, wall: ManualClock | None = None) -> Reconciler:
    """The running bot's reconciler as a bot that has just started: #1 is open on its card,
    and nothing is read back until the test lets it (its reads are held as a 429 would)."""
    reconciler = bot.runtime.reconciler
    reconciler.budget.pause(3600)
    if wall is not None:
        reconciler.wall_clock = wall
    reconciler.started_at = reconciler.wall_clock.now()
    reconciler.begin()
    return reconciler


def test_a_window_that_closed_while_down_waits_for_its_card(bot: RunningBot, card: str) -> None:
    # While no bot ran: UDAVE objected on the card, and the window ended.
    bot.fake.add_reaction(CHANNEL, card, "no_entry_sign", "UDAVE")
    reconciler = restart_reading_nothing(bot)
    bot.clock.advance(timedelta(days=5))

    bot.sweep()
    assert state_of(bot, 1) == "open"  # not closed on what was stored before the objection

    reconciler.budget = RateBudget(rate=100, capacity=100)
    reconciler.run_once()
    deadline = time.monotonic() + 10  # the background tick may be the one that read it
    while reconciler.unread_since_start():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    bot.sweep()
    assert state_of(bot, 1) == "escalated"
    assert objecting(bot, 1) == {"UDAVE"}
    assert ("objected", "UDAVE", 1) in reconciled(bot)


def test_if_slack_cannot_be_read_the_close_waits_only_so_long(
    bot: RunningBot, card: str, caplog: pytest.LogCaptureFixture
) -> None:
    wall = ManualClock(SystemClock().now())
    restart_reading_nothing(bot, wall)
    bot.clock.advance(timedelta(days=5))
    bot.sweep()
    assert state_of(bot, 1) == "open"

    wall.advance(START_READ_DEADLINE + timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="mwgbot.services.reconcile"):
        bot.sweep()
    assert state_of(bot, 1) == "adopted"  # on what was stored: no objection was known
    assert "without reading back the cards of mwg#1" in caplog.text


def test_proposals_made_after_the_start_close_on_time(bot: RunningBot) -> None:
    assert "Proposed #1" in bot.answer("propose Case-study series --close 4d")
    bot.runtime.reconciler.budget.pause(3600)  # nothing is read back: no need, events came
    bot.advance(timedelta(days=5))
    assert state_of(bot, 1) == "adopted"


def test_a_card_that_cannot_be_read_waits_for_the_interval(bot: RunningBot, card: str) -> None:
    # (A failure worth retrying leaves the card due: see the 429 in the pacing test.)
    reconciler = fresh_reconciler(bot, RateBudget(rate=100, capacity=100))
    reads = len(bot.fake.calls_to("reactions.get"))
    bot.fake.fail_next("reactions.get", error="message_not_found")  # the card was deleted
    assert reconciler.run_once().failed == 1
    assert reconciler.run_once().cards == 0  # not read again at every tick
    assert len(bot.fake.calls_to("reactions.get")) - reads == 1
