"""Nothing is lost while the bot is down: real `mwgbot serve` processes, the fake Slack's cards
changed while none runs, and the stored state read back at the next start."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update

from mwgbot.db.models import ProposalRow
from mwgbot.fakeslack import FakeSlack
from tests import slack_requests as sr
from tests.conftest import CHANNEL
from tests.processes import ServeProcess, started

# The changes made in Slack while no bot ran, as the ledger records them.
EXPECTED = [("joined", "UCAROL"), ("left", "UBOB"), ("objected", "UDAVE")]


@pytest.fixture
def env(serve_env: dict[str, str]) -> dict[str, str]:
    # A real window: the objection must still count when the bot comes back.
    return {**serve_env, "MWG_CONSENSUS_MIN": "72h", "MWG_CONSENSUS_WINDOW": "7d"}


class Database:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]

    def state(self) -> tuple[set[str], set[str]]:
        joined = {str(r[0]) for r in self.rows("SELECT user_id FROM signups")}
        objecting = {str(r[0]) for r in self.rows("SELECT user_id FROM objections")}
        return joined, objecting

    def reconciled(self) -> list[tuple[str, str]]:
        rows = self.rows(
            "SELECT kind, actor_id FROM activity WHERE via = 'reconcile' ORDER BY kind"
        )
        return [(str(kind), str(actor)) for kind, actor in rows]


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.engine.dispose()


def card_with_a_reaction(
    tmp_path: Path, env: dict[str, str], fake: FakeSlack, database: Database
) -> str:
    """A bot proposes #1 and UBOB joins it by reaction; then the bot is killed."""
    first = started(tmp_path, env)
    try:
        answer = sr.send(first.url, sr.slash_command("propose Launch video"))
        assert "Proposed #1" in answer.json()["text"]
        fake.wait_until(lambda: bool(fake.messages(CHANNEL)), timeout=15)
        ts = str(fake.messages(CHANNEL)[0]["ts"])
        fake.add_reaction(CHANNEL, ts, "raised_hand", "UBOB")
        event = sr.reaction_event(
            added=True,
            user_id="UBOB",
            reaction="raised_hand",
            channel_id=CHANNEL,
            message_ts=ts,
            event_ts=f"{time.time():.6f}",
        )
        assert sr.send(first.url, sr.event_callback(event, event_id="Ev0BOBJOIN")).status == 200
        assert database.state() == ({"UBOB"}, set())
    finally:
        first.kill()
    return ts


def change_slack_while_down(fake: FakeSlack, ts: str) -> None:
    fake.add_reaction(CHANNEL, ts, "raised_hand", "UCAROL")
    fake.remove_reaction(CHANNEL, ts, "raised_hand", "UBOB")
    fake.add_reaction(CHANNEL, ts, "no_entry_sign", "UDAVE")


def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the stored state did not match Slack in time"
        time.sleep(0.1)


def stop(*servers: ServeProcess) -> None:
    for server in servers:
        assert server.terminate()[0] == 0


@pytest.mark.slow
def test_reactions_changed_while_down_are_stored_after_the_next_start(
    tmp_path: Path, env: dict[str, str], fake_slack: FakeSlack, database: Database
) -> None:
    ts = card_with_a_reaction(tmp_path, env, fake_slack, database)
    change_slack_while_down(fake_slack, ts)
    reads_before = len(fake_slack.calls_to("reactions.get"))

    second = started(tmp_path, env)
    try:
        wait_for(lambda: database.state() == ({"UCAROL"}, {"UDAVE"}))
        fake_slack.wait_until(
            lambda: any(e["user"] == "UDAVE" for e in fake_slack.ephemerals), timeout=15
        )
        time.sleep(3)  # more ticks: nothing else may happen
    finally:
        stop(second)
    assert database.reconciled() == EXPECTED
    assert len([e for e in fake_slack.ephemerals if e["user"] == "UDAVE"]) == 1
    assert len(fake_slack.calls_to("reactions.get")) - reads_before == 1


