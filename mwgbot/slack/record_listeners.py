"""The group's record in Slack: `/mwg history <n>`, `/mwg mydata` and `/mwg forget-me` with its
confirmation form. Thin: one unit of work, a service call, an answer."""

from __future__ import annotations

import logging
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from mwgbot.domain.activity import Via
from mwgbot.services import history, outbox, privacy
from mwgbot.services.bot import BotServices
from mwgbot.slack import commands, ids, record_blocks
from mwgbot.slack.router import CommandRouter, Invocation, Reply

log = logging.getLogger(__name__)


class RecordHandlers:
    def __init__(self, bot: BotServices, client: WebClient) -> None:
        self.bot = bot
        self.client = client

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.History, self.history)
        router.register(commands.MyData, self.my_data)
        router.register(commands.ForgetMe, self.forget_me)

    def history(self, command: commands.History, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            timeline = history.timeline(session, self.bot.policy.key, command.number)
        answer = record_blocks.history(timeline)
        return Reply(answer.text, answer.blocks)

    def my_data(self, _command: commands.MyData, invocation: Invocation) -> Reply:
        user = invocation.user_id
        now = self.bot.clock.now()
        with self.bot.db.unit_of_work() as session:
            messages = record_blocks.data_messages(privacy.member_data(session, user))
            for message in messages:
                outbox.enqueue(
                    session,
                    kind=outbox.KIND_DM,
                    now=now,
                    group_key="",  # the member's own data, of every group
                    message=message,
                    channel_id=user,
                    user_id=user,
                )
        parts = len(messages)
        return Reply(
            "Everything the bot holds about you is on its way in a direct message from the bot"
            + (f", in {parts} parts." if parts > 1 else "."),
            changed=True,
        )

    def forget_me(self, _command: commands.ForgetMe, invocation: Invocation) -> Reply:
        """Open the confirmation form now: the trigger_id expires within 3 seconds."""
        if not invocation.trigger_id:
            return Reply("Slack sent no way to open the confirmation form; please try again.")
        try:
            self.client.views_open(
                trigger_id=invocation.trigger_id, view=record_blocks.forget_modal()
            )
        except (SlackApiError, URLError, OSError):
            log.exception("opening the forget-me form failed")
            return Reply(
                "Slack could not open the confirmation form, so nothing was erased. "
                "Please try `/mwg forget-me` again."
            )
        return Reply("Confirm in the form that just opened: nothing is erased until you do.")

    def submit_forget(self, ack: Ack, body: dict[str, Any]) -> None:
        user = body["user"]["id"]
        try:
            with self.bot.db.unit_of_work() as session:
                forgotten = privacy.forget(session, user, now=self.bot.clock.now(), via=Via.MODAL)
        except Exception:
            log.exception("forgetting a member failed; nothing was erased")
            ack(response_action="update", view=record_blocks.forget_failed_view())
            return
        ack(response_action="update", view=record_blocks.forgotten_view(forgotten.pseudonym))
        if forgotten.cards:
            self.bot.wake()


def register(app: App, bot: BotServices, router: CommandRouter) -> None:
    """An extension for build_app: three `/mwg` subcommands and the confirmation form."""
    handlers = RecordHandlers(bot, app.client)
    handlers.register_commands(router)

    @app.view(ids.VIEW_FORGET)
    def on_forget_submit(ack: Ack, body: dict[str, Any]) -> None:
        handlers.submit_forget(ack, body)
