"""The Bolt app factory: one app for Socket Mode and HTTP alike."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from mwgbot.services import outbox
from mwgbot.services.bot import BotServices
from mwgbot.slack import proposal_listeners
from mwgbot.slack.commands import Command
from mwgbot.slack.group_routing import (
    SayItInAChannel,
    group_for,
    group_of_request,
    say_it_in_a_channel,
)
from mwgbot.slack.router import CommandRouter, Invocation

log = logging.getLogger(__name__)

# The bot events the manifest subscribes to; every one has a listener (no Bolt 404s).
SUBSCRIBED_EVENTS = (
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "app_home_opened",
)


class SlackUnavailableError(Exception):
    """Slack refused the token or could not be reached at start."""


@dataclass(frozen=True)
class SlackIdentity:
    bot_user_id: str
    team_url: str | None
    bot_name: str = "mwgbot"  # the bot user's handle, as in `/invite @mwgbot`


def verify_slack(client: WebClient) -> SlackIdentity:
    """auth.test once at start: a bad token stops the bot with one clear line."""
    try:
        response = client.auth_test()
    except SlackApiError as error:
        raise SlackUnavailableError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): "
            "check the bot token (xoxb-…) in .env or the environment"
        ) from None
    except OSError as error:
        raise SlackUnavailableError(
            f"could not reach Slack at {client.base_url}: {error}"
        ) from None
    return SlackIdentity(
        str(response["user_id"]), response.get("url"), str(response.get("user") or "mwgbot")
    )


class _DropClientPrioritized(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN from the environment is unused when a client is
    given; giving our own client (base URL, retry handlers) is the point, so say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _quiet_token_warning() -> None:
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _DropClientPrioritized) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropClientPrioritized())


class _App(App):
    """Bolt's App, dispatching each request as the member who sent it: what the listeners
    queue for the channel names them (`outbox.acting_member`), so that if Slack refuses the
    post, they are told. Every transport (HTTP, Socket Mode, the console) calls `dispatch`,
    and the listeners run inside it (`process_before_response`). A global middleware would
    not do: Bolt runs middleware one after another, not around the listener."""

    bot: BotServices | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """As the member who sent it, in the group it belongs to (see `group_of_request`; a
        command's group is decided by the router, which can refuse)."""
        group = None
        if self.bot is not None and isinstance(req.body, dict):
            group = group_of_request(self.bot.all_groups, req.body)
        with outbox.acting_member(req.context.user_id):
            if self.bot is None:
                return super().dispatch(req)
            with self.bot.acting_in(group):
                return super().dispatch(req)


def build_app(
    *,
    client: WebClient,
    signing_secret: str | None,
    bot: BotServices,
    identity: SlackIdentity,
    extensions: tuple[Any, ...] = (),
) -> App:
    """Build the app with every listener registered.

    `process_before_response=True`: the listener runs to its end before Bolt answers, so a
    reaction is committed before its event is acknowledged, and the answer to a command is
    sent the moment `ack()` is called instead of after Bolt's 10 ms polling loop.
    """
    _quiet_token_warning()
    app = _App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # verify_slack did auth.test already
        raise_error_for_unhandled_request=False,
    )
    app.bot = bot

    def in_its_group(command: Command, named: str | None, invocation: Invocation) -> Any:
        groups = bot.all_groups
        group = group_for(groups, command, named, invocation.channel_id, invocation.user_id)
        return bot.acting_in(group)

    router = CommandRouter(scope=in_its_group)
    router.describe(SayItInAChannel, say_it_in_a_channel)
    proposal_listeners.register(app, bot, router, identity.team_url)
    for register in extensions:
        register(app, bot, router)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Bolt answers 500, so Slack retries an event; the work is idempotent, so that is safe.
        log.error("unhandled %s: %s", body.get("type", "request"), error, exc_info=error)

    return app
