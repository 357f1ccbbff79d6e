"""Recovery after a downtime: how long from a restart until every stored join and objection
matches Slack again, reading each channel's history (conversations.history, 200 messages a
call) against the old way, one reactions.get per card, measured in the same run.

N channels x M live cards (default 10 x 40 = 400), each card with members' chatter between
the cards. Before the downtime every card has joiners, stored. While the bot is down, on every
card two members join and one leaves; every fourth card gets an objection; every tenth card
(`--capped-every`) gets more joiners than Slack lists in a history message (the fake lists 50, as
`reactions.get` without `full` does), so that card needs a reactions.get of its own.

Both ways run the bot's own Reconciler on a copy of the same database, against the same fake
Slack on loopback, with the RateBudget the bot uses (45 calls a minute, a burst of 10: Slack's
Tier 3). The budget's waits are counted, not slept: its clock is the real monotonic clock plus
the time the bot would have waited for its next token. So the figure is the work done plus the
Tier 3 pacing and the 2-second tick, and a run takes seconds, not the ten minutes the old
way would wait.

  python bench/recovery.py                        # 10 channels x 40 cards, about 30 s
  python bench/recovery.py --channels 10 --cards 40 --chatter 3
  python bench/recovery.py --capped-every 0       # no card needs a reactions.get of its own
  python bench/recovery.py --groups               # one group per channel, from a groups file

`--groups` writes a groups file (MWG_GROUPS_FILE) with one group per channel (keys g1, g2, ...)
and gives each card its group's key in its metadata (and its proposal row the group, when the
database has a `group_key` column). Without it, the cards are spread over the channels as one
group's (`mwg`). Nothing is asserted: the figures are printed, with the ratio of the two ways.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import mwgbot_settings

TIME_LIMIT = 600.0  # seconds of real time per way, at most
MAX_RUNS = 100_000  # reconciler runs per way, at most
CAPPED_JOINERS = 60  # more than the fake lists per reaction in a history message (50)


@dataclass
class Way:
    name: str
    seconds: float = 0.0  # work plus counted pacing
    work: float = 0.0
    paced: float = 0.0
    runs: int = 0
    history_calls: int = 0
    reactions_get_calls: int = 0
    mismatched: int = 0


class PacedClock:
    """The budget's monotonic clock: real time plus the waits counted instead of slept."""

    def __init__(self) -> None:
        self.waited = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.waited


