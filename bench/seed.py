"""Years of history, seeded fast, for the scale benchmark: generated inside the database by
SQL (a recursive CTE on SQLite, generate_series on PostgreSQL), not row by row from Python.

The default shape: 100,000 past proposals over ten years, most settled (declined, withdrawn,
delivered, dropped), a few hundred initiatives still active, a few dozen open or escalated;
1,000,000 sign-ups, about 100,000 objections, a ledger row for each, 2,000 members in 50
organizations, progress updates and time entries. `python bench/seed.py --help`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text

FIRST_DAY = datetime(2016, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    proposals: int = 100_000
    signups: int = 1_000_000
    members: int = 2_000
    organizations: int = 50
    active: int = 300  # adopted initiatives still running
    open: int = 40
    escalated: int = 12

    @property
    def per_proposal(self) -> int:
        return max(1, self.signups // self.proposals)


def _sequence(dialect: str, count: int) -> str:
    """A CTE `seq(n)` of 1..count."""
    if dialect == "postgresql":
        return f"WITH seq(n) AS (SELECT generate_series(1, {count}))"
    return f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})"


def _at(dialect: str, seconds: str) -> str:
    """A UTC instant `seconds` after FIRST_DAY, stored as the UTCDateTime type stores it."""
    if dialect == "postgresql":
        return f"(TIMESTAMPTZ '2016-12-01 00:00:00+00' + ({seconds}) * INTERVAL '1 second')"
    return f"(datetime('2016-12-01 00:00:00', '+' || ({seconds}) || ' seconds') || '.000000')"


def _day(dialect: str, seconds: str) -> str:
    if dialect == "postgresql":
        return f"(DATE '2016-12-01' + (({seconds}) / 86400)::int)"
    return f"date('2016-12-01', '+' || (({seconds}) / 86400) || ' days')"


def seed(engine: Engine, shape: Shape, now: datetime) -> dict[str, float]:
    """Fill an empty, migrated database; seconds per table."""
    dialect = engine.dialect.name
    span = int((now - FIRST_DAY).total_seconds())
    step = span // (shape.proposals + 1)
    settled = shape.proposals - shape.active - shape.open - shape.escalated
    true, false = ("TRUE", "FALSE")
    created = f"(n * {step})"
    # The newest proposals are the live ones: open last, then escalated, then active.
    state = (
        f"CASE WHEN n > {shape.proposals - shape.open} THEN 'open' "
        f"WHEN n > {shape.proposals - shape.open - shape.escalated} THEN 'escalated' "
        f"WHEN n > {settled} THEN 'adopted' "
        "ELSE (CASE n % 4 WHEN 0 THEN 'declined' WHEN 1 THEN 'withdrawn' "
        "WHEN 2 THEN 'delivered' ELSE 'dropped' END) END"
    )
    week = 7 * 86400
    timings: dict[str, float] = {}

    def run(name: str, sql: str) -> None:
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text(sql))
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started

    run(
        "members",
        f"{_sequence(dialect, shape.members)} INSERT INTO members (user_id, organization, "
        "updated_at, first_seen_at, last_active_at, is_bot) "
        f"SELECT 'USEED' || n, 'Organization ' || (n % {shape.organizations}), "
        f"{_at(dialect, f'n * {span // (shape.members + 1)}')}, "
        f"{_at(dialect, f'n * {span // (shape.members + 1)}')}, "
        f"{_at(dialect, str(span - 3600))}, {false} FROM seq",
    )
    closes = f"({created} + {week})"
    run(
        "proposals",
        f"{_sequence(dialect, shape.proposals)} INSERT INTO proposals (group_key, number, "
        "title, description, proposer_id, stages, collects_leads, cobranded, state, created_at, "
        "closes_at, closed_at, channel_id, message_ts, card_revision, card_synced_revision, "
        "first_proposal, last_activity_at, finished_at, finished_by, delivery_link, "
        "finish_note, decided_by, verdict, decision_note, decided_at) "
        f"SELECT 'mwg', n, 'Seeded initiative ' || n, 'A description of initiative ' || n, "
        f"'USEED' || (n % {shape.members} + 1), "
        "CASE n % 3 WHEN 0 THEN 'awareness' WHEN 1 THEN 'interest,consideration' "
        f"ELSE '' END, {false}, {false}, {state}, "
        f"{_at(dialect, created)}, "
        f"CASE WHEN n > {shape.proposals - shape.open} "
        f"THEN {_at(dialect, f'{span} + 86400 * (1 + n % 6)')} "
        f"ELSE {_at(dialect, closes)} END, "
        f"CASE WHEN n > {shape.proposals - shape.open} THEN NULL "
        f"ELSE {_at(dialect, closes)} END, "
        "'CMARKETING', "
        f"CAST({1_480_550_400} + n * {step} AS VARCHAR(20)) || '.000100', 1, 1, "
        f"CASE WHEN n <= {shape.members} THEN {true} ELSE {false} END, "
        f"CASE WHEN n > {settled} AND n <= {shape.proposals - shape.open - shape.escalated} "
        f"THEN {_at(dialect, f'{span} - 86400 * (n % 40)')} ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 >= 2 THEN {_at(dialect, f'{closes} + {week}')} "
        "ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 >= 2 THEN 'USEED' || (n % {shape.members} + 1) "
        "ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 = 2 THEN 'https://openedx.org/blog/' || n "
        "ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 >= 2 THEN 'Seeded note ' || n ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 = 0 THEN 'UMODERATOR' ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 = 0 THEN 'decline' ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 = 0 THEN 'Seeded decision' ELSE NULL END, "
        f"CASE WHEN n <= {settled} AND n % 4 = 0 "
        f"THEN {_at(dialect, f'{closes} + 86400')} ELSE NULL END "
        "FROM seq",
    )
    per = shape.per_proposal
    member = f"((n * 7 + (n / {per}) * 13) % {shape.members} + 1)"
    number = f"((n - 1) / {per} + 1)"
    run(
        "signups",
        f"{_sequence(dialect, shape.proposals * per)} INSERT INTO signups (group_key, "
        f"proposal_number, user_id, joined_at) SELECT 'mwg', {number}, 'USEED' || {member}, "
        f"{_at(dialect, f'{number} * {step} + 3600')} FROM seq",
    )
    run(
        "objections",
        f"{_sequence(dialect, shape.proposals)} INSERT INTO objections (group_key, "
        f"proposal_number, user_id, reason, made_at) SELECT 'mwg', n, "
        "'USEEDOBJ' || (n % 97), 'Seeded reason ' || n, "
        f"{_at(dialect, f'{created} + 7200')} FROM seq WHERE n % 4 = 0 OR n % 11 = 0",
    )
    run(
        "activity",
        f"{_sequence(dialect, shape.proposals * per)} INSERT INTO activity (at, actor_id, "
        f"group_key, proposal_number, kind, via, details) SELECT "
        f"{_at(dialect, f'{number} * {step} + 3600')}, 'USEED' || {member}, 'mwg', {number}, "
        "'joined', 'reaction', '{}' FROM seq",
    )
    run(
        "activity",
        f"{_sequence(dialect, shape.proposals)} INSERT INTO activity (at, actor_id, "
        f"group_key, proposal_number, kind, via, details) SELECT {_at(dialect, created)}, "
        f"'USEED' || (n % {shape.members} + 1), 'mwg', n, 'proposed', 'command', "
        '\'{"title": "Seeded"}\' FROM seq',
    )
    run(
        "proposal_updates",
        f"{_sequence(dialect, shape.proposals * 2)} INSERT INTO proposal_updates "
        f"(group_key, proposal_number, author_id, text, created_at) SELECT 'mwg', "
        "(n - 1) / 2 + 1, "
        f"'USEED' || (n % {shape.members} + 1), 'Seeded progress note ' || n, "
        f"{_at(dialect, f'((n - 1) / 2 + 1) * {step} + 86400 * (n % 2 + 1)')} FROM seq",
    )
    run(
        "time_entries",
        f"{_sequence(dialect, shape.proposals)} INSERT INTO time_entries (group_key, "
        "user_id, proposal_number, minutes, what, worked_on, created_at) SELECT 'mwg', "
        f"'USEED' || (n % {shape.members} + 1), n, 30 + (n % 8) * 15, 'Seeded work ' || n, "
        f"{_day(dialect, created)}, {_at(dialect, created)} FROM seq",
    )
    # The outbox keeps every card's row for good (its dedupe key is what posts it once).
    run(
        "outbox",
        f"{_sequence(dialect, shape.proposals)} INSERT INTO outbox (kind, group_key, "
        "dedupe_key, proposal_number, channel_id, user_id, payload, state, attempts, uncertain, "
        "available_at, lease_until, created_at, sent_at, message_ts, last_error) SELECT "
        "'card', 'mwg', 'card:' || n, n, 'CMARKETING', NULL, '{\"broadcast\": false}', 'sent', 1, "
        f"{false}, {_at(dialect, created)}, NULL, {_at(dialect, created)}, "
        f"{_at(dialect, f'{created} + 1')}, "
        f"CAST({1_480_550_400} + n * {step} AS VARCHAR(20)) || '.000100', NULL FROM seq",
    )
    if dialect == "postgresql":
        with engine.begin() as connection:
            for table in ("activity", "proposal_updates", "time_entries", "outbox"):
                key = "id"
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                        f"(SELECT MAX({key}) FROM {table}))"
                    )
                )
    # The group's numbering continues after the seeded proposals.
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO groups (key, next_number) SELECT 'mwg', 0 "
                "WHERE NOT EXISTS (SELECT 1 FROM groups WHERE key = 'mwg')"
            )
        )
        connection.execute(
            text(
                "UPDATE groups SET next_number = (SELECT COALESCE(MAX(number), 0) FROM proposals "
                "WHERE group_key = 'mwg') WHERE key = 'mwg'"
            )
        )
    # PostgreSQL's autovacuum analyzes new data by itself; do it now. The bot never runs
    # ANALYZE on SQLite, whose planner then uses its defaults: leave it so, as in production.
    if dialect == "postgresql":
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        timings["analyze"] = time.perf_counter() - started
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="a migrated, empty mwgbot database")
    parser.add_argument("--proposals", type=int, default=Shape.proposals)
    parser.add_argument("--signups", type=int, default=Shape.signups)
    args = parser.parse_args()
    from mwgbot.config import normalize_database_url
    from mwgbot.db import migrate

    url = normalize_database_url(args.database_url)
    migrate.upgrade(url)
    engine = create_engine(url)
    timings = seed(engine, Shape(proposals=args.proposals, signups=args.signups), datetime.now(UTC))
    engine.dispose()
    for name, seconds in timings.items():
        print(f"{name:<18} {seconds:6.1f} s")
    print(f"{'total':<18} {sum(timings.values()):6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
