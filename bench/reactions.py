"""Reaction events: how fast a join or leave by reaction is acknowledged, against a bare Bolt
app answering the same events, on SQLite and PostgreSQL, on a card with 0 and 500 joiners.

Every event is a real change (member k joins the card, then leaves it), signed as Slack signs
it and sent over loopback HTTP to a server in its own process. mwgbot commits each change
before it acknowledges (process_before_response), so the figures include the database.

  python bench/reactions.py                       # about 2 minutes on 2 CPUs
  python bench/reactions.py --events 3000 --clients 16
  python bench/reactions.py --postgres postgresql://postgres@127.0.0.1:5432/test

Nothing is asserted; ratios compare servers measured in the same run. The idle RSS of each
mwgbot server is read from /proc before the load starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    CHANNEL,
    DEFAULT_POSTGRES,
    HOST,
    JSON,
    Result,
    bare_bolt_app,
    fresh_postgres,
    load,
    mwgbot_settings,
    ratio,
    rss_mb,
    server_process,
    signed_http,
)

from mwgbot import fakeslack_payloads as payloads

SEQUENTIAL_EVENTS = 300
WARMUP_EVENTS = 60
SCENARIO_TIME_LIMIT = 180.0


# --- the servers (run in a child process) -------------------------------------------------


def seed_card(runtime: Any, joiners: int) -> str:
    """One open proposal with its card posted and `joiners` members already in; its ts."""
    from sqlalchemy import insert

    from mwgbot.db.models import SignupRow
    from mwgbot.domain.activity import Via

    bot = runtime.bot
    with bot.db.unit_of_work() as session:
        number = bot.proposals(session, via=Via.CLI).propose("UPROPOSER", "Benchmark card").number
        if joiners:
            now = bot.clock.now()
            session.execute(
                insert(SignupRow),
                [
                    {"proposal_number": number, "user_id": f"USEED{k:05d}", "joined_at": now}
                    for k in range(joiners)
                ],
            )
    ts = bot.delivery.deliver_card(number, wait=10)
    if ts is None:
        raise RuntimeError("the card was not posted")
    return ts


def serve(
    name: str, port: int, database_url: str, joiners: int, info: Path, canvas: bool = False
) -> None:
    import logging

    import uvicorn

    from mwgbot.db import migrate
    from mwgbot.db.session import Database
    from mwgbot.fakeslack import FakeSlack
    from mwgbot.slack.server import build_http_app

    logging.basicConfig(level=logging.WARNING)
    fake = FakeSlack().start()
    if name == "bare":
        migrate.upgrade(database_url)
        http_app = build_http_app(bare_bolt_app(True, fake.url), Database(database_url))
        ts = "1767800000.000100"
    else:
        from mwgbot.runtime import build_runtime

        settings = mwgbot_settings(database_url, fake.url, mwg_canvas=canvas)
        runtime = build_runtime(settings, http=True)
        ts = seed_card(runtime, joiners)
        runtime.start_background()
        http_app = runtime.http_app()
    info.write_text(json.dumps({"ts": ts}), encoding="utf-8")
    uvicorn.run(http_app, host=HOST, port=port, log_level="warning", access_log=False)


# --- the load (this process) --------------------------------------------------------------


class ReactionStream:
    """Event i: member i//2 joins the card (even i) or leaves it again (odd i)."""

    def __init__(self, port: int, message_ts: str, prefix: str) -> None:
        self.port = port
        self.message_ts = message_ts
        self.prefix = prefix
        self.base = time.time()

    def __call__(self, index: int) -> bytes:
        event_ts = f"{self.base + index / 1000:.6f}"
        event = payloads.reaction_event(
            added=index % 2 == 0,
            user_id=f"U{self.prefix}{index // 2:06d}",
            reaction="raised_hand",
            channel_id=CHANNEL,
            message_ts=self.message_ts,
            event_ts=event_ts,
            item_user="UBOTMWG",
        )
        body = payloads.event_callback(
            event, event_id=f"Ev{self.prefix}{index:07d}", event_time=int(float(event_ts))
        )
        return signed_http(self.port, json.dumps(body).encode(), JSON)


