"""Meetings in Slack: `/mwg next` and `/mwg meeting skip|unskip <date>`. Thin: one unit of
work, a service call, an answer; refusals (NotAllowed, NotPossible) become the answer through
the router."""

from __future__ import annotations

from slack_bolt import App

from mwgbot.domain.activity import Via
from mwgbot.services.bot import BotServices
from mwgbot.slack import commands, meeting_blocks
from mwgbot.slack.router import CommandRouter, Invocation, Reply


class MeetingHandlers:
    def __init__(self, bot: BotServices) -> None:
        self.bot = bot

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.Next, self.next)
        router.register(commands.MeetingSkip, self.skip)

    def next(self, _command: commands.Next, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            view = self.bot.meetings(session, via=Via.COMMAND).next_meetings()
        return Reply(meeting_blocks.next_text(view))

    def skip(self, command: commands.MeetingSkip, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            service = self.bot.meetings(session, via=Via.COMMAND)
            if command.skip:
                change = service.skip(command.day, invocation.user_id)
            else:
                change = service.unskip(command.day, invocation.user_id)
        when = meeting_blocks.meeting_token(change.meeting)
        if not change.changed:
            state = "already skipped" if change.skipped else "not skipped; it takes place"
            return Reply(f"The meeting of {when} is {state}. Nothing changed.")
        if change.skipped:
            return Reply(
                f"The meeting of {when} is skipped; the channel is told. The next meeting is "
                f"{meeting_blocks.meeting_token(change.next_meeting)}.",
                changed=True,
            )
        return Reply(f"The meeting of {when} is back on; the channel is told.", changed=True)


def register(_app: App, bot: BotServices, router: CommandRouter) -> None:
    """An extension for build_app: the `/mwg` listener is shared, only commands are added."""
    MeetingHandlers(bot).register_commands(router)
