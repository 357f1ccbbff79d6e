"""Fair limits in Slack: the per-minute `/mwg` limit, and the answer to a member who has as
many open proposals as they may."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from mwgbot.domain import limits as rules
from mwgbot.domain.limits import OpenLimitReached
from mwgbot.services import limits
from mwgbot.services.bot import BotServices
from mwgbot.slack import ids, limit_text
from mwgbot.slack.router import CommandRouter

log = logging.getLogger(__name__)


def register(app: App, bot: BotServices, router: CommandRouter) -> None:
    router.describe(OpenLimitReached, limit_text.open_limit_answer)

    @app.middleware
    def limit_commands(
        body: dict[str, Any], resp: BoltResponse, next: Callable[[], None]
    ) -> BoltResponse:
        """Count every `/mwg` of a member, in the database (so the limit holds across
        instances); past MWG_COMMANDS_PER_MINUTE in a minute, the command is not run at all.

        Bolt runs this after it has verified the request's signature, so only requests that
        really come from Slack are counted."""
        user_id = body.get("user_id")
        if body.get("command") != ids.COMMAND or not isinstance(user_id, str) or not user_id:
            next()
            return resp
        try:
            with bot.db.unit_of_work() as session:
                count = limits.count_command(session, user_id, bot.clock.now())
        except Exception:
            # The command would meet the same database; let it run and answer for itself.
            log.exception("counting a /mwg command of %s failed; not limiting it", user_id)
            next()
            return resp
        if rules.over_rate(count, bot.policy.commands_per_minute):
            log.info("/mwg from %s refused: %s this minute", user_id, count)
            return BoltResponse(
                status=200,
                body={
                    "response_type": "ephemeral",
                    "text": limit_text.slow_down(bot.policy.commands_per_minute),
                },
            )
        next()
        return resp