@dataclass
class Measured:
    label: str
    single: Result
    concurrent: Result
    idle_rss_mb: float


def measure(
    label: str,
    name: str,
    database_url: str,
    joiners: int,
    events: int,
    clients: int,
    canvas: str = "off",
) -> Measured:
    with tempfile.TemporaryDirectory(prefix="mwgbot-bench-") as scratch:
        info = Path(scratch) / "info.json"
        arguments = ["--serve", name, "--database", database_url, "--joiners", str(joiners)]
        arguments += ["--canvas", canvas]
        with server_process(__file__, [*arguments, "--info", str(info)]) as (port, pid):
            time.sleep(1.0)  # let start-up work (sweep, delivery) settle before reading RSS
            idle = rss_mb(pid)
            ts = json.loads(info.read_text(encoding="utf-8"))["ts"]
            deadline = time.monotonic() + SCENARIO_TIME_LIMIT
            warm = ReactionStream(port, ts, "W")
            asyncio.run(load(port, warm, WARMUP_EVENTS, 4, deadline))
            single = asyncio.run(
                load(port, ReactionStream(port, ts, "S"), SEQUENTIAL_EVENTS, 1, deadline)
            )
            stream = ReactionStream(port, ts, "C")
            concurrent = asyncio.run(load(port, stream, events, clients, deadline))
    return Measured(label, single, concurrent, idle if name != "bare" else float("nan"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="concurrent-phase events")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, or 'off'")
    parser.add_argument("--serve", choices=["bare", "mwgbot"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--joiners", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--info", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--canvas", choices=["on", "off"], default="off", help="MWG_CANVAS of the mwgbot servers"
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.database, args.joiners, args.info, args.canvas == "on")
        return 0

    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="mwgbot-bench-db-") as scratch:
        databases = [("SQLite", lambda n: f"sqlite:///{Path(scratch) / f'{n}.db'}")]
        droppers = []
        if args.postgres != "off":

            def postgres(_name: str) -> str:
                url, drop = fresh_postgres(args.postgres)
                droppers.append(drop)
                return url

            databases.append(("PostgreSQL", postgres))
        try:
            for db_label, make_url in databases:
                for label, name, joiners in (
                    ("bare Bolt (acks only)", "bare", 0),
                    ("mwgbot, card with 0 joiners", "mwgbot", 0),
                    ("mwgbot, card with 500 joiners", "mwgbot", 500),
                ):
                    full = f"{db_label}: {label}"
                    print(f"measuring {full} ...", file=sys.stderr, flush=True)
                    url = make_url(f"{name}{joiners}")
                    results.append(
                        measure(full, name, url, joiners, args.events, args.clients, args.canvas)
                    )
        finally:
            for drop in droppers:
                drop()

    print()
    print(
        f"reaction events (join/leave by reaction), {SEQUENTIAL_EVENTS} from one client one "
        f"at a time, then {args.events} from {args.clients} concurrent keep-alive clients; "
        f"MWG_CANVAS={args.canvas}; loopback, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'server':<44} {'1-client p50':>12} {'p99':>8} {'16-client p50':>14} {'p99':>8} "
        f"{'events/s':>9} {'err':>4} {'idle RSS':>9} {'p50 vs bare':>12} {'500 vs 0':>9}"
    )
    print(header)
    print("-" * len(header))
    for index, m in enumerate(results):
        group = results[index - index % 3 : index - index % 3 + 3]
        bare = group[0]
        vs_bare = ratio(m.single.ms(50), bare.single.ms(50))
        vs_zero = ratio(m.single.ms(50), group[1].single.ms(50)) if m is group[2] else ""
        print(
            f"{m.label:<44} {m.single.ms(50):>9.2f} ms {m.single.ms(99):>5.1f} ms "
            f"{m.concurrent.ms(50):>11.1f} ms {m.concurrent.ms(99):>5.1f} ms "
            f"{m.concurrent.rps:>9.0f} {m.single.errors + m.concurrent.errors:>4} "
            f"{m.idle_rss_mb:>6.0f} MB {vs_bare:>12} {vs_zero:>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