@pytest.mark.slow
def test_two_instances_reconciling_at_once_double_nothing(
    tmp_path: Path, env: dict[str, str], fake_slack: FakeSlack, database: Database
) -> None:
    ts = card_with_a_reaction(tmp_path, env, fake_slack, database)
    change_slack_while_down(fake_slack, ts)

    one, two = ServeProcess(tmp_path, env), ServeProcess(tmp_path, env)
    try:
        one.wait_healthy()
        two.wait_healthy()
        wait_for(lambda: database.state() == ({"UCAROL"}, {"UDAVE"}))
        fake_slack.wait_until(
            lambda: any(e["user"] == "UDAVE" for e in fake_slack.ephemerals), timeout=15
        )
        time.sleep(3)
    finally:
        stop(one, two)
    assert database.reconciled() == EXPECTED
    assert len([e for e in fake_slack.ephemerals if e["user"] == "UDAVE"]) == 1


@pytest.mark.slow
def test_an_objection_made_while_down_stops_a_window_that_closed_meanwhile(
    tmp_path: Path, env: dict[str, str], fake_slack: FakeSlack, database: Database
) -> None:
    """The issue's worst case: while no bot ran, #1's window ended and UDAVE objected on the
    card. The next start must read the card before it closes #1: escalated, not adopted."""
    ts = card_with_a_reaction(tmp_path, env, fake_slack, database)
    fake_slack.add_reaction(CHANNEL, ts, "no_entry_sign", "UDAVE")
    with database.engine.begin() as connection:
        connection.execute(
            update(ProposalRow)
            .where(ProposalRow.number == 1)
            .values(closes_at=datetime.now(UTC) - timedelta(hours=1))
        )

    second = started(tmp_path, env)
    try:
        wait_for(lambda: database.rows("SELECT state FROM proposals")[0][0] != "open")
        # Asked for a reason, as a reacted objection is; not told the window has closed.
        fake_slack.wait_until(
            lambda: any(e["user"] == "UDAVE" for e in fake_slack.ephemerals), timeout=15
        )
    finally:
        stop(second)
    assert database.rows("SELECT state FROM proposals") == [("escalated",)]
    assert database.rows("SELECT user_id FROM objections") == [("UDAVE",)]
    [asked] = [e for e in fake_slack.ephemerals if e["user"] == "UDAVE"]
    assert "say why" in asked["text"]


@pytest.mark.slow
def test_one_restart_reads_many_cards_back_through_the_channel_history(
    tmp_path: Path, env: dict[str, str], fake_slack: FakeSlack, database: Database
) -> None:
    first = started(tmp_path, env)
    try:
        for i in range(1, 9):
            answer = sr.send(first.url, sr.slash_command(f"propose Idea {i}", user_id=f"UP{i}"))
            assert f"Proposed #{i}" in answer.json()["text"]
        fake_slack.wait_until(lambda: len(fake_slack.messages(CHANNEL)) >= 8, timeout=15)
    finally:
        first.kill()
    cards = [m for m in fake_slack.messages(CHANNEL) if m["thread_ts"] is None][:8]
    assert [m["metadata"]["event_payload"]["number"] for m in cards] == list(range(1, 9))
    # While no bot runs: UCAROL joins every card, UDAVE objects on every other one, and #3
    # gets more joiners than the history lists.
    fake_slack.history_reaction_users = 2
    for number, card in enumerate(cards, start=1):
        fake_slack.add_reaction(CHANNEL, card["ts"], "raised_hand", "UCAROL")
        if number % 2 == 0:
            fake_slack.add_reaction(CHANNEL, card["ts"], "no_entry_sign", "UDAVE")
    for user in ("UERIN", "UFRANK", "UGRACE"):
        fake_slack.add_reaction(CHANNEL, cards[2]["ts"], "raised_hand", user)
    fake_slack.clear()

    def matches() -> bool:
        rows = database.rows("SELECT proposal_number, user_id FROM signups")
        objections = database.rows("SELECT proposal_number, user_id FROM objections")
        return len(rows) == 11 and len(objections) == 4

    second = started(tmp_path, env)
    try:
        wait_for(matches)
        time.sleep(3)  # more ticks: nothing else is read
    finally:
        stop(second)
    joined = {
        (int(str(n)), str(u))
        for n, u in database.rows("SELECT proposal_number, user_id FROM signups")
    }
    assert joined == {(n, "UCAROL") for n in range(1, 9)} | {
        (3, "UERIN"),
        (3, "UFRANK"),
        (3, "UGRACE"),
    }
    history = [c for c in fake_slack.calls_to("conversations.history") if not c.failed]
    assert len(history) == 1
    assert [c.args["timestamp"] for c in fake_slack.calls_to("reactions.get")] == [cards[2]["ts"]]
