"""Cost against history: every `/mwg` command, a sweep with nothing due, `/mwg next`, the digest
build and the Home tab, on an empty database against one seeded with ten years of history
(100,000 past proposals, 1,000,000 sign-ups; see seed.py), in one run.

Each operation runs in this process the way Slack's requests reach the bot (`App.dispatch`
of a slash command's form; the Home tab through `app_home_opened`), against the real runtime
and a fake Slack on loopback. A middle column shows the live work alone (the same open,
escalated and active proposals as the seeded database, with no history), so that what grows
with history can be told from what grows with live work.

  python bench/history.py                       # SQLite and PostgreSQL, about 5 minutes
  python bench/history.py --postgres off --repeat 10

A fourth column, '10 groups', copies the seeded history into nine more groups (ten in all, the
bot serving `mwg`): issue 17's goal is each command in one group at most 1.5x its time with one
group's history (the '10g/1g' ratio).

Nothing is asserted: it prints the median time of each operation and the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import CHANNEL, DEFAULT_POSTGRES, fresh_postgres, mwgbot_settings, ratio
from seed import Shape, seed
from slack_bolt import BoltRequest
from sqlalchemy import create_engine

from mwgbot import fakeslack_payloads as payloads
from mwgbot.db import migrate

MEMBER = "USEED7"  # a busy member of the seeded history: proposals, joins, hours
ORGANIZER = "UBENCHORG"
SHAPES = {
    "empty": None,
    "live only": Shape(proposals=352, signups=3_520),
    "history": Shape(),
    "10 groups": Shape(),  # the same history copied into nine more groups
}
# Tables whose rows belong to a group: what "10 groups" copies from `mwg` into the others.
GROUP_TABLES = (
    "groups",
    "proposals",
    "signups",
    "objections",
    "reaction_marks",
    "proposal_updates",
    "time_entries",
    "activity",
    "outbox",
)
OTHER_GROUPS = tuple(f"g{n}" for n in range(1, 10))


@dataclass
class Operation:
    """One timed operation. Runs undoing the previous one (join then leave) are timed as
    well: both count."""

    name: str
    run: Callable[[], object]


@contextmanager
def running_bot(database_url: str) -> Iterator[Any]:
    from mwgbot.fakeslack import FakeSlack
    from mwgbot.runtime import build_runtime

    fake = FakeSlack().start()
    runtime = build_runtime(
        mwgbot_settings(
            database_url,
            fake.url,
            mwg_organizers=ORGANIZER,
            mwg_moderators=ORGANIZER,
            mwg_commands_per_minute=1_000_000,  # the limit is measured elsewhere
            mwg_max_open_per_member=1_000_000,
        ),
        http=False,
    )
    runtime.bot.wake = lambda: None
    try:
        yield runtime
    finally:
        runtime.close()
        fake.stop()


def command(runtime: Any, text: str, user: str = MEMBER) -> Callable[[], object]:
    form = payloads.slash_command(
        text, user_id=user, channel_id=CHANNEL, trigger_id="13345224609.738474920.bench"
    )
    body = urllib.parse.urlencode(form)

    def dispatch() -> object:
        response = runtime.app.dispatch(
            BoltRequest(body=body, headers={"content-type": payloads.FORM})
        )
        if response.status != 200:
            raise RuntimeError(f"/mwg {text}: HTTP {response.status}")
        return response.body

    return dispatch


def home_opened(runtime: Any, user: str = MEMBER) -> Callable[[], object]:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    body = json.dumps(payloads.event_callback(event, event_id="EvHOME", event_time=0))

    def dispatch() -> object:
        return runtime.app.dispatch(
            BoltRequest(body=body, headers={"content-type": payloads.JSON})
        ).status

    return dispatch


def operations(runtime: Any, open_number: int, active_number: int) -> list[Operation]:
    from mwgbot.domain.activity import Via

    bot = runtime.bot

    def digest() -> object:
        with bot.db.unit_of_work() as session:
            built = bot.digests(session).build()
            session.rollback()
        return built

    def agenda() -> object:
        with bot.db.unit_of_work() as session:
            return bot.meetings(session, via=Via.COMMAND).next_meetings()

    toggles = {"join": False, "object": False}

    def join_or_leave() -> object:
        toggles["join"] = not toggles["join"]
        verb = "join" if toggles["join"] else "leave"
        return command(runtime, f"{verb} {open_number}")()

    def object_or_unobject() -> object:
        toggles["object"] = not toggles["object"]
        text = f"object {open_number} a benchmark" if toggles["object"] else "unobject "
        return command(runtime, text + ("" if toggles["object"] else str(open_number)))()

    return [
        Operation("/mwg help", command(runtime, "help")),
        Operation("/mwg list", command(runtime, "list")),
        Operation("/mwg show <active>", command(runtime, f"show {active_number}")),
        Operation("/mwg next", command(runtime, "next")),
        Operation("/mwg join|leave <open>", join_or_leave),
        Operation("/mwg object|unobject <open>", object_or_unobject),
        Operation("/mwg org", command(runtime, "org Benchmark Org")),
        Operation("/mwg update <active>", command(runtime, f"update {active_number} bench")),
        Operation("/mwg history <active>", command(runtime, f"history {active_number}")),
        Operation("/mwg log 1h #<active>", command(runtime, f"log 1h #{active_number} bench")),
        Operation("/mwg hours", command(runtime, "hours")),
        Operation("/mwg hours team", command(runtime, "hours team", ORGANIZER)),
        Operation("/mwg mydata", command(runtime, "mydata")),
        Operation("/mwg propose", command(runtime, "propose Bench idea --close 4d")),
        Operation("/mwg extend <open>", command(runtime, f"extend {open_number} 1m")),
        Operation("sweep, nothing due", runtime.scheduler.sweep.run),
        Operation("agenda (/mwg next's service)", agenda),
        Operation("digest build", digest),
        Operation("Home tab (app_home_opened)", home_opened(runtime)),
    ]


def live_numbers(runtime: Any) -> tuple[int, int]:
    """An open proposal and an active initiative to act on (made if the database has none)."""
    from sqlalchemy import select

    from mwgbot.db.models import ProposalRow
    from mwgbot.domain.activity import Via

    bot = runtime.bot
    with bot.db.unit_of_work() as session:
        open_number = session.scalar(
            select(ProposalRow.number)
            .where(ProposalRow.group_key == "mwg", ProposalRow.state == "open")
            .limit(1)
        )
        active = session.scalar(
            select(ProposalRow.number)
            .where(ProposalRow.group_key == "mwg", ProposalRow.state == "adopted")
            .order_by(ProposalRow.number.desc())
            .limit(1)
        )
        service = bot.proposals(session, via=Via.CLI)
        if open_number is None:
            open_number = service.propose("UBENCHPROP", "An open proposal").number
        if active is None:
            active = service.propose("UBENCHPROP", "An initiative").number
            session.execute(
                ProposalRow.__table__.update()
                .where(ProposalRow.group_key == "mwg", ProposalRow.number == active)
                .values(state="adopted", closed_at=bot.clock.now())
            )
    return int(open_number), int(active)


def copy_into_groups(engine: Any, keys: tuple[str, ...]) -> None:
    """Every group-owned row of `mwg` once more in each of `keys` (new IDs, same numbers):
    ten groups' history, of which the bot serves `mwg`."""
    from sqlalchemy import inspect, text

    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in GROUP_TABLES:
            columns = inspector.get_columns(table)
            key_column = "key" if table == "groups" else "group_key"
            names = [c["name"] for c in columns if c["name"] != "id"]
            for key in keys:
                chosen = ", ".join(f"'{key}'" if n == key_column else n for n in names)
                connection.execute(
                    text(
                        f"INSERT INTO {table} ({', '.join(names)}) SELECT {chosen} "
                        f"FROM {table} WHERE {key_column} = 'mwg'"
                    )
                )


