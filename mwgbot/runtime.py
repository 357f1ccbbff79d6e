"""The running bot, wired: database, services, Bolt app and scheduler.

The one place that builds a whole bot from Settings; `mwgbot run`, `mwgbot serve`, the offline
console, the tests and the benchmarks all start it from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient

from mwgbot.config import Settings
from mwgbot.db import migrate, queries
from mwgbot.db.session import Database
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import Clock, SystemClock
from mwgbot.scheduling.jobs import BotScheduler, Sweep, default_steps
from mwgbot.services.batching import GroupCommitter
from mwgbot.services.bot import BotServices
from mwgbot.services.delivery import Delivery
from mwgbot.services.page_sync import PageSync
from mwgbot.services.policy import Groups, load_groups
from mwgbot.services.reconcile import Reconciler
from mwgbot.services.slack_status import SlackStatus
from mwgbot.slack import (
    edit_listeners,
    initiative_listeners,
    limit_listeners,
    meeting_listeners,
    member_listeners,
    record_listeners,
)
from mwgbot.slack.app import build_app, verify_slack
from mwgbot.slack.canvas_page import page_markdown
from mwgbot.slack.notifier import SlackNotifier, make_web_client
from mwgbot.slack.renderer import BlockKitRenderer

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """A fully wired bot: database, services, Bolt app and scheduler."""

    settings: Settings
    db: Database
    client: WebClient
    bot: BotServices
    app: App
    scheduler: BotScheduler
    reconciler: Reconciler
    # Every group the bot serves; for now the services serve the first (bot.policy).
    groups: Groups
    # What Slack refuses now: the notifier, delivery, reconciler and /healthz share it.
    slack_status: SlackStatus

    def start_background(self) -> None:
        self.scheduler.start()

    def calendar(self, key: str | None = None) -> bytes | None:
        """A group's meeting series as iCalendar, as `GET /calendar/<key>.ics` serves it (no
        key: the first group's, `GET /calendar.ics`); None for a key no group has."""
        group = self.groups.first if key is None else self.groups.by_key(key)
        if group is None:
            return None
        with self.db.unit_of_work() as session, self.bot.acting_in(group):
            return self.bot.meetings(session, via=Via.COMMAND).calendar()

    def http_app(self) -> Starlette:
        """What `mwgbot serve` serves: /slack/events, /healthz, /calendar.ics and
        /calendar/<key>.ics."""
        from mwgbot.slack.server import build_http_app

        return build_http_app(self.app, self.db, calendar=self.calendar, slack=self.slack_status)

    def close(self) -> None:
        self.scheduler.shutdown()
        if self.bot.group_commit is not None:
            self.bot.group_commit.close()
        self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http: bool = True,
    groups: Groups | None = None,
) -> Runtime:
    """Everything `serve` and `run` need; the schema is brought to head first.

    `groups` are loaded from the settings unless given, before anything else, so a bad
    groups file stops the start before the database or Slack is touched.
    """
    if groups is None:
        groups = load_groups(settings)
    migrate.upgrade(settings.database_url, groups=groups)
    db = Database(settings.database_url)
    with db.unit_of_work() as session:
        # Each group's numbering row: its proposals' numbers are taken from it.
        queries.ensure_groups(session, groups.keys)
    client = make_web_client(settings.slack_bot_token, settings.slack_api_url)
    identity = verify_slack(client)
    policy = groups.first
    if not any(group.moderators for group in groups):
        log.warning(
            "MWG_MODERATORS is empty: escalated proposals are decided by the organizers "
            "(MWG_ORGANIZERS), or by no one if there are none; set MWG_MODERATORS to the Slack "
            "user IDs of the AXIM representatives"
        )
    renderer = BlockKitRenderer(several_groups=len(groups) > 1)
    clock = clock or SystemClock()
    status = SlackStatus(bot_name=identity.bot_name)
    slack = SlackNotifier(client, status)
    # The page of each group whose MWG_CANVAS (or groups-file `canvas`) is on.
    pages = PageSync(db, slack, list(groups), clock, page_markdown)
    pages.start()
    delivery = Delivery(
        db, slack, renderer, policy, clock, status=status, groups=groups, pages=pages
    )
    bot = BotServices(
        db=db,
        base_policy=policy,
        groups=groups,
        clock=clock,
        renderer=renderer,
        delivery=delivery,
        group_commit=GroupCommitter(db, name="reactions"),
    )
    reconciler = Reconciler(
        db,
        slack,
        renderer,
        policy,
        clock,
        SystemClock(),
        identity.bot_user_id,
        status=status,
        groups=groups,
    )
    scheduler = BotScheduler(
        Sweep(bot, steps=default_steps(bot), held_back=reconciler.unread_since_start),
        settings.mwg_sweep_interval,
        reconciler=reconciler,
    )
    bot.wake = scheduler.wake_delivery
    app = build_app(
        client=client,
        signing_secret=settings.slack_signing_secret if http else None,
        bot=bot,
        identity=identity,
        extensions=(
            meeting_listeners.register,
            initiative_listeners.register,
            edit_listeners.register,
            limit_listeners.register,
            member_listeners.register,
            record_listeners.register,
        ),
    )
    return Runtime(settings, db, client, bot, app, scheduler, reconciler, groups, status)
