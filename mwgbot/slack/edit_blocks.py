"""What edits and extensions say: the thread notes and the answers; pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from mwgbot.domain.editing import Field, FieldChange
from mwgbot.domain.meetings import format_duration
from mwgbot.domain.proposals import ProposalSnapshot, Stage
from mwgbot.services.ports import Rendered
from mwgbot.slack.block_kit import one_section, stages_text, title_ref
from mwgbot.slack.text import as_typed, date_token, escape, mention, truncate

# Old and new side by side must stay readable: long texts are cut.
SHOWN = {Field.TITLE: 150, Field.DESCRIPTION: 300}
LABELS = {
    Field.TITLE: "Title",
    Field.DESCRIPTION: "Description",
    Field.STAGES: "Adopter-journey stages",
    Field.COLLECTS_LEADS: "Collects marketing leads",
    Field.COBRANDED: "Co-branded with a sponsor",
}


def shown(field: Field, value: str | bool | tuple[Stage, ...]) -> str:
    """One side of a change, as a note shows it: escaped, on one line, cut to a readable length."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return stages_text(value) if value else "_none_"
    text = " ".join(value.split())
    if not text:
        return "_none_"
    # A title shows as typed; a description keeps the formatting its author gave it.
    show = as_typed if field is Field.TITLE else escape
    return "“" + show(truncate(text, SHOWN.get(field, 150))) + "”"


def change_lines(changes: Sequence[FieldChange]) -> list[str]:
    return [
        f"• *{LABELS[c.field]}*: {shown(c.field, c.old)} → {shown(c.field, c.new)}" for c in changes
    ]


def changed_fields(changes: Sequence[FieldChange]) -> str:
    return ", ".join(LABELS[c.field].lower() for c in changes)


class EditNotesBlocks:
    """The thread notes (the `EditNotes` port of `services.editing`)."""

    def edited(
        self,
        proposal: ProposalSnapshot,
        actor_id: str,
        changes: Sequence[FieldChange],
        was_closing: datetime | None,
    ) -> Rendered:
        lines = [
            f":pencil2: {mention(actor_id)} edited #{proposal.number}:",
            *change_lines(changes),
        ]
        if was_closing is not None:
            lines.append(fair_notice_line(proposal, was_closing))
        text = "\n".join(lines)
        return one_section(text)

    def extended(
        self, proposal: ProposalSnapshot, actor_id: str, by: timedelta, was_closing: datetime
    ) -> Rendered:
        text = (
            f":hourglass_flowing_sand: {mention(actor_id)} extended #{proposal.number}'s "
            f"consensus window by {format_duration(by)}: it now closes "
            f"{date_token(proposal.closes_at)} (it was {date_token(was_closing)})."
        )
        return one_section(text)


def fair_notice_line(proposal: ProposalSnapshot, was_closing: datetime) -> str:
    return (
        ":hourglass_flowing_sand: The words changed with less than a day left, so the window "
        f"now closes {date_token(proposal.closes_at)} (it was {date_token(was_closing)}): "
        "everyone gets a day to react to them."
    )


def edited_answer(
    proposal: ProposalSnapshot, changes: Sequence[FieldChange], was_closing: datetime | None
) -> str:
    """The editor's own confirmation."""
    if not changes:
        return f"Nothing changed in #{proposal.number}."
    text = (
        f"Saved {title_ref(proposal.number, proposal.title)}: "
        f"{changed_fields(changes)} changed. The card shows it, and a note in its thread."
    )
    if was_closing is not None:
        text += (
            f" The window now closes {date_token(proposal.closes_at)}, so everyone gets a day "
            "to react to the new words."
        )
    return text


def extended_answer(proposal: ProposalSnapshot, was_closing: datetime) -> str:
    return (
        f"#{proposal.number} now closes {date_token(proposal.closes_at)} "
        f"(it was {date_token(was_closing)}). The card and its thread say so."
    )