def measure(
    database_url: str, shape: Shape | None, repeat: int, groups: int = 1
) -> dict[str, float]:
    migrate.upgrade(database_url)
    if shape is not None:
        engine = create_engine(database_url)
        started = time.perf_counter()
        seed(engine, shape, datetime.now(UTC))
        if groups > 1:
            copy_into_groups(engine, OTHER_GROUPS[: groups - 1])
        engine.dispose()
        print(f"  seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    medians: dict[str, float] = {}
    with running_bot(database_url) as runtime:
        # The start-up catch-up: the first digest mark, and the nudges and notices the seeded
        # history has due, all sent, so that the sweep measured below has nothing to do.
        runtime.scheduler.sweep.run()
        while runtime.bot.delivery.run_once().busy:
            pass
        open_number, active_number = live_numbers(runtime)
        for operation in operations(runtime, open_number, active_number):
            for _ in range(2):
                operation.run()
            times = []
            for _ in range(repeat):
                # What earlier runs queued for Slack goes out first, untimed: a sweep is timed
                # with nothing due, a command without another's backlog.
                while runtime.bot.delivery.run_once().busy:
                    pass
                started = time.perf_counter()
                operation.run()
                times.append(time.perf_counter() - started)
            medians[operation.name] = statistics.median(times) * 1000
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per operation")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, or 'off'")
    args = parser.parse_args()
    from mwgbot.config import normalize_database_url

    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mwgbot-history-") as scratch:
        backends: list[tuple[str, Callable[[str], tuple[str, Callable[[], None]]]]] = [
            ("SQLite", lambda n: (f"sqlite:///{Path(scratch) / (n + '.db')}", lambda: None))
        ]
        if args.postgres != "off":
            backends.append(("PostgreSQL", lambda _n: fresh_postgres(args.postgres)))
        for backend, make in backends:
            results[backend] = {}
            for label, shape in SHAPES.items():
                print(f"measuring {backend}, {label} ...", file=sys.stderr, flush=True)
                url, drop = make(label.replace(" ", "-"))
                try:
                    results[backend][label] = measure(
                        normalize_database_url(url),
                        shape,
                        args.repeat,
                        groups=10 if label == "10 groups" else 1,
                    )
                finally:
                    drop()

    for backend, by_shape in results.items():
        print()
        print(
            f"{backend}: median of {args.repeat} runs, ms. 'history': 100,000 past proposals, "
            "1,000,000 sign-ups; 'live only': the same open, escalated and active proposals "
            "without the history."
        )
        header = (
            f"{'operation':<32} {'empty':>9} {'live only':>10} {'history':>9} "
            f"{'history/empty':>14} {'history/live':>13} {'10 groups':>10} {'10g/1g':>7}"
        )
        print(header)
        print("-" * len(header))
        empty, live, full = by_shape["empty"], by_shape["live only"], by_shape["history"]
        ten = by_shape["10 groups"]
        for name in empty:
            print(
                f"{name:<32} {empty[name]:>9.2f} {live[name]:>10.2f} {full[name]:>9.2f} "
                f"{ratio(full[name], empty[name]):>14} {ratio(full[name], live[name]):>13} "
                f"{ten[name]:>10.2f} {ratio(ten[name], full[name]):>7}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
