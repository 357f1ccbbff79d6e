"""Ack latency and throughput of signed slash commands over loopback HTTP.

Three servers, measured in one run so that the ratios compare like with like:

  (a) a bare Bolt app (default settings) served by Bolt's own Starlette adapter on uvicorn:
      the baseline. Bolt's sync adapter runs `dispatch` on the event loop, and its default
      ack wait polls every 10 ms.
  (b) the same bare app with process_before_response=True, served by
      mwgbot.slack.server.build_http_app (dispatch on a thread pool).
  (c) the real mwgbot app (build_runtime against a FakeSlack), answering `/mwg help`.

Each server runs in its own process (`--serve NAME --port N`, started by this script) so the
load generator does not share its interpreter. The load is one client sending 200 commands
one after another, then 16 concurrent keep-alive clients sending a bounded number of
commands (2,000 by default). Every loop is bounded in count and time; it never asserts on
a time. Run: `python bench/ack_latency.py [--requests 2000] [--clients 16]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from harness import (
    CHANNEL,
    FORM,
    HOST,
    Result,
    bare_bolt_app,
    load,
    mwgbot_settings,
    server_process,
    signed_http,
)

from mwgbot import fakeslack_payloads as payloads

SCENARIOS = {
    "a": "(a) bare Bolt, defaults, Bolt's Starlette adapter",
    "b": "(b) bare Bolt, process_before_response, build_http_app",
    "c": "(c) mwgbot (build_runtime), /mwg help",
}
SEQUENTIAL_REQUESTS = 200
WARMUP_REQUESTS = 50
SCENARIO_TIME_LIMIT = 120.0  # seconds; a scenario stops early past this


# --- the servers (run in a child process) -------------------------------------------------


def serve(name: str, port: int) -> None:
    import logging

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from mwgbot.db import migrate
    from mwgbot.db.session import Database
    from mwgbot.fakeslack import FakeSlack
    from mwgbot.slack.server import build_http_app

    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="mwgbot-bench-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    fake = FakeSlack().start()
    http_app: Any
    if name == "a":
        from slack_bolt.adapter.starlette import SlackRequestHandler

        handler = SlackRequestHandler(bare_bolt_app(False, fake.url))

        async def events(request: Request) -> Response:
            return await handler.handle(request)

        http_app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    elif name == "b":
        migrate.upgrade(database_url)
        http_app = build_http_app(bare_bolt_app(True, fake.url), Database(database_url))
    else:
        from mwgbot.runtime import build_runtime

        runtime = build_runtime(mwgbot_settings(database_url, fake.url), http=True)
        runtime.start_background()
        http_app = build_http_app(runtime.app, runtime.db)
    uvicorn.run(http_app, host=HOST, port=port, log_level="warning", access_log=False)


# --- the load (this process) --------------------------------------------------------------


def help_command(port: int) -> bytes:
    form = payloads.slash_command(
        "help",
        user_id="UALICE",
        channel_id=CHANNEL,
        trigger_id="13345224609.738474920.8088930838d88f008e0",
        team=payloads.Team(token="deprecated"),
    )
    return signed_http(port, urllib.parse.urlencode(form).encode(), FORM)


def measure(name: str, total: int, clients: int) -> tuple[Result, Result]:
    with server_process(__file__, ["--serve", name]) as (port, _pid):
        request = help_command(port)
        deadline = time.monotonic() + SCENARIO_TIME_LIMIT
        asyncio.run(load(port, lambda _i: request, WARMUP_REQUESTS, 4, deadline))
        single = asyncio.run(load(port, lambda _i: request, SEQUENTIAL_REQUESTS, 1, deadline))
        concurrent = asyncio.run(load(port, lambda _i: request, total, clients, deadline))
    return single, concurrent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="concurrent-phase requests")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--only", choices=sorted(SCENARIOS), nargs="*", help="a subset")
    parser.add_argument("--serve", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    names = args.only or sorted(SCENARIOS)
    results: dict[str, tuple[Result, Result]] = {}
    for name in names:
        print(f"measuring {SCENARIOS[name]} ...", file=sys.stderr, flush=True)
        results[name] = measure(name, args.requests, args.clients)

    baseline = results.get("a")
    print()
    print(
        f"{args.requests} signed slash commands from {args.clients} concurrent keep-alive "
        f"clients (after {SEQUENTIAL_REQUESTS} from one client, one at a time: '1-client p50'), "
        f"loopback, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'server':<55} {'1-client p50':>12} {'p50':>8} {'p99':>8} {'req/s':>8} "
        f"{'errors':>6} {'p50 vs a':>9} {'req/s vs a':>10}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        single, concurrent = results[name]
        p50, p99 = concurrent.percentile(50) * 1000, concurrent.percentile(99) * 1000
        ratio_p50 = ratio_rps = "-"
        if baseline is not None:
            base = baseline[1]
            ratio_p50 = f"{p50 / (base.percentile(50) * 1000):.3f}x"
            ratio_rps = f"{concurrent.rps / base.rps:.2f}x" if base.rps else "-"
        print(
            f"{SCENARIOS[name]:<55} {single.percentile(50) * 1000:>9.2f} ms "
            f"{p50:>5.1f} ms {p99:>5.1f} ms {concurrent.rps:>8.0f} "
            f"{concurrent.errors + single.errors:>6} {ratio_p50:>9} {ratio_rps:>10}"
        )
    completed = {n: len(r[1].latencies) for n, r in results.items()}
    if any(count < args.requests for count in completed.values()):
        print(f"note: stopped at the {SCENARIO_TIME_LIMIT:g}s limit: {completed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
