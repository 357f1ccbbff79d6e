"""Initiatives in Slack: `/mwg update`, `/mwg done` and `/mwg drop`. Thin: one unit of work, a
service call, an answer; refusals (NotAllowed, NotPossible, NotFound) become the answer through
the router. The notices themselves go through the outbox."""

from __future__ import annotations

from slack_bolt import App

from mwgbot.domain.activity import Via
from mwgbot.services.bot import BotServices
from mwgbot.slack import commands
from mwgbot.slack.block_kit import title_ref
from mwgbot.slack.router import CommandRouter, Invocation, Reply


class InitiativeHandlers:
    def __init__(self, bot: BotServices) -> None:
        self.bot = bot

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.Update, self.update)
        router.register(commands.Done, self.done)
        router.register(commands.Drop, self.drop)

    def update(self, command: commands.Update, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            self.bot.initiatives(session, via=Via.COMMAND).update(
                command.number, invocation.user_id, command.text
            )
        return Reply(
            f"Your update on #{command.number} is posted in its thread; its card shows it.",
            changed=True,
        )

    def done(self, command: commands.Done, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            proposal = self.bot.initiatives(session, via=Via.COMMAND).deliver(
                command.number, invocation.user_id, command.link, command.note
            )
        text = (
            f"{title_ref(proposal.number, proposal.title)} is delivered: "
            "well done! The channel is told."
        )
        if proposal.delivery_link is None:
            text += " No link was given, so the announcement has none."
        return Reply(text, changed=True)

    def drop(self, command: commands.Drop, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            proposal = self.bot.initiatives(session, via=Via.COMMAND).drop(
                command.number, invocation.user_id, command.reason
            )
        return Reply(
            f"{title_ref(proposal.number, proposal.title)} is dropped; the channel is told.",
            changed=True,
        )


def register(_app: App, bot: BotServices, router: CommandRouter) -> None:
    """An extension for build_app: the `/mwg` listener is shared, only commands are added."""
    InitiativeHandlers(bot).register_commands(router)
