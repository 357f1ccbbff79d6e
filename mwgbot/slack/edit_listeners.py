"""Editing and extending proposals in Slack: `/mwg edit <n>` and its form, `/mwg extend`.
Thin: parse, call the editing service inside one unit of work, answer."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from mwgbot.domain import editing as rules
from mwgbot.domain.activity import Via
from mwgbot.domain.errors import DomainError
from mwgbot.services.bot import BotServices
from mwgbot.services.editing import EditingService, wording_of
from mwgbot.slack import blocks, commands, edit_blocks, ids, proposal_form
from mwgbot.slack.proposal_listeners import tell
from mwgbot.slack.router import CommandRouter, Invocation, Reply
from mwgbot.slack.text import truncate

log = logging.getLogger(__name__)

# Refusals under the form's title (plain text): room for a sentence or two.
REFUSAL_LIMIT = 300


@dataclass(frozen=True)
class EditForm:
    """What the edit form carries in its private_metadata, to be read back on save."""

    number: int
    seen: str  # fingerprint of the wording the form showed
    group: str = ""  # the proposal's group (read by `group_of_request`)

    def dump(self) -> str:
        return json.dumps({"number": self.number, "seen": self.seen, "group": self.group})

    @classmethod
    def load(cls, metadata: str) -> EditForm | None:
        try:
            data = json.loads(metadata)
            return cls(int(data["number"]), str(data["seen"]))
        except (ValueError, TypeError, KeyError):
            return None


class EditHandlers:
    def __init__(self, bot: BotServices, app: App) -> None:
        self.bot = bot
        self.client = app.client
        self.notes = edit_blocks.EditNotesBlocks()

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.Edit, self.open_form)
        router.register(commands.Extend, self.extend)

    def service(self, session: Session, via: Via) -> EditingService:
        return EditingService(session, self.bot.policy, self.notes, self.bot.clock.now(), via)

    def open_form(self, command: commands.Edit, invocation: Invocation) -> Reply:
        """Refusals are answered at once; otherwise the prefilled form opens (views.open needs
        the trigger_id within Slack's 3 seconds, so it is called here, not from the outbox)."""
        with self.bot.db.unit_of_work() as session:
            proposal = self.service(session, Via.COMMAND).editable(
                command.number, invocation.user_id
            )
        form = EditForm(
            proposal.number, rules.fingerprint(wording_of(proposal)), proposal.group_key
        )
        self.client.views_open(
            trigger_id=invocation.trigger_id or "", view=blocks.edit_modal(proposal, form.dump())
        )
        return Reply("")

    def extend(self, command: commands.Extend, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            result = self.service(session, Via.COMMAND).extend(
                command.number, invocation.user_id, command.by
            )
        return Reply(edit_blocks.extended_answer(result.proposal, result.was_closing), changed=True)

    def submit(self, ack: Ack, body: dict[str, Any]) -> None:
        view = body["view"]
        user_id = body["user"]["id"]
        form = EditForm.load(view.get("private_metadata") or "")
        if form is None:
            log.warning("an edit form came back without its metadata: %r", view.get("id"))
            ack(
                response_action="errors",
                errors={ids.BLOCK_TITLE: "This form is out of date; run `/mwg edit` again."},
            )
            return
        reading = proposal_form.read_wording(view["state"]["values"])
        if reading.errors:
            ack(response_action="errors", errors=reading.errors)
            return
        try:
            with self.bot.db.unit_of_work() as session:
                result = self.service(session, Via.MODAL).edit(
                    form.number, user_id, reading.wording, seen=form.seen
                )
                answer = edit_blocks.edited_answer(
                    result.proposal, result.changes, result.was_closing
                )
                tell(self.bot, session, user_id, answer)
        except DomainError as refusal:
            ack(
                response_action="errors",
                errors={ids.BLOCK_TITLE: truncate(str(refusal), REFUSAL_LIMIT)},
            )
            return
        ack()
        self.bot.wake()


def register(app: App, bot: BotServices, router: CommandRouter) -> None:
    handlers = EditHandlers(bot, app)
    handlers.register_commands(router)

    @app.view(ids.VIEW_EDIT)
    def on_edit_submit(ack: Ack, body: dict[str, Any]) -> None:
        handlers.submit(ack, body)
