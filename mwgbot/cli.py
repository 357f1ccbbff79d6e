"""The `mwgbot` command, and the one place that wires concrete parts together."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError

from mwgbot.config import ConfigError, Settings, load_settings
from mwgbot.db import migrate
from mwgbot.db.session import Database
from mwgbot.domain.clock import Clock, SystemClock
from mwgbot.scheduling.jobs import BotScheduler, Sweep
from mwgbot.services.bot import BotServices
from mwgbot.services.delivery import Delivery
from mwgbot.services.policy import Policy
from mwgbot.slack.app import SlackUnavailableError, build_app, verify_slack
from mwgbot.slack.blocks import BlockKitRenderer
from mwgbot.slack.notifier import SlackNotifier, make_web_client

log = logging.getLogger("mwgbot")

EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 3


@dataclass
class Runtime:
    """A fully wired bot: database, services, Bolt app and scheduler."""

    settings: Settings
    db: Database
    client: WebClient
    bot: BotServices
    app: App
    scheduler: BotScheduler

    def start_background(self) -> None:
        self.scheduler.start()

    def close(self) -> None:
        self.scheduler.shutdown()
        self.db.dispose()


def build_runtime(settings: Settings, *, clock: Clock | None = None, http: bool = True) -> Runtime:
    """Everything `serve` and `run` need; the schema is brought to head first."""
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    client = make_web_client(settings.slack_bot_token, settings.slack_api_url)
    identity = verify_slack(client)
    policy = Policy.from_settings(settings)
    renderer = BlockKitRenderer()
    clock = clock or SystemClock()
    delivery = Delivery(db, SlackNotifier(client), renderer, policy, clock)
    bot = BotServices(db=db, policy=policy, clock=clock, renderer=renderer, delivery=delivery)
    scheduler = BotScheduler(Sweep(bot), settings.mwg_sweep_interval)
    bot.wake = scheduler.wake_delivery
    app = build_app(
        client=client,
        signing_secret=settings.slack_signing_secret if http else None,
        bot=bot,
        identity=identity,
    )
    return Runtime(settings, db, client, bot, app, scheduler)


# --- commands ------------------------------------------------------------------------------


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print(f"database is at the newest schema ({_safe_url(settings.database_url)})")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from mwgbot.slack.server import build_http_app

    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MWG_CHANNEL")
    runtime = build_runtime(settings, http=True)
    http_app = build_http_app(runtime.app, runtime.db)
    runtime.start_background()
    log.info("serving Slack requests on http://%s:%s/slack/events", args.host, args.port)
    try:
        # uvicorn handles SIGTERM and SIGINT: it stops accepting, finishes requests, returns.
        uvicorn.run(
            http_app,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        runtime.close()
    log.info("stopped")
    return 0


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "MWG_CHANNEL")
    runtime = build_runtime(settings, http=False)
    handler = SocketModeHandler(runtime.app, app_token=settings.slack_app_token)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runtime.start_background()
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")
        stop.wait()
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        runtime.close()
    log.info("stopped")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mwgbot",
        description="The Open edX Marketing Working Group's Slack bot.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="connect to Slack over Socket Mode")
    run.set_defaults(handler=cmd_run)
    serve = sub.add_parser("serve", help="serve Slack's HTTP requests on /slack/events")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=3000, help="port to bind (default 3000)")
    serve.set_defaults(handler=cmd_serve)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="bring the schema to the newest version")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        return int(args.handler(settings, args))
    except ConfigError as error:
        print(f"mwgbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SlackUnavailableError as error:
        print(f"mwgbot: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OperationalError as error:
        first_line = str(error.orig or error).strip().splitlines()[0]
        print(f"mwgbot: cannot use the database (DATABASE_URL): {first_line}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