def write_groups_file(path: Path, channels: list[str]) -> None:
    lines = []
    for i, channel in enumerate(channels, start=1):
        lines += [
            "[[group]]",
            f'key = "g{i}"',
            f'name = "Group {i}"',
            f'channel = "{channel}"',
            'moderators = ["UMODERATOR"]',
            'organizers = ["UORGANIZER"]',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def seed(
    database_url: str,
    fake: Any,
    groups: Any,
    channels: list[str],
    cards: int,
    chatter: int,
) -> dict[int, tuple[str, str]]:
    """The proposals, their cards in the fake (with metadata), chatter, and the joiners
    stored before the downtime; number -> (channel, ts)."""
    from sqlalchemy import insert

    from mwgbot.db.models import ProposalRow
    from mwgbot.services.ports import CardTag
    from mwgbot.slack.notifier import card_metadata

    now = datetime.now(UTC)
    has_group = hasattr(ProposalRow, "group_key")
    where: dict[int, tuple[str, str]] = {}
    rows = []
    number = 0
    for c, channel in enumerate(channels):
        policy = groups.by_channel(channel) or groups.first
        for k in range(cards):
            number += 1
            metadata = card_metadata(CardTag(policy.key, number), None)
            ts = fake.add_message(
                channel, f"#{number} card", user=fake.bot_user_id, metadata=metadata
            )
            for t in range(chatter):
                fake.add_message(channel, f"chatter {t}", user=f"UTALK{c:02d}{t}")
            for j in range(3):
                fake.add_reaction(channel, ts, "raised_hand", f"UJ{number:04d}{j}")
            where[number] = (channel, ts)
            row: dict[str, Any] = {
                "number": number,
                "title": f"Card {number}",
                "proposer_id": f"UPROP{number:04d}",
                "state": "open",
                "created_at": now,
                "closes_at": now + timedelta(days=4 + k % 3),
                "channel_id": channel,
                "message_ts": ts,
            }
            if has_group:
                row["group_key"] = policy.key
            rows.append(row)
    from mwgbot.db.session import Database

    db = Database(database_url)
    with db.unit_of_work() as session:
        session.execute(insert(ProposalRow), rows)
    db.engine.dispose()
    return where


def downtime(fake: Any, where: dict[int, tuple[str, str]], capped_every: int) -> None:
    """What members did in Slack while no bot ran."""
    for number, (channel, ts) in where.items():
        fake.add_reaction(channel, ts, "raised_hand", f"UNEW{number:04d}A")
        fake.add_reaction(channel, ts, "raised_hand", f"UNEW{number:04d}B")
        fake.remove_reaction(channel, ts, "raised_hand", f"UJ{number:04d}0")
        if number % 4 == 0:
            fake.add_reaction(channel, ts, "no_entry_sign", f"UOBJ{number:04d}")
        if capped_every and number % capped_every == 0:
            for j in range(CAPPED_JOINERS):
                fake.add_reaction(channel, ts, "raised_hand", f"UMANY{number:04d}{j:02d}")


def mismatches(database_url: str, fake: Any, where: dict[int, tuple[str, str]]) -> int:
    """Cards whose stored joins or objections differ from what Slack shows."""
    from sqlalchemy import select

    from mwgbot.db.models import ObjectionRow, SignupRow
    from mwgbot.db.session import Database

    db = Database(database_url)
    with db.unit_of_work() as session:
        joins = session.execute(select(SignupRow.proposal_number, SignupRow.user_id)).all()
        objections = session.execute(
            select(ObjectionRow.proposal_number, ObjectionRow.user_id)
        ).all()
    db.engine.dispose()
    stored_joins: dict[int, set[str]] = {}
    stored_objections: dict[int, set[str]] = {}
    for n, user in joins:
        stored_joins.setdefault(n, set()).add(user)
    for n, user in objections:
        stored_objections.setdefault(n, set()).add(user)
    wrong = 0
    for number, (channel, ts) in where.items():
        message = fake.message(channel, ts) or {"reactions": {}}
        shown_joins = set(message["reactions"].get("raised_hand", []))
        shown_objections = set(message["reactions"].get("no_entry_sign", []))
        if (stored_joins.get(number, set()), stored_objections.get(number, set())) != (
            shown_joins,
            shown_objections,
        ):
            wrong += 1
    return wrong


def reconciler_for(
    database_url: str, fake: Any, groups: Any, budget: Any, history_pages: int | None
) -> Any:
    from mwgbot.db.session import Database
    from mwgbot.domain.clock import SystemClock
    from mwgbot.services.reconcile import Reconciler
    from mwgbot.slack.notifier import SlackNotifier, make_web_client
    from mwgbot.slack.renderer import BlockKitRenderer

    options: dict[str, Any] = {"groups": groups}
    if history_pages is not None:
        options["history_pages"] = history_pages
    return Reconciler(
        Database(database_url),
        SlackNotifier(make_web_client("xoxb-bench", fake.url)),
        BlockKitRenderer(),
        groups.first,
        SystemClock(),
        SystemClock(),
        fake.bot_user_id,
        budget,
        **options,
    )


def due(database_url: str, since: datetime) -> int:
    """Live cards not read back since the restart."""
    from sqlalchemy import func, or_, select

    from mwgbot.db.models import ProposalRow
    from mwgbot.db.session import Database

    db = Database(database_url)
    with db.unit_of_work() as session:
        count = session.scalar(
            select(func.count())
            .select_from(ProposalRow)
            .where(
                ProposalRow.state == "open",
                or_(
                    ProposalRow.reactions_checked_at.is_(None),
                    ProposalRow.reactions_checked_at < since,
                ),
            )
        )
    db.engine.dispose()
    return int(count or 0)


def measure(
    name: str,
    database_url: str,
    fake: Any,
    groups: Any,
    where: dict[int, tuple[str, str]],
    history_pages: int | None,
) -> Way:
    """From the restart until nothing is left to read back: runs of the reconciler as the
    bot's tick makes them (every RECONCILE_TICK), the waits between ticks counted instead of
    slept: the budget, on the same counted clock, refills as it would in that time."""
    from mwgbot.scheduling.jobs import RECONCILE_TICK
    from mwgbot.services.pacing import RateBudget
    from mwgbot.services.reconcile import BURST, READS_PER_MINUTE

    tick = RECONCILE_TICK.total_seconds()
    clock = PacedClock()
    rate = READS_PER_MINUTE / 60
    budget = RateBudget(rate, BURST, monotonic=clock)
    way = Way(name)
    fake.clear()
    started = time.monotonic()
    reconciler = reconciler_for(database_url, fake, groups, budget, history_pages)
    reconciler.begin()
    restart = reconciler.started_at
    left = due(database_url, restart)
    while left and way.runs < MAX_RUNS and time.monotonic() - started < TIME_LIMIT:
        way.runs += 1
        run_started = time.monotonic()
        report = reconciler.run_once()
        if report.cards or report.failed:
            left = due(database_url, restart)
        if left:
            # The next tick: RECONCILE_TICK after this one started, or at once if it ran longer.
            clock.waited += max(0.0, tick - (time.monotonic() - run_started))
    way.work = time.monotonic() - started
    way.paced = clock.waited
    way.seconds = way.work + way.paced
    way.history_calls = len(fake.calls_to("conversations.history"))
    way.reactions_get_calls = len(fake.calls_to("reactions.get"))
    way.mismatched = mismatches(database_url, fake, where)
    reconciler.db.engine.dispose()
    return way


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--cards", type=int, default=40, help="live cards per channel")
    parser.add_argument("--chatter", type=int, default=2, help="messages after each card")
    parser.add_argument(
        "--capped-every",
        type=int,
        default=10,
        help="every n-th card gets more joiners than a history message lists (0: none)",
    )
    parser.add_argument("--groups", action="store_true", help="one group per channel")
    parser.add_argument("--only", choices=("history", "reactions.get"), default=None)
    args = parser.parse_args(argv)

    import logging

    from mwgbot.db import migrate
    from mwgbot.fakeslack import FakeSlack
    from mwgbot.services.policy import load_groups

    logging.basicConfig(level=logging.ERROR)
    channels = [f"CGROUP{i:02d}" for i in range(1, args.channels + 1)]
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        overrides: dict[str, Any] = {"mwg_channel": channels[0]}
        if args.groups:
            groups_file = Path(tmp) / "groups.toml"
            write_groups_file(groups_file, channels)
            overrides["mwg_groups_file"] = str(groups_file)
        database = Path(tmp) / "history.db"
        url = f"sqlite:///{database}"
        settings = mwgbot_settings(url, fake.url, **overrides)
        groups = load_groups(settings)
        migrate.upgrade(url)
        seeded = time.monotonic()
        where = seed(url, fake, groups, channels, args.cards, args.chatter)
        # Before the downtime: what Slack showed is stored (untimed, unpaced).
        from mwgbot.services.pacing import RateBudget

        warm = reconciler_for(url, fake, groups, RateBudget(1e6, 1e6), None)
        while warm.run_once().cards:
            pass
        warm.db.engine.dispose()
        downtime(fake, where, args.capped_every)
        copy = Path(tmp) / "old-way.db"
        shutil.copyfile(database, copy)
        print(
            f"{len(where)} live cards in {len(channels)} channels"
            f"{' (one group each)' if args.groups else ' (one group)'}, {args.chatter} "
            f"messages after each; seeded in {time.monotonic() - seeded:.1f} s; "
            f"{mismatches(url, fake, where)} cards differ from Slack at the restart"
        )
        ways: list[Way] = []
        runs: list[tuple[str, str, int | None]] = [
            ("history", url, None),
            ("reactions.get", f"sqlite:///{copy}", 0),
        ]
        for name, database_url, pages in runs:
            if args.only in (None, name):
                ways.append(measure(name, database_url, fake, groups, where, pages))
    report(ways)
    return 0


def report(ways: list[Way]) -> None:
    header = (
        f"{'way':<14} {'restart→match':>14} {'work':>8} {'paced':>8} {'runs':>6} "
        f"{'history':>8} {'reactions.get':>14} {'mismatched':>10}"
    )
    print(header)
    for way in ways:
        print(
            f"{way.name:<14} {way.seconds:>12.1f} s {way.work:>6.1f} s {way.paced:>6.1f} s "
            f"{way.runs:>6} {way.history_calls:>8} {way.reactions_get_calls:>14} "
            f"{way.mismatched:>10}"
        )
    by_name: dict[str, Way] = {way.name: way for way in ways}
    if "history" in by_name and "reactions.get" in by_name:
        new, old = by_name["history"], by_name["reactions.get"]
        print(f"history / reactions.get: {new.seconds / old.seconds:.3f}x")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
