"""Meetings in Slack: `/mwg next`, `/mwg meeting skip|unskip <date>`, the agenda's topics
(`/mwg agenda …`), the notes (`/mwg notes`) and the last meetings (`/mwg meetings`).
Thin: one unit of work, a service call, an answer; refusals (NotAllowed, NotPossible) become
the answer through the router."""

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
        router.register(commands.AgendaList, self.agenda)
        router.register(commands.AgendaAdd, self.agenda_add)
        router.register(commands.AgendaRemove, self.agenda_remove)
        router.register(commands.AgendaCarry, self.agenda_carry)
        router.register(commands.Notes, self.notes)
        router.register(commands.Meetings, self.meetings)

    def next(self, _command: commands.Next, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            view = self.bot.meetings(session, via=Via.COMMAND).next_meetings()
        message = meeting_blocks.next_message(view)
        return Reply(message.text, message.blocks)

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

    def agenda(self, _command: commands.AgendaList, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            service = self.bot.agenda(session, via=Via.COMMAND)
            meeting = service.next_meeting()
            topics = service.topics(meeting)
        message = meeting_blocks.agenda_answer(meeting, topics)
        return Reply(message.text, message.blocks)

    def agenda_add(self, command: commands.AgendaAdd, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.agenda(session, via=Via.COMMAND).add(command.text, invocation.user_id)
        return Reply(meeting_blocks.topic_added(change))

    def agenda_remove(self, command: commands.AgendaRemove, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.agenda(session, via=Via.COMMAND).remove(
                command.number, invocation.user_id
            )
        return Reply(meeting_blocks.topic_removed(change))

    def agenda_carry(self, command: commands.AgendaCarry, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.agenda(session, via=Via.COMMAND).carry(
                command.number, invocation.user_id
            )
        return Reply(meeting_blocks.topic_carried(change))

    def notes(self, command: commands.Notes, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            attached = self.bot.agenda(session, via=Via.COMMAND).add_note(
                command.link, command.summary, invocation.user_id
            )
        return Reply(meeting_blocks.note_attached(attached), changed=True)

    def meetings(self, _command: commands.Meetings, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            past = self.bot.agenda(session, via=Via.COMMAND).past_meetings()
        message = meeting_blocks.meetings_answer(past)
        return Reply(message.text, message.blocks)


def register(_app: App, bot: BotServices, router: CommandRouter) -> None:
    """An extension for build_app: the `/mwg` listener is shared, only commands are added."""
    MeetingHandlers(bot).register_commands(router)
