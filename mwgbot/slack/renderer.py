"""The Renderer port for Slack: each message the services send, built by the pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from mwgbot.domain.escalation import Deciders
from mwgbot.domain.proposals import ProgressUpdate, ProposalSnapshot
from mwgbot.services.member_models import Welcome
from mwgbot.services.ports import Rendered
from mwgbot.services.read_models import Agenda, Digest, MeetingChange, MeetingNote
from mwgbot.slack import (
    blocks,
    escalation_blocks,
    initiative_blocks,
    meeting_blocks,
    member_blocks,
    slack_refusals,
)
from mwgbot.slack.text import escape


class BlockKitRenderer:
    def __init__(self, *, several_groups: bool = False) -> None:
        # Several groups use the bot: a direct message names a proposal `key#n`.
        self.several_groups = several_groups

    def card(self, proposal: ProposalSnapshot, join_emoji: str, object_emoji: str) -> Rendered:
        return blocks.card(proposal, join_emoji, object_emoji)

    def outcome(self, proposal: ProposalSnapshot, deciders: Deciders) -> Rendered:
        return blocks.outcome(proposal, deciders)

    def consensus_found(self, proposal: ProposalSnapshot, withdrawn_by: str) -> Rendered:
        return blocks.consensus_found(proposal, withdrawn_by)

    def escalation_notice(
        self, proposal: ProposalSnapshot, deciders: Deciders, waited: timedelta
    ) -> Rendered:
        return escalation_blocks.escalation_notice(
            proposal, deciders, waited, qualified=self.several_groups
        )

    def ask_reason(self, number: int, *, withdrew_join: bool = False) -> Rendered:
        return blocks.ask_reason(number, withdrew_join=withdrew_join)

    def note(self, text: str) -> Rendered:
        return blocks.note(text)

    def refusal(self, text: str) -> Rendered:
        return blocks.note(escape(text))

    def closing_soon(
        self, proposal: ProposalSnapshot, object_emoji: str, deciders: Deciders
    ) -> Rendered:
        return blocks.closing_soon(proposal, object_emoji, deciders)

    def meeting_reminder(self, agenda: Agenda) -> Rendered:
        return meeting_blocks.reminder(agenda)

    def meeting_change(self, change: MeetingChange, actor_id: str) -> Rendered:
        return meeting_blocks.meeting_change(change, actor_id)

    def digest(self, digest: Digest) -> Rendered:
        return meeting_blocks.digest(digest)

    def notes_ask(self, meeting: datetime, organizers: Sequence[str]) -> Rendered:
        return meeting_blocks.notes_ask(meeting, organizers)

    def meeting_note(self, note: MeetingNote) -> Rendered:
        return meeting_blocks.meeting_note(note)

    def welcome(self, welcome: Welcome) -> Rendered:
        return member_blocks.welcome(welcome)

    def post_refused(
        self, channel_id: str, code: str, bot_name: str, number: int | None
    ) -> Rendered:
        return slack_refusals.post_refused(channel_id, code, bot_name, number)

    def update_posted(self, proposal: ProposalSnapshot, update: ProgressUpdate) -> Rendered:
        return initiative_blocks.update_posted(proposal, update)

    def initiative_finished(self, proposal: ProposalSnapshot) -> Rendered:
        return initiative_blocks.initiative_finished(proposal)

    def stale_nudge(self, proposal: ProposalSnapshot, quiet_for: timedelta) -> Rendered:
        return initiative_blocks.stale_nudge(proposal, quiet_for)
